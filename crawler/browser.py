"""Page methods and page init callbacks for rendered pages (run by scrapy-playwright inside Chromium before the HTML
is read): rendered platforms, and the evidence screenshots of static listings.

Feeds load their cards by XHR after the shell arrives and load more on scroll or on a "load more" button, so a
listing page is read only once the cards stopped growing; a missing selector is not an error (an empty search or a
removed note renders no cards), it just ends the wait.
"""
from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import mimetypes
import os
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import cssselect
from cssselect import SelectorError
from parsel.csstranslator import css2xpath
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Locator, Page, Route
from playwright.async_api import Request as BrowserRequest
from playwright.async_api import Response as BrowserResponse
from scrapy import Request
from scrapy.utils.misc import load_object

from crawler.addresses import forbidden
from crawler.browser_xpath import browser_xpath
from crawler.platforms import split_selector

T = TypeVar("T")

logger = logging.getLogger(__name__)


class PageHung(Exception):
    """A rendered page stopped answering within its bound: a script that never yields, or a layout that never ends.
    Its request fails at once and is not retried (the same page would hang again; `PageHung` is not among
    `RETRY_EXCEPTIONS`), and `BrowserContextRecycler` closes its tab, which would otherwise hold the tab and a
    place in the platform's slot for ever: a page's own waits are timers of the page, and a page busy for ever
    never fires them."""


ANSWER_GRACE_S = 10.0
"""How long past a wait's own timeout a page has to answer before it counts as hung."""


async def within(page: Page, wait: Awaitable[T], seconds: float, what: str) -> T:
    """`wait`, or `PageHung` when the page has not answered it within `seconds`."""
    try:
        return await asyncio.wait_for(wait, seconds)
    except TimeoutError:
        raise PageHung(f"{page.url} did not answer in {seconds:.0f} s ({what}): its scripts or its layout never "
                       "end") from None


async def answers(page: Page, seconds: float = ANSWER_GRACE_S) -> bool:
    """Whether the page's scripts can run within `seconds` (a page busy for ever cannot)."""
    try:
        await asyncio.wait_for(page.evaluate("0"), seconds)
        return True
    except (TimeoutError, PlaywrightError):
        return False


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


_PAGE_URL: weakref.WeakKeyDictionary[Page, str] = weakref.WeakKeyDictionary()
"""The URL of the Scrapy request each tab renders now (`time_document`): the origin its page may reach when that
is an internal address (a platform on this machine or the office's network)."""


def internal_request(sent: BrowserRequest) -> bool:
    """`PLAYWRIGHT_ABORT_REQUEST` of every rendered tab: whether a request the page makes goes to an internal
    address other than its own platform's origin (`crawler.addresses`), which is aborted and logged
    (scrapy-playwright counts it as `playwright/request_count/aborted`). A seller's script, stylesheet, image or
    redirect page that points the browser at http://169.254.169.254/… or another port of this machine gets
    nothing."""
    try:
        tab = sent.frame.page
    except PlaywrightError:  # a service worker's request has no frame
        return False
    if not forbidden(sent.url, (_PAGE_URL.get(tab, ""),)):
        return False
    logger.warning("Refused a request of %s to an internal address: %s", tab.url[:300], sent.url[:300])
    return True


STORED_IMAGES = "lantian_stored_images"
"""Request meta: local paths of the listing's images the files pipeline downloaded (named by the SHA-1 of their URL,
as Scrapy's FilesPipeline names them)."""


FETCHED_FOR_SCREENSHOTS = frozenset({"stylesheet", "script", "xhr", "fetch"})
"""What an evidence screenshot's page may ask the platform for besides its document: what lays it out and draws it
(an app's page is drawn by its scripts from its data)."""


_DOCUMENT_DONE: weakref.WeakKeyDictionary[Page, asyncio.Event] = weakref.WeakKeyDictionary()
"""Each evidence tab's event for its current document, set once the document finished loading or failed
(`show_as_crawled` puts a new one per request). The tab's two listeners that set it are added with its first
screenshot and kept: adding and removing them per screenshot cost four protocol messages to the driver each time."""


