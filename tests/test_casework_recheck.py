"""Re-check against a real local HTTP server: exactly the removed listings are marked removed, with fresh
evidence; an unreachable platform changes nothing."""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from casework import workflow
from casework.config import load_recheck_config
from casework.recheck import Rechecker, recheck_leads, removal_reason
from core.lead import Lead
from crawler.evidence import EvidenceArchive
from crawler.refetch import Refetched
from tests.fixtures.casework import detection, listing
from tests.fixtures.servers import local_http_server

ONLINE = "<html><body><h1 class='item-title'>内部渠道 包下证</h1><div class='item-desc'>联系微信</div></body></html>"
PAGES: dict[str, tuple[int, str, bytes]] = {
    "L000001": (200, "text/html; charset=utf-8", ONLINE.encode()),
    "L000002": (404, "text/html; charset=utf-8", b"<html><body>Not Found</body></html>"),
    "L000003": (200, "text/html; charset=utf-8",
                "<html><body><div class='removed-notice'>该商品已下架</div></body></html>".encode()),
    "L000004": (200, "text/html; charset=utf-8", ONLINE.encode()),
    "L000005": (200, "text/html; charset=GBK", "<html><body><p>抱歉，该服务已下架</p></body></html>".encode("gbk")),
    "L000006": (410, "text/html; charset=utf-8", b"gone"),
}


class Platform(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        listing_id = parse_qs(urlparse(self.path).query).get("id", [""])[0]
        status, content_type, body = PAGES.get(listing_id, (404, "text/plain", b"unknown"))
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def platform_url() -> Iterator[str]:
    with local_http_server(Platform) as url:
        yield url


def _requested(store, n: int, base: str, deadline: str) -> str:
    item = listing(n, base=base)
    lead = store.upsert(item, detection(item))
    for to in ("reviewing", "confirmed"):
        workflow.set_status(store, lead.id, to, by="alice")
    workflow.set_status(store, lead.id, "takedown_requested", by="root", extra={"takedown_deadline": deadline})
    return lead.id


def test_recheck_marks_exactly_the_removed_listings(store, platform_url, casework_env):
    now = datetime.now(UTC)
    past = (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    future = (now + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ids = {n: _requested(store, n, platform_url, past) for n in range(1, 7)}
    not_due = _requested(store, 7, platform_url, future)
    with_socket_closed = _requested(store, 8, "http://127.0.0.1:9", past)

    verdicts = recheck_leads(store, load_recheck_config(), by="recheck-bot", render=False)

    outcome = {v.lead_id: v.outcome for v in verdicts}
    assert not_due not in outcome
    assert outcome[with_socket_closed] == "unreachable"
    assert store.get(with_socket_closed).status == "takedown_requested"
    removed = {ids[n] for n in (2, 3, 5, 6)}
    persisting = {ids[n] for n in (1, 4)}
    assert {i for i, o in outcome.items() if o == "removed"} == removed
    assert {i for i, o in outcome.items() if o == "persisting"} == persisting
    for lead_id in removed | persisting:
        lead = store.get(lead_id)
        assert lead.status == ("removed" if lead_id in removed else "persisting")
        event = lead.audit[-1]
        assert (event["by"], event["from"], event["to"]) == ("recheck-bot", "takedown_requested", lead.status)
        fresh = lead.recheck
        body = Path(fresh["raw_path"]).read_bytes()
        assert hashlib.sha256(body).hexdigest() == fresh["raw_sha256"]
        assert Path(fresh["raw_path"]).is_relative_to(casework_env / "evidence") and fresh["warc_path"]
    report = EvidenceArchive(casework_env / "evidence").verify()
    assert report.ok and not report.unlogged
    assert store.get(ids[2]).recheck["http_status"] == 404
    assert store.get(ids[2]).listing_status == "removed"
    assert store.get(not_due).status == "takedown_requested"


def test_persisting_leads_can_be_checked_again(store, platform_url):
    past = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    still_online = _requested(store, 1, platform_url, past)
    config = load_recheck_config()
    recheck_leads(store, config, render=False)
    assert store.get(still_online).status == "persisting"
    recheck_leads(store, config, statuses=["takedown_requested", "persisting"], render=False)
    lead = store.get(still_online)
    assert lead.status == "persisting"
    assert [e["action"] for e in lead.audit][-2:] == ["status", "recheck"]


def test_an_online_page_whose_data_cannot_be_read_persists_and_says_why():
    """An app's listing is read from its page's embedded data; a page without readable data is online all the same,
    and whether it was edited cannot be told: it persists (never resolved_by_edit for want of text)."""
    fetched = Refetched(url="http://app.example/goods/1", final_url="http://app.example/goods/1", status=200,
                        text="<html><script>window.__INITIAL_STATE__ = not an object</script></html>")
    lead = Lead(id="L1", platform="app", url=fetched.url, title="商标注册 内部渠道", text="内部渠道 包下证")

    verdict = Rechecker(store=None, config=load_recheck_config()).check(lead, fetched)

    assert verdict.outcome == "persisting"
    assert "无法读取页面数据" in verdict.reason and "window.__INITIAL_STATE__" in verdict.reason


def test_removed_is_decided_as_the_crawl_decides_it_by_the_platform_yaml():
    """The platform YAML's `detail.removed_markers` decide, on a page without a listing title (as in the crawl): a
    live listing quoting a marker in its own text persists; recheck.yaml's markers serve only unconfigured sites."""
    config = load_recheck_config()

    def page(platform: str, html: str, status: int = 200) -> str | None:
        fetched = Refetched(url="http://x.example/1", final_url="http://x.example/1", status=status, text=html)
        return removal_reason(Lead(id="L1", platform=platform), fetched, config)

    quoting = ("<html><body><h1 class='item-title'>商标代理</h1><div class='item-desc'>别家的商品已下架，我家内部渠道"
               "</div></body></html>")
    assert page("market", quoting) is None
    notice = "<html><body><div class='removed-notice'>该商品已下架</div></body></html>"
    assert page("market", notice) == "页面提示“已下架”"
    assert page("search", "<html><body><p>该推广已失效</p></body></html>") == "页面提示“该推广已失效”"
    assert page("search", "<html><body><p>宝贝不存在</p></body></html>") is None
    assert page("shop.example.com", "<html><body><p>宝贝不存在</p></body></html>") == "页面提示“宝贝不存在”"
    assert page("market", "<html><body>gone</body></html>", status=410) == "HTTP 410"
