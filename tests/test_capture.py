"""`lantian capture URL`: single pages through the crawler's own path into the lead store, against the simulator.

Each capture runs in a subprocess (Twisted's reactor starts once per process) in a workspace of its own.
"""
from __future__ import annotations

import json
import subprocess
import sys
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from PIL import Image

from core.lead import Lead, lead_id
from crawler.capture import AttemptLog
from crawler.evidence.screenshot import MAX_CAPTURE_HEIGHT
from tests.fixtures.servers import local_http_server
from tests.fixtures.workspace import CrawlWorkspace

LANTIAN = Path(sys.executable).with_name("lantian")


class CaptureWorkspace(CrawlWorkspace):
    def capture(self, *args: str) -> tuple[int, list[dict[str, Any]], str]:
        """Run `lantian capture --json`; returns the exit code, the outcomes and stderr."""
        result = subprocess.run([str(LANTIAN), "capture", "--endpoints", str(self.endpoints), "--json", *args],
                                env=self.env, capture_output=True, text=True, timeout=600)
        outcomes = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
        return result.returncode, outcomes, result.stdout + result.stderr

    def lead(self, lead_id: str) -> Lead | None:
        from index.sqlite_store import SqliteLeadStore

        store = SqliteLeadStore(self.data / "index" / "leads.sqlite3")
        try:
            return store.get(lead_id)
        finally:
            store.close()

    def evidence_log(self) -> list[dict[str, Any]]:
        path = self.data / "evidence" / "evidence-log.jsonl"
        return [json.loads(line) for line in path.read_text("utf-8").splitlines()]

    def verify_evidence(self) -> None:
        result = subprocess.run([str(LANTIAN), "evidence", "verify"], env=self.env, capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr


def first(truth: list[dict], **wanted: Any) -> dict:
    return next(t for t in truth if all(t.get(k) == v for k, v in wanted.items()) and t["status"] == "active"
                and t["quirk"] is None and t["duplicate_of"] is None)


@pytest.mark.slow
@pytest.mark.browser
def test_capture_of_configured_platform_pages_and_of_urls_that_yield_nothing(simulator: Any, tmp_path: Path) -> None:
    work = CaptureWorkspace(tmp_path, simulator)
    truth = simulator.ground_truth()
    item = first(truth, platform="market", kind="violation")
    note = first(truth, platform="feed", kind="violation")
    huge = next(t for t in truth if t["quirk"] == "huge")
    market = simulator.endpoints["market"]
    tracked = item["url"] + "&spm=a21.search.0"
    unreachable = "http://127.0.0.1:9/item.htm?id=L1"
    archive = f"{market}/promo/rules.html"
    private = f"{market}/private/merchant-center"

    code, outcomes, output = work.capture(tracked, note["url"], unreachable, archive, huge["url"], private,
                                          "--by", "alice", "--note", "市民来电反映", "--max-mb", "1")

    assert code == 1, output  # not every URL could be captured
    by_url = {o["url"]: o for o in outcomes}
    assert [o["url"] for o in outcomes] == [tracked, note["url"], unreachable, archive, huge["url"], private]
    assert by_url[private]["outcome"] == "robots", "a capture obeys robots.txt as a sweep does"
    assert by_url[unreachable]["outcome"] == "unreachable" and "无法访问" in by_url[unreachable]["message"]
    assert by_url[archive]["outcome"] == "non_html" and "application/zip" in by_url[archive]["message"]
    assert by_url[huge["url"]]["outcome"] == "oversized" and "1 MB" in by_url[huge["url"]]["message"]

    for truth_item, platform in ((item, "market"), (note, "feed")):
        outcome = by_url[tracked if truth_item is item else truth_item["url"]]
        assert outcome["outcome"] == "captured", outcome
        assert outcome["platform"] == platform and outcome["configured"]
        assert outcome["lead_id"] == lead_id(truth_item["url"]), "the capture ends on the canonical URL"
        lead = work.lead(outcome["lead_id"])
        assert lead is not None
        assert lead.source == "capture" and lead.platform == platform
        assert [(c["by"], c["note"]) for c in lead.captures] == [("alice", "市民来电反映")]
        assert set(lead.labels) & set(truth_item["labels"]), (lead.labels, truth_item["labels"])
        assert lead.title == simulator.world.by_id(truth_item["id"]).title
        assert lead.raw_sha256 and lead.warc_path and lead.screenshot_sha256, "full evidence of a sweep"
    # The feed is a browser platform: its note was rendered, so its text (loaded by script) is there.
    feed_lead = work.lead(by_url[note["url"]]["lead_id"])
    assert simulator.world.by_id(note["id"]).paragraphs[0][:10] in feed_lead.text

    logged = {(line["kind"], line["url"]) for line in work.evidence_log()}
    assert ("raw", item["url"]) in logged and ("screenshot", note["url"]) in logged
    assert ("raw", unreachable) not in logged
    work.verify_evidence()
    attempts = AttemptLog(work.data / "capture" / "attempts.jsonl").read()
    assert sorted(a.outcome for a in attempts) == ["captured", "captured", "non_html", "oversized", "robots",
                                                   "unreachable"]
    assert all(a.by == "alice" and a.note == "市民来电反映" for a in attempts)


@pytest.mark.slow
@pytest.mark.browser
def test_a_page_too_tall_to_screenshot_whole_is_captured_with_its_top_and_the_cut_logged(simulator: Any,
                                                                                         tmp_path: Path) -> None:
    """The simulator's listing with 12,000 reviews (2.3 MB of HTML, 856,892 px tall once drawn) is hostile input a
    capture must survive: Chromium refused to capture it whole ("Unable to capture screenshot", four tries in
    ~100 s) and the lead was stored without a screenshot. Its screenshot is now the page's top, logged as cut."""
    work = CaptureWorkspace(tmp_path, simulator)
    huge = next(t for t in simulator.ground_truth() if t["quirk"] == "huge")

    code, outcomes, output = work.capture(huge["url"])

    assert code == 0 and [o["outcome"] for o in outcomes] == ["captured"], output
    [outcome] = outcomes
    assert outcome["raw_sha256"] and outcome["screenshot_sha256"], output
    lead = work.lead(outcome["lead_id"])
    assert lead is not None and lead.warc_path and lead.screenshot_sha256 == outcome["screenshot_sha256"]
    [line] = [line for line in work.evidence_log() if line["kind"] == "screenshot"]
    assert line["sha256"] == outcome["screenshot_sha256"]
    assert line["cut_at"] == MAX_CAPTURE_HEIGHT and line["page_height"] > 10 * MAX_CAPTURE_HEIGHT, line
    with Image.open(work.data / "evidence" / line["path"]) as png:
        assert png.height == MAX_CAPTURE_HEIGHT
    [log] = (work.data / "crawl" / "logs").glob("capture-*.log")
    assert f"cut to the top {MAX_CAPTURE_HEIGHT} px of the page's {line['page_height']}" in log.read_text("utf-8")
    work.verify_evidence()


@pytest.mark.slow
@pytest.mark.browser
def test_capture_of_a_site_no_config_describes_keeps_every_decision(simulator: Any, tmp_path: Path) -> None:
    work = CaptureWorkspace(tmp_path, simulator)
    for name in ("agencies", "market"):  # no config describes the agency websites and the marketplace now
        (work.config / "platforms" / f"{name}.yaml").unlink()
    truth = simulator.ground_truth()
    violation = first(truth, platform="agencies", kind="violation")
    goods = first(truth, platform="market", kind="unrelated")

    code, outcomes, output = work.capture(violation["url"], goods["url"], "--browser", "--by", "bob")

    assert code == 0, output
    for outcome, truth_item in zip(outcomes, (violation, goods)):
        host = urlsplit(simulator.endpoints[truth_item["platform"]]).netloc
        assert outcome["outcome"] == "captured" and not outcome["configured"] and outcome["platform"] == host
        lead = work.lead(outcome["lead_id"])
        assert lead is not None and lead.source == "capture" and lead.captures[0]["by"] == "bob"
        listing = simulator.world.by_id(truth_item["id"])
        # The main text came from the extractor: the service's paragraphs, without the page's scripts.
        assert all(paragraph in lead.text for paragraph in listing.paragraphs), lead.text
        assert "<script" not in lead.text
        assert lead.screenshot_sha256, "rendered in Chromium when asked, with the full-page screenshot"
    assert set(work.lead(outcomes[0]["lead_id"]).labels) & set(violation["labels"])
    # Ordinary goods fire no label and are stored all the same: the decision is on record.
    assert work.lead(outcomes[1]["lead_id"]).labels == []
    work.verify_evidence()


class Canary(BaseHTTPRequestHandler):
    """A service on this machine no complaint should reach (an admin port): it counts every request."""

    asked: list[str] = []

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        Canary.asked.append(self.path)
        body = "<html><body><h1>内部管理页</h1><p>国家知识产权局指定代理，内部渠道，包授权。</p></body></html>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.mark.slow
@pytest.mark.browser
def test_a_complaints_links_to_internal_addresses_are_refused_and_staffs_own_are_captured(simulator: Any,
                                                                                         tmp_path: Path) -> None:
    """A complaint's links are written by whoever complains, a watched agency included: one at this machine's
    other ports (`127.0.0.1`, `localhost`) or the cloud's metadata service was fetched, robots.txt first, and its
    answer stored as a lead, because a captured URL's origin counted as its page's own (the metadata service's
    answered 403 here). A complaint's link to an
    internal address that no platform config names is refused before anything is sent (outcome `internal`,
    said to staff); a URL staff capture themselves is still theirs to reach."""
    Canary.asked = []
    work = CaptureWorkspace(tmp_path, simulator)
    with local_http_server(Canary) as canary:
        port = urlsplit(canary).port
        links = [f"http://127.0.0.1:{port}/admin", f"http://localhost:{port}/admin", f"http://0x7f.1:{port}/admin"]
        code, outcomes, output = work.capture("--complaint", "1", "--by", "alice", "--", *links)
        assert code == 0 or outcomes, output
        assert [outcome["outcome"] for outcome in outcomes] == ["internal"] * 3, output
        assert all("内部网络地址" in outcome["message"] for outcome in outcomes)
        assert Canary.asked == [], "nothing a complaint pointed at this machine was fetched, robots.txt included"

        code, [staff], output = work.capture("--by", "alice", links[0])
        assert staff["outcome"] == "captured", output
