"""Item pipeline that screenshots every listing the detector flagged, and every listing captured by hand, that has
no screenshot yet.

Put it after the detector pipeline. Static pages are re-rendered in Debian's Chromium (one browser per crawl,
async Playwright, so the crawl must run on Scrapy's asyncio reactor, its default). A page that cannot be rendered
is counted (`evidence/screenshot_failed`) and the item goes on without a screenshot.
"""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.reactor import is_asyncio_reactor_installed
from twisted.internet.defer import Deferred

from crawler.evidence.archive import EvidenceArchive, default_root
from crawler.evidence.log import EvidenceLogError
from crawler.evidence.screenshot import PageRenderer, ScreenshotError

logger = logging.getLogger(__name__)


class ScreenshotPipeline:
    """Settings: EVIDENCE_DIR, EVIDENCE_SCREENSHOTS (default True), EVIDENCE_SCREENSHOT_TIMEOUT (seconds, 30),
    EVIDENCE_SCREENSHOT_CONCURRENCY (2), PLAYWRIGHT_LAUNCH_OPTIONS (default `lantian.browser.launch_options()`).
    """

    def __init__(self, archive: EvidenceArchive, renderer: PageRenderer, crawler: Crawler) -> None:
        self.archive = archive
        self.renderer = renderer
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ScreenshotPipeline:
        settings = crawler.settings
        if not settings.getbool("EVIDENCE_SCREENSHOTS", True):
            raise NotConfigured("EVIDENCE_SCREENSHOTS is off")
        root = settings.get("EVIDENCE_DIR")
        renderer = PageRenderer(
            options=settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS") or None,
            timeout_ms=int(settings.getfloat("EVIDENCE_SCREENSHOT_TIMEOUT", 30) * 1000),
            concurrency=settings.getint("EVIDENCE_SCREENSHOT_CONCURRENCY", 2),
        )
        return cls(EvidenceArchive(Path(root) if root else default_root()), renderer, crawler)

    def open_spider(self, spider: Any = None) -> None:
        if not is_asyncio_reactor_installed():
            raise RuntimeError(
                "ScreenshotPipeline needs Scrapy's asyncio reactor: set TWISTED_REACTOR = "
                '"twisted.internet.asyncioreactor.AsyncioSelectorReactor"'
            )

    def close_spider(self, spider: Any = None) -> Deferred[None]:
        return deferred_from_coro(self.renderer.close())

    async def process_item(self, item: Any, spider: Any = None) -> Any:
        adapter = ItemAdapter(item)
        if not (adapter.get("labels") or adapter.get("capture")) or adapter.get("screenshot_sha256"):
            return item
        url = adapter.get("url")
        if not url:
            return item
        try:
            png = await self.renderer.screenshot(url)
            shot = await asyncio.to_thread(self.archive.record_screenshot, url, png, "lantian-renderer")
        except (ScreenshotError, OSError, ValueError, EvidenceLogError) as exc:
            logger.warning("No screenshot for flagged listing %s: %s", url, exc)
            self.stats.inc_value("evidence/screenshot_failed")
            return item
        for name, value in shot.as_item_fields().items():
            adapter[name] = value
        self.stats.inc_value("evidence/screenshots")
        return item
