"""Full-page PNG screenshots through scrapy-playwright, for evidence.

Every screenshot is taken by the crawl's own browser on a request that goes through Scrapy's engine: a rendered
listing page gets `screenshot_page_method()` added by the evidence middleware, and a flagged static listing is
asked for once more as a rendered request (`screenshot_request()`, sent by `ScreenshotPipeline`). Either way the
request has its platform's download slot (concurrency, delay, AutoThrottle), robots rule, retries and evidence
record, and the evidence middleware stores the PNG.
"""
from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy_playwright.page import PageMethod

from crawler.browser import STORED_IMAGES, render_detail, show_as_crawled

SCREENSHOT_METHOD = "screenshot"
SCREENSHOT_REQUEST = "lantian_screenshot"
"""Request meta: the request re-renders a flagged listing for its screenshot (it is not a page to parse)."""
WAIT_TIMEOUT_MS = 8000


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


def screenshot_request(url: str, *, wait_for: str = "body", stored_images: list[str] | None = None,
                       meta: dict[str, Any] | None = None) -> Request:
    """A rendered evidence request for `url`: the page is shown once `wait_for` is in the DOM and its images have
    loaded or failed (a resource that never finishes does not cost the evidence: the navigation waits for the
    document only), with `stored_images` answered from the files store; `meta` adds the platform's slot and robots
    rule. The evidence middleware adds the screenshot and records fetch and PNG."""
    return Request(url, dont_filter=True, meta={
        **(meta or {}),
        "evidence": True,
        "playwright": True,
        "playwright_page_methods": [PageMethod(render_detail, wait_for, WAIT_TIMEOUT_MS)],
        "playwright_page_goto_kwargs": {"wait_until": "domcontentloaded"},
        "playwright_page_init_callback": show_as_crawled,
        STORED_IMAGES: list(stored_images or ()),
        SCREENSHOT_REQUEST: True,
    })
