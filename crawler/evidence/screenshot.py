"""Full-page PNG screenshots through scrapy-playwright, for evidence.

Every screenshot is taken by the crawl's own browser on a request that goes through Scrapy's engine: a rendered
listing page gets `screenshot_page_method()` added by the evidence middleware, and a flagged static listing is
asked for once more as a rendered request (`screenshot_request()`, sent by `ScreenshotPipeline`). Either way the
request has its platform's download slot (concurrency, delay, AutoThrottle), robots rule, retries and evidence
record, and the evidence middleware stores the PNG.

The PNG is taken by `full_page_png`: the same pixels as Playwright's `page.screenshot(full_page=True)` at a fraction
of Chromium's CPU (`bench/bench_crawl.py` showed lead screenshots as the largest cost of the whole job). A flagged
static listing is rendered in a tab as tall as `SCREENSHOT_VIEWPORT`, so that its whole page is drawn once, by the
navigation, and captured as drawn: capturing beyond the viewport lays out and draws the page a second time.

A page taller than `MAX_CAPTURE_HEIGHT` is captured from its top down to that height, one wider than
`MAX_CAPTURE_WIDTH` from its left edge to that width, and the cut is recorded with the screenshot (`PageShot.cut`);
a capture Chromium refuses, or does not finish within the screenshot's timeout (`EVIDENCE_SCREENSHOT_TIMEOUT`),
costs the screenshot only, never the page's raw body, WARC record or listing (`PageShot.error`). A page that after
such a timeout no longer answers at all is `crawler.browser.PageHung`: its request ends and its tab is closed.
"""
from __future__ import annotations

import asyncio
import base64
import math
import weakref
from dataclasses import dataclass
from functools import partial
from typing import Any

from playwright.async_api import CDPSession, Page
from playwright.async_api import Error as PlaywrightError
from scrapy import Request
from scrapy_playwright.page import PageMethod

from crawler.browser import DOCUMENT_CUT, STORED_IMAGES, PageHung, answers, render_detail, show_as_crawled
from crawler.settings import EVIDENCE_SCREENSHOT_TIMEOUT

SCREENSHOT_METHOD = "screenshot"
"""Playwright's own screenshot method: a spider's page method by this name counts as the page's screenshot."""
SCREENSHOT_REQUEST = "lantian_screenshot"
"""Request meta: the request re-renders a flagged listing for its screenshot (it is not a page to parse)."""
WAIT_TIMEOUT_MS = 8000
VISITOR_VIEWPORT = {"width": 1280, "height": 720}
"""The window a visitor's page is laid out in (Playwright's default): a page shorter than it is shown this tall."""
SCREENSHOT_VIEWPORT = {"width": VISITOR_VIEWPORT["width"], "height": 3000}
"""The tabs that render flagged static listings for their screenshot: as wide as a visitor's window, tall enough
for most listings to be drawn whole by their navigation (a taller page is captured beyond it)."""
DOCUMENT_HEIGHT = """() => {
  const body = document.body;
  const below = body ? body.getBoundingClientRect().top + window.scrollY + body.scrollHeight : 0;
  return Math.round(Math.max(document.documentElement.getBoundingClientRect().height, below));
}"""
"""The height of the page's content in CSS pixels, which Chromium's content size does not give while the viewport is
taller (it is then the viewport's height)."""
MAX_CAPTURE_HEIGHT = 16384
"""The tallest screenshot taken, in CSS pixels (22 visitor windows; an ordinary listing page is ~1,250). Chromium
cannot capture a page of any height: the simulator's listing with 12,000 reviews (856,892 px) failed every time with
"Unable to capture screenshot", where its top 16,384 px took 10-17 s on the loaded 2-core machine."""

SCREENSHOT_TIMEOUT_S: float = EVIDENCE_SCREENSHOT_TIMEOUT
"""The longest an evidence screenshot may take. Chromium lays a page out for its capture without any bound of its
own: a seller's paragraph of 5 MB of Chinese took 15-20 s on the loaded 2-core machine, and a page whose script never
yields would hold its tab, and the platform's slot, for ever."""

MAX_CAPTURE_WIDTH = 4096
"""The widest screenshot taken, in CSS pixels (3.2 visitor windows). A seller's unbroken line of 5 MB laid the page
out 33,554,432 px wide: Chromium spent 89 s on its capture and refused it."""


