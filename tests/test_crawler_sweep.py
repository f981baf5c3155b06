"""End to end: `lantian crawl` against the platform simulator, through the detector into the lead store.

Each crawl runs in a subprocess (Twisted's reactor starts once per process) with its own data dir and a copy of
the config dir, exactly as staff would run it.
"""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.lead import lead_id
from core.settings import project_root
from crawler.urls import canonical_url
from simulator.web.site import PRIVATE_PREFIX
from tests.fixtures.workspace import CrawlWorkspace

LANTIAN = Path(sys.executable).with_name("lantian")
CORE_KEYWORDS = set(yaml.safe_load((project_root() / "config/keywords/ip-agency.yaml").read_text("utf-8"))["keywords"])


class Workspace(CrawlWorkspace):
    """A workspace that runs `lantian crawl` and reads the seen-store and the lead store it leaves."""

    def edit_platform(self, name: str, change: Callable[[dict], None]) -> None:
        path = self.config / "platforms" / f"{name}.yaml"
        data = yaml.safe_load(path.read_text("utf-8"))
        change(data)
        path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")

    def crawl(self, *args: str, timeout: int = 900) -> dict:
        summary_path = self.data.parent / "summary.json"
        result = subprocess.run(
            [str(LANTIAN), "crawl", "--endpoints", str(self.endpoints), "--summary-json", str(summary_path),
             *args],
            env=self.env, capture_output=True, text=True, timeout=timeout,
        )
        assert result.returncode == 0, f"crawl failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        return json.loads(summary_path.read_text("utf-8"))

    def seen(self) -> dict[str, dict]:
        with sqlite3.connect(self.data / "crawl" / "seen.sqlite3") as db:
            db.row_factory = sqlite3.Row
            return {row["url"]: dict(row) for row in db.execute("SELECT * FROM seen")}

    def store(self) -> Any:
        from index.sqlite_store import SqliteLeadStore

        return SqliteLeadStore(self.data / "index" / "leads.sqlite3")


def reachable(truth: list[dict], platforms: set[str], keywords: set[str]) -> list[dict]:
    return [t for t in truth if t["platform"] in platforms and t["status"] == "active"
            and set(t["keywords"]) & keywords]


def disallowed_requests(simulator: Any) -> dict[str, int]:
    """Requests the simulator answered under a path robots.txt disallows, by platform and path."""
    return {path: n for path, n in simulator.stats()["paths"].items() if PRIVATE_PREFIX in path}


@pytest.mark.slow
@pytest.mark.browser
def test_sweep_of_every_archetype(simulator_factory: Callable[..., Any], tmp_path: Path) -> None:
    """A world of 200 listings has every archetype, both quirky market pages and two reposts of flagged listings
    among the reachable ones, as the session's 300 do, for two thirds of the crawl."""
    simulator = simulator_factory(listings=200)
    work = Workspace(tmp_path, simulator)
    summary = work.crawl("--max-images", "0")
    truth = simulator.ground_truth()
    platforms = {"market", "feed", "search", "agencies", "services", "app"}

    for name in platforms:
        assert summary["platforms"][name]["items"] > 0, name
        assert summary["platforms"][name]["errors"] == 0, name
    assert summary["counters"].get("playwright/browser_count", 0) >= 1
    assert 0 < summary["engine_seconds"] < summary["seconds"], "the spiders' open-to-close time lies inside the run"

    seen = work.seen()
    canonical_truth = {canonical_url(t["url"]): t for t in truth}
    assert set(seen) <= set(canonical_truth), "every recorded URL is a canonical listing URL"
    wanted = reachable(truth, platforms, CORE_KEYWORDS)
    found = [t for t in wanted if canonical_url(t["url"]) in seen]
    recall = len(found) / len(wanted)
    assert recall >= 0.98, f"recall {recall:.3f}"
    for name in platforms:
        assert any(t["platform"] == name for t in found), name

    assert disallowed_requests(simulator) == {}, "robots.txt was not obeyed"

    store = work.store()
    try:
        leads = {t["id"]: store.get(lead_id(canonical_url(t["url"]))) for t in found}
        leads = {key: lead for key, lead in leads.items() if lead is not None}
        assert leads, "the sweep produced no leads"
        by_truth = {t["id"]: t for t in truth}
        gbk = [lead for key, lead in leads.items() if by_truth[key]["platform"] == "services"]
        assert gbk and all(lead.title == by_truth[key]["title"] for key, lead in leads.items()
                           if by_truth[key]["platform"] == "services"), "GBK pages decoded"
        agency_leads = [lead for key, lead in leads.items() if by_truth[key]["platform"] == "agencies"]
        assert agency_leads and all(lead.seller and lead.location for lead in agency_leads), \
            "agency listings carry their site's name and district"
        for lead in leads.values():
            assert lead.screenshot_sha256, f"flagged listing without screenshot: {lead['url']}"
            assert Path(lead.screenshot_path).is_file()
            assert lead.raw_sha256 and Path(lead.raw_path).is_file()
        pairs = [(key, by_truth[key]["duplicate_of"]) for key in leads
                 if by_truth[key]["duplicate_of"] in leads]
        assert pairs, "no repost pair among the leads"
        same = sum(leads[a].cluster_id == leads[b].cluster_id for a, b in pairs)
        assert same >= 1, f"none of {len(pairs)} cross-platform reposts clustered with its original"
    finally:
        store.close()


