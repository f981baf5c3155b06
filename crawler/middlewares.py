"""Downloader middlewares: politeness and faults (Retry-After, backoff), encodings, oversized and non-HTML pages,
and browser-context recycling for long rendered crawls."""
from __future__ import annotations

import asyncio
import codecs
import logging
from collections import deque
from collections.abc import Iterable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http.cookiejar import Cookie
from typing import Any

from charset_normalizer import from_bytes
from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.cookies import CookiesMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.extensions.throttle import AutoThrottle
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.http.cookies import CookieJar
from scrapy.statscollectors import StatsCollector
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.response import response_status_message
from tldextract import TLDExtract
from twisted.internet.error import DNSLookupError
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom

from crawler.addresses import OWN_URL, forbidden, host_and_port
from crawler.browser import DOCUMENT_LATENCY, INNER_INIT_CALLBACK, PageHung, time_document
from crawler.evidence.screenshot import SCREENSHOT_REQUEST
from crawler.resolver import PublicAnswerResolver

logger = logging.getLogger(__name__)

PAGE_META = "lantian_page"
"""Requests for pages the spiders parse carry `meta[PAGE_META] = True`; robots, sitemaps and images do not."""
PAGE_SOURCE = "lantian_page_source"
"""Request meta: how the page is read (`html`, `json`, `embedded`; `crawler.page_data`); a JSON page must be JSON."""
RETRY_AFTER_META = "lantian_retry_after_times"
"""How many times a request was answered with Retry-After and asked again (its budget apart from retry_times)."""


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Parse a Retry-After header: delta seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class PoliteRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, plus: 429/503 wait for Retry-After (and slow the whole slot down), 5xx and timeouts back
    off exponentially before the retry is scheduled.

    An answer with Retry-After is the server asking us to come back, not the page failing, so it is asked again up
    to LANTIAN_RETRY_AFTER_TIMES times without using up the RETRY_TIMES meant for faults: a busy rate-limited
    platform would otherwise lose listings whose retries happened to meet the limit three times."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler.settings)
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats = crawler.stats
        settings = crawler.settings
        self.backoff_base = settings.getfloat("LANTIAN_RETRY_BACKOFF_BASE")
        self.backoff_max = settings.getfloat("LANTIAN_RETRY_BACKOFF_MAX")
        self.retry_after_max = settings.getfloat("LANTIAN_RETRY_AFTER_MAX")
        self.retry_after_times = settings.getint("LANTIAN_RETRY_AFTER_TIMES")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PoliteRetryMiddleware:
        return cls(crawler)

    # Scrapy awaits a downloader middleware's methods that are coroutines; RetryMiddleware declares plain ones.
    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response, spider: Spider
    ) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        if wait is None:
            retry = self._retry(request, response_status_message(response.status), spider)
            if retry is None:
                return response
            await asyncio.sleep(self._backoff(request))
            return retry
        wait = min(wait, self.retry_after_max)
        self._slow_down_slot(request, wait)
        self.stats.inc_value("lantian/retry_after", spider=spider)
        retry = self._come_back_later(request, response, spider)
        if retry is None:
            return response
        await asyncio.sleep(wait)
        return retry

    def _come_back_later(self, request: Request, response: Response, spider: Spider) -> Request | None:
        """The retry of an answer with Retry-After, counted in its own budget (RETRY_AFTER_META), or None when
        that budget is used up."""
        waits = int(request.meta.get(RETRY_AFTER_META, 0))
        if waits >= self.retry_after_times:
            self.stats.inc_value("lantian/retry_after_gave_up", spider=spider)
            logger.error("Gave up on %s: asked to come back later %d times (last: %d)", request.url, waits + 1,
                         response.status, extra={"spider": spider})
            return None
        retry = get_retry_request(
            request, reason=response_status_message(response.status), spider=spider,
            max_retry_times=int(request.meta.get("retry_times", 0)) + 1,
            priority_adjust=request.meta.get("priority_adjust", self.priority_adjust),
        )
        assert retry is not None, "one more retry than the request has had is always allowed"
        retry.meta["retry_times"] = request.meta.get("retry_times", 0)
        retry.meta[RETRY_AFTER_META] = waits + 1
        return retry

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception, spider: Spider
    ) -> Request | None:
        if not isinstance(exception, self.exceptions_to_retry) or request.meta.get("dont_retry", False):
            return None
        retry = self._retry(request, exception, spider)
        if retry is not None:
            await asyncio.sleep(self._backoff(request))
        return retry

    def _backoff(self, request: Request) -> float:
        attempts = request.meta.get("retry_times", 0)
        return min(self.backoff_max, self.backoff_base * (2 ** attempts))

    def _slow_down_slot(self, request: Request, wait: float) -> None:
        """Later requests to the same platform wait too (the server asked the whole client to slow down)."""
        downloader = self.crawler.engine.downloader if self.crawler.engine else None
        if downloader is None:
            return
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        if slot is not None and slot.delay < wait:
            slot.delay = min(wait, self.retry_after_max)
            logger.info("Retry-After %.1fs from %s: slot %s delay raised", wait, request.url, key)