def _document_over(browser_request: BrowserRequest) -> None:
    """`requestfinished` / `requestfailed` listener of an evidence tab: its main frame's document is done."""
    if not browser_request.is_navigation_request():
        return
    frame = browser_request.frame
    tab = frame.page
    done = _DOCUMENT_DONE.get(tab)
    if done is not None and frame == tab.main_frame:
        done.set()


async def show_as_crawled(page: Page, request: Request) -> None:
    """Page init callback of the evidence screenshot of a listing read without the browser: the page shows what the
    crawler read, and asks the platform for one thing at a time, each in its turn.

    The listing's images the crawl downloaded already are answered from the files store (`meta[STORED_IMAGES]`);
    stylesheets, scripts and the data they load (`FETCHED_FOR_SCREENSHOTS`; not at an internal address other than
    the platform's, `internal_request`) are fetched after the document, one after the other, each waiting for its
    turn on the slot's send clock (`meta[WAIT_TURN]`); other images, media and fonts are not fetched. So a
    screenshot request never has more than one connection open to the platform. A page the crawler read only the
    first `meta[DOCUMENT_CUT]` bytes of is shown cut there too (`DOCUMENT_CUT_RECORD` says so)."""
    stored = {Path(path).stem: path for path in request.meta.get(STORED_IMAGES) or ()}
    cut_size = request.meta.get(DOCUMENT_CUT)
    wait_turn = request.meta.get(WAIT_TURN)
    user_agent = (request.headers.get("User-Agent") or b"").decode("latin-1")
    document_done = asyncio.Event()
    one_at_a_time = asyncio.Lock()
    if page not in _DOCUMENT_DONE:
        page.on("requestfinished", _document_over)
        page.on("requestfailed", _document_over)
    _DOCUMENT_DONE[page] = document_done

    async def route(route: Route) -> None:
        sent = route.request
        if sent.is_navigation_request():
            if cut_size is None or sent.frame != page.main_frame:
                await route.fallback()
            else:
                await show_cut(route, sent, cut_size)
            return
        path = stored.get(hashlib.sha1(sent.url.encode("utf-8")).hexdigest())
        if path is not None and sent.resource_type == "image":
            body = stored_image(path)
            if body is not None:
                await route.fulfill(body=body, content_type=mimetypes.guess_type(path)[0] or "application/octet-stream")
                return
            if Path(path).is_file():
                await route.fulfill(path=path)
                return
        if sent.resource_type not in FETCHED_FOR_SCREENSHOTS or internal_request(sent):
            await route.abort()
            return
        await document_done.wait()
        async with one_at_a_time:
            if wait_turn is not None:
                await wait_turn()
            try:
                headers = {**sent.headers, **({"user-agent": user_agent} if user_agent else {})}
                await route.fulfill(response=await route.fetch(headers=headers))
            except PlaywrightError as exc:
                logger.debug("%s %s not fetched: %s", sent.resource_type, sent.url, exc)
                await route.abort()

    async def show_cut(route: Route, sent: BrowserRequest, cut: int) -> None:
        """The document as the crawler read it, its first `cut` bytes (its redirects followed by the tab)."""
        headers = {**sent.headers, **({"user-agent": user_agent} if user_agent else {})}
        fetched = await route.fetch(headers=headers, max_redirects=0)
        body = await fetched.body()
        if len(body) <= cut:
            await route.fulfill(response=fetched, body=body)
            return
        request.meta[DOCUMENT_CUT_RECORD] = {"document_cut_at": cut, "document_bytes": len(body)}
        kept = {name: value for name, value in fetched.headers.items()
                if name.lower() not in ("content-length", "content-encoding", "transfer-encoding")}
        await route.fulfill(status=fetched.status, headers=kept, body=body[:cut])

    await page.route(ROUTE_PATTERN, route)


STORED_IMAGE_READ_INLINE = 256 * 1024
"""Stored images up to this size are read on the event loop and handed to Chromium as bytes (`stored_image`)."""