@pytest.mark.slow
def test_recrawl_marks_removed_and_changed(simulator_factory: Callable[..., Any], tmp_path: Path) -> None:
    simulator = simulator_factory(listings=80)
    work = Workspace(tmp_path, simulator)
    for name in ("market", "services"):
        work.edit_platform(name, lambda data: data.update(recrawl_interval_hours=0))
    first = work.crawl("-p", "market", "-p", "services", "--max-images", "0", "--quiet")
    assert first["platforms"]["market"]["new"] > 3

    truth = [t for t in simulator.ground_truth() if t["status"] == "active"]
    seen = work.seen()
    crawled = [t for t in truth if t["platform"] in ("market", "services") and canonical_url(t["url"]) in seen]
    store = work.store()
    lead_ids = {t["id"] for t in crawled if store.get(lead_id(canonical_url(t["url"])))}
    store.close()
    delisted = next(t for t in crawled if t["platform"] == "market" and t["id"] in lead_ids)
    gone = next(t for t in crawled if t["platform"] == "services" and t["id"] != delisted["id"])
    edited = next(t for t in crawled if t["platform"] == "market" and t["id"] not in lead_ids
                  and t["id"] != delisted["id"] and t["quirk"] is None)
    simulator.remove(delisted["id"], mode="delisted")
    simulator.remove(gone["id"], mode="404")
    simulator.edit(edited["id"], text="国家知识产权局商标局指定代理，内部渠道三十天包下证，不过全额退款。")

    second = work.crawl("-p", "market", "-p", "services", "--max-images", "0", "--quiet")
    market, services = second["platforms"]["market"], second["platforms"]["services"]
    assert market["removed"] == 1 and services["removed"] == 1
    assert market["changed"] == 1 and market["new"] == 0
    assert market["unchanged"] + services["unchanged"] >= len(crawled) - 3

    seen = work.seen()
    assert seen[canonical_url(delisted["url"])]["status"] == "removed"
    assert seen[canonical_url(gone["url"])]["status"] == "removed"
    store = work.store()
    try:
        removed_lead = store.get(lead_id(canonical_url(delisted["url"])))
        assert removed_lead.listing_status == "removed"
        changed_lead = store.get(lead_id(canonical_url(edited["url"])))
        assert changed_lead is not None and changed_lead.labels, "edited listing re-detected"
    finally:
        store.close()

    work.edit_platform("market", lambda data: data.update(recrawl_interval_hours=24))
    third = work.crawl("-p", "market", "--max-images", "0", "--quiet")
    assert third["platforms"]["market"]["not_due"] > 0
    assert third["platforms"]["market"]["items"] == 0, "nothing is re-fetched before it is due"


@pytest.mark.slow
def test_rate_limits_and_faults_are_retried(simulator_factory: Callable[..., Any], tmp_path: Path) -> None:
    simulator = simulator_factory(listings=60, rate_limit=4, fault_rate=0.2)
    work = Workspace(tmp_path, simulator)
    keywords = tmp_path / "keywords.txt"
    keywords.write_text("商标注册\n专利申请\n", "utf-8")
    summary = work.crawl("-p", "market", "--keywords", str(keywords), "--max-images", "0", "--quiet")
    counters = summary["counters"]
    assert counters.get("lantian/retry_after", 0) > 0, "no 429 was seen: the test does not test Retry-After"
    assert counters.get("downloader/response_status_count/429", 0) > 0
    assert counters.get("retry/count", 0) > counters["downloader/response_status_count/429"] - 1
    assert summary["platforms"]["market"]["errors"] == 0, counters
    wanted = reachable(simulator.ground_truth(), {"market"}, {"商标注册", "专利申请"})
    seen = work.seen()
    assert wanted and all(canonical_url(t["url"]) in seen for t in wanted)


