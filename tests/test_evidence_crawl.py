"""A real Scrapy crawl of a local site with the evidence components enabled writes WARC, blobs and the log."""
from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import sys
import textwrap
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from crawler.evidence.archive import EvidenceArchive
from crawler.evidence.cli import evidence_app
from tests.fixtures.evidence import ITEM_GBK, ITEM_GZIP, PAGES

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CRAWL_SCRIPT = textwrap.dedent('''
    import json, sys
    import scrapy
    from scrapy.crawler import CrawlerProcess
    from scrapy_playwright.page import PageMethod
    from core.browser import launch_options
    from crawler import settings as defaults

    base, evidence_dir, items_path = sys.argv[1:4]

    class Site(scrapy.Spider):
        name = "evidence-test"
        handle_httpstatus_list = [404]

        async def start(self):
            yield scrapy.Request(base + "/list")

        def parse(self, response):
            yield {"url": "http://127.0.0.1:9/unreachable", "labels": ["impersonation"]}
            yield {"url": base + "/stalled", "labels": ["impersonation"]}  # an image on it never finishes loading
            for href in response.css("a.item::attr(href)").getall():
                meta = {"evidence": True}
                if href.startswith("/render/"):
                    meta.update(playwright=True, playwright_page_methods=[PageMethod("wait_for_selector", "#x")])
                yield response.follow(href, self.parse_item, meta=meta)

        def parse_item(self, response):
            record = response.meta.get("evidence_record") or {}
            flagged = response.status == 200 and not response.url.endswith("/item/2")
            yield {"url": response.url, "status": response.status, "labels": ["impersonation"] if flagged else [],
                   **record}

    # The crawler's evidence settings (defaults in crawler/settings.py), in the crawl's own evidence dir.
    evidence_settings = {name: getattr(defaults, name) for name in dir(defaults) if name.startswith("EVIDENCE_")}
    process = CrawlerProcess({
        **evidence_settings,
        "EVIDENCE_DIR": evidence_dir,
        "DOWNLOADER_MIDDLEWARES": {"crawler.evidence.middleware.EvidenceMiddleware": 580},
        "ITEM_PIPELINES": {"crawler.evidence.pipeline.ScreenshotPipeline": 800},
        "DOWNLOAD_HANDLERS": {"http": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
                              "https": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"},
        "PLAYWRIGHT_LAUNCH_OPTIONS": launch_options(),
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "FEEDS": {items_path: {"format": "jsonlines"}},
        "ROBOTSTXT_OBEY": False, "TELNETCONSOLE_ENABLED": False, "LOG_LEVEL": "INFO",
    })
    process.crawl(Site)
    process.start()
''')