class InternalAddressGuard:
    """A platform's request (`meta["platform"]`: its pages, images, screenshots, and where they redirect) to an
    internal address other than the platform's own origin (`crawler.addresses`; or `meta[OWN_URL]`'s) is refused
    before anything is sent,
    robots.txt included (enable it before RobotsTxtMiddleware, 100), counted as `lantian/<platform>/internal_urls`
    and logged: a seller's image at http://169.254.169.254/… or at another port of this machine is not fetched."""

    def __init__(self, crawler: Crawler) -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> InternalAddressGuard:
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        name = request.meta.get("platform")
        platform = (getattr(self.crawler.spider, "platforms", None) or {}).get(name) if name else None
        if platform is None:
            return
        own = (*platform.own_urls(), *filter(None, [request.meta.get(OWN_URL)]))
        if forbidden(request.url, own):
            self.stats.inc_value(f"lantian/{name}/internal_urls")
            logger.warning("Refused %s: an internal address that is not %s's own", request.url[:300], name)
            raise IgnoreRequest(f"internal address {request.url[:300]}")


class InternalAnswerGuard:
    """A request whose host is a public name that DNS answered only with internal addresses it may not reach: the
    resolver dropped them (`crawler.resolver`), nothing was sent, and Twisted fails the request as a name without
    addresses. Here it is refused before the retries would look the name up three more times (enable it above
    the retry middleware, 550), counted as `lantian/<platform>/internal_urls` as `InternalAddressGuard` counts
    hosts internal as written, and logged with the addresses."""

    def __init__(self, crawler: Crawler) -> None:
        assert crawler.stats is not None
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> InternalAnswerGuard:
        return cls(crawler)

    def process_exception(self, request: Request, exception: Exception, spider: Spider | None = None) -> None:
        from twisted.internet import reactor

        resolver = getattr(reactor, "nameResolver", None)
        if not isinstance(exception, DNSLookupError) or not isinstance(resolver, PublicAnswerResolver):
            return
        addresses = resolver.refused(*host_and_port(request.url))
        if not addresses:
            return
        name = request.meta.get("platform")
        if name:
            self.stats.inc_value(f"lantian/{name}/internal_urls")
        logger.warning("Refused %s: its host resolved to the internal address %s, which is not %s's own",
                       request.url[:300], ", ".join(addresses), name or "a platform")
        raise IgnoreRequest(f"{request.url[:300]} resolved to the internal address {', '.join(addresses)}")


PUBLIC_SUFFIXES = TLDExtract(suffix_list_urls=(), include_psl_private_domains=True)
"""The public suffix list tldextract ships (pinned with it): Scrapy's cookie middleware downloads the list from
the internet at a crawl's first cookie (raw.githubusercontent.com, outside the crawl's guards, from the office's
network), and an office behind a firewall waited for that fetch to fail."""


