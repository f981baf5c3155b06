"""One Chromium per crawl process, shared by every crawler of the run.

`lantian crawl` runs the sweep and site spiders side by side in one process, each with its own download handler;
scrapy-playwright's default provider starts a Playwright driver and a Chromium per handler, so a run paid for two
browsers (start-up, a browser process and its GPU and network processes) to render the same kind of pages. The
provider here (`PLAYWRIGHT_BROWSER_PROVIDER`) hands every handler of the process the same driver and browser; each
crawler still has its own contexts in it (cookies, tabs and recycling per platform slot). The browser is closed
when the last handler using it closes, and launched again when it died (a crashed Chromium is restarted, as
scrapy-playwright does with its own).
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any, ClassVar

from playwright.async_api import Browser, BrowserContext, Playwright, async_playwright
from playwright.async_api import Error as PlaywrightError
from scrapy.exceptions import NotSupported

if TYPE_CHECKING:
    from scrapy_playwright.handler import Config

logger = logging.getLogger(__name__)


class SharedBrowser:
    """A Playwright driver and the browser it launched, for every handler whose settings launch the same one."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.users = 0
        self.lock = asyncio.Lock()
        self.playwright: Playwright | None = None
        self.browser: Browser | None = None

    async def start(self) -> None:
        async with self.lock:
            self.users += 1
            if self.playwright is None:
                self.playwright = await async_playwright().start()

    async def connected(self) -> Browser:
        """The browser, launched (or connected to) on first use and again once it has disconnected."""
        async with self.lock:
            if self.browser is None or not self.browser.is_connected():
                self.browser = await self._launch()
            return self.browser

    async def _launch(self) -> Browser:
        assert self.playwright is not None, "start() first"
        browser_type = getattr(self.playwright, self.config.browser_type_name)
        if self.config.cdp_url:
            return await browser_type.connect_over_cdp(self.config.cdp_url, **self.config.cdp_kwargs)
        if self.config.connect_url:
            return await browser_type.connect(self.config.connect_url, **self.config.connect_kwargs)
        logger.info("Launching browser %s, shared by the crawlers of this process", browser_type.name)
        browser: Browser = await browser_type.launch(**self.config.launch_options)
        return browser

    async def release(self) -> bool:
        """One handler is done with it; the last one closes browser and driver. True when they were closed."""
        async with self.lock:
            self.users -= 1
            if self.users > 0:
                return False
            browser, playwright = self.browser, self.playwright
            self.browser, self.playwright = None, None
        if browser is not None:
            try:
                await browser.close()
            except PlaywrightError as exc:  # it crashed or was closed already
                logger.debug("closing the shared browser: %s", exc)
        if playwright is not None:
            await playwright.stop()
        return True


class SharedBrowserProvider:
    """scrapy-playwright's browser provider: the process's shared browser for these launch settings.

    Its handler must not close the browser itself: `crawler.handlers.PoliteBrowserHandler`, which uses it, leaves
    that to `close()` here."""

    shared: ClassVar[dict[str, SharedBrowser]] = {}

    def __init__(self, config: Config) -> None:
        self.config = config
        self.key = json.dumps([config.browser_type_name, config.launch_options, config.cdp_url, config.connect_url],
                              sort_keys=True, default=str)
        self.started = False

    @property
    def browser(self) -> SharedBrowser:
        if self.key not in self.shared:
            self.shared[self.key] = SharedBrowser(self.config)
        return self.shared[self.key]

    async def start(self) -> None:
        await self.browser.start()
        self.started = True

    async def launch_browser(self) -> Browser:
        return await self.browser.connected()

    async def launch_persistent_context(self, context_kwargs: dict[str, Any]) -> BrowserContext:
        raise NotSupported("lantian's crawlers share one browser and use no persistent context")

    async def close(self) -> None:
        if not self.started:
            return
        self.started = False
        if await self.browser.release():
            self.shared.pop(self.key, None)
