"""A seller's listing images are fetched, kept byte for byte and archived, so their size is the seller's to choose:
a platform on localhost serves a listing whose pictures are 20 MB each, one announced by its Content-Length and one
streamed without. A crawl keeps the listing and stores neither picture (nor its WARC record): the OCR reads no
picture above `MAX_IMAGE_BYTES` (15 MB), and the old crawl fetched and stored up to DOWNLOAD_MAXSIZE (64 MB) of each
of a listing's four, a gigabyte of disk for four listings."""
from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from detector.ocr import MAX_IMAGE_BYTES
from simulator.images import render_text_image
from tests.fixtures.workspace import CrawlWorkspace, served_platform
from tests.test_hostile_listings import LANTIAN, PLATFORM, page

HUGE = 20 * 1024 * 1024
PICTURE = render_text_image("国家知识产权局指定代理")


class Platform(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.startswith("/search"):
            self.answer(b'<html><body><div class="item-card"><a class="item-link" href="/item/1">x</a></div>'
                        b"</body></html>", "text/html; charset=utf-8")
        elif self.path == "/item/1":
            self.answer(page("商标注册 内部渠道 大图", "大图卖家", images=("/img/announced.png", "/img/streamed.png",
                                                                      "/img/small.png")).encode(),
                        "text/html; charset=utf-8")
        elif self.path == "/img/small.png":
            self.answer(PICTURE, "image/png")
        elif self.path == "/img/announced.png":
            self.answer(PICTURE + b"\0" * HUGE, "image/png")
        elif self.path == "/img/streamed.png":  # no Content-Length: the body ends when the connection closes
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                self.wfile.write(PICTURE)
                for _ in range(HUGE // 65536):
                    self.wfile.write(b"\0" * 65536)
            except (BrokenPipeError, ConnectionResetError):  # the crawler hung up
                pass
            self.close_connection = True
        else:
            self.answer(b"<html><body></body></html>", "text/html; charset=utf-8", 404)

    def answer(self, body: bytes, content_type: str, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def hostile(tmp_path: Path) -> Iterator[CrawlWorkspace]:
    with served_platform(tmp_path, Platform, PLATFORM) as work:
        yield work


@pytest.mark.slow
@pytest.mark.browser
def test_a_listings_pictures_larger_than_the_ocr_reads_are_not_fetched_or_kept(hostile: CrawlWorkspace,
                                                                                tmp_path: Path) -> None:
    summary = tmp_path / "summary.json"
    result = subprocess.run([str(LANTIAN), "crawl", "-p", "hostile", "--quiet", "--summary-json", str(summary)],
                            env=hostile.env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    counters = json.loads(summary.read_text("utf-8"))["counters"]
    log = Path(json.loads(summary.read_text("utf-8"))["log_file"]).read_text("utf-8")

    from index.sqlite_store import SqliteLeadStore

    with SqliteLeadStore(hostile.data / "index" / "leads.sqlite3") as store:
        [lead] = list(store.iter_leads())
    assert lead.title == "商标注册 内部渠道 大图" and len(lead.image_urls) == 3, "the listing is kept"
    assert [Path(path).read_bytes() for path in lead.images] == [PICTURE], "the small picture is kept, byte for byte"
    stored = [path.stat().st_size for path in hostile.data.rglob("*") if path.is_file()]
    assert max(stored) < MAX_IMAGE_BYTES, "neither large picture is on disk, in the images or in a WARC file"
    assert counters["lantian/hostile/image_errors"] == 2
    assert "2 listing image(s) not downloaded: larger than the OCR reads" in log