class CookieBudget(CookiesMiddleware):
    """Scrapy's cookies, keeping what RFC 6265 §6.1 asks a client to keep at least: cookies of up to
    LANTIAN_COOKIE_MAX_BYTES (4,096, name and value) and LANTIAN_COOKIES_PER_DOMAIN (50) a domain. The sites we
    crawl set their own cookies (an agency's website too), and Scrapy kept every one and sent them all back: 100
    new cookies of 4 KB an answer made the 21st request to the site carry 10 MB of Cookie header, and the jar grew
    with every page. The rest are refused, counted (`lantian/cookies_refused`) and said. Public suffixes are read
    from the list tldextract ships, never fetched (`PUBLIC_SUFFIXES`)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler.settings.getbool("COOKIES_DEBUG"))
        assert crawler.stats is not None
        self.stats = crawler.stats
        self.max_bytes = crawler.settings.getint("LANTIAN_COOKIE_MAX_BYTES")
        self.per_domain = crawler.settings.getint("LANTIAN_COOKIES_PER_DOMAIN")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CookieBudget:
        if not crawler.settings.getbool("COOKIES_ENABLED"):
            raise NotConfigured("COOKIES_ENABLED is off")
        return cls(crawler)

    def _process_cookies(self, cookies: Iterable[Cookie], *, jar: CookieJar, request: Request) -> None:
        cookies = list(cookies)
        kept = [cookie for cookie in cookies if len(cookie.name) + len(cookie.value or "") <= self.max_bytes]
        refused = len(cookies) - len(kept)
        host = (urlparse_cached(request).hostname or "").lower()
        for cookie in kept:
            domain = cookie.domain.removeprefix(".")
            # As Scrapy's own: a cookie for a public suffix (.com.cn) is only its setter's host's.
            if domain and not PUBLIC_SUFFIXES(domain).domain:
                if domain != host:
                    refused += 1
                    continue
                cookie.domain = host
            jar.set_cookie_if_ok(cookie, request)
        held: dict[str, list[Cookie]] = {}
        for cookie in jar.jar:
            held.setdefault(cookie.domain, []).append(cookie)
        for cookie in (cookie for domain in held.values() for cookie in domain[self.per_domain:]):
            jar.jar.clear(cookie.domain, cookie.path, cookie.name)
            refused += 1
        if refused:
            self.stats.inc_value("lantian/cookies_refused", refused)
            host = urlparse_cached(request).hostname or ""
            logger.warning("Kept %d of %s's cookies and refused %d set by %s (at most %d bytes a cookie and %d a "
                           "domain: LANTIAN_COOKIE_MAX_BYTES, LANTIAN_COOKIES_PER_DOMAIN)",
                           min(self.per_domain, len(held.get(host, []))), host, refused, request.url[:300],
                           self.max_bytes, self.per_domain)


class EncodingMiddleware:
    """Pages that declare no charset (header, <meta>, BOM) are decoded by detection, so GBK/GB18030 pages without
    a declaration read correctly instead of falling back to cp1252; a page declared UTF-8 whose bytes are GB18030
    (a GBK page under a wrong header or <meta>, `mislabelled_gb18030`) is read as GB18030, counted and logged."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> EncodingMiddleware:
        assert crawler.stats is not None
        return cls(crawler.stats)

    def process_response(self, request: Request, response: Response, spider: Spider) -> Response:
        if not isinstance(response, TextResponse) or not response.body:
            return response
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        declared = http_content_type_encoding(content_type) or html_body_declared_encoding(response.body[:4096])
        if declared == "utf-8" and not read_bom(response.body)[0] and mislabelled_gb18030(response.body):
            self.stats.inc_value("lantian/encoding_mislabelled/gb18030", spider=spider)
            logger.warning("%s declares UTF-8 but its bytes are GB18030: read as GB18030", response.url)
            return response.replace(encoding="gb18030")
        if declared or read_bom(response.body)[0]:
            return response
        best = from_bytes(response.body[:65536]).best()
        if best is None or best.encoding in ("ascii", "utf_8"):
            return response
        encoding = "gb18030" if best.encoding in ("gb2312", "gbk", "gb18030", "hz") else best.encoding
        self.stats.inc_value(f"lantian/encoding_detected/{encoding}", spider=spider)
        return response.replace(encoding=encoding)


def mislabelled_gb18030(body: bytes) -> bool:
    """Whether `body`, declared UTF-8, is GB18030 text (GBK's superset): not UTF-8, more than one character in a
    hundred lost when read as UTF-8 (a UTF-8 page with a few broken bytes keeps its declaration and loses those),
    and GB18030 without an error (but for a character the end of the body cuts)."""
    try:
        body.decode("utf-8")
        return False
    except UnicodeDecodeError:
        pass
    text = body.decode("utf-8", "replace")
    if text.count("\ufffd") * 100 <= len(text):
        return False
    try:  # a page cut to size (ResponseGuardMiddleware) may end inside a character
        codecs.getincrementaldecoder("gb18030")().decode(body, final=False)
    except UnicodeDecodeError:
        return False
    return True


