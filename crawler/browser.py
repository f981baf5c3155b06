"""Page methods for rendered platforms (run by scrapy-playwright inside Chromium before the HTML is read).

Feeds load their cards by XHR after the shell arrives and load more on scroll or on a "load more" button, so a
listing page is read only once the cards stopped growing; a missing selector is not an error (an empty search or a
removed note renders no cards), it just ends the wait.
"""
from __future__ import annotations

import logging

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page, Route
from playwright.async_api import Request as BrowserRequest
from playwright.async_api import Response as BrowserResponse
from scrapy import Request
from scrapy.utils.misc import load_object

from crawler.platforms import split_selector

logger = logging.getLogger(__name__)


BLOCKED_ON_LISTING_PAGES = frozenset({"image", "media", "font"})
ROUTE_PATTERN = "**"
"""scrapy-playwright routes every request of a tab through this pattern and unroutes it before reusing the tab."""


async def block_heavy_resources(page: Page, request: Request) -> None:
    """Result and feed pages only need their cards' links: their images, media and fonts are not fetched (listing
    pages keep theirs, for the screenshot and OCR).

    Registered for the same URL pattern as scrapy-playwright's own route, so that its `unroute` takes it off again
    when the tab is reused for a listing page; every request not blocked falls back to scrapy-playwright's route,
    which sends the crawler's headers (User-Agent)."""

    async def route(route: Route) -> None:
        if route.request.resource_type in BLOCKED_ON_LISTING_PAGES:
            await route.abort()
        else:
            await route.fallback()

    await page.route(ROUTE_PATTERN, route)


DOCUMENT_LATENCY = "lantian_document_latency"
"""Request meta: seconds from sending a rendered page's document request to its first response byte."""
INNER_INIT_CALLBACK = "lantian_page_init_callback"
"""Request meta: the request's own page init callback, run by `time_document` after it set up the timing."""


async def time_document(page: Page, request: Request) -> None:
    """Page init callback of every rendered request: records the server's time to first byte of the page's
    document in `meta[DOCUMENT_LATENCY]`, then runs the request's own init callback (`meta[INNER_INIT_CALLBACK]`).

    A rendered request's download latency is mostly this machine's browser at work (scripts, waits, scrolling);
    AutoThrottle, which spaces requests by the server's latency, has to see the server's part only."""
    previous = getattr(page, "_lantian_document_listener", None)
    if previous is not None:
        page.remove_listener("response", previous)

    def on_response(response: BrowserResponse) -> None:
        navigation: BrowserRequest = response.request
        if not navigation.is_navigation_request() or navigation.frame != page.main_frame:
            return
        page.remove_listener("response", on_response)
        page._lantian_document_listener = None
        first_byte = navigation.timing.get("responseStart", -1)
        if first_byte >= 0:
            request.meta[DOCUMENT_LATENCY] = first_byte / 1000

    page._lantian_document_listener = on_response
    page.on("response", on_response)
    inner = request.meta.get(INNER_INIT_CALLBACK)
    if inner:
        await load_object(inner)(page, request)


def playwright_selector(spec: str) -> str:
    kind, expression = split_selector(spec)
    return f"xpath={expression}" if kind == "xpath" else expression


async def _wait_quietly(page: Page, selector: str, timeout_ms: int) -> bool:
    try:
        await page.wait_for_selector(playwright_selector(selector), state="attached", timeout=timeout_ms)
        return True
    except PlaywrightError:
        return False


IMAGES_SETTLED = """(timeoutMs) => new Promise((resolve) => {
  const pending = Array.from(document.images).filter((img) => !img.complete);
  let left = pending.length;
  if (!left) return resolve(true);
  const timer = setTimeout(() => resolve(false), timeoutMs);
  const done = () => { if (--left === 0) { clearTimeout(timer); resolve(true); } };
  pending.forEach((img) => {
    img.addEventListener("load", done, {once: true});
    img.addEventListener("error", done, {once: true});
  });
})"""
"""Resolves once every image in the page has loaded or failed (or after `timeoutMs`): images a script adds after
the load event are not waited for by Playwright, and the evidence screenshot must show them."""


async def render_detail(page: Page, wait_for: str, timeout_ms: int) -> None:
    """Wait until the listing's fields (or its take-down notice) are in the DOM and its images have loaded."""
    if not await _wait_quietly(page, wait_for, timeout_ms):
        logger.debug("no %r on %s after %d ms", wait_for, page.url, timeout_ms)
        return
    try:
        if not await page.evaluate(IMAGES_SETTLED, timeout_ms):
            logger.debug("images of %s still loading after %d ms", page.url, timeout_ms)
    except PlaywrightError as exc:
        logger.debug("could not wait for the images of %s: %s", page.url, exc)


async def render_listing(
    page: Page,
    wait_for: str,
    card: str,
    load_more: str | None,
    max_scrolls: int,
    timeout_ms: int,
    settle_ms: int,
) -> int:
    """Wait for the first cards, then scroll (or click "load more") until no new cards arrive; returns the count."""
    if not await _wait_quietly(page, wait_for, timeout_ms):
        return 0
    cards = page.locator(playwright_selector(card))
    button = page.locator(playwright_selector(load_more)) if load_more else None
    count = await cards.count()
    for _ in range(max_scrolls):
        if button is not None and await button.count() == 0:
            break
        before = count
        if button is not None and await button.first.is_visible():
            try:
                await button.first.click(timeout=timeout_ms)
            except PlaywrightError:
                break
        else:
            await page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        try:
            await page.wait_for_function(
                "([selector, before]) => document.querySelectorAll(selector).length > before",
                arg=[_css_for_count(card), before],
                timeout=settle_ms or 1,
            )
        except PlaywrightError:
            break
        count = await cards.count()
    return count


def _css_for_count(card: str) -> str:
    kind, expression = split_selector(card)
    if kind == "xpath":
        raise ValueError(f"browser card selector must be CSS to be counted in the page: {card!r}")
    return expression
