"""The site crawl for agency websites: the sitemap and internal links (about, services, contact), with each
service page read as a listing and the agency's own pages kept as context for it."""
from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response
from scrapy.linkextractors import LinkExtractor
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from crawler.items import ListingItem
from crawler.platforms import PlatformConfig
from crawler.spiders.base import PlatformSpider


class SiteSpider(PlatformSpider):
    name = "site"
    kind = "site"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.open_seen()
        for request in self.due_requests():
            yield request
        for platform in self.platforms.values():
            for url in platform.start_urls:
                yield self.page_request(platform, platform.absolute(url), self.parse_page, meta={"depth": 0})
            if platform.site.sitemap:
                yield self._robots_request(platform)

    def _robots_request(self, platform: PlatformConfig) -> scrapy.Request:
        robots = urljoin(platform.absolute(platform.start_urls[0]), "/robots.txt")
        return scrapy.Request(robots, callback=self.parse_robots, errback=self.on_error,
                              meta={"platform": platform.name, "download_slot": platform.name})

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        """Sitemaps named in robots.txt, else `/sitemap.xml`."""
        platform = self.platform_of(response)
        text = response.body.decode("utf-8", "replace")
        urls = list(sitemap_urls_from_robots(text, base_url=response.url)) or [response.urljoin("/sitemap.xml")]
        for url in urls:
            yield self._sitemap_request(platform, url)

    def _sitemap_request(self, platform: PlatformConfig, url: str) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_sitemap, errback=self.on_error,
                              meta={"platform": platform.name, "download_slot": platform.name,
                                    **({"dont_obey_robotstxt": True} if not platform.politeness.obey_robots
                                       else {})})

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        platform = self.platform_of(response)
        try:
            sitemap = Sitemap(response.body)
        except Exception as exc:  # lxml raises several types for a broken document
            self.logger.warning("Unreadable sitemap %s: %s", response.url, exc)
            self.crawler.stats.inc_value(f"lantian/{platform.name}/errors")
            return
        for entry in sitemap:
            loc = entry.get("loc", "").strip()
            if not loc or not self._on_site(platform, loc):
                continue
            if sitemap.type == "sitemapindex":
                yield self._sitemap_request(platform, loc)
            else:
                yield from self._follow(platform, loc, depth=0, found_on=response.url)

    def parse_page(self, response: Response) -> Iterator[scrapy.Request | ListingItem]:
        """An agency page that is not a service: follow its internal links within the allowed patterns."""
        platform = self.platform_of(response)
        depth = response.meta.get("depth", 0)
        if depth >= platform.site.max_depth:
            return
        extractor = LinkExtractor(allow=platform.site.allow, deny=platform.site.deny,
                                  allow_domains=platform.domains())
        for link in extractor.extract_links(response):
            if self._on_site(platform, link.url):
                yield from self._follow(platform, link.url, depth=depth + 1, found_on=response.url)

    def _follow(self, platform: PlatformConfig, url: str, depth: int, found_on: str) -> Iterator[scrapy.Request]:
        pattern = platform.site.detail_pattern
        if pattern and re.search(pattern, url):
            request = self.detail_request(platform, url, found_on=found_on)
            if request is not None:
                yield request
        else:
            yield self.page_request(platform, url, self.parse_page, meta={"depth": depth})

    @staticmethod
    def _on_site(platform: PlatformConfig, url: str) -> bool:
        """Same origin as one of the platform's start URLs (agency sites share hosts with other platforms)."""
        origin = urlsplit(url)
        for start in platform.start_urls:
            base = urlsplit(platform.absolute(start))
            if (origin.scheme, origin.netloc) == (base.scheme, base.netloc):
                return True
        return False