class ResponseGuardMiddleware:
    """Pages the spiders parse must be HTML, or JSON where the platform reads the page as JSON (others are skipped
    and counted), and are cut to a size the parser and the detector can handle, with a warning.

    A robots.txt (Scrapy's RobotsTxtMiddleware fetches it with `dont_obey_robotstxt`) is cut at the end of its
    last line within LANTIAN_ROBOTS_MAX_SIZE (500 KiB, what RFC 9309 §2.5 asks a crawler to read at least),
    counted (`lantian/robots_cut`) and said: the sites write their own, and Protego, in the crawl's only thread,
    took 12 s to parse 8 MB of rules and 0.3 s for every URL asked about after."""

    HTML_TYPES = ("text/html", "application/xhtml+xml")
    JSON_TYPES = ("application/json", "text/json")
    GENERIC_TYPES = ("application/octet-stream", "text/plain", "binary/octet-stream")

    def __init__(self, crawler: Crawler) -> None:
        assert crawler.stats is not None
        self.stats = crawler.stats
        self.cut_size = crawler.settings.getint("LANTIAN_PAGE_CUT_SIZE")
        self.robots_size = crawler.settings.getint("LANTIAN_ROBOTS_MAX_SIZE")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ResponseGuardMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response, spider: Spider) -> Response:
        if request.meta.get("dont_obey_robotstxt") and urlparse_cached(request).path == "/robots.txt":
            return self._cut_robots(response)
        if not request.meta.get(PAGE_META) or request.meta.get("playwright"):
            return response
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1").split(";")[0].strip().lower()
        # A declared type wins over the URL's extension (a ZIP served as /rules.html is no page); only a missing
        # or generic one leaves the decision to Scrapy's guess from the URL and the body.
        declared = content_type not in ("", *self.GENERIC_TYPES)
        if request.meta.get(PAGE_SOURCE) == "json":
            expected, wanted = "JSON", (content_type in self.JSON_TYPES or content_type.endswith("+json")
                                        if declared else isinstance(response, TextResponse))
        else:
            expected, wanted = "HTML", (content_type in self.HTML_TYPES if declared
                                        else isinstance(response, HtmlResponse))
        if response.status < 300 and not wanted:
            self.stats.inc_value(f"lantian/skipped/non_{expected.lower()}", spider=spider)
            logger.info("Skipped non-%s page %s (%s)", expected, response.url, content_type or "no content type")
            raise IgnoreRequest(f"non-{expected} response ({content_type}) for {response.url}")
        if len(response.body) > self.cut_size:
            self.stats.inc_value("lantian/cut/oversized", spider=spider)
            logger.warning(
                "Cut oversized page %s from %d to %d bytes", response.url, len(response.body), self.cut_size
            )
            return response.replace(body=response.body[: self.cut_size])
        return response

    def _cut_robots(self, response: Response) -> Response:
        if len(response.body) <= self.robots_size:
            return response
        kept = response.body[: response.body.rfind(b"\n", 0, self.robots_size) + 1]
        self.stats.inc_value("lantian/robots_cut")
        logger.warning("Read the first %d bytes of %s, to the end of a line, of its %d (LANTIAN_ROBOTS_MAX_SIZE)",
                       len(kept), response.url, len(response.body))
        return response.replace(body=kept)


class BrowserTabs:
    """The tabs of one browser context: idle ones to navigate again, and how many more may be opened (at most
    `capacity` at a time, so requests never wait on scrapy-playwright's per-context page limit while tabs idle)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.open = 0
        self.idle: list[Any] = []
        self.waiters: deque[asyncio.Future] = deque()

    async def acquire(self) -> Any | None:
        """An idle tab, or None when the request may open a new one; waits while all tabs are busy."""
        while True:
            while self.idle:
                page = self.idle.pop()
                if not page.is_closed():
                    return page
                self.open -= 1
            if self.open < self.capacity:
                self.open += 1
                return None
            waiter = asyncio.get_running_loop().create_future()
            self.waiters.append(waiter)
            await waiter

    def release(self, page: Any | None) -> None:
        """Give a tab back to reuse it, or None when the request's tab was closed (or never opened)."""
        if page is None:
            self.open -= 1
        else:
            self.idle.append(page)
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                break

    def discard(self, page: Any) -> bool:
        """Forget an idle tab (its renderer crashed); True if it was idle here."""
        if page not in self.idle:
            return False
        self.idle.remove(page)
        self.release(None)
        return True

    def drop_idle(self) -> None:
        """Forget every idle tab: their context is retired and closes them with itself."""
        idle, self.idle = self.idle, []
        for _ in idle:
            self.release(None)


