"""Full-page PNG screenshots through Debian's Chromium, for evidence.

Two ways in: a browser-rendered crawl asks scrapy-playwright to take the screenshot on its own page
(`screenshot_page_method()`, stored by the evidence middleware), and `PageRenderer` renders a URL afresh (used by
`ScreenshotPipeline` for flagged static pages). The renderer keeps one browser for the crawl, gives every
screenshot a fresh context (no cookies or storage carried from one piece of evidence to the next) and relaunches
the browser once if it has crashed.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from playwright.async_api import Browser, Error as PlaywrightError, Playwright, async_playwright
from playwright.async_api import TimeoutError as PlaywrightTimeoutError
from scrapy_playwright.page import PageMethod

from lantian.browser import launch_options

logger = logging.getLogger(__name__)

SCREENSHOT_METHOD = "screenshot"


def screenshot_page_method() -> PageMethod:
    """The PageMethod to add to `meta["playwright_page_methods"]` so the evidence middleware stores a screenshot."""
    return PageMethod(SCREENSHOT_METHOD, full_page=True, type="png")


def ensure_screenshot_method(meta: dict[str, Any]) -> None:
    """Add `screenshot_page_method()` to a Playwright request's page methods unless it already takes a screenshot.

    It goes last, so the screenshot shows the page after the spider's own page methods (scrolling, waiting) ran.
    """
    methods = meta.get("playwright_page_methods") or []
    values = methods.values() if isinstance(methods, dict) else methods
    if any(getattr(method, "method", None) == SCREENSHOT_METHOD for method in values):
        return
    if isinstance(methods, dict):
        meta["playwright_page_methods"] = {**methods, "lantian_evidence_screenshot": screenshot_page_method()}
    else:
        meta["playwright_page_methods"] = [*methods, screenshot_page_method()]


def screenshot_from_meta(meta: dict[str, Any]) -> bytes | None:
    """The PNG bytes a screenshot PageMethod produced for this request, if any."""
    methods = meta.get("playwright_page_methods") or ()
    if isinstance(methods, dict):
        methods = methods.values()
    for method in methods:
        if getattr(method, "method", None) == SCREENSHOT_METHOD and isinstance(method.result, bytes):
            return method.result
    return None


class ScreenshotError(RuntimeError):
    """A page could not be rendered or captured."""


class PageRenderer:
    """Renders URLs to full-page PNGs with one shared Chromium (async Playwright; asyncio event loop)."""

    def __init__(
        self,
        options: dict[str, Any] | None = None,
        timeout_ms: int = 30_000,
        viewport: tuple[int, int] = (1280, 800),
        concurrency: int = 2,
    ) -> None:
        self.options = options
        self.timeout_ms = timeout_ms
        self.viewport = {"width": viewport[0], "height": viewport[1]}
        self._semaphore = asyncio.Semaphore(concurrency)
        self._launch_lock = asyncio.Lock()
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self.launches = 0

    async def screenshot(self, url: str) -> bytes:
        """Load `url` in a fresh context and return a full-page PNG; retries once on a new browser after a crash."""
        async with self._semaphore:
            for attempt in (1, 2):
                browser = await self._running_browser()
                try:
                    return await self._capture(browser, url)
                except PlaywrightError as exc:
                    if attempt == 1 and not browser.is_connected():
                        logger.warning("Chromium died while rendering %s; relaunching it", url)
                        continue
                    raise ScreenshotError(f"could not screenshot {url}: {exc.message.splitlines()[0]}") from exc
        raise ScreenshotError(f"could not screenshot {url}: browser crashed twice")

    async def close(self) -> None:
        browser, playwright = self._browser, self._playwright
        self._browser = self._playwright = None
        if browser is not None:
            try:
                await browser.close()
            except PlaywrightError:
                pass
        if playwright is not None:
            await playwright.stop()

    async def _capture(self, browser: Browser, url: str) -> bytes:
        context = await browser.new_context(viewport=self.viewport, locale="zh-CN")
        try:
            page = await context.new_page()
            try:
                await page.goto(url, wait_until="load", timeout=self.timeout_ms)
            except PlaywrightTimeoutError:
                # A resource that never finishes loading must not cost the evidence: capture what is shown,
                # provided the document itself arrived.
                if page.url in ("", "about:blank"):
                    raise
                logger.info("%s did not finish loading; screenshotting what is shown", url)
            return await page.screenshot(full_page=True, type="png", timeout=self.timeout_ms)
        finally:
            if browser.is_connected():
                try:
                    await context.close()
                except PlaywrightError:
                    pass

    async def _running_browser(self) -> Browser:
        async with self._launch_lock:
            if self._browser is not None and self._browser.is_connected():
                return self._browser
            if self._playwright is None:
                self._playwright = await async_playwright().start()
            try:
                self._browser = await self._playwright.chromium.launch(**(self.options or launch_options()))
            except PlaywrightError as exc:
                raise ScreenshotError(f"could not launch Chromium: {exc.message.splitlines()[0]}") from exc
            self.launches += 1
            return self._browser
