"""Full-page PNG screenshots through scrapy-playwright, for evidence.

Every screenshot is taken by the crawl's own browser on a request that goes through Scrapy's engine: a rendered
listing page gets `screenshot_page_method()` added by the evidence middleware, and a flagged static listing is
asked for once more as a rendered request (`screenshot_request()`, sent by `ScreenshotPipeline`). Either way the
request has its platform's download slot (concurrency, delay, AutoThrottle), robots rule, retries and evidence
record, and the evidence middleware stores the PNG.

The PNG is taken by `full_page_png`: the same pixels as Playwright's `page.screenshot(full_page=True)` at about two
thirds of Chromium's CPU (`bench/bench_crawl.py` showed lead screenshots as the largest cost of the whole job).
"""
from __future__ import annotations

import base64
import math
from typing import Any

from playwright.async_api import Page
from scrapy import Request
from scrapy_playwright.page import PageMethod

from crawler.browser import STORED_IMAGES, render_detail, show_as_crawled

SCREENSHOT_METHOD = "screenshot"
"""Playwright's own screenshot method: a spider's page method by this name counts as the page's screenshot."""
SCREENSHOT_REQUEST = "lantian_screenshot"
"""Request meta: the request re-renders a flagged listing for its screenshot (it is not a page to parse)."""
WAIT_TIMEOUT_MS = 8000


async def full_page_png(page: Page) -> bytes:
    """The whole page, beyond the viewport, as a lossless PNG: one Chromium capture of the page's content size.

    Playwright's `screenshot(full_page=True)` resizes the viewport to the page and back around its capture and has
    the PNG compressed hard; here Chromium captures beyond the viewport in place and encodes for speed
    (`optimizeForSpeed`): the same pixels in a larger file (about a third larger), for about two thirds of the
    CPU (120 against 175 ms, 86 ms encoded for speed, on a listing page of 1280×1252 on the 2-core machine)."""
    session = await page.context.new_cdp_session(page)
    try:
        size = (await session.send("Page.getLayoutMetrics"))["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": math.ceil(size["width"]), "height": math.ceil(size["height"]), "scale": 1}
        shot = await session.send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True, "optimizeForSpeed": True, "clip": clip})
    finally:
        await session.detach()
    return base64.b64decode(shot["data"])


def screenshot_page_method() -> PageMethod:
    """The PageMethod to add to `meta["playwright_page_methods"]` so the evidence middleware stores a screenshot."""
    return PageMethod(full_page_png)


def takes_screenshot(method: Any) -> bool:
    """Whether a page method is the page's screenshot: the evidence one, or Playwright's own."""
    name = getattr(method, "method", None)
    return name is full_page_png or name == SCREENSHOT_METHOD


def ensure_screenshot_method(meta: dict[str, Any]) -> None:
    """Add `screenshot_page_method()` to a Playwright request's page methods unless it already takes a screenshot.

    It goes last, so the screenshot shows the page after the spider's own page methods (scrolling, waiting) ran.
    """
    methods = meta.get("playwright_page_methods") or []
    values = methods.values() if isinstance(methods, dict) else methods
    if any(takes_screenshot(method) for method in values):
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
        if takes_screenshot(method) and isinstance(method.result, bytes):
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
