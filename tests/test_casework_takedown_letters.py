"""Takedown letters a platform's legal team accepts, driven through `lantian takedown`: a screenshot per listing
(thumbnail and attachment) in PDF and DOCX, every PDF font embedded (pdffonts), one image per listing (pdfimages),
emoji never corrupting the table, the legal basis per label, the operator's legal name and complaint channel, the
reply deadline, numbered follow-ups citing the first request in the register, and A4 paper in both formats."""
from __future__ import annotations

import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from PIL import Image, ImageDraw
from pypdf import PdfReader
from rich.console import Console
from typer.testing import CliRunner

from casework import cli as casework_cli
from casework import workflow
from casework.config import load_takedown_config
from casework.dates import date_zh
from casework.takedown import MISSING_GLYPH, operator_of
from core.lead import Lead
from lantian.cli import app
from tests.fixtures.casework import detection, listing

EMOJI_TITLE = "商标加急😀👍🏻 内部渠道 ✅ 包过"


def _screenshot(path: Path, colour: str, height: int) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", (640, height), colour)
    ImageDraw.Draw(image).rectangle((20, 20, 300, 120), fill="white")
    image.save(path)
    return str(path)


def _confirmed(store, n: int, title: str, screenshot: str | None, labels: list[str]) -> Lead:
    item = listing(n, title=title, screenshot_path=screenshot)
    lead = store.upsert(item, detection(item, labels))
    workflow.set_status(store, lead.id, "reviewing", by="alice")
    return workflow.set_status(store, lead.id, "confirmed", by="alice", why="证据充分")


def _pdf_tool(*args: str) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def _text(pdf: Path) -> str:
    return "".join("".join(page.extract_text().split()) for page in PdfReader(str(pdf)).pages)


@pytest.mark.usefixtures("office")
def test_letter_carries_screenshots_embedded_fonts_and_the_legal_basis(store, casework_env, tmp_path):
    shots = casework_env / "evidence" / "screenshots"
    leads = [
        _confirmed(store, 1, "国家知识产权局指定代理 商标加急", _screenshot(shots / "a.png", "red", 2400),
                   ["impersonation"]),
        _confirmed(store, 2, EMOJI_TITLE, _screenshot(shots / "b.png", "blue", 900), ["insider_channel"]),
        _confirmed(store, 3, "无资质 专利代理 包授权", None, ["unlicensed_agency"]),
    ]
    out = tmp_path / "letters"
    result = CliRunner().invoke(app, ["takedown", "--platform", "market", "--out", str(out), "--by", "root"])
    assert result.exit_code == 0, result.output
    pdf, docx = next(out.glob("*.pdf")), next(out.glob("*.docx"))

    fonts = _pdf_tool("pdffonts", str(pdf)).splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # the "emb" column
    assert all(line.split()[-4] == "yes" for line in fonts), fonts  # "sub": a subset
    images = _pdf_tool("pdfimages", "-list", str(pdf)).splitlines()[2:]
    assert len({line.split()[10] for line in images}) == 2  # one image object per listing with a screenshot
    pages, last = {int(line.split()[0]) for line in images}, len(PdfReader(str(pdf)).pages)
    assert min(pages) < last - 1 and {last - 1, last} <= pages  # a thumbnail in its row, then two attachments

    text = _text(pdf)
    operator = operator_of("market")
    assert "".join(operator.legal_name.split()) in text and "".join(operator.complaint_channel.split()) in text
    assert "商标加急" + MISSING_GLYPH * 2 in text and f"内部渠道{MISSING_GLYPH}包过" in text
    assert "《中华人民共和国广告法》第九条第（二）项" in text and "《专利代理条例》第二十七条" in text
    assert "附件1" in text and "附件2" in text and "附件3" not in text and "无截图" in text
    reply_by = store.get(leads[0].id).takedown_notices[0]["reply_by"]
    assert f"{date_zh(reply_by)}前" in text

    document = Document(str(docx))
    rows = {row.cells[2].text: row.cells for row in document.tables[0].rows[1:]}
    assert sorted(rows) == sorted(lead.title for lead in leads)  # emoji kept as they are
    assert len(document.inline_shapes) == 4 and rows[leads[2].title][-1].text == "无截图"
    assert len({part.partname for part in document.part.package.image_parts}) == 2
    assert rows[leads[0].title][5].text == "（一）冒用官方名义、标识招揽业务"
    body = "\n".join(p.text for p in document.paragraphs)  # the grounds: only those of the listings named
    assert "第九条第（二）项" in body and "《中华人民共和国商标法》" not in body