SCREENSHOT_CONTEXTS = "/screenshots"
"""Added to a download slot's name to name the browser contexts of its evidence screenshot requests."""
CLOSE_TIMEOUT_S = 10.0
"""The longest the recycler waits for a tab or a context to close (a hung renderer may never answer)."""


class BrowserContextRecycler:
    """Rendered pages go to browser contexts that are retired after `LANTIAN_PAGES_PER_CONTEXT` pages, so
    Chromium's memory stays flat over thousands of pages; within a context, a tab whose page was read is kept and
    the next request of that context navigates it (`LANTIAN_REUSE_PAGES`, default on).

    Reusing tabs is what makes one Chromium fast on a small machine: every new tab costs Chromium a renderer
    process and the Playwright driver a round of set-up, about half of the CPU of a rendered page. A tab whose
    request failed, or whose renderer crashed, is closed rather than reused; one whose page hung
    (`crawler.browser.PageHung`) is counted too (`lantian/browser/pages_hung`).

    Requests with `meta["playwright"]` wait for a tab of their download slot (at most
    PLAYWRIGHT_MAX_PAGES_PER_CONTEXT open at a time): an idle one of the slot's current context, or leave to open a
    new one; then they get that context's name, `<slot>#<generation>`. The evidence screenshots of listings read
    without the browser (`SCREENSHOT_REQUEST`) have contexts of their own, `<slot>/screenshots#<generation>`, with at
    most LANTIAN_SCREENSHOT_TABS tabs: Chromium draws a couple of pages at a time on a small machine, and every
    further tab costs it ~50 ms of CPU to open (the whole job of `bench_crawl.py --only full` opened 36 for its 199
    lead screenshots; bench/README.md). A retired context's idle tabs are forgotten and the context is closed once
    its last page has answered.
    """

    def __init__(self, crawler: Crawler) -> None:
        assert crawler.stats is not None
        self.stats = crawler.stats
        self.pages_per_context = crawler.settings.getint("LANTIAN_PAGES_PER_CONTEXT")
        self.reuse_pages = crawler.settings.getbool("LANTIAN_REUSE_PAGES")
        self.tabs_per_context = (crawler.settings.getint("PLAYWRIGHT_MAX_PAGES_PER_CONTEXT")
                                 or crawler.settings.getint("CONCURRENT_REQUESTS"))
        self.screenshot_tabs = min(max(1, crawler.settings.getint("LANTIAN_SCREENSHOT_TABS")), self.tabs_per_context)
        self.generation: dict[str, int] = {}
        self.assigned: dict[str, int] = {}
        self.in_flight: dict[str, int] = {}
        self.contexts: dict[str, Any] = {}
        self.tabs: dict[str, BrowserTabs] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BrowserContextRecycler:
        return cls(crawler)

    async def process_request(self, request: Request, spider: Spider) -> None:
        if not request.meta.get("playwright"):
            return
        if "playwright_context" in request.meta and not request.meta.get("lantian_recycle"):
            return
        shots = bool(request.meta.get(SCREENSHOT_REQUEST))
        base = str(request.meta.get("download_slot") or "default") + (SCREENSHOT_CONTEXTS if shots else "")
        tabs = self.tabs.setdefault(base, BrowserTabs(self.screenshot_tabs if shots else self.tabs_per_context))
        page = await tabs.acquire()
        generation = self.generation.get(base, 0)
        name = f"{base}#{generation}"
        self.assigned[name] = self.assigned.get(name, 0) + 1
        if self.assigned[name] >= self.pages_per_context:
            self.generation[base] = generation + 1
            tabs.drop_idle()
        self.in_flight[name] = self.in_flight.get(name, 0) + 1
        request.meta["playwright_context"] = name
        request.meta["playwright_include_page"] = True
        request.meta["lantian_recycle"] = True
        request.meta["lantian_recycled_context"] = name
        if request.meta.get("playwright_page_init_callback") is not time_document:
            request.meta[INNER_INIT_CALLBACK] = request.meta.get("playwright_page_init_callback")
            request.meta["playwright_page_init_callback"] = time_document
        if page is not None:
            request.meta["playwright_page"] = page
            self.stats.inc_value("lantian/browser/pages_reused")

    async def process_response(self, request: Request, response: Response, spider: Spider) -> Response:
        page = request.meta.pop("playwright_page", None)
        name = request.meta.get("lantian_recycled_context", "")
        kept = None
        if page is not None:
            self.stats.inc_value("lantian/browser/pages_rendered")
            self.contexts[name] = page.context
            if self.reuse_pages and not self._retired(name) and not page.is_closed():
                kept = page
                self._watch(page)
            else:
                await self._close_quietly(page)
        await self._finish(request, kept)
        return response

    async def process_exception(self, request: Request, exception: Exception, spider: Spider) -> None:
        if isinstance(exception, PageHung):
            self.stats.inc_value("lantian/browser/pages_hung", spider=spider)
            logger.warning("Closed the tab of %s and retired its context: %s", request.url, exception)
            self._retire(request.meta.get("lantian_recycled_context", ""))
        page = request.meta.pop("playwright_page", None)
        if page is not None:
            await self._close_quietly(page)
        await self._finish(request, None)

    def _watch(self, page: Any) -> None:
        if getattr(page, "_lantian_watched", False):
            return
        page._lantian_watched = True
        page.once("crash", self._crashed)

    def _crashed(self, page: Any) -> None:
        """A crashed tab is never handed out again (its next navigation would fail)."""
        if any(tabs.discard(page) for tabs in self.tabs.values()):
            asyncio.ensure_future(self._close_quietly(page))

    def _retire(self, name: str) -> None:
        """Send the slot's next requests to a new context; this one closes once its last page has answered. A page
        that hung may share its renderer process with the other tabs of its context (Chromium shares them when it
        runs many), which its script then holds too, and only closing the context ends it (closing the tab does
        not: measured)."""
        base, _, generation = name.rpartition("#")
        if base and not self._retired(name):
            self.generation[base] = int(generation or 0) + 1
            if base in self.tabs:
                self.tabs[base].drop_idle()

    def _retired(self, name: str) -> bool:
        base, _, generation = name.rpartition("#")
        return int(generation or 0) < self.generation.get(base, 0)

    async def _finish(self, request: Request, kept: Any | None) -> None:
        name = request.meta.pop("lantian_recycled_context", None)
        if name is None:
            return
        base = name.rpartition("#")[0]
        if base in self.tabs:
            self.tabs[base].release(kept)
        self.in_flight[name] -= 1
        if self._retired(name) and self.in_flight[name] <= 0:
            self.in_flight.pop(name, None)
            self.assigned.pop(name, None)
            context = self.contexts.pop(name, None)
            if context is not None:
                await self._close_quietly(context)
                self.stats.inc_value("lantian/browser/contexts_recycled")

    @staticmethod
    async def _close_quietly(closable: Any) -> None:
        try:
            await asyncio.wait_for(closable.close(), CLOSE_TIMEOUT_S)
        except Exception as exc:  # the browser may have crashed, closed it already, or hang (TimeoutError)
            logger.debug("closing %r failed: %s", closable, exc)


class PlatformAutoThrottle(AutoThrottle):
    """Scrapy's AutoThrottle, but never below a platform's configured delay (stock AutoThrottle lowers every slot
    to the global DOWNLOAD_DELAY, which would undo the politeness set in the platform's YAML), and adapting to a
    rendered page's server time (its document's time to first byte) rather than to the seconds our browser spent
    rendering it, which throttled browser platforms by this machine's speed instead of the server's."""

    def _response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        if "playwright" in response.flags:
            # A rendered page's download latency is mostly our browser at work; the server's is its document's.
            latency = request.meta.get(DOCUMENT_LATENCY)
            if latency is None:
                return
            request = request.replace(meta={**request.meta, "download_latency": latency})
        super()._response_downloaded(response, request, spider)
        key, slot = self._get_slot(request, spider)
        if slot is None or key is None:
            return
        floor = float((self.crawler.settings.getdict("DOWNLOAD_SLOTS").get(key) or {}).get("delay", 0.0))
        if slot.delay < floor:
            slot.delay = floor
