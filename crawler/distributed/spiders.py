"""Worker spiders: the crawler's own sweep and site spiders, except that their requests come from the shared
frontier (seeded once by `lantian cluster seed`) instead of each worker's `start()`.

They keep the names `sweep` and `site`, so Redis keys and callbacks (resolved by name when a request is decoded)
are the same for the seeding crawl and every worker. A listing read from a request that came back from a dead
worker is noted in `rechecked`: that worker may have updated the seen-store and died before writing the lead.
"""
from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urljoin

import scrapy
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future

from crawler.distributed.frontier import REQUEUED_META
from crawler.items import ListingItem
from crawler.middlewares import PAGE_META
from crawler.platforms import PlatformConfig
from crawler.spiders.base import PlatformSpider
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
        for output in super().parse_detail(response):  # type: ignore[misc]
            self.note_requeued(response, output)
            yield output

    def note_requeued(self, response: Response, output: Any) -> None:
        if response.meta.get(REQUEUED_META) and isinstance(output, ListingItem):
            self.rechecked.add(output["canonical_url"])


class WorkerSweepSpider(FrontierFed, SweepSpider):
    pass


class WorkerSiteSpider(FrontierFed, SiteSpider):
    """The site spider holds a service listing in memory until its site's facts page (the contact page) has been
    fetched by a request of its own. With a shared frontier another worker may take that request, and the
    listing would never be released; a killed worker would lose it after its request was acked. Here the facts
    page is downloaded inside the listing's own callback (`engine.download`, not through the frontier), once per
    site and worker, so a listing is finished before its request is acked."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.facts_pending: dict[str, asyncio.Future[dict[str, Any]]] = {}

    async def parse_detail(self, response: Response) -> AsyncIterator[Any]:  # type: ignore[override]
        platform = self.platform_of(response)
        for output in PlatformSpider.parse_detail(self, response):
            self.note_requeued(response, output)
            if (platform.site.facts is not None and isinstance(output, ListingItem)
                    and output.get("status") == "active"):
                match = re.search(platform.site.facts.root, response.url)
                if match is not None:
                    output = self._with_facts(output, await self.facts_of(platform, match.group(1)))
            yield output

    async def facts_of(self, platform: PlatformConfig, root: str) -> dict[str, Any]:
        if root not in self.site_facts:
            if root not in self.facts_pending:
                self.facts_pending[root] = asyncio.ensure_future(self._download_facts(platform, root))
            self.site_facts[root] = await self.facts_pending[root]
        return self.site_facts[root]

    async def _download_facts(self, platform: PlatformConfig, root: str) -> dict[str, Any]:
        assert platform.site.facts is not None
        request = scrapy.Request(urljoin(root, platform.site.facts.page), dont_filter=True,
                                 meta={**self.platform_meta(platform), "site_root": root, PAGE_META: True})
        assert self.crawler.engine is not None and self.crawler.stats is not None  # the spider is crawling
        try:
            response = await maybe_deferred_to_future(self.crawler.engine.download(request))
        except Exception as exc:  # without its site's facts a listing goes on with what its own page said
            self.crawler.stats.inc_value(f"lantian/{platform.name}/errors")
            self.logger.warning("Failed %s: %s", request.url, exc)
            return {}
        for _ in self.parse_facts(response):  # fills self.site_facts[root]; nothing waits here
            pass
        return self.site_facts.get(root, {})


WORKER_SPIDERS: dict[str, type[SweepSpider] | type[SiteSpider]] = {
    "sweep": WorkerSweepSpider,
    "site": WorkerSiteSpider,
}
