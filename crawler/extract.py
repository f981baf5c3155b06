"""Reading fields out of pages: configured selectors, visible text, and the main content of a page no selector
describes (trafilatura, a maintained main-content extractor, rather than heuristics of our own)."""
from __future__ import annotations

import re

from lxml import etree
from parsel import Selector, SelectorList

from crawler.platforms import split_selector

INVISIBLE_TAGS = {"script", "style", "noscript", "template", "svg", "head", "title", "meta", "link", "iframe"}
BLOCK_TAGS = {
    "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "table", "ul", "ol",
    "dl", "dt", "dd", "blockquote", "pre", "main",
}
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u3000]+")
_NEWLINES = re.compile(r"\n\s*\n+")


def select(node: Selector | SelectorList, spec: str) -> SelectorList:
    kind, expression = split_selector(spec)
    return node.xpath(expression) if kind == "xpath" else node.css(expression)


def field_values(node: Selector, spec: str | None) -> list[str]:
    """Every non-empty value a selector yields: text of elements, or the string of an attribute/text node."""
    if not spec:
        return []
    values = []
    for match in select(node, spec):
        value = visible_text(match.root) if isinstance(match.root, etree._Element) else str(match.root)
        value = tidy(value)
        if value:
            values.append(value)
    return values


def field_text(node: Selector, spec: str | None, separator: str = "\n") -> str:
    return separator.join(field_values(node, spec))


def tidy(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _NEWLINES.sub("\n", "\n".join(line for line in lines if line)).strip()


def visible_text(element: etree._Element) -> str:
    """The text a reader sees in an element: no scripts or styles, block elements on their own lines. The tree is
    walked with a stack of its own, not by recursion: a seller's page of 100,000 nested elements made Python's
    recursion give up and cost the listing."""
    parts: list[str] = []
    # The element asked for is read even when it is a <title> (a listing without a title selector is titled by
    # its page's); inside another element, a title is not text a reader sees there.
    if element.text and isinstance(element.tag, str) and (element.tag == "title" or element.tag not in INVISIBLE_TAGS):
        parts.append(element.text)
    to_visit: list[tuple[etree._Element, bool]] = [(child, False) for child in reversed(element)]
    while to_visit:
        node, closing = to_visit.pop()
        tag = node.tag if isinstance(node.tag, str) else ""
        if closing or tag in INVISIBLE_TAGS:
            if closing and tag in BLOCK_TAGS:
                parts.append("\n")
            if node.tail:
                parts.append(node.tail)
            continue
        if tag in BLOCK_TAGS:
            parts.append("\n")
        if node.text and tag:
            parts.append(node.text)
        to_visit.append((node, True))
        to_visit.extend((child, False) for child in reversed(node))
    return tidy("".join(parts))


def main_text(page: Selector, url: str | None = None) -> str:
    """The page's main content without footers, scripts, styles and comment threads (trafilatura, tuned for
    recall: a claim in a sidebar is still a claim); the body's visible text when it finds no main content.
    trafilatura is imported here, by the first page without a text selector: the simulator's and most configured
    platforms never need it, and its import (with htmldate's) cost ~0.1 CPU-s of every crawl's start."""
    import trafilatura

    extracted = trafilatura.extract(page.get(), url=url, favor_recall=True, include_comments=False,
                                    include_tables=True, deduplicate=False)
    if extracted:
        return tidy(extracted)
    body = page.root if isinstance(page.root, etree._Element) else None
    if body is None:
        return ""
    found = body.find(".//body")
    return visible_text(found if found is not None else body)
