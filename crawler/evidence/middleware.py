"""Scrapy downloader middleware that records detail-page fetches as evidence.

Enable it below Scrapy's RedirectMiddleware (600) and HttpCompressionMiddleware (590), e.g. at 580, so it sees
the final response of a redirect chain, already decompressed. Only requests with `meta["evidence"] = True` are
recorded (every status, so a 404 of a removed listing is evidence too); their response gets
`meta["evidence_record"]`. For evidence requests rendered by scrapy-playwright (`meta["playwright"]`), the
middleware appends a full-page screenshot PageMethod and stores its PNG (`screenshot_path`, `screenshot_sha256`
in the record; a page cut at `MAX_CAPTURE_HEIGHT` or `MAX_CAPTURE_WIDTH` is logged and counted as
`evidence/screenshots_cut`; a screenshot of a document cut at LANTIAN_PAGE_CUT_SIZE, `crawler.browser.DOCUMENT_CUT`,
says so in its line and counts as `evidence/documents_cut`; a capture Chromium refused leaves `screenshot_error` in
the record instead, one that did not finish within EVIDENCE_SCREENSHOT_TIMEOUT seconds is counted as
`evidence/screenshot_timeouts` too). When
the spider closes it signs a checkpoint of the log's head (`crawler.evidence.anchor`).
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from crawler.browser import DOCUMENT_CUT_RECORD
from crawler.evidence.anchor import sign_at_end
from crawler.evidence.archive import EvidenceArchive
from crawler.evidence.log import EvidenceLogError, utc_now
from crawler.evidence.screenshot import (
    MAX_CAPTURE_HEIGHT,
    MAX_CAPTURE_WIDTH,
    ensure_screenshot_method,
    screenshot_from_meta,
)
from crawler.evidence.warc import Exchange

logger = logging.getLogger(__name__)


def _header_pairs(headers: Any) -> list[tuple[str, str]]:
    pairs = []
    for name, values in headers.items():
        for value in values:
            pairs.append((name.decode("latin-1"), value.decode("latin-1")))
    return pairs


def exchange_from(request: Request, response: Response, fetched_at: str) -> Exchange:
    """The WARC view of a Scrapy request/response pair."""
    protocol = response.protocol or ""
    return Exchange(
        final_url=response.url,
        status=response.status,
        body=response.body,
        fetched_at=fetched_at,
        method=request.method,
        request_headers=_header_pairs(request.headers),
        request_body=request.body,
        response_headers=_header_pairs(response.headers),
        protocol=protocol if protocol.startswith("HTTP/") else "HTTP/1.1",
    )


class EvidenceMiddleware:
    """Writes raw body, WARC records and log lines for each evidence request; settings:

    EVIDENCE_ENABLED, EVIDENCE_DIR, EVIDENCE_WARC_MAX_BYTES, EVIDENCE_BROWSER_SCREENSHOTS (screenshot
    scrapy-playwright evidence pages), EVIDENCE_SCREENSHOT_TIMEOUT; their defaults are in crawler/settings.py.
    """

    def __init__(self, archive: EvidenceArchive, crawler: Crawler) -> None:
        self.archive = archive
        assert crawler.stats is not None
        self.stats = crawler.stats
        self.browser_screenshots = crawler.settings.getbool("EVIDENCE_BROWSER_SCREENSHOTS")
        self.screenshot_timeout = crawler.settings.getfloat("EVIDENCE_SCREENSHOT_TIMEOUT")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> EvidenceMiddleware:
        settings = crawler.settings
        if not settings.getbool("EVIDENCE_ENABLED"):
            raise NotConfigured("EVIDENCE_ENABLED is off")
        archive = EvidenceArchive(Path(settings["EVIDENCE_DIR"]),
                                  warc_max_bytes=settings.getint("EVIDENCE_WARC_MAX_BYTES"))
        for path in archive.seal_orphans():
            logger.warning("Sealed WARC file left open by an earlier crawl: %s", path)
        middleware = cls(archive, crawler)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def process_request(self, request: Request, spider: Any = None) -> None:
        if self.browser_screenshots and request.meta.get("evidence") and request.meta.get("playwright"):
            ensure_screenshot_method(request.meta, self.screenshot_timeout)

    async def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        if not request.meta.get("evidence"):
            return response
        exchange = exchange_from(request, response, utc_now())
        redirects = request.meta.get("redirect_urls") or [request.url]
        try:
            record = await maybe_deferred_to_future(
                deferToThread(self.archive.record_fetch, exchange, redirects[0])
            )
            page_shot = screenshot_from_meta(request.meta)
            if page_shot is not None and page_shot.png is None:
                logger.warning("No screenshot of %s: %s", response.url, page_shot.error)
                record["screenshot_error"] = page_shot.error
                if page_shot.timed_out:
                    self.stats.inc_value("evidence/screenshot_timeouts")
            elif page_shot is not None and page_shot.png is not None:
                document_cut = request.meta.get(DOCUMENT_CUT_RECORD) or {}
                if document_cut:
                    document_cut = {**document_cut, "document_cut_why": "the page as the crawler read it: Chromium "
                                    "lays out a larger one for longer than a screenshot may take"}
                    self.stats.inc_value("evidence/documents_cut")
                shot = await maybe_deferred_to_future(deferToThread(
                    self.archive.record_screenshot, response.url, page_shot.png, "scrapy-playwright",
                    cut={**page_shot.cut(), **document_cut},
                ))
                record.update(shot.as_item_fields())
                self.stats.inc_value("evidence/screenshots")
                if page_shot.page_height is not None:
                    logger.warning("Screenshot of %s cut to the top %d px of the page's %d (MAX_CAPTURE_HEIGHT)",
                                   response.url, MAX_CAPTURE_HEIGHT, page_shot.page_height)
                if page_shot.page_width is not None:
                    logger.warning("Screenshot of %s cut to the left %d px of the page's %d (MAX_CAPTURE_WIDTH)",
                                   response.url, MAX_CAPTURE_WIDTH, page_shot.page_width)
                if page_shot.cut():
                    self.stats.inc_value("evidence/screenshots_cut")
        except (OSError, ValueError, EvidenceLogError) as exc:
            logger.error("Evidence for %s not stored: %s", response.url, exc)
            self.stats.inc_value("evidence/errors")
            return response
        request.meta["evidence_record"] = record  # response.meta is this request's meta
        self.stats.inc_value("evidence/fetches")
        return response

    def spider_closed(self) -> None:
        """Seal the open WARC, then sign a checkpoint of the log's head (the end of every crawl is anchored)."""
        self.archive.close()
        if not sign_at_end(self.archive.log):
            self.stats.inc_value("evidence/checkpoint_failed")