def stored_image(path: str) -> bytes | None:
    """The bytes of a stored image small enough to read at once on the event loop (a listing picture is ~15-60
    KB, read from the page cache in tens of µs), or None for a larger or missing file. Playwright's
    `route.fulfill(path=…)` reads every file in a thread of its executor, and that hand-off and the wake-up back
    cost the crawl's main thread more than the read itself (py-spy on the whole job: ~1% of the main thread's
    samples, in `ThreadPoolExecutor.submit` and Playwright's `_read_file`). The screenshots are the same pixels."""
    try:
        with open(path, "rb") as handle:
            if os.fstat(handle.fileno()).st_size > STORED_IMAGE_READ_INLINE:
                return None
            return handle.read()
    except OSError:
        return None


DOCUMENT_CUT = "lantian_document_cut"
"""Request meta of a screenshot request: the bytes of its document the tab is given (`show_as_crawled`), set when the
crawler read only that many of the page (`LANTIAN_PAGE_CUT_SIZE`). Chromium lays out whatever it is given, without a
bound of its own: one wrapped paragraph of 5 MB of Chinese did not finish within the screenshot's 30 s on the loaded
2-core machine."""
DOCUMENT_CUT_RECORD = "lantian_document_cut_record"
"""Request meta set by `show_as_crawled` when it cut the document: `{document_cut_at, document_bytes}`, for the
screenshot's evidence line."""


DOCUMENT_LATENCY = "lantian_document_latency"
"""Request meta: seconds from sending a rendered page's document request to its first response byte."""
INNER_INIT_CALLBACK = "lantian_page_init_callback"
"""Request meta: the request's own page init callback, run by `time_document` after it set up the timing."""
_DOCUMENT_LISTENERS: weakref.WeakKeyDictionary[Page, Callable[[BrowserResponse], None]] = weakref.WeakKeyDictionary()
"""Each tab's listener waiting for its next document response (`time_document`), replaced by the next request's.
A listener finds its tab from the response, so a tab closed before its document arrived leaves this table."""
WAIT_TURN = "lantian_wait_turn"
"""Request meta: awaited by `time_document` right before the tab navigates (the request's turn to be sent, kept by
`crawler.handlers`)."""


async def time_document(page: Page, request: Request) -> None:
    """Page init callback of every rendered request: records the server's time to first byte of the page's
    document in `meta[DOCUMENT_LATENCY]`, names the origin the tab's page may reach (`internal_request`), runs the
    request's own init callback (`meta[INNER_INIT_CALLBACK]`), then waits for the request's turn to be sent
    (`meta[WAIT_TURN]`), the last thing before the tab navigates.

    A rendered request's download latency is mostly this machine's browser at work (scripts, waits, scrolling);
    AutoThrottle, which spaces requests by the server's latency, has to see the server's part only."""
    previous = _DOCUMENT_LISTENERS.pop(page, None)
    if previous is not None:
        page.remove_listener("response", previous)

    def on_response(response: BrowserResponse) -> None:
        navigation: BrowserRequest = response.request
        if not navigation.is_navigation_request():
            return
        tab = navigation.frame.page
        if navigation.frame != tab.main_frame:
            return
        tab.remove_listener("response", on_response)
        _DOCUMENT_LISTENERS.pop(tab, None)
        first_byte = navigation.timing.get("responseStart", -1)
        if first_byte >= 0:
            request.meta[DOCUMENT_LATENCY] = first_byte / 1000

    _DOCUMENT_LISTENERS[page] = on_response
    _PAGE_URL[page] = request.url
    page.on("response", on_response)
    inner = request.meta.get(INNER_INIT_CALLBACK)
    if inner:
        await load_object(inner)(page, request)
    wait_turn = request.meta.get(WAIT_TURN)
    if wait_turn is not None:
        await wait_turn()


def playwright_selector(spec: str) -> str:
    kind, expression = split_selector(spec)
    return f"xpath={expression}" if kind == "xpath" else expression


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


@dataclass(frozen=True)
class DomSelector:
    """A configured selector as the page's own DOM reads it: `xpath` selects the nodes parsel reads (text and
    attribute nodes included, as `::text`, `::attr(x)`, `/text()` and `/@x` select them); `css`, when set, is the
    same selector as written, for `querySelector` (the faster one), which the DOM may still refuse (`:contains()`)."""

    css: str | None
    xpath: str


