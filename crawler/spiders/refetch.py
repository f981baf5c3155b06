"""The refetch spider: given URLs fetched once more on the sweep's own path (the platform's download slot and robots
rule, retries, WARC record, raw body, and for platforms that render their listing pages, the browser and its
screenshot), reporting what each answered. Re-checks use it; it yields no listings."""
from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import scrapy
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from crawler.addresses import OWN_URL
from crawler.capture import unconfigured_platform
from crawler.refetch import Refetched, RefetchTarget
from crawler.spiders.base import PlatformSpider

REFETCH_URL = "lantian_refetch_url"
"""Request meta: the URL as it was asked for (its result's key through redirects and retries)."""


class RefetchSpider(PlatformSpider):
    """Arguments: `targets` (RefetchTarget or dicts of its fields: a URL and the name of its platform, whose
    config gives slot, robots rule and rendering; a URL of no configured platform is fetched with the default
    politeness), `render` (False: never the browser), and the base spider's `endpoints` and `config_dir`."""

    name = "refetch"
    kind = "refetch"  # no configured platform has this kind: the platforms are those of the targets

    def __init__(self, targets: list[RefetchTarget | dict[str, Any]], render: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.render = render
        self.targets = [t if isinstance(t, RefetchTarget) else RefetchTarget(**t) for t in targets]
        self.platform_of_url: dict[str, str] = {}
        for target in self.targets:
            platform = (self.catalog.platforms.get(target.platform or "") or self.catalog.platform_for(target.url)
                        or unconfigured_platform(target.url))
            self.platforms[platform.name] = platform
            self.platform_of_url[target.url] = platform.name
        self.allowed_domains = []  # a listing may have moved to another host; its redirect is followed
        self.results: dict[str, Refetched] = {}

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for target in self.targets:
            platform = self.platforms[self.platform_of_url[target.url]]
            rendered = self.render and platform.browser.enabled and platform.browser.render_detail_pages
            yield self.page_request(
                platform, target.url, self.parse_refetched, render="detail" if rendered else None,
                meta={"evidence": True, "handle_httpstatus_all": True, REFETCH_URL: target.url, OWN_URL: target.url},
                dont_filter=True,
            )

    def parse_refetched(self, response: Response) -> list[Any]:
        url = response.meta[REFETCH_URL]
        text = response.text if isinstance(response, TextResponse) else ""
        self.results[url] = Refetched(url=url, final_url=response.url, status=response.status, text=text,
                                      evidence=dict(response.meta.get("evidence_record") or {}))
        return []

    def on_error(self, failure: Failure) -> list[scrapy.Request]:
        again = super().on_error(failure)
        if again:
            return again
        url = failure.request.meta.get(REFETCH_URL)  # type: ignore[attr-defined]  # Scrapy sets it on errbacks
        if url is not None and url not in self.results:
            self.results[url] = Refetched(url=url, error=f"{failure.type.__name__}: {failure.getErrorMessage()}")
        return []
