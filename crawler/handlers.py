"""Download handlers that keep a platform's delay between requests as the platform sees them: as they are sent.

Scrapy's download slot spaces requests by the time they leave the slot. A plain request is sent at once, but a
rendered one (a browser platform's page, the evidence screenshot of a flagged listing) is sent by Chromium only
once a tab is ready, which on a busy machine can take longer than the delay: the next request, leaving the slot on
time, would reach the platform first or right after. So every request also takes its turn on a per-slot clock just
before it is sent (a rendered one in `crawler.browser.time_document`, right before the tab navigates), and the
clock keeps the slot's current delay (the platform's YAML, raised by AutoThrottle or a Retry-After) between turns.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from contextlib import suppress
from functools import partial
from typing import Any

from playwright.async_api import Error as PlaywrightError
from scrapy import Request, Spider
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from scrapy_playwright.handler import BrowserContextWrapper, ScrapyPlaywrightDownloadHandler
from twisted.internet.defer import Deferred

from crawler.addresses import Origin, own_origins
from crawler.browser import WAIT_TURN, PageHung
from crawler.browser_proxy import DIRECT, ScreeningProxy

logger = logging.getLogger(__name__)


class SendClock:
    """Turns of each download slot: a request goes once the slot's delay has passed since the previous one went.
    Checking and taking a turn happen without an await between them, so two requests never share one; a request
    that wakes late only makes the gap after the previous one longer."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.next_turn: dict[str, float] = {}

    def delay_of(self, request: Request) -> tuple[str, float]:
        downloader = self.crawler.engine.downloader if self.crawler.engine else None
        if downloader is None:
            return "", 0.0
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        return key, slot.delay if slot is not None else 0.0

    async def wait_turn(self, request: Request) -> None:
        key, delay = self.delay_of(request)
        if delay <= 0:
            return
        while (wait := self.next_turn.get(key, 0.0) - time.monotonic()) > 0:
            await asyncio.sleep(wait)
        self.next_turn[key] = time.monotonic() + delay


class PoliteHttpHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler; a request of a slot with a delay waits for its turn on the send clock."""

    def __init__(self, settings: Any, crawler: Crawler) -> None:
        super().__init__(settings, crawler)
        self.clock = SendClock(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PoliteHttpHandler:
        return cls(crawler.settings, crawler)

    def download_request(self, request: Request, spider: Spider) -> Deferred[Response]:
        return send_in_turn(self.clock, partial(super().download_request, request, spider), request)


class PoliteBrowserHandler(ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright's handler: a rendered request waits for its turn right before its tab navigates, a plain
    one right before it is sent, and a rendered one ends by LANTIAN_RENDER_DEADLINE. Its browser is the process's
    one, shared with the other crawlers of the run (`PLAYWRIGHT_BROWSER_PROVIDER`, `crawler.shared_browser`):
    closing the handler closes its own contexts and leaves the browser to the last handler using it. Its contexts
    connect through its screening proxy (`crawler.browser_proxy`), where Chromium's host names are resolved."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.crawler = crawler
        self.clock = SendClock(crawler)
        self.deadline = crawler.settings.getfloat("LANTIAN_RENDER_DEADLINE")
        self.proxy = ScreeningProxy(self._refused)

    async def _close(self) -> None:
        with suppress(PlaywrightError):
            await asyncio.gather(*[wrapper.context.close() for wrapper in self.context_wrappers.values()])
        self.context_wrappers.clear()
        if getattr(self, "browser_provider", None):
            await self.browser_provider.close()
        await self.proxy.close()

    async def _create_browser_context(self, name: str, context_kwargs: dict[str, Any] | None,
                                      spider: Spider | None = None) -> BrowserContextWrapper:
        """Every context connects through the crawl's screening proxy (`crawler.browser_proxy`: a name that
        answers an internal address is not connected to) and runs no service worker (whose requests have no tab
        for `internal_request` to judge)."""
        if self.proxy.server is None:
            await self.proxy.start(self._own_origins())
        screened = {**(context_kwargs or {}), "proxy": {"server": self.proxy.url, "bypass": DIRECT},
                    "service_workers": "block"}
        return await super()._create_browser_context(name, screened, spider)

    def _own_origins(self) -> frozenset[Origin]:
        platforms = getattr(self.crawler.spider, "platforms", None) or {}
        return own_origins(url for platform in platforms.values() for url in platform.own_urls())

    def _refused(self, host: str, port: int, addresses: list[str]) -> None:
        assert self.stats is not None
        self.stats.inc_value("lantian/browser/internal_answers")
        logger.warning("Refused the browser's connection to %s:%d: the name resolved to the internal address %s, "
                       "which is no platform's own", host[:300], port, ", ".join(addresses))

    def download_request(self, request: Request, spider: Spider) -> Deferred[Response]:
        if request.meta.get("playwright"):
            request.meta[WAIT_TURN] = partial(self.clock.wait_turn, request)
            return deferred_from_coro(self._rendered(request, spider))
        return send_in_turn(self.clock, partial(super().download_request, request, spider), request)

    async def _rendered(self, request: Request, spider: Spider) -> Response:
        """A rendered request, or `PageHung` once it took longer than LANTIAN_RENDER_DEADLINE: scrapy-playwright
        reads the page's content without a bound after the page methods, and a page whose script stops yielding
        between the two held its tab, and the crawl, for ever."""
        rendering = maybe_deferred_to_future(super().download_request(request, spider))
        try:
            return await asyncio.wait_for(rendering, self.deadline)
        except TimeoutError:
            raise PageHung(f"{request.url} was not rendered within {self.deadline:g} s (LANTIAN_RENDER_DEADLINE)") \
                from None


def send_in_turn(clock: SendClock, send: Callable[[], Deferred[Response]], request: Request) -> Deferred[Response]:
    if clock.delay_of(request)[1] <= 0:
        return send()

    async def in_turn() -> Response:
        await clock.wait_turn(request)
        return await maybe_deferred_to_future(send())

    return deferred_from_coro(in_turn())