@dataclass(frozen=True)
class PageShot:
    """What the evidence screenshot got: the PNG, or None with Chromium's `error`; `page_height` is the page's
    height in CSS pixels when the PNG shows only its top `MAX_CAPTURE_HEIGHT`, `page_width` its width when the PNG
    shows only its left `MAX_CAPTURE_WIDTH` (None: the PNG is the whole page that way)."""
    png: bytes | None
    page_height: int | None = None
    error: str = ""
    page_width: int | None = None
    timed_out: bool = False

    def cut(self) -> dict[str, int | str]:
        """What the evidence log records with a PNG that shows part of its page: the pixels kept and the page's,
        and why (empty: the PNG is the whole page)."""
        if self.page_height is None and self.page_width is None:
            return {}
        cut: dict[str, int | str] = {}
        if self.page_height is not None:
            cut |= {"cut_at": MAX_CAPTURE_HEIGHT, "page_height": self.page_height}
        if self.page_width is not None:
            cut |= {"cut_width_at": MAX_CAPTURE_WIDTH, "page_width": self.page_width}
        cut["cut_why"] = (f"page larger than the {MAX_CAPTURE_WIDTH}×{MAX_CAPTURE_HEIGHT} CSS px an evidence "
                          "screenshot shows: Chromium stalls on, or refuses, a capture of a larger page")
        return cut


async def full_page_png(page: Page, timeout_s: float = SCREENSHOT_TIMEOUT_S) -> PageShot:
    """The whole page, beyond the viewport, as a lossless PNG: one Chromium capture of the page's content size.

    Playwright's `screenshot(full_page=True)` resizes the viewport to the page and back around its capture and has
    the PNG compressed hard; here Chromium encodes for speed (`optimizeForSpeed`: the same pixels in a larger file,
    about a third larger). A page that fits in the viewport as it stands (unscrolled) is captured as drawn, as
    tall as its content but at least `VISITOR_VIEWPORT`'s height, which is what a full-page capture in a visitor's
    window gives; a larger one is captured beyond the viewport, which lays it out and draws it again (on the 2-core
    machine a listing page of 1280×1252 cost Chromium ~700 ms of CPU to render and capture beyond a 720-px viewport,
    ~490 ms captured as drawn in a 3000-px one). A page taller than `MAX_CAPTURE_HEIGHT` is captured down to it, one
    wider than `MAX_CAPTURE_WIDTH` across to it;
    a capture Chromium refuses gives no PNG and its error, so the request and the page it fetched go on.

    A capture that does not finish within `timeout_s` gives no PNG either (`timed_out`: a capture of the viewport
    alone waits for the same busy page, measured, so there is none to fall back on), and the tab's next screenshot
    opens a new DevTools session; a page that then does not answer within `crawler.browser.ANSWER_GRACE_S` is
    `PageHung`, since reading its content, the next thing its request does, would never end."""
    try:
        return await asyncio.wait_for(_capture(page), timeout_s)
    except TimeoutError:
        _SESSIONS.pop(page, None)
    error = f"Chromium did not capture the page within {timeout_s:g} s (EVIDENCE_SCREENSHOT_TIMEOUT)"
    if not await answers(page):
        raise PageHung(f"{page.url}: {error}, and the page no longer answers")
    return PageShot(None, error=error, timed_out=True)


async def _capture(page: Page) -> PageShot:
    """`full_page_png` without its time bound."""
    try:
        session = await page_session(page)
        metrics = await session.send("Page.getLayoutMetrics")
    except PlaywrightError:  # the tab's session ended (its target was swapped or detached): a new one
        session = await page_session(page, renew=True)
        metrics = await session.send("Page.getLayoutMetrics")
    size, view = metrics["cssContentSize"], metrics["cssVisualViewport"]
    width, height = math.ceil(size["width"]), math.ceil(size["height"])
    in_view = (width <= view["clientWidth"] and height <= view["clientHeight"]
               and view["pageX"] == 0 and view["pageY"] == 0)
    if in_view:
        content = await page.evaluate(DOCUMENT_HEIGHT)
        height = min(height, max(content, VISITOR_VIEWPORT["height"]))
    clip = {"x": 0, "y": 0, "width": min(width, MAX_CAPTURE_WIDTH), "height": min(height, MAX_CAPTURE_HEIGHT),
            "scale": 1}
    try:
        shot = await session.send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": not in_view, "optimizeForSpeed": True, "clip": clip})
    except PlaywrightError as exc:
        reason = exc.message.splitlines()[0] if exc.message else type(exc).__name__
        return PageShot(None, error=f"Chromium could not capture the page ({width}×{height} px): {reason}")
    return PageShot(base64.b64decode(shot["data"]), page_height=height if height > MAX_CAPTURE_HEIGHT else None,
                    page_width=width if width > MAX_CAPTURE_WIDTH else None)


_SESSIONS: weakref.WeakKeyDictionary[Page, CDPSession] = weakref.WeakKeyDictionary()
"""Each tab's DevTools session for its screenshots (`page_session`), kept beside the tab as `crawler.browser` keeps
its document listeners, not set on Playwright's `Page`: a closed tab leaves this table."""


