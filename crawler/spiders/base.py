"""What both spiders share: loading the selected platforms, per-platform politeness as download slots, building
requests (browser or not, robots or not), reading detail pages into listings, and re-visiting listings that are due.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.statscollectors import StatsCollector
from scrapy_playwright.page import PageMethod
from twisted.internet import error as net_error
from twisted.python.failure import Failure

from core.browser import launch_options
from core.lead import lead_id
from core.visible import invisible_count
from crawler.addresses import OWN_URL
from crawler.browser import (
    DOCUMENT_LATENCY,
    INNER_INIT_CALLBACK,
    WAIT_TURN,
    PageHung,
    block_heavy_resources,
    render_detail,
    render_listing,
)
from crawler.evidence.pipeline import screenshots_enabled
from crawler.evidence.screenshot import screenshot_request
from crawler.extract import field_text, main_text
from crawler.items import ListingItem
from crawler.middlewares import PAGE_META, PAGE_SOURCE
from crawler.nesting import FLAT_DEPTH, PARSED_DEPTH, cut_by_depth, flattened
from crawler.page_data import DATA_DEPTH, DataFields, PageDataError, PageFields, page_fields
from crawler.pipelines import image_meta, seen_store_path
from crawler.platforms import (
    Catalog,
    PageReading,
    PlatformConfig,
    browser_lacks,
    load_endpoints,
    on_domains,
    read_keywords_file,
)
from crawler.removal import REMOVED_STATUSES, removal_notice
from crawler.seen import SeenStore
from crawler.urls import canonical_url

logger = logging.getLogger(__name__)


# Failures that mean the platform's address did not answer at all (no server on the port, a name that does not
# resolve, no reply), counted per platform (`lantian/<platform>/unanswered`) so that a sweep reading nothing says so.
UNANSWERED = (net_error.ConnectionRefusedError, net_error.DNSLookupError, net_error.TCPTimedOutError,
              net_error.TimeoutError)


def _as_list(value: str | Iterable[str] | None) -> list[str] | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return list(value)


RENDERED_AS = "lantian_rendered_as"
"""Request meta of a rendered page: how the browser renders it (`detail`, `listing`; `PlatformSpider.page_request`)."""
READ_WITHOUT_RENDERING = "lantian_read_without_rendering"
"""Request meta of a listing page asked for again without the browser after its rendering hung: why (the listing's
`read_without_rendering`)."""
BROWSER_META = ("playwright", "lantian_recycle", RENDERED_AS, INNER_INIT_CALLBACK, WAIT_TURN, DOCUMENT_LATENCY,
                "download_latency")
"""Prefixes of the request meta that belongs to rendering, dropped from a request asked for again without it."""


def failed_request(failure: Failure) -> scrapy.Request:
    """The request a failed download was for (Scrapy's errback sets it on the failure, untyped)."""
    request: scrapy.Request = failure.request  # type: ignore[attr-defined]
    return request


class PlatformSpider(scrapy.Spider):
    """Base of the sweep and site spiders. Arguments (also as `scrapy crawl NAME -a key=value`):

    platforms: comma-separated names (default: every enabled platform of this spider's kind);
    endpoints: JSON file of `{platform: base_url}`; keywords: a keywords file replacing the configured lists;
    max_pages: result pages per search or shop; config_dir: another config directory.
    """

    kind = "sweep"

    def __init__(
        self,
        platforms: str | list[str] | None = None,
        endpoints: str | dict[str, str] | None = None,
        keywords: str | list[str] | None = None,
        max_pages: int | str | None = None,
        config_dir: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        endpoint_map = load_endpoints(Path(endpoints)) if isinstance(endpoints, str) else endpoints
        self.catalog = Catalog(Path(config_dir) if config_dir else None, endpoint_map)
        selected = self.catalog.select(_as_list(platforms))
        self.platforms: dict[str, PlatformConfig] = {p.name: p for p in selected if p.kind == self.kind}
        if isinstance(keywords, str):
            keywords = read_keywords_file(Path(keywords))
        self.keyword_override: list[str] | None = keywords
        self.max_pages = int(max_pages) if max_pages not in (None, "") else None
        for platform in self.platforms.values():
            platform.check_urls()
        self.allowed_domains = sorted({d for p in self.platforms.values() for d in p.domains()})
        self.seen: SeenStore | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.apply_platform_settings(crawler)
        return spider

    def apply_platform_settings(self, crawler: Crawler) -> None:
        """Politeness per platform as download slots, kept as requests are sent (`crawler.handlers`); the browser
        handler only when a platform or the evidence screenshots need it."""
        settings = crawler.settings
        slots = dict(settings.getdict("DOWNLOAD_SLOTS"))
        for platform in self.platforms.values():
            slots[platform.name] = {
                "concurrency": platform.politeness.concurrency,
                "delay": platform.politeness.delay,
                # Scrapy's randomised delay goes down to half the delay: the platform's delay is a minimum.
                "randomize_delay": False,
            }
        settings.set("DOWNLOAD_SLOTS", slots, priority="spider")
        browser = any(p.browser.enabled for p in self.platforms.values()) or screenshots_enabled(settings)
        handler = f"crawler.handlers.{'PoliteBrowserHandler' if browser else 'PoliteHttpHandler'}"
        settings.set("DOWNLOAD_HANDLERS", {"http": handler, "https": handler}, priority="spider")
        if browser and not settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS"):
            settings.set("PLAYWRIGHT_LAUNCH_OPTIONS", launch_options(), priority="spider")

    # requests ---------------------------------------------------------------------------------------------------

    @staticmethod
    def platform_meta(platform: PlatformConfig) -> dict[str, Any]:
        """What every request to `platform` carries: its name, its download slot and its robots rule."""
        meta: dict[str, Any] = {"platform": platform.name, "download_slot": platform.name}
        if not platform.politeness.obey_robots:
            meta["dont_obey_robotstxt"] = True
        return meta

    def page_request(
        self,
        platform: PlatformConfig,
        url: str,
        callback: Any,
        *,
        render: str | None = None,
        priority: int = 0,
        meta: dict[str, Any] | None = None,
        dont_filter: bool = False,
        source: str = "html",
    ) -> scrapy.Request:
        """A request for a page of `platform`: its download slot, its robots rule, the browser when asked, and how
        the page is read (`source`: a JSON page must answer JSON)."""
        request_meta: dict[str, Any] = {PAGE_META: True, PAGE_SOURCE: source, **self.platform_meta(platform),
                                        **(meta or {})}
        if render and platform.browser.enabled:
            request_meta["playwright"] = True
            request_meta[RENDERED_AS] = render
            request_meta["playwright_page_methods"] = self._page_methods(platform, render)
            if render == "listing" and platform.browser.block_listing_resources:
                request_meta["playwright_page_init_callback"] = block_heavy_resources
                request_meta["playwright_page_goto_kwargs"] = {"wait_until": "domcontentloaded"}
        return scrapy.Request(
            url, callback=callback, errback=self.on_error, meta=request_meta, priority=priority,
            dont_filter=dont_filter,
        )

    def _page_methods(self, platform: PlatformConfig, render: str) -> list[PageMethod]:
        browser = platform.browser
        if render == "detail":
            return [PageMethod(render_detail, self._detail_wait_for(platform), browser.wait_timeout_ms)]
        listing = platform.listing
        card = listing.card if listing else "body"
        max_scrolls = browser.max_scrolls if self.max_pages is None else min(browser.max_scrolls, self.max_pages)
        return [
            PageMethod(
                render_listing, browser.wait_for or card, card, browser.load_more, max_scrolls,
                browser.wait_timeout_ms, browser.settle_ms,
            )
        ]

    @staticmethod
    def _detail_wait_for(platform: PlatformConfig) -> tuple[str, ...]:
        """What shows a listing's page has rendered, any one of them: `browser.detail_wait_for`, else its fields or
        a take-down notice, each as written (CSS or XPath, `crawler.browser.render_detail` reads them as the crawler
        does; a field calling a function only lxml has, `re:test()`, is left out, and the platform's config is
        refused when that leaves neither title nor text). A page read from its data (`detail.source` json or
        embedded) has JMESPath expressions there, not selectors, so it is waited for until its document is there
        (its own scripts have then run); a page whose scripts draw it later names what to wait for in
        `browser.detail_wait_for`."""
        if platform.browser.detail_wait_for:
            return (platform.browser.detail_wait_for,)
        if platform.detail.source != "html":
            return ("body",)
        fields = (platform.detail.title, platform.detail.text)
        return (*(field for field in fields if field and not browser_lacks(field)), ".removed-notice")

    def detail_request(self, platform: PlatformConfig, url: str, found_on: str, keyword: str | None = None,
                       priority: int = 10) -> scrapy.Request | None:
        """A request for a listing's page, or None when the listing was fetched recently (not due yet)."""
        canonical = canonical_url(url, platform.strip_params)
        if self.seen is not None and not self.seen.is_due(canonical, platform.recrawl_interval_hours * 3600):
            self.stats.inc_value(f"lantian/{platform.name}/not_due")
            return None
        return self.page_request(
            platform, canonical, self.parse_detail,
            render="detail" if platform.browser.render_detail_pages else None,
            priority=priority,
            meta={
                "evidence": True,
                "handle_httpstatus_list": list(REMOVED_STATUSES),
                "found_on": found_on,
                "keyword": keyword,
            },
            source=platform.detail.source,
        )

    def screenshot_request(self, item: ListingItem) -> scrapy.Request:
        """A flagged listing's page once more, rendered for its evidence screenshot (`ScreenshotPipeline`): in its
        platform's download slot, under its robots rule, waiting for its fields, its images served from the ones
        the crawl downloaded, and cut where the crawler cut it (a raw page over LANTIAN_PAGE_CUT_SIZE)."""
        platform = self.platforms[item["platform"]]
        raw = Path(item.get("raw_path") or "")
        cut = self.crawler.settings.getint("LANTIAN_PAGE_CUT_SIZE") if raw.is_file() else None
        return screenshot_request(item["url"], wait_for=self._detail_wait_for(platform),
                                  stored_images=list(item.get("images") or ()),
                                  meta={**self.platform_meta(platform), OWN_URL: item["url"]},
                                  document_cut=cut if cut is not None and raw.stat().st_size > cut else None)

    def image_request(self, item: ListingItem, url: str) -> scrapy.Request:
        """One of a listing's images, for OCR (`ListingImagesPipeline`): in its platform's download slot, under its
        robots rule, given up past the size the OCR reads (`image_meta`)."""
        return scrapy.Request(url, meta={**self.platform_meta(self.platforms[item["platform"]]), OWN_URL: item["url"],
                                         **image_meta()})

    def due_requests(self) -> Iterator[scrapy.Request]:
        """Listings seen before whose re-crawl interval has passed, including ones no search shows any more."""
        if self.seen is None:
            return
        for platform in self.platforms.values():
            for record in self.seen.due(platform.name, platform.recrawl_interval_hours * 3600):
                request = self.page_request(
                    platform, record.url, self.parse_detail,
                    render="detail" if platform.browser.render_detail_pages else None,
                    priority=5,
                    meta={"evidence": True, "handle_httpstatus_list": list(REMOVED_STATUSES),
                          "found_on": "recrawl"},
                    source=platform.detail.source,
                )
                self.stats.inc_value(f"lantian/{platform.name}/recrawl_due")
                yield request

    def open_seen(self) -> None:
        self.seen = SeenStore(seen_store_path(self.crawler.settings))

    def closed(self, reason: str) -> None:
        if self.seen is not None:
            self.seen.close()

    @property
    def stats(self) -> StatsCollector:
        """The crawl's stats (Scrapy gives a crawler its collector before any spider runs)."""
        stats = self.crawler.stats
        if stats is None:
            raise RuntimeError(f"spider {self.name} runs without a crawler's stats")
        return stats

    def on_error(self, failure: Failure) -> list[scrapy.Request]:
        """A page that failed: counted and logged per platform. A page refused on purpose (robots, not HTML, an
        internal address) is counted where it was refused, but for two a seller can make: an endless chain of
        redirects or refreshes, given up after REDIRECT_MAX_TIMES (`lantian/<platform>/redirect_loops`), and a
        compressed body that inflates past DOWNLOAD_MAXSIZE, a decompression bomb (`lantian/<platform>/too_large`),
        which Scrapy refuses without a word. A listing page or a results page whose rendering hung is asked for
        again without the browser (`read_without_rendering`), the one request returned."""
        request = failed_request(failure)
        platform = request.meta.get("platform", "?")
        if failure.check(PageHung) and request.meta.get(RENDERED_AS) in ("detail", "listing"):
            return [self.read_without_rendering(request, failure)]
        if failure.check(IgnoreRequest):
            message = failure.getErrorMessage()
            if request.meta.get("redirect_times", 0) >= self.crawler.settings.getint("REDIRECT_MAX_TIMES"):
                self.stats.inc_value(f"lantian/{platform}/redirect_loops")
                self.logger.warning("Gave up on %s after %d redirects: %s", request.meta.get("redirect_urls",
                                    [request.url])[0], request.meta["redirect_times"], message)
            elif "DOWNLOAD_MAXSIZE" in message:
                self.stats.inc_value(f"lantian/{platform}/too_large")
                self.logger.warning("Refused %s: %s", request.url, message)
            return []
        self.stats.inc_value(f"lantian/{platform}/errors")
        if failure.check(*UNANSWERED):
            self.stats.inc_value(f"lantian/{platform}/unanswered")
        self.logger.warning("Failed %s: %s", request.url, failure.getErrorMessage())
        return []

    def read_without_rendering(self, request: scrapy.Request, failure: Failure) -> scrapy.Request:
        """The listing or results page `request` asks for, without the browser, after its rendering hung: what
        Chromium had received cannot be read from a renderer that no longer answers (its response body waits for the
        renderer too: measured), so the page is fetched again as the server sends it, with its raw page, WARC record
        and evidence line, and read by the platform's selectors or embedded data; a listing says it was read
        without rendering and why (`read_without_rendering`), a results page gives the cards its HTML holds (a
        feed whose cards arrive by script holds none: `parse_results` says how many). Counted
        (`lantian/<platform>/read_without_rendering`) and logged."""
        platform = request.meta.get("platform", "?")
        message = failure.getErrorMessage()[:300]
        why = f"浏览器渲染时页面卡死，已按网页原文读取，未经渲染（{message}）"
        self.stats.inc_value(f"lantian/{platform}/read_without_rendering")
        self.logger.warning("%s hung in the browser (%s): fetched again and read without rendering", request.url,
                            message)
        meta = {key: value for key, value in request.meta.items() if not key.startswith(BROWSER_META)}
        return request.replace(meta={**meta, READ_WITHOUT_RENDERING: why}, dont_filter=True)

    # parsing ----------------------------------------------------------------------------------------------------

    def platform_of(self, response: Response) -> PlatformConfig:
        return self.platforms[response.meta["platform"]]

    def parsed_whole(self, response: TextResponse, platform: PlatformConfig) -> TextResponse:
        """`response`, or, when lxml stopped parsing its page at 2,048 nested levels (and lost the rest of the page
        with what is deeper), its markup nested as a browser nests it (`crawler.nesting`), counted
        (`lantian/<platform>/nesting_flattened`) and logged. The raw page and WARC keep it as it came."""
        if not cut_by_depth(response.selector.root):
            return response
        self.stats.inc_value(f"lantian/{platform.name}/nesting_flattened")
        self.logger.warning("%s nests elements deeper than lxml parses (%d levels): read with elements deeper than %d "
                            "levels beside each other, as Chromium shows them", response.url, PARSED_DEPTH,
                            FLAT_DEPTH)
        return response.replace(body=flattened(response.text).encode("utf-8"), encoding="utf-8")

    def parse_detail(self, response: Response) -> Iterator[ListingItem | scrapy.Request]:
        """A listing's page → one ListingItem (status `removed` for 404/410 or a take-down notice)."""
        platform = self.platform_of(response)
        canonical = self._canonical_of(response, platform)
        item = ListingItem(
            id=lead_id(canonical),
            platform=platform.name,
            url=response.url,
            canonical_url=canonical,
            keyword=response.meta.get("keyword"),
            found_on=response.meta.get("found_on"),
            http_status=response.status,
            fetched_at=datetime.now(UTC).isoformat(timespec="seconds"),
            status="active",
        )
        if response.meta.get(READ_WITHOUT_RENDERING):
            item["read_without_rendering"] = response.meta[READ_WITHOUT_RENDERING]
        record = response.meta.get("evidence_record") or {}
        for key in ("raw_path", "raw_sha256", "warc_path", "fetched_at", "screenshot_path", "screenshot_sha256"):
            if record.get(key):
                item[key] = record[key]
        if response.status in REMOVED_STATUSES or not isinstance(response, TextResponse):
            item["status"] = "removed"
            yield item
            return
        detail = platform.detail
        if detail.source != "json":
            response = self.parsed_whole(response, platform)
        page = self.page_of(response, detail)
        if page is None:
            return
        title = page.text(detail.title, " ")
        shown = field_text(response.selector, "body") if detail.source == "html" else response.text
        if removal_notice(shown, title, detail.removed_markers):
            item["status"] = "removed"
            yield item
            return
        item["title"] = title or (field_text(response.selector, "title", " ") if detail.source == "html" else "")
        item["text"] = page.text(detail.text) if detail.text else main_text(response.selector, response.url)
        self.stats.inc_value(f"lantian/{platform.name}/details")
        if (detail.title and not title) or (detail.text and not item["text"]):
            self.stats.inc_value(f"lantian/{platform.name}/selector_misses")
        item["price"] = page.text(detail.price, " ")
        item["seller"] = page.text(detail.seller, " ")
        item["seller_url"] = next(iter(self.page_urls(response, page.values(detail.seller_url)[:1])), "")
        item["location"] = page.text(detail.location, " ")
        item["contacts"] = page.values(detail.contacts)
        item["image_urls"] = self.page_urls(response, page.values(detail.images))
        item["images"] = []
        self._count_invisible(platform.name, item)
        yield item
        if item["seller_url"] and platform.seller.follow and platform.seller.listing_links:
            yield self.page_request(
                platform, item["seller_url"], self.parse_seller, render="listing", priority=-5,
                meta={"page_number": 1}, source=platform.seller.source,
            )

    def _count_invisible(self, platform: str, item: ListingItem) -> None:
        """Count the invisible format characters of the listing's text fields (`lantian/<platform>/
        invisible_characters`): a bidi override or zero-width character is there to make a title, seller or URL
        read as something else; everything people read shows them (`core.visible`), the item keeps them."""
        hidden = sum(invisible_count(item.get(key) or "") for key in ("url", "title", "text", "seller", "location"))
        if hidden:
            self.stats.inc_value(f"lantian/{platform}/invisible_characters", hidden)
            self.logger.info("%d invisible format characters in %s", hidden, item["url"])

    def page_of(self, response: Response, reading: PageReading) -> PageFields | None:
        """The response's fields read as the platform's YAML says; None (counted and logged) when its data cannot
        be read: the page is written by the people we monitor, and one broken page must not stop the sweep."""
        platform = response.meta.get("platform", "?")
        if not isinstance(response, TextResponse):
            self.stats.inc_value(f"lantian/{platform}/unreadable_pages")
            self.logger.warning("Unreadable page %s: not text", response.url)
            return None
        try:
            fields = page_fields(response, reading.source, reading.embedded)
        except PageDataError as exc:
            self.stats.inc_value(f"lantian/{platform}/unreadable_pages")
            self.logger.warning("Unreadable page %s: %s", response.url, exc)
            return None
        if isinstance(fields, DataFields) and fields.cut:
            self.stats.inc_value(f"lantian/{platform}/data_nesting_cut", fields.cut)
            self.logger.warning("Read %s without %d part(s) of its data nested deeper than %d levels", response.url,
                                fields.cut, DATA_DEPTH)
        return fields

    def page_urls(self, response: Response, values: Iterable[str]) -> list[str]:
        """Links read from a page (`values`, relative or absolute) as absolute http(s) URLs, in order, each once. The
        page is written by the people we monitor: a value that is no web URL (`http://[::1`, a port out of range,
        `javascript:`, `data:`, `file:`) is counted (`lantian/<platform>/bad_urls`) and skipped, so it costs
        neither the listing nor the page it is on, and nothing but the web is fetched; links past the first
        LANTIAN_MAX_PAGE_LINKS are counted (`lantian/<platform>/links_over_limit`) and skipped (a page of 2 MB can
        hold 100,000, a real one a few dozen). Each kind of skipped link is logged once a page."""
        platform = response.meta.get("platform", "?")
        limit = self.crawler.settings.getint("LANTIAN_MAX_PAGE_LINKS")
        urls: dict[str, None] = {}
        bad: list[str] = []
        values = list(values)
        for read, value in enumerate(values):
            if len(urls) >= limit:
                over = len(values) - read
                self.stats.inc_value(f"lantian/{platform}/links_over_limit", over)
                self.logger.warning("Kept the first %d links of %s and skipped %d (LANTIAN_MAX_PAGE_LINKS)", limit,
                                    response.url, over)
                break
            try:
                url = response.urljoin(value.strip())
                parts = urlsplit(url)
                web = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
            except ValueError:
                web = False
            if web:
                urls[url] = None
            else:
                bad.append(value)
        if bad:
            self.stats.inc_value(f"lantian/{platform}/bad_urls", len(bad))
            self.logger.warning("Skipped %d link(s) on %s that are no http(s) URL: %s", len(bad), response.url,
                                ", ".join(repr(value[:200]) for value in bad[:3]) + (", …" if len(bad) > 3 else ""))
        return list(urls)

    def _canonical_of(self, response: Response, platform: PlatformConfig) -> str:
        """The final URL without tracking parameters; a same-site `<link rel=canonical>` wins."""
        declared = response.css('link[rel="canonical"]::attr(href)').get() if hasattr(response, "css") else None
        for absolute in self.page_urls(response, [declared] if declared else []):
            if on_domains(absolute, platform.domains()):
                return canonical_url(absolute, platform.strip_params)
        return canonical_url(response.url, platform.strip_params)

    def said_if_unrendered(self, response: Response, platform: PlatformConfig, links: list[str]) -> None:
        """A results, feed or seller page read without rendering (its rendering hung): how many cards the page as
        the server sent it held, counted (`lantian/<platform>/cards_read_without_rendering`) and logged."""
        if not response.meta.get(READ_WITHOUT_RENDERING):
            return
        self.stats.inc_value(f"lantian/{platform.name}/cards_read_without_rendering", len(links))
        self.logger.warning("%s read without rendering: %d card(s) in the page as the server sent it%s",
                            response.url, len(links), "" if links else " (its cards arrive by script)")

    def parse_seller(self, response: Response) -> Iterator[scrapy.Request]:
        """A seller's shop: more of the seller's listings (a repost of a flagged ad is often found here)."""
        platform = self.platform_of(response)
        page = self.page_of(response, platform.seller)
        if page is None:
            return
        links = self.page_urls(response, page.values(platform.seller.listing_links))
        self.said_if_unrendered(response, platform, links)
        for link in links:
            request = self.detail_request(platform, link, found_on=response.url)
            if request is not None:
                yield request
        page_number = response.meta.get("page_number", 1)
        if platform.seller.next_page and (self.max_pages is None or page_number < self.max_pages):
            for link in self.page_urls(response, page.values(platform.seller.next_page)[:1]):
                yield self.page_request(
                    platform, link, self.parse_seller, render="listing", priority=-5,
                    meta={"page_number": page_number + 1}, source=platform.seller.source,
                )

    def listing_links(self, response: Response, platform: PlatformConfig, page: PageFields) -> list[str]:
        listing = platform.listing
        if listing is None:
            return []
        links = []
        for card in page.cards(listing.card):
            links.extend(self.page_urls(response, card.values(listing.link)[:1]))
        return links
