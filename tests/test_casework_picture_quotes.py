"""A quote read by OCR from a listing's picture is checkable by the platform's counsel and by a case handler: the
letter says which picture the words were read from, by machine and checked by staff; the letter's evidence ZIP and
the case's evidence package carry that picture byte for byte, with its SHA-256, its address and when it was fetched
(the evidence log's line, written as the crawl writes it for a picture), and not the listing's other pictures."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from docx import Document

from casework import workflow
from casework.config import load_takedown_config
from casework.export import evidence_package
from casework.pictures import picture_reader
from casework.takedown import PICTURES_FILE, SUMS_FILE, request_takedowns
from crawler.evidence.archive import LOG_NAME, EvidenceArchive, default_root
from crawler.evidence.log import EvidenceLog
from crawler.evidence.warc import Exchange
from simulator.images import render_text_image
from tests.fixtures.casework import detection, listing
from tests.fixtures.workspace import CrawlWorkspace
from tests.test_hostile_images import PICTURE, hostile  # noqa: F401  (fixture)
from tests.test_hostile_listings import LANTIAN

BASE = "http://127.0.0.1:9"
# 16:00:05 in Beijing.
FETCHED_AT = "2026-11-20T08:00:05.000Z"


def _stored_picture(data_dir: Path, url: str, png: bytes, archive: EvidenceArchive) -> str:
    """A listing picture as a crawl keeps it: in the files store under the SHA-1 of its URL, and in the evidence
    archive with its line in the log (what EvidenceMiddleware does for a request marked as evidence)."""
    path = data_dir / "images" / "full" / f"{hashlib.sha1(url.encode()).hexdigest()}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png)
    archive.record_fetch(Exchange(final_url=url, status=200, body=png, fetched_at=FETCHED_AT))
    return str(path)


@pytest.fixture
def lead_quoting_a_picture(store: Any, casework_env: Path) -> tuple[Any, bytes]:
    archive = EvidenceArchive(default_root())
    shop_png = render_text_image("专业商标注册服务", "shop")
    claim_png = render_text_image("内部渠道包过下证", "claim")
    urls = [f"{BASE}/img/L000001/0.png", f"{BASE}/img/L000001/1.png"]
    images = [_stored_picture(casework_env, url, png, archive) for url, png in zip(urls, [shop_png, claim_png])]
    archive.close()
    read = picture_reader()(Path(images[1]), hashlib.sha256(claim_png).hexdigest()).replace("\n", "")
    assert "内部渠道" in read, read  # the detector quotes what OCR read
    quote = read[read.index("内部渠道"):read.index("内部渠道") + 4]
    item = {**listing(1, platform="market"), "images": images, "image_urls": urls,
            "image_text": "专业商标注册服务\n" + read}
    spans = [{"label": "insider_channel", "field": "image_text", "start": 9 + read.index(quote),
              "end": 9 + read.index(quote) + len(quote), "text": quote}]
    lead = store.upsert(item, detection(item, ["insider_channel"]).model_copy(update={"evidence": spans}))
    workflow.set_status(store, lead.id, "reviewing", by="alice")
    workflow.set_status(store, lead.id, "confirmed", by="alice", why="证据充分")
    return store.get(lead.id), claim_png


@pytest.mark.usefixtures("office")  # the office's details filled in: a letter it sends
def test_a_letter_names_the_picture_a_quote_was_read_from_and_its_zip_holds_it(
        store: Any, tmp_path: Path, lead_quoting_a_picture: tuple[Any, bytes]) -> None:
    lead, claim_png = lead_quoting_a_picture
    claim_sha = hashlib.sha256(claim_png).hexdigest()
    result = request_takedowns(store, "market", load_takedown_config(), tmp_path / "letters", by="root")
    assert result is not None and result.letter is not None
    [row] = Document(str(result.files["docx"])).tables[0].rows[1:]
    assert "（一）图片中的文字：“内部渠道”（系机器识别自图片2的文字，经我局工作人员对照原图片核对；原图片见证据包）" \
        in row.cells[4].text.splitlines()
    assert f"图片2：{claim_sha}" in row.cells[6].text.splitlines()
    assert "图片2：2026年11月20日 16:00:05（北京时间）" in row.cells[7].text.splitlines(), row.cells[7].text
    with zipfile.ZipFile(result.files["evidence"]) as package:
        assert package.read("第001条-图片2.png") == claim_png
        assert "第001条-图片1.png" not in package.namelist()  # the picture no quote was read from
        assert f"{claim_sha}  第001条-图片2.png" in package.read(SUMS_FILE).decode().splitlines()
        [source] = list(csv.DictReader(io.StringIO(package.read(PICTURES_FILE).decode("utf-8-sig"))))
    assert source["图片网址"] == f"{BASE}/img/L000001/1.png" and source["SHA-256"] == claim_sha
    assert source["抓取时间（北京时间）"] == "2026年11月20日 16:00:05（北京时间）"
    assert source["识别出的引文"] == "内部渠道" and source["证据日志序号"].isdigit()


def test_a_case_package_carries_the_picture_with_its_line_in_the_evidence_log(
        tmp_path: Path, lead_quoting_a_picture: tuple[Any, bytes]) -> None:
    lead, claim_png = lead_quoting_a_picture
    manifest = evidence_package(lead, tmp_path / "case.zip")
    [picture] = [entry for entry in manifest["files"] if entry.get("kind") == "picture"]
    assert picture["name"] == "picture-2.png" and picture["url"] == f"{BASE}/img/L000001/1.png"
    assert picture["sha256"] == picture["recorded_sha256"] == hashlib.sha256(claim_png).hexdigest()
    assert picture["fetched_at"] == FETCHED_AT and picture["quotes"] == ["内部渠道"]
    assert picture["evidence_log"]["kind"] == "raw" and picture["evidence_log"]["fetched_at"] == FETCHED_AT
    with zipfile.ZipFile(tmp_path / "case.zip") as package:
        assert package.read("picture-2.png") == claim_png
        assert json.loads(package.read("manifest.json"))["files"] == manifest["files"]


@pytest.mark.slow
@pytest.mark.browser
def test_a_crawl_logs_each_listing_picture_it_keeps_as_evidence(hostile: CrawlWorkspace) -> None:
    """The picture a letter may quote from has its line in the hash-chained log: address, fetch time, SHA-256."""
    result = subprocess.run([str(LANTIAN), "crawl", "-p", "hostile", "--quiet"], env=hostile.env,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    root = hostile.data / "evidence"
    log = EvidenceLog(root / LOG_NAME, root)
    line = log.lines_for([hashlib.sha256(PICTURE).hexdigest()])[hashlib.sha256(PICTURE).hexdigest()]
    assert line["url"].endswith("/img/small.png") and line["fetched_at"] and line["status"] == 200
    assert (root / line["path"]).read_bytes() == PICTURE
    assert log.verify().ok
