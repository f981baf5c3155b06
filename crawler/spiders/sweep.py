"""The keyword sweep: every configured keyword on every selected platform, through the result pages down to each
listing's page and on to the seller's other listings."""
from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from urllib.parse import quote

import scrapy
from scrapy.http import Response

from crawler.platforms import PlatformConfig
from crawler.spiders.base import PlatformSpider


class SweepSpider(PlatformSpider):
    name = "sweep"
    kind = "sweep"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.open_seen()
        for request in self.due_requests():
            yield request
        for platform in self.platforms.values():
            for request in self.platform_start(platform):
                yield request

    def platform_start(self, platform: PlatformConfig) -> Iterator[scrapy.Request]:
        for url in platform.start_urls:
            yield self.page_request(platform, platform.absolute(url), self.parse_results, render="listing",
                                    meta={"page_number": 1}, source=self.results_source(platform))
        if platform.search is None:
            return
        keywords = self.catalog.keywords_for(platform, self.keyword_override)
        self.stats.set_value(f"lantian/{platform.name}/keywords", len(keywords))
        for keyword in keywords:
            yield self.search_request(platform, keyword, 0)

    def search_request(self, platform: PlatformConfig, keyword: str, index: int) -> scrapy.Request:
        search = platform.search
        assert search is not None
        page = search.first_page + index * search.page_step
        quoted = quote(keyword.encode(search.keyword_encoding), safe="")
        url = platform.absolute(search.url.format(keyword=quoted, page=page))
        return self.page_request(
            platform, url, self.parse_results, render="listing",
            meta={"keyword": keyword, "page_index": index, "page_number": index + 1},
            source=self.results_source(platform),
        )

    @staticmethod
    def results_source(platform: PlatformConfig) -> str:
        return platform.listing.source if platform.listing is not None else "html"

    def parse_results(self, response: Response) -> Iterator[scrapy.Request]:
        """A result (or feed) page: each card's listing, then the next page while there are results."""
        platform = self.platform_of(response)
        keyword = response.meta.get("keyword")
        listing = platform.listing
        page = self.page_of(response, listing) if listing is not None else None
        if listing is None or page is None:
            return
        links = self.listing_links(response, platform, page)
        self.stats.inc_value(f"lantian/{platform.name}/cards", len(links))
        self.said_if_unrendered(response, platform, links)
        self.stats.inc_value(f"lantian/{platform.name}/result_pages")
        for link in links:
            request = self.detail_request(platform, link, found_on=response.url, keyword=keyword)
            if request is not None:
                yield request
        page_number = response.meta.get("page_number", 1)
        limits = [n for n in (self.max_pages, platform.search.max_pages if platform.search else None) if n]
        if not links or (limits and page_number >= min(limits)):
            return
        if listing.next_page:
            for link in self.page_urls(response, page.values(listing.next_page)[:1]):
                yield self.page_request(
                    platform, link, self.parse_results, render="listing",
                    meta={"keyword": keyword, "page_number": page_number + 1}, source=listing.source,
                )
        elif keyword is not None and platform.search is not None and "{page}" in platform.search.url:
            yield self.search_request(platform, keyword, response.meta.get("page_index", 0) + 1)
