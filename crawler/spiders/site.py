"""The site crawl for agency websites: the sitemap and internal links (about, services, contact), with each
service page read as a listing and the agency's own pages kept as context for it.

An agency writes its own website's robots.txt and sitemaps, and can name a sitemap per line of robots.txt, index
sitemaps in sitemaps without end (each a new URL, which the duplicate filter does not stop) and list millions of
pages. A site (host and port) is asked for at most LANTIAN_MAX_SITEMAPS sitemap files and LANTIAN_MAX_SITEMAP_URLS
pages from them, and a sitemap index named by a sitemap index is not read (the sitemap protocol has none): what is
skipped is counted (`lantian/<platform>/sitemaps_over_limit`, `sitemap_urls_over_limit`, `sitemaps_nested`) and
said once a sitemap."""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from crawler.extract import field_text, field_values
from crawler.items import ListingItem
from crawler.middlewares import PAGE_META
from crawler.platforms import PlatformConfig
from crawler.spiders.base import PlatformSpider

SITEMAP_INDEXED = "lantian_sitemap_indexed"
"""Request meta: the sitemap was named by a sitemap index (so it may not be an index itself)."""


class SiteSpider(PlatformSpider):
    name = "site"
    kind = "site"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.site_facts: dict[str, dict[str, Any]] = {}
        self.waiting: dict[str, list[ListingItem]] = {}
        self.sitemaps: Counter[str] = Counter()  # sitemap files asked for, by host and port
        self.sitemap_urls: Counter[str] = Counter()  # pages asked for from sitemaps, by host and port

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
                              meta=self.platform_meta(platform))

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        """Sitemaps named in robots.txt, else `/sitemap.xml`."""
        platform = self.platform_of(response)
        text = response.body.decode("utf-8", "replace")
        urls = list(sitemap_urls_from_robots(text, base_url=response.url)) or [response.urljoin("/sitemap.xml")]
        yield from self._sitemap_requests(platform, urls, response.url, indexed=False)

    def _sitemap_request(self, platform: PlatformConfig, url: str, indexed: bool) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_sitemap, errback=self.on_error,
                              meta={**self.platform_meta(platform), SITEMAP_INDEXED: indexed})

    def _sitemap_requests(self, platform: PlatformConfig, urls: list[str], found_on: str,
                          indexed: bool) -> Iterator[scrapy.Request]:
        """The sitemaps `found_on` names, while their site's budget of LANTIAN_MAX_SITEMAPS files lasts; the rest
        are counted (`lantian/<platform>/sitemaps_over_limit`) and said (see the module's doc)."""
        limit = self.crawler.settings.getint("LANTIAN_MAX_SITEMAPS")
        over = 0
        for url in urls:
            origin = urlsplit(url).netloc
            if self.sitemaps[origin] >= limit:
                over += 1
                continue
            self.sitemaps[origin] += 1
            yield self._sitemap_request(platform, url, indexed)
        self._said_over(platform, "sitemaps", over, found_on, "LANTIAN_MAX_SITEMAPS")

    def _said_over(self, platform: PlatformConfig, what: str, over: int, found_on: str, setting: str) -> None:
        if over > 0:
            self.stats.inc_value(f"lantian/{platform.name}/{what}_over_limit", over)
            self.logger.warning("Skipped %d %s named by %s: its site's first %d are asked for (%s)", over,
                                what.replace("_", " "), found_on, self.crawler.settings.getint(setting), setting)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        platform = self.platform_of(response)
        try:
            sitemap = Sitemap(response.body)
        except Exception as exc:  # lxml raises several types for a broken document
            self.logger.warning("Unreadable sitemap %s: %s", response.url, exc)
            self.stats.inc_value(f"lantian/{platform.name}/errors")
            return
        locs = [loc for loc in (entry.get("loc", "").strip() for entry in sitemap)
                if loc and self._on_site(platform, loc)]
        if sitemap.type == "sitemapindex":
            if response.meta.get(SITEMAP_INDEXED):
                self.stats.inc_value(f"lantian/{platform.name}/sitemaps_nested")
                self.logger.warning("Skipped the %d sitemaps of %s: a sitemap index named by a sitemap index (the "
                                    "sitemap protocol has none)", len(locs), response.url)
                return
            yield from self._sitemap_requests(platform, locs, response.url, indexed=True)
            return
        limit = self.crawler.settings.getint("LANTIAN_MAX_SITEMAP_URLS")
        over = 0
        for loc in locs:
            origin = urlsplit(loc).netloc
            if self.sitemap_urls[origin] >= limit:
                over += 1
                continue
            self.sitemap_urls[origin] += 1
            yield from self._follow(platform, loc, depth=0, found_on=response.url)
        self._said_over(platform, "sitemap_urls", over, response.url, "LANTIAN_MAX_SITEMAP_URLS")

    def parse_page(self, response: Response) -> Iterator[scrapy.Request | ListingItem]:
        """An agency page that is not a service: follow its internal links within the allowed patterns."""
        platform = self.platform_of(response)
        depth = response.meta.get("depth", 0)
        if depth >= platform.site.max_depth or not isinstance(response, TextResponse):  # no links to follow
            return
        # Which links stay on the site is `_on_site`'s same-origin test: LinkExtractor's `allow_domains` compares
        # host:port with a bare host, so it dropped every link of a site served on a port.
        extractor = LinkExtractor(allow=platform.site.allow, deny=platform.site.deny)
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

    # site facts -------------------------------------------------------------------------------------------------

    def parse_detail(self, response: Response) -> Iterator[ListingItem | scrapy.Request]:
        """A service page; its listing waits for the site's facts page when the platform configures one."""
        platform = self.platform_of(response)
        facts = platform.site.facts
        for output in super().parse_detail(response):
            if facts is None or not isinstance(output, ListingItem) or output.get("status") != "active":
                yield output
                continue
            match = re.search(facts.root, response.url)
            if match is None:
                yield output
                continue
            root = match.group(1)
            if root in self.site_facts:
                yield self._with_facts(output, self.site_facts[root])
            elif root in self.waiting:
                self.waiting[root].append(output)
            else:
                self.waiting[root] = [output]
                yield scrapy.Request(
                    urljoin(root, facts.page), callback=self.parse_facts, errback=self.facts_failed,
                    dont_filter=True, priority=20,
                    meta={**self.platform_meta(platform), "site_root": root, PAGE_META: True},
                )

    def parse_facts(self, response: Response) -> Iterator[ListingItem]:
        facts = self.platform_of(response).site.facts
        assert facts is not None
        if not isinstance(response, TextResponse):  # not a page: its listings go on with what their own pages said
            yield from self.waiting.pop(response.meta["site_root"], [])
            return
        found = {
            "seller": field_text(response.selector, facts.seller, " ") if facts.seller else "",
            "location": field_text(response.selector, facts.location, " ") if facts.location else "",
            "contacts": field_values(response.selector, facts.contacts) if facts.contacts else [],
        }
        root = response.meta["site_root"]
        self.site_facts[root] = found
        for item in self.waiting.pop(root, []):
            yield self._with_facts(item, found)

    def facts_failed(self, failure: Any) -> Iterator[ListingItem]:
        """Without its site's facts a listing still goes on, with what its own page said."""
        self.on_error(failure)
        yield from self.waiting.pop(failure.request.meta["site_root"], [])

    @staticmethod
    def _with_facts(item: ListingItem, facts: dict[str, Any]) -> ListingItem:
        for field, value in facts.items():
            if value and not item.get(field):
                item[field] = value
        return item