@pytest.fixture(scope="module")
def crawl(evidence_site, tmp_path_factory):
    workdir: Path = tmp_path_factory.mktemp("evidence-crawl")
    script = workdir / "crawl.py"
    script.write_text(CRAWL_SCRIPT)
    data = workdir / "data"
    items_path = workdir / "items.jsonl"
    result = subprocess.run(
        [sys.executable, str(script), evidence_site, str(data / "evidence"), str(items_path)],
        capture_output=True, text=True, timeout=240, cwd=Path(__file__).resolve().parent.parent,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    items = {json.loads(line)["url"].removeprefix(evidence_site): json.loads(line)
             for line in items_path.read_text().splitlines()}
    return data, items, result.stderr


def test_every_detail_fetch_has_its_raw_body_and_warc_record(crawl):
    data, items, log = crawl
    assert set(items) == {"/item/1", "/item/2", "/item/3", "/item/404", "/render/5", "/stalled",
                          "http://127.0.0.1:9/unreachable"}, log[-2000:]
    expected_bodies = {"/item/1": ITEM_GBK.encode("gbk"), "/item/2": ITEM_GZIP.encode(),
                       "/item/3": PAGES["/item/3"][2]}
    for path, body in expected_bodies.items():
        item = items[path]
        assert item["raw_sha256"] == hashlib.sha256(body).hexdigest()
        assert Path(item["raw_path"]).read_bytes() == body
        assert item["final_url"] == item["url"]
    assert items["/item/404"]["status"] == 404 and items["/item/404"]["raw_sha256"]

    responses = {}
    for warc in sorted((data / "evidence" / "warc").iterdir()):
        with open(warc, "rb") as handle:
            for record in ArchiveIterator(handle, check_digests="raise"):
                if record.rec_type == "response":
                    responses[record.rec_headers.get_header("WARC-Target-URI")] = (
                        record.http_headers, record.content_stream().read())
    base = items["/item/1"]["url"].rsplit("/", 2)[0]
    # the listing page itself is not evidence
    assert set(responses) == {base + path for path in items if path.startswith("/")}
    headers, body = responses[base + "/item/2"]
    assert body == ITEM_GZIP.encode() and headers.get_header("Content-Encoding") is None
    assert "评职称专利" in responses[base + "/item/3"][1].decode()  # the redirect's target, by its final URL


def test_redirected_fetch_keeps_the_url_first_requested(crawl):
    data, items, _ = crawl
    archive = EvidenceArchive(data / "evidence")
    (raw,) = [r for r in archive.find(items["/item/3"]["url"])  # the crawl's fetch, not the screenshot's
              if r["kind"] == "raw" and r["sha256"] == items["/item/3"]["raw_sha256"]]
    assert raw["request_url"].endswith("/go/3") and raw["final_url"].endswith("/item/3")


def test_flagged_pages_and_browser_pages_get_one_screenshot_each(crawl):
    data, items, _ = crawl
    archive = EvidenceArchive(data / "evidence")
    shots = [record for record in archive.log if record["kind"] == "screenshot"]
    base = items["/item/1"]["url"].removesuffix("/item/1")
    assert sorted((r["url"].removeprefix(base), r["source"]) for r in shots) == [
        ("/item/1", "scrapy-playwright"), ("/item/3", "scrapy-playwright"), ("/render/5", "scrapy-playwright"),
        ("/stalled", "scrapy-playwright"),
    ]
    rendered = items["/render/5"]
    assert "高价收专利代理师证" in Path(rendered["raw_path"]).read_text()  # the DOM after scripts ran
    for path in ("/item/1", "/item/3", "/render/5", "/stalled"):
        png = Path(items[path]["screenshot_path"]).read_bytes()
        assert hashlib.sha256(png).hexdigest() == items[path]["screenshot_sha256"]
        assert Image.open(BytesIO(png)).format == "PNG"
    assert "screenshot_path" not in items["/item/2"]  # not flagged
    assert "screenshot_path" not in items["/item/404"]


def test_flagged_page_that_cannot_be_rendered_is_counted_and_kept(crawl):
    _, items, log = crawl
    assert "screenshot_path" not in items["http://127.0.0.1:9/unreachable"]
    assert "'evidence/screenshot_failed': 1" in log


def test_cli_verifies_the_crawl_and_detects_a_tampered_blob(crawl, tmp_path):
    import shutil

    data, items, _ = crawl
    copy = tmp_path / "data"
    shutil.copytree(data, copy)
    runner = CliRunner()
    ok = runner.invoke(evidence_app, ["verify", "--data-dir", str(copy)])
    assert ok.exit_code == 0, ok.output
    assert "OK" in ok.output

    shown = runner.invoke(evidence_app, ["show", items["/item/1"]["url"], "--data-dir", str(copy)])
    assert shown.exit_code == 0 and "screenshot" in shown.output and items["/item/1"]["raw_sha256"][:12] in shown.output

    blob = copy / Path(items["/item/2"]["raw_path"]).relative_to(data)
    blob.chmod(0o644)
    blob.write_bytes(gzip.compress(b"replaced"))
    tampered = runner.invoke(evidence_app, ["verify", "--data-dir", str(copy)])
    assert tampered.exit_code == 1
    assert "TAMPERED" in tampered.output and "altered_file" in tampered.output