@pytest.mark.usefixtures("office")
def test_the_docx_and_the_pdf_are_both_landscape_a4_with_the_same_margins(store, casework_env, tmp_path):
    _confirmed(store, 1, "国家知识产权局指定代理 商标加急", None, ["impersonation"])
    out = tmp_path / "letters"
    result = CliRunner().invoke(app, ["takedown", "--platform", "market", "--out", str(out), "--by", "root"])
    assert result.exit_code == 0, result.output

    document = Document(str(next(out.glob("*.docx"))))
    [section] = document.sections
    normal = document.styles["Normal"]
    assert (normal.font.name, normal.font.size.pt) == ("SimSun", 10.5)
    assert normal.element.rPr.rFonts.get(qn("w:eastAsia")) == "SimSun", "Chinese text in SimSun too"
    assert section.orientation == WD_ORIENT.LANDSCAPE
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (297, 210)  # A4, not US Letter
    margins = [round(m.mm) for m in (section.top_margin, section.bottom_margin, section.left_margin,
                                     section.right_margin)]
    assert margins == [14, 14, 12, 12]
    for page in PdfReader(str(next(out.glob("*.pdf")))).pages:
        assert (round(float(page.mediabox.width) / 72 * 25.4), round(float(page.mediabox.height) / 72 * 25.4)) \
            == (297, 210)


@pytest.mark.usefixtures("office")
def test_follow_up_notices_are_numbered_cite_the_first_and_show_in_the_register(store, tmp_path, monkeypatch):
    monkeypatch.setattr(casework_cli, "console", Console(width=250))
    first_leads = [_confirmed(store, n, f"内部渠道 30天下证 {n}", None, ["insider_channel"]) for n in (1, 2)]
    runner = CliRunner()
    out = tmp_path / "letters"
    assert runner.invoke(app, ["takedown", "-p", "market", "--out", str(out), "--by", "root"]).exit_code == 0
    first = store.get(first_leads[0].id).takedown_reference
    found_online = {"outcome": "persisting", "at": workflow.now_iso(), "raw_sha256": "a" * 64}
    workflow.set_status(store, first_leads[0].id, "persisting", by="recheck", role="system",
                        extra={"recheck": found_online})
    workflow.set_status(store, first_leads[1].id, "removed", by="recheck", role="system")

    result = runner.invoke(app, ["takedown", "-p", "market", "--follow-up", "--out", str(out), "--by", "root"])
    assert result.exit_code == 0, result.output
    assert f"notice 2 citing {first}" in result.output
    lead = store.get(first_leads[0].id)
    assert lead.status == "takedown_requested"
    assert [(n["number"], n["cites"]) for n in lead.takedown_notices] == [(1, None), (2, first)]
    second = lead.takedown_reference
    text = _text(out / f"{second}.pdf")
    title = load_takedown_config().follow_up.title.format(number=2)
    assert "".join(title.split()) in text and first in text and "删除链接通知" not in text
    assert first_leads[0].url in text and first_leads[1].url not in text

    register = runner.invoke(app, ["takedown", "register"])
    assert register.exit_code == 0, register.output
    lines = [line for line in register.output.splitlines() if "LT-market" in line]
    assert len(lines) == 2 and first in lines[0] and "第1次" in lines[0]
    assert second in lines[1] and "第2次" in lines[1] and first in lines[1].split(second)[1]
    # Sent and due in Beijing time, the reply's day as the letter names it (not the UTC instant)
    beijing = timezone(timedelta(hours=8))
    notice = lead.takedown_notices[0]
    sent = datetime.fromisoformat(notice["date"].replace("Z", "+00:00")).astimezone(beijing)
    due = datetime.fromisoformat(notice["reply_by"].replace("Z", "+00:00")).astimezone(beijing)
    assert f"{sent:%Y-%m-%d %H:%M}" in lines[0] and f"{due.year}年{due.month}月{due.day}日" in lines[0]
