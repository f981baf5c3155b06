"""Long browser runs: contexts are recycled, a Chromium that dies mid-crawl is restarted without losing pages, and
the crawlers of one run share one Chromium; a result page is read once what its platform waits for is there."""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from core.settings import project_root
from crawler.browser import render_listing
from crawler.urls import canonical_url
from tests.fixtures.browser import chromium

RUNNER = """
import json, sys
from crawler.run import run_sweep
args = json.loads(sys.argv[1])
summary = run_sweep(platforms=args["platforms"], endpoints=args["endpoints"], keywords=args["keywords"],
                    progress=False, settings=args["settings"])
print(json.dumps(summary.as_dict()))
"""

CRAWL_ONLY = {"ITEM_PIPELINES": {"crawler.pipelines.IncrementalPipeline": 100}}


def start_sweep(tmp_path: Path, simulator: Any, keywords: list[str], settings: dict,
                platforms: tuple[str, ...] = ("feed",)) -> subprocess.Popen:
    config = tmp_path / "config"
    shutil.copytree(project_root() / "config", config)
    endpoints = tmp_path / "endpoints.json"
    endpoints.write_text(json.dumps(simulator.endpoints), "utf-8")
    env = {**os.environ, "LANTIAN_DATA_DIR": str(tmp_path / "data"), "LANTIAN_CONFIG_DIR": str(config)}
    args = json.dumps({"platforms": list(platforms), "endpoints": str(endpoints), "keywords": keywords,
                       "settings": settings})
    return subprocess.Popen([sys.executable, "-c", RUNNER, args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen) -> dict:
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def feed_listings(simulator: Any, keyword: str) -> set[str]:
    return {canonical_url(t["url"]) for t in simulator.ground_truth()
            if t["platform"] == "feed" and t["status"] == "active" and keyword in t["keywords"]}


def seen_urls(tmp_path: Path) -> set[str]:
    with sqlite3.connect(tmp_path / "data" / "crawl" / "seen.sqlite3") as db:
        return {row[0] for row in db.execute("SELECT url FROM seen WHERE status = 'active'")}


@pytest.mark.slow
@pytest.mark.browser
def test_browser_contexts_are_recycled(simulator: Any, tmp_path: Path) -> None:
    summary = finish(start_sweep(tmp_path, simulator, ["商标注册"],
                                 {**CRAWL_ONLY, "LANTIAN_PAGES_PER_CONTEXT": 5}))
    counters = summary["counters"]
    assert counters["lantian/browser/pages_rendered"] > 15
    assert counters["lantian/browser/contexts_recycled"] >= 2
    assert feed_listings(simulator, "商标注册") <= seen_urls(tmp_path)


@pytest.mark.slow
@pytest.mark.browser
def test_browser_tabs_are_reused_across_pages(simulator: Any, tmp_path: Path) -> None:
    tabs = 4
    summary = finish(start_sweep(tmp_path, simulator, ["商标注册"],
                                 {**CRAWL_ONLY, "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": tabs}))
    counters = summary["counters"]
    rendered = counters["lantian/browser/pages_rendered"]
    assert rendered > 3 * tabs
    assert counters["playwright/page_count"] <= tabs * (1 + counters.get("lantian/browser/contexts_recycled", 0))
    assert counters["lantian/browser/pages_reused"] >= rendered - counters["playwright/page_count"]
    assert feed_listings(simulator, "商标注册") <= seen_urls(tmp_path)


def chromium_processes(root: psutil.Process) -> list[psutil.Process]:
    found = []
    for child in root.children(recursive=True):
        try:
            if "chrom" in child.name().lower() and "--type=" not in " ".join(child.cmdline()):
                found.append(child)
        except psutil.Error:
            continue
    return found


@pytest.mark.slow
@pytest.mark.browser
def test_crashed_browser_is_restarted_without_losing_pages(simulator: Any, tmp_path: Path) -> None:
    keyword = "知识产权"
    process = start_sweep(tmp_path, simulator, [keyword], {**CRAWL_ONLY, "CONCURRENT_REQUESTS": 4})
    root = psutil.Process(process.pid)
    killed = False
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline and not killed:
        browsers = chromium_processes(root)
        data = tmp_path / "data" / "crawl" / "seen.sqlite3"
        if browsers and data.exists() and len(seen_urls(tmp_path)) >= 3:
            for browser in browsers:
                browser.kill()
            killed = True
        time.sleep(0.2)
    assert killed, "the crawl ended before its browser could be killed"
    summary = finish(process)
    assert summary["counters"]["playwright/browser_count"] >= 2, "the browser was not restarted"
    assert feed_listings(simulator, keyword) <= seen_urls(tmp_path)


def drivers_and_browsers(root: psutil.Process) -> tuple[set[int], set[int]]:
    """The Playwright drivers the crawl process started and the Chromium browsers they launched (a process a
    driver has forked but not yet turned into Chromium is not one)."""
    drivers, browsers = set(), set()
    for driver in root.children():
        try:
            if "node" not in driver.name().lower():
                continue
            drivers.add(driver.pid)
            browsers |= {child.pid for child in driver.children() if "chrom" in child.name().lower()}
        except psutil.Error:
            continue
    return drivers, browsers


@pytest.mark.slow
@pytest.mark.browser
def test_the_crawlers_of_a_run_share_one_browser(simulator: Any, tmp_path: Path) -> None:
    """The sweep spider (market) and the site spider (agencies) run side by side in one process, and both
    screenshot their leads: one Chromium renders them all, and it is gone once the run ends."""
    process = start_sweep(tmp_path, simulator, ["商标注册"], {"LANTIAN_MAX_IMAGES": 0},
                          platforms=("market", "agencies"))
    root = psutil.Process(process.pid)
    drivers: set[int] = set()
    browsers: set[int] = set()
    while process.poll() is None:
        seen_drivers, seen_browsers = drivers_and_browsers(root)
        drivers |= seen_drivers
        browsers |= seen_browsers
        time.sleep(0.1)
    summary = finish(process)
    for platform in ("market", "agencies"):
        assert summary["platforms"][platform]["leads"] > 0, platform
    assert summary["counters"].get("evidence/screenshot_failed", 0) == 0
    assert summary["counters"]["evidence/screenshots"] >= summary["platforms"]["market"]["leads"]
    assert len(drivers) == 1, f"{len(drivers)} Playwright drivers for one run"
    assert len(browsers) == 1, f"{len(browsers)} Chromium browsers for one run"
    assert not any(psutil.pid_exists(pid) for pid in drivers | browsers), "the shared browser outlived its run"


CARDS_DRAWN_LATE = """<!doctype html><meta charset="utf-8"><body><script>
setTimeout(() => { document.body.innerHTML = '<div class="card"><a href="/item/1">代理商标</a></div>'
                   + '<div class="card"><a href="/item/2">专利加急</a></div>'; }, 300);
</script></body>"""


@pytest.mark.browser
@pytest.mark.parametrize("wait_for", ["div.card", "//div[@class='card']/a/@href", "div.card a::attr(href)",
                                      "div.card ::text"])
def test_a_result_page_drawn_late_is_read_once_what_its_platform_waits_for_is_there(wait_for: str) -> None:
    """`browser.wait_for` may be written as the platform's other selectors are (XPath, `::text`, `::attr(x)`): the
    wait ends when what it reads is there, and the cards drawn after the document are counted."""

    async def cards() -> int:
        async with chromium() as browser:
            tab = await browser.new_page()
            await tab.set_content(CARDS_DRAWN_LATE)
            return await render_listing(tab, wait_for, "div.card", None, 0, 8000, 0)

    assert asyncio.run(cards()) == 2


FEED_WITH_A_BUTTON = """<!doctype html><meta charset="utf-8"><body><div id="feed"></div>
<p class="more-bar"><button class="more" type="button">加载更多</button></p><script>
let shown = 0;
const more = () => {
  for (let n = 0; n < 3; n++) {
    shown += 1;
    document.getElementById("feed").insertAdjacentHTML("beforeend",
      `<div class="card"><a href="/item/${shown}">代理商标 ${shown}</a></div>`);
  }
  if (shown >= 9) document.querySelector("button.more").remove();
};
more();
document.querySelector("button.more").addEventListener("click", more);
</script></body>"""


@pytest.mark.browser
@pytest.mark.parametrize("load_more", ["button.more", "button.more::text", "p.more-bar ::text",
                                       "//button[has-class('more')]", "//button[has-class('more')]/text()",
                                       "//button/@class"])
def test_the_load_more_button_is_clicked_however_staff_wrote_its_selector(load_more: str) -> None:
    """`browser.load_more` may be written as the platform's other selectors are (`::text`, XPath with lxml's
    `has-class()` or ending in `/text()` or `/@x`): the element holding what it reads is clicked until every card is
    there, 9 here, 3 at a time."""

    async def cards() -> int:
        async with chromium() as browser:
            tab = await browser.new_page()
            await tab.set_content(FEED_WITH_A_BUTTON)
            return await render_listing(tab, "div.card", "div.card", load_more, 10, 8000, 500)

    assert asyncio.run(cards()) == 9