def dom_selector(spec: str) -> DomSelector | None:
    """How the DOM reads `spec` (`crawler.platforms.split_selector`), or None when neither it nor parsel does
    (a selector only Playwright's engine reads, `text=…`). CSS is translated to XPath by parsel's own translator,
    lxml's `has-class()` in an XPath into XPath 1.0 (`crawler.browser_xpath`)."""
    kind, expression = split_selector(spec)
    if kind == "xpath":
        return DomSelector(None, browser_xpath(expression))
    try:
        groups = cssselect.parse(expression)
        xpath = css2xpath(expression)
    except SelectorError:
        return None
    plain = all(group.pseudo_element is None for group in groups)
    return DomSelector(expression if plain else None, xpath)


def element_selector(spec: str) -> str:
    """`spec` for Playwright's engine, which matches elements only: the elements holding the nodes the crawler reads
    with `spec` (a text or attribute node's element, reduced by XPath itself), so that it matches exactly when the
    DOM's reading of `spec` does; a selector only Playwright reads as written."""
    dom = dom_selector(spec)
    return spec if dom is None else f"xpath={_element_xpath(dom)}"


def _element_xpath(dom: DomSelector) -> str:
    """The XPath of the elements holding the nodes `dom` selects (a text or attribute node's parent element): what
    the browser waits for or clicks when a selector reads `::text`, `::attr(x)`, `/text()` or `/@x`."""
    return f"({dom.xpath})/ancestor-or-self::*[1]"


async def _wait_for_any_element(page: Page, selectors: Sequence[str], timeout_ms: int) -> bool:
    """Whether one of `selectors` came to match within `timeout_ms`, waited for by Playwright (across navigations)."""
    first, *others = [page.locator(element_selector(selector)) for selector in selectors]
    try:
        await functools.reduce(Locator.or_, others, first).first.wait_for(state="attached", timeout=timeout_ms)
        return True
    except PlaywrightError:
        return False


ANY_ATTACHED = """([selectors, timeoutMs]) => new Promise((resolve) => {
  const reader = ([css, xpath]) => {
    if (css !== null) {
      try {
        document.querySelector(css);
        return () => document.querySelector(css) !== null;
      } catch (refused) {}
    }
    const expression = document.createExpression(xpath);
    return () => expression.evaluate(document, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue !== null;
  };
  const readers = selectors.map(reader);
  const found = () => readers.some((matches) => matches());
  if (found()) return resolve(true);
  const observer = new MutationObserver(() => {
    if (found()) { observer.disconnect(); clearTimeout(timer); resolve(true); }
  });
  observer.observe(document, {childList: true, subtree: true, attributes: true});
  const timer = setTimeout(() => { observer.disconnect(); resolve(false); }, timeoutMs);
})"""
"""Resolves true once one of the selectors ([css or null, xpath] each, `DomSelector`) matches in the page (checked
on every change of the DOM), false after `timeoutMs`: the DOM's own `querySelector`/XPath, so Chromium does not
have to build Playwright's selector engine in every listing page it renders (Playwright's waits do). A CSS
selector the DOM refuses is read by its XPath; an XPath it refuses rejects the promise."""


async def _wait_in_page(page: Page, selectors: Sequence[str], timeout_ms: int) -> bool:
    """Whether one of `selectors` (each CSS or XPath, `crawler.platforms.split_selector`, read as the crawler reads
    it) came to match within `timeout_ms`, waited for by the page itself (`ANY_ATTACHED`). Selectors only
    Playwright's engine reads, an XPath the DOM refuses and a page that navigates on while it waits are waited for
    by Playwright instead."""
    readings = [dom_selector(selector) for selector in selectors]
    if all(reading is not None for reading in readings):
        try:
            return bool(await page.evaluate(ANY_ATTACHED, [[[reading.css, reading.xpath]
                                                             for reading in readings if reading], timeout_ms]))
        except PlaywrightError:
            pass
    return await _wait_for_any_element(page, selectors, timeout_ms)


