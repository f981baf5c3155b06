"""Item pipeline that screenshots every listing the detector flagged, and every listing captured by hand, that has
no screenshot yet.

Put it after the detector pipeline. The flagged listing's page is asked for once more as a scrapy-playwright
request through the engine (`crawler.evidence.screenshot.screenshot_request`, or the spider's own
`screenshot_request(item)` when it has one, which adds the platform's slot and robots rule): it waits for a free
slot of its platform like any other request, is retried like any other, is rendered in the crawl's browser and is
recorded by the evidence middleware, which stores the PNG. A page that cannot be fetched or rendered is counted
(`evidence/screenshot_failed`) and the item goes on without a screenshot.

That visit is the browser's own, and a seller can show it another page than the crawler read: right after the
capture the tab says which passages of the detector's evidence its page shows (`crawler.evidence.shown`), and the
item records it (`screenshot_shows`); a screenshot that does not show them all is logged and counted
(`evidence/screenshots_missing_evidence`). The raw page and its WARC record stay the listing's evidence.

The crawl's download handler must be scrapy-playwright's, or derived from it (`lantian crawl` installs
`crawler.handlers.PoliteBrowserHandler` when this pipeline is on).
"""
from __future__ import annotations

import logging
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.settings import BaseSettings
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.misc import load_object
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler
from scrapy_playwright.page import PageMethod

from crawler.evidence.screenshot import ensure_screenshot_method, screenshot_request
from crawler.evidence.shown import passages, passages_shown, screenshot_shows

logger = logging.getLogger(__name__)

PLAYWRIGHT_HANDLER = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"


def screenshots_enabled(settings: BaseSettings) -> bool:
    """Whether a crawl with these settings screenshots flagged listings (so it needs the browser handler)."""
    if not settings.getbool("EVIDENCE_SCREENSHOTS"):
        return False
    pipelines = settings.getwithbase("ITEM_PIPELINES")
    return any(order is not None and isinstance(path, (str, type)) and load_object(path) is ScreenshotPipeline
               for path, order in pipelines.items())


class ScreenshotPipeline:
    """Settings: EVIDENCE_SCREENSHOTS (default in crawler/settings.py)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        assert crawler.stats is not None
        self.stats = crawler.stats
        self.browser_screenshots = crawler.settings.getbool("EVIDENCE_BROWSER_SCREENSHOTS")
        self.screenshot_timeout = crawler.settings.getfloat("EVIDENCE_SCREENSHOT_TIMEOUT")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ScreenshotPipeline:
        if not crawler.settings.getbool("EVIDENCE_SCREENSHOTS"):
            raise NotConfigured("EVIDENCE_SCREENSHOTS is off")
        return cls(crawler)

    def open_spider(self, spider: Any = None) -> None:
        handlers = self.crawler.settings.getwithbase("DOWNLOAD_HANDLERS")
        if not all(handlers.get(scheme) and issubclass(load_object(handlers[scheme]), ScrapyPlaywrightDownloadHandler)
                   for scheme in ("http", "https")):
            raise RuntimeError(
                f"ScreenshotPipeline needs scrapy-playwright's download handler: set DOWNLOAD_HANDLERS = "
                f'{{"http": "{PLAYWRIGHT_HANDLER}", "https": "{PLAYWRIGHT_HANDLER}"}}'
            )

    async def process_item(self, item: Any, spider: Any = None) -> Any:
        adapter = ItemAdapter(item)
        url = adapter.get("url")
        if not (adapter.get("labels") or adapter.get("capture")) or adapter.get("screenshot_sha256") or not url:
            return item
        if adapter.get("read_without_rendering"):
            return self._failed(item, url, "its page hung in the browser when it was rendered, and would again")
        build = getattr(spider, "screenshot_request", None)
        request = build(item) if build is not None else screenshot_request(url)
        spans = getattr(adapter.get("detection"), "evidence", None) or []
        wanted = passages(spans) if self.browser_screenshots else []
        check = PageMethod(passages_shown, wanted)
        if wanted:  # the screenshot first, then what it shows
            ensure_screenshot_method(request.meta, self.screenshot_timeout)
            methods = request.meta["playwright_page_methods"]
            request.meta["playwright_page_methods"] = (
                {**methods, "lantian_screenshot_shows": check} if isinstance(methods, dict) else [*methods, check])
        try:
            assert self.crawler.engine is not None
            response = await maybe_deferred_to_future(self.crawler.engine.download(request))
        except IgnoreRequest as exc:
            return self._failed(item, url, f"not fetched ({exc or 'ignored'})")
        except Exception as exc:  # any download failure (connection, browser, timeout) costs the screenshot only
            first_line = str(exc).splitlines()[0] if str(exc) else ""
            return self._failed(item, url, f"{type(exc).__name__}: {first_line}")
        record = response.meta.get("evidence_record") or {}
        if not record.get("screenshot_sha256"):
            return self._failed(item, url, record.get("screenshot_error") or
                                f"HTTP {response.status}, no screenshot recorded")
        for name in ("screenshot_path", "screenshot_sha256"):
            adapter[name] = record[name]
        if isinstance(check.result, list):
            self._record_shown(item, url, wanted, check.result)
        return item

    def _record_shown(self, item: Any, url: str, wanted: list[str], shown: list[bool]) -> None:
        shows = screenshot_shows(wanted, shown)
        ItemAdapter(item)["screenshot_shows"] = shows
        if shows["missing"]:
            self.stats.inc_value("evidence/screenshots_missing_evidence")
            logger.warning("The screenshot of %s shows %d of the %d passage(s) the detector quoted from the page as "
                           "fetched; not shown: %s. The page may have changed for the browser: its raw page and "
                           "WARC record are the evidence", url, shows["shown"], shows["passages"],
                           "; ".join(repr(text[:80]) for text in shows["missing"][:5]))

    def _failed(self, item: Any, url: str, reason: str) -> Any:
        logger.warning("No screenshot for flagged listing %s: %s", url, reason)
        self.stats.inc_value("evidence/screenshot_failed")
        return item