def test_feed_listings_need_the_browser(simulator: Any, tmp_path: Path) -> None:
    work = Workspace(tmp_path, simulator)
    work.edit_platform("feed", lambda data: data["browser"].update(enabled=False))
    summary = work.crawl("-p", "feed", "--max-pages", "1", "--quiet")
    assert summary["platforms"]["feed"]["pages"] > 0
    assert summary["platforms"]["feed"]["items"] == 0
    assert summary["counters"].get("lantian/feed/cards", 0) == 0
    assert "playwright/browser_count" not in summary["counters"]


def test_site_crawl_follows_internal_links_without_a_sitemap(simulator_factory: Callable[..., Any],
                                                            tmp_path: Path) -> None:
    """An agency site served on a port (as the simulator's are) is crawled through its own links when its sitemap
    is not read: every active service page is reached from the home page."""
    simulator = simulator_factory(listings=60)
    work = Workspace(tmp_path, simulator)
    work.edit_platform("agencies", lambda data: data["site"].update(sitemap=False))
    summary = work.crawl("-p", "agencies", "--max-images", "0", "--quiet")
    assert not [path for path in simulator.stats()["paths"] if "sitemap" in path], \
        "a sitemap was read: the test does not test the links"
    wanted = {canonical_url(t["url"]) for t in simulator.ground_truth()
              if t["platform"] == "agencies" and t["status"] == "active"}
    assert wanted and wanted <= set(work.seen())
    assert summary["platforms"]["agencies"]["items"] == len(wanted)


def test_scrapy_cli_runs_the_spiders(simulator: Any, tmp_path: Path) -> None:
    work = Workspace(tmp_path, simulator)
    scrapy = str(Path(sys.executable).with_name("scrapy"))
    env = {**os.environ, "LANTIAN_DATA_DIR": str(work.data), "LANTIAN_CONFIG_DIR": str(work.config)}
    listed = subprocess.run([scrapy, "list"], cwd=project_root(), env=env, capture_output=True, text=True,
                            timeout=120)
    assert listed.returncode == 0, listed.stderr
    assert {"sweep", "site"} <= set(listed.stdout.split())
    keywords = tmp_path / "keywords.txt"
    keywords.write_text("撤三\n", "utf-8")
    output = tmp_path / "items.jsonl"
    result = subprocess.run(
        [scrapy, "crawl", "sweep", "-a", "platforms=services", "-a", f"endpoints={work.endpoints}",
         "-a", f"keywords={keywords}", "-a", "max_pages=1", "-s", "LANTIAN_MAX_IMAGES=0",
         "-s", "EVIDENCE_SCREENSHOTS=0", "-O", str(output)],
        cwd=project_root(), env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    items = [json.loads(line) for line in output.read_text("utf-8").splitlines()]
    truth = simulator.ground_truth()
    services = {canonical_url(t["url"]) for t in truth if t["platform"] == "services"}
    expected = {canonical_url(t["url"]) for t in reachable(truth, {"services"}, {"撤三"})}
    found = {item["canonical_url"] for item in items}
    assert found <= services, "listings of the platform only, at canonical URLs"
    assert len(found & expected) >= min(15, len(expected)), "the first result page's listings"
    assert all(item["title"] and "\ufffd" not in item["title"] + item["text"] for item in items), "GBK decoded"


@pytest.mark.slow
def test_a_crawl_without_the_agency_registry_says_so_first_and_how_to_get_one(simulator: Any, tmp_path: Path) -> None:
    """A fresh clone has no registry until the simulator (or staff) writes one: the crawl still runs, and says on
    stderr before it starts that unlicensed_agency is not decided, and where a registry comes from."""
    work = Workspace(tmp_path, simulator)
    settings_path = work.config / "lantian.yaml"
    settings = yaml.safe_load(settings_path.read_text("utf-8"))
    settings["registry"]["path"] = str(tmp_path / "no-registry.csv")
    settings_path.write_text(yaml.safe_dump(settings, allow_unicode=True), "utf-8")
    work.edit_platform("market", lambda d: d.setdefault("seller", {}).update(follow=False))
    keywords = tmp_path / "keywords.txt"
    keywords.write_text("专利代理\n", "utf-8")
    result = subprocess.run(
        [str(LANTIAN), "crawl", "-p", "market", "--endpoints", str(work.endpoints), "--keywords", str(keywords),
         "--max-pages", "1", "--max-images", "0", "--quiet"],
        env=work.env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    warning = " ".join(result.stderr.split())
    assert f"warning: no agency registry, unlicensed_agency is not decided: {tmp_path / 'no-registry.csv'}" in warning
    assert "set registry.path in config/lantian.yaml (or LANTIAN_REGISTRY_PATH)" in warning
    assert "`lantian simulator export`" in warning
    assert "listings" in result.stdout and "warning" not in result.stdout