async def render_detail(page: Page, wait_for: tuple[str, ...], timeout_ms: int) -> None:
    """Wait until one of `wait_for` (the listing's fields, or its take-down notice) is in the DOM and the page's
    images have loaded. A page that does not answer these waits within their timeout and `ANSWER_GRACE_S` is
    `PageHung`."""
    if not await within(page, _wait_in_page(page, wait_for, timeout_ms), 2 * timeout_ms / 1000 + ANSWER_GRACE_S,
                        "waiting for its fields"):
        logger.debug("none of %r on %s after %d ms", wait_for, page.url, timeout_ms)
        return
    try:
        if not await within(page, page.evaluate(IMAGES_SETTLED, timeout_ms), timeout_ms / 1000 + ANSWER_GRACE_S,
                            "waiting for its images"):
            logger.debug("images of %s still loading after %d ms", page.url, timeout_ms)
    except PlaywrightError as exc:
        logger.debug("could not wait for the images of %s: %s", page.url, exc)


LOAD_MORE = """async ({card, button, act, before, settleMs}) => {
  const count = () => document.querySelectorAll(card).length;
  const find = () => !button ? null
    : document.evaluate(button, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue;
  const shown = (node) => !!node && node.getClientRects().length > 0 && getComputedStyle(node).visibility !== "hidden";
  if (before === null) before = count();
  if (act) {
    const more = find();
    if (button && !more) return [before, false, false];
    if (shown(more)) more.click(); else window.scrollTo(0, document.body.scrollHeight);
  }
  const grew = await new Promise((resolve) => {
    if (count() > before) return resolve(true);
    const observer = new MutationObserver(() => {
      if (count() > before) { observer.disconnect(); clearTimeout(timer); resolve(true); }
    });
    observer.observe(document.documentElement, {childList: true, subtree: true});
    const timer = setTimeout(() => { observer.disconnect(); resolve(false); }, settleMs);
  });
  return [count(), grew, shown(find())];
}"""
"""One round of "load more" inside the page: click the button (`button`: the XPath of its element, or null) or
scroll to the bottom when there is none to see, and wait until more cards arrive or `settleMs` passes; returns
[cards, grew, button still shown]."""


async def render_listing(
    page: Page,
    wait_for: str,
    card: str,
    load_more: str | None,
    max_scrolls: int,
    timeout_ms: int,
    settle_ms: int,
) -> int:
    """Wait for the first cards, then scroll (or click "load more") until no new cards arrive; returns the count.

    Each round is one script in the page (a click and a MutationObserver), not a series of driver round trips
    and animation-frame polls: a feed page of 60 cards renders in less than half the time. A page that ignores a
    script's click (it wants a trusted event) gets Playwright's real mouse clicks from then on. A page that does not
    answer a round within `settle_ms` and `ANSWER_GRACE_S` is `PageHung`."""
    if not await _wait_for_any_element(page, (wait_for,), timeout_ms):
        return 0
    button = dom_selector(load_more) if load_more else None
    arguments = {"card": _css_for_count(card), "button": _element_xpath(button) if button else None,
                 "settleMs": settle_ms or 1}
    count = await page.locator(playwright_selector(card)).count()
    trusted = False
    for _ in range(max_scrolls):
        if trusted and load_more:
            try:
                await page.locator(element_selector(load_more)).first.click(timeout=timeout_ms)
            except PlaywrightError:
                break
        try:
            count, grew, button_shown = await within(
                page, page.evaluate(LOAD_MORE, {**arguments, "act": not trusted, "before": count}),
                settle_ms / 1000 + ANSWER_GRACE_S, "loading more cards")
        except PlaywrightError as exc:  # e.g. the button navigated away
            logger.debug("loading more on %s stopped: %s", page.url, exc)
            break
        if grew:
            continue
        if trusted or not button_shown:
            break
        trusted = True
    return count


def _css_for_count(card: str) -> str:
    kind, expression = split_selector(card)
    if kind == "xpath":
        raise ValueError(f"browser card selector must be CSS to be counted in the page: {card!r}")
    return expression
