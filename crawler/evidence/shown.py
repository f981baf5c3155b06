"""Whether a listing's evidence screenshot shows what the detector found in the page the crawler fetched.

A static listing's text is read from the page Scrapy fetched; its screenshot comes from a second visit, rendered by
headless Chromium (`ScreenshotPipeline`). A seller who tells that visit apart (`navigator.webdriver`, the browser's
headers, a second request for the same URL, the time) can show it a clean page, and a letter whose screenshot
shows nothing of the quoted violation would contradict its lead. So right after the capture, the tab is asked which
of the passages the detector's spans quote its rendered page shows (`document.body.innerText`: what a reader
sees, without hidden elements, scripts or styles), and the listing records the count (`core.lead.ScreenshotShows`).
The raw page and its WARC record stay the primary evidence either way.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from playwright.async_api import Page

from core.lead import ScreenshotShows, Span
from crawler.browser import ANSWER_GRACE_S, within

IN_IMAGES = frozenset({"image_text"})
"""Span fields whose text is inside the listing's pictures: the screenshot draws the stored pictures themselves,
and their text is not in the page's, so it is not checked."""

SHOWN = """(passages) => {
  const squeeze = (text) => text.replace(/\\s+/g, "");
  const page = squeeze(document.body ? document.body.innerText : "");
  return passages.map((passage) => page.includes(squeeze(passage)));
}"""
"""Which passages the page's visible text holds, whitespace aside (the crawler's text joins a page's elements with
spaces and newlines where the browser lays them out)."""


def passages(spans: Iterable[Span | dict[str, Any]]) -> list[str]:
    """The distinct passages of a listing's page text that its evidence spans quote, in order."""
    found = [str(span.get("text") or "").strip() for span in spans if span.get("field") not in IN_IMAGES]
    return list(dict.fromkeys(text for text in found if text))


async def passages_shown(page: Page, wanted: Sequence[str]) -> list[bool]:
    """Page method run after the evidence screenshot: which of `wanted` the rendered page shows (a page that no
    longer answers is `crawler.browser.PageHung`, as for the screenshot)."""
    shown = await within(page, page.evaluate(SHOWN, list(wanted)), ANSWER_GRACE_S, "reading what it shows")
    return [bool(flag) for flag in shown]


def screenshot_shows(wanted: Sequence[str], shown: Sequence[bool]) -> ScreenshotShows:
    """The record of what a screenshot shows of `wanted` (`shown`: `passages_shown`'s answer)."""
    return {"passages": len(wanted), "shown": sum(1 for flag in shown if flag),
            "missing": [text for text, flag in zip(wanted, shown, strict=True) if not flag]}
