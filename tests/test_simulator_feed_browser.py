"""The JavaScript feed: the raw HTML holds no listing, a real browser (Debian's Chromium) shows them all."""
from __future__ import annotations

import httpx
import pytest
from parsel import Selector
from playwright.sync_api import sync_playwright

from simulator import SimulatorServer

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_feed_content_arrives_only_by_javascript(simulator: SimulatorServer, chromium_launch_options: dict) -> None:
    base = simulator.endpoints["feed"]
    truth = simulator.ground_truth()
    notes = [r for r in truth if r["platform"] == "feed"]
    keyword = max(simulator.world.keywords, key=lambda k: sum(k in r["keywords"] for r in notes))
    expected = [r for r in notes if keyword in r["keywords"]]
    assert len(expected) > 20  # more than one API page, so "load more" is needed
    search_url = f"{base}/search_result?keyword={keyword}"
    raw = httpx.get(search_url).text
    assert not Selector(text=raw).css("section.note-item, #note-detail")
    assert not any(record["title"] in raw or record["id"] in raw for record in expected)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**chromium_launch_options)
        try:
            page = browser.new_page()
            page.goto(base + "/")
            page.wait_for_selector("section.note-item")
            recommended = page.locator("section.note-item").evaluate_all("nodes => nodes.map(n => n.dataset.id)")
            assert recommended == [record["id"] for record in notes][:20]

            page.goto(search_url)
            page.wait_for_selector("section.note-item")
            assert page.locator("section.note-item").count() == 20
            for _ in range(10):
                if page.locator("button.load-more").count() == 0:
                    break
                page.mouse.wheel(0, 20000)
                page.wait_for_timeout(300)
            page.wait_for_selector("button.load-more", state="detached")
            shown = page.locator("section.note-item").evaluate_all("nodes => nodes.map(n => n.dataset.id)")
            assert shown == [record["id"] for record in expected]

            record = next(r for r in expected if r["evasion"] != "image")
            page.goto(record["url"])
            page.wait_for_selector("#note-detail h1.note-title")
            assert page.locator("h1.note-title").inner_text() == record["title"]
            assert page.locator("a.note-author").inner_text() == record["seller"]
            assert page.locator("div.note-desc p").count() >= 2
            assert record["title"] not in httpx.get(record["url"]).text

            simulator.remove(record["id"])
            try:
                page.goto(record["url"])
                page.wait_for_selector("div.removed-notice")
                assert page.locator("div.removed-notice").inner_text() == "该内容已被删除"
            finally:
                simulator.restore(record["id"])
        finally:
            browser.close()
