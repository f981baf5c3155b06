"""Worker spiders: the crawler's own sweep and site spiders, except that their requests come from the shared
frontier (seeded once by `lantian cluster seed`) instead of each worker's `start()`.

They keep the names `sweep` and `site`, so Redis keys and callbacks (resolved by name when a request is decoded)
are the same for the seeding crawl and every worker.
"""
from __future__ import annotations

from collections.abc import AsyncIterator

import scrapy

from crawler.spiders.site import SiteSpider
from crawler.spiders.sweep import SweepSpider


class WorkerSweepSpider(SweepSpider):
    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.open_seen()
        return
        yield  # an async generator that yields nothing


class WorkerSiteSpider(SiteSpider):
    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.open_seen()
        return
        yield


WORKER_SPIDERS: dict[str, type[SweepSpider] | type[SiteSpider]] = {
    "sweep": WorkerSweepSpider,
    "site": WorkerSiteSpider,
}