async def page_session(page: Page, *, renew: bool = False) -> CDPSession:
    """The tab's DevTools session for its screenshots, opened with its first one and kept with the tab (a reused
    tab takes many): opening and detaching one per screenshot cost Chromium, its driver and the crawler ~11 ms of
    CPU per screenshot on the 2-core machine. `renew` replaces a session that ended. A tab with a session reads its
    rendered HTML through it (`document_html`) from then on."""
    session = _SESSIONS.get(page)
    if session is None or renew:
        session = await page.context.new_cdp_session(page)
        _SESSIONS[page] = session
        setattr(page, "content", partial(document_html, page))  # noqa: B010 - an instance's method, not a field
    return session


async def document_html(page: Page) -> str:
    """The tab's document as HTML, serialized by Chromium for DevTools (`DOM.getOuterHTML` of the document on the
    tab's screenshot session): what scrapy-playwright reads with `page.content()` as the body of an evidence
    request, read without script.

    `page.content()` runs a script in an isolated world that Playwright makes once per document: ~11 ms of
    Chromium's CPU per evidence screenshot (`bench/bench_screenshot.py --variant content`), while DevTools
    serializes the same DOM natively, out of the page's scripts' reach like the isolated world. The HTML is the
    same but for comments outside the `<html>` element, which this keeps and `page.content()` drops. A session
    that ended, or a page between documents, is read by `page.content()` as before."""
    session = _SESSIONS.get(page)
    if session is not None:
        try:
            document = await session.send("DOM.getDocument", {"depth": 0})
            html = await session.send("DOM.getOuterHTML", {"nodeId": document["root"]["nodeId"]})
            return str(html["outerHTML"])
        except PlaywrightError:
            pass
    return await type(page).content(page)


def screenshot_page_method(timeout_s: float = SCREENSHOT_TIMEOUT_S) -> PageMethod:
    """The PageMethod to add to `meta["playwright_page_methods"]` so the evidence middleware stores a screenshot."""
    return PageMethod(full_page_png, timeout_s)


def takes_screenshot(method: Any) -> bool:
    """Whether a page method is the page's screenshot: the evidence one, or Playwright's own."""
    name = getattr(method, "method", None)
    return name is full_page_png or name == SCREENSHOT_METHOD


def ensure_screenshot_method(meta: dict[str, Any], timeout_s: float = SCREENSHOT_TIMEOUT_S) -> None:
    """Add `screenshot_page_method()` to a Playwright request's page methods unless it already takes a screenshot.

    It goes last, so the screenshot shows the page after the spider's own page methods (scrolling, waiting) ran.
    """
    methods = meta.get("playwright_page_methods") or []
    values = methods.values() if isinstance(methods, dict) else methods
    if any(takes_screenshot(method) for method in values):
        return
    if isinstance(methods, dict):
        meta["playwright_page_methods"] = {**methods, "lantian_evidence_screenshot": screenshot_page_method(timeout_s)}
    else:
        meta["playwright_page_methods"] = [*methods, screenshot_page_method(timeout_s)]


def screenshot_from_meta(meta: dict[str, Any]) -> PageShot | None:
    """What the screenshot PageMethod of this request got (Playwright's own screenshot as a whole page), if any."""
    methods = meta.get("playwright_page_methods") or ()
    if isinstance(methods, dict):
        methods = methods.values()
    for method in methods:
        if not takes_screenshot(method):
            continue
        if isinstance(method.result, PageShot):
            return method.result
        if isinstance(method.result, bytes):
            return PageShot(method.result)
    return None


def screenshot_request(url: str, *, wait_for: tuple[str, ...] = ("body",), stored_images: list[str] | None = None,
                       meta: dict[str, Any] | None = None, document_cut: int | None = None) -> Request:
    """A rendered evidence request for `url`: the page is shown once one of `wait_for` is in the DOM and its images have
    loaded or failed (a resource that never finishes does not cost the evidence: the navigation waits for the
    document only), with `stored_images` answered from the files store; `meta` adds the platform's slot and robots
    rule; `document_cut` the bytes of the page the tab is given, when the crawler read only those
    (`crawler.browser.DOCUMENT_CUT`). The page is rendered in a tab of `SCREENSHOT_VIEWPORT` (its context is made
    with it). The evidence middleware adds the screenshot and records fetch and PNG."""
    return Request(url, dont_filter=True, meta={
        **(meta or {}),
        "evidence": True,
        "playwright": True,
        "playwright_page_methods": [PageMethod(render_detail, wait_for, WAIT_TIMEOUT_MS)],
        "playwright_page_goto_kwargs": {"wait_until": "domcontentloaded"},
        "playwright_context_kwargs": {"viewport": SCREENSHOT_VIEWPORT},
        "playwright_page_init_callback": show_as_crawled,
        STORED_IMAGES: list(stored_images or ()),
        **({DOCUMENT_CUT: document_cut} if document_cut is not None else {}),
        SCREENSHOT_REQUEST: True,
    })
