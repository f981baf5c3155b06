"""Worker spiders: the crawler's own sweep and site spiders, except that their requests come from the shared
frontier (seeded once by `lantian cluster seed`) instead of each worker's `start()`.

They keep the names `sweep` and `site`, so Redis keys and callbacks (resolved by name when a request is decoded)
are the same for the seeding crawl and every worker. A listing read from a request that came back from a dead
worker is noted in `rechecked`: that worker may have updated the seen-store and died before writing the lead.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from crawler.distributed.frontier import REQUEUED_META
from crawler.items import ListingItem
from crawler.spiders.site import SiteSpider
from crawler.spiders.sweep import SweepSpider


class FrontierFed:
    """Mixin for a PlatformSpider fed by the frontier. With the setting `LANTIAN_SEED_START` the worker also
    pushes the spider's own start requests (through the shared dupefilter), so identical `cluster crawl`
    processes on several machines need no separate seeding step."""

    rechecked: set[str]

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.rechecked = set()
        if self.settings.getbool("LANTIAN_SEED_START"):  # type: ignore[attr-defined]
            async for request in super().start():  # type: ignore[misc]
                yield request
            return
        self.open_seen()  # type: ignore[attr-defined]
        for request in ():
            yield request

    def parse_detail(self, response: Response) -> Iterator[Any]:
        requeued = response.meta.get(REQUEUED_META, False)
        for output in super().parse_detail(response):  # type: ignore[misc]
            if requeued and isinstance(output, ListingItem):
                self.rechecked.add(output["canonical_url"])
            yield output


class WorkerSweepSpider(FrontierFed, SweepSpider):
    pass


class WorkerSiteSpider(FrontierFed, SiteSpider):
    pass


WORKER_SPIDERS: dict[str, type[SweepSpider] | type[SiteSpider]] = {
    "sweep": WorkerSweepSpider,
    "site": WorkerSiteSpider,
}
