"""The evidence screenshots of listings read without the browser are drawn in a few tabs of their own contexts:
every further tab costs Chromium ~50 ms of CPU to open, and a small machine draws a couple of pages at a time."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from scrapy import Request
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector

from crawler import settings as defaults
from crawler.evidence.screenshot import screenshot_request
from crawler.middlewares import BrowserContextRecycler


def crawler_with(**overrides: Any) -> Any:
    """What the recycler reads of its crawler: the crawler's settings and a stats collector."""
    settings = Settings()
    settings.setmodule(defaults)
    settings.update(overrides)
    crawler = SimpleNamespace(settings=settings)
    crawler.stats = MemoryStatsCollector(crawler)
    return crawler


def rendered(url: str) -> Request:
    return Request(url, meta={"playwright": True, "download_slot": "market"})


def test_a_slots_screenshots_wait_for_their_few_tabs_while_its_rendered_pages_keep_theirs() -> None:
    async def scenario() -> tuple[list[str], int, str]:
        recycler = BrowserContextRecycler(crawler_with(LANTIAN_SCREENSHOT_TABS=2, PLAYWRIGHT_MAX_PAGES_PER_CONTEXT=8))
        shots = [screenshot_request(f"http://market.test/item/{n}", meta={"download_slot": "market"})
                 for n in range(3)]
        waiting = [asyncio.ensure_future(recycler.process_request(shot, None)) for shot in shots]
        page = rendered("http://market.test/search")
        await asyncio.wait_for(recycler.process_request(page, None), 1)
        await asyncio.sleep(0.05)
        done = sum(task.done() for task in waiting)
        for task in waiting:
            task.cancel()
        return [shot.meta.get("playwright_context", "") for shot in shots[:2]], done, page.meta["playwright_context"]

    contexts, started, page_context = asyncio.run(scenario())
    assert started == 2, "the third screenshot waits for one of the two tabs"
    assert contexts == ["market/screenshots#0", "market/screenshots#0"]
    assert page_context == "market#0"
