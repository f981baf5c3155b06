"""Reading fields out of pages: configured selectors, visible text, and the main content of a page without its
menus, headers and footers."""
from __future__ import annotations

import re

from lxml import etree
from parsel import Selector, SelectorList

from crawler.platforms import split_selector

INVISIBLE_TAGS = {"script", "style", "noscript", "template", "svg", "head", "title", "meta", "link", "iframe"}
BOILERPLATE_TAGS = {"nav", "header", "footer", "aside", "form", "button", "select", "menu"}
BOILERPLATE_HINT = re.compile(
    r"(^|[\s_-])(nav|navbar|menu|footer|header|sidebar|breadcrumb|crumbs|comment|comments|review|reviews|"
    r"copyright|share|toolbar|pagination|pager|related|recommend|ads?|banner)([\s_-]|$)",
    re.IGNORECASE,
)
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


def visible_text(element: etree._Element, skip_boilerplate: bool = False) -> str:
    """The text a reader sees in an element: no scripts or styles, block elements on their own lines."""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in INVISIBLE_TAGS or (skip_boilerplate and _is_boilerplate(node)):
            if node.tail:
                parts.append(node.tail)
            return
        if tag in BLOCK_TAGS:
            parts.append("\n")
        if node.text and tag:
            parts.append(node.text)
        for child in node:
            walk(child)
        if tag in BLOCK_TAGS:
            parts.append("\n")
        if node.tail:
            parts.append(node.tail)

    if element.text and isinstance(element.tag, str) and element.tag not in INVISIBLE_TAGS:
        parts.append(element.text)
    for child in element:
        walk(child)
    return tidy("".join(parts))


def _is_boilerplate(node: etree._Element) -> bool:
    tag = node.tag if isinstance(node.tag, str) else ""
    if tag in BOILERPLATE_TAGS:
        return True
    hint = f"{node.get('class', '')} {node.get('id', '')} {node.get('role', '')}"
    return bool(hint.strip()) and bool(BOILERPLATE_HINT.search(hint)) and tag not in ("body", "html", "main")


def main_text(page: Selector) -> str:
    """The page's main content: the block holding most of the paragraph text, with menus and footers removed."""
    body = page.root if isinstance(page.root, etree._Element) else None
    if body is None:
        return ""
    found = body.find(".//body")
    body = found if found is not None else body
    best, best_score = body, 0.0
    for candidate in body.iter("article", "main", "div", "section", "td"):
        if _is_boilerplate(candidate) or any(_is_boilerplate(a) for a in candidate.iterancestors()):
            continue
        score = _paragraph_score(candidate)
        if score > best_score:
            best, best_score = candidate, score
    return visible_text(best, skip_boilerplate=True)


def _paragraph_score(element: etree._Element) -> float:
    """Text in the element's direct paragraphs and text children, favouring dense, link-poor blocks."""
    own = len((element.text or "").strip())
    for child in element:
        if not isinstance(child.tag, str) or child.tag in INVISIBLE_TAGS or _is_boilerplate(child):
            continue
        if child.tag in ("p", "span", "br", "em", "strong", "b", "font", "pre", "blockquote", "li", "ul", "ol"):
            own += len("".join(child.itertext()).strip())
        own += len((child.tail or "").strip())
    link_text = sum(len("".join(a.itertext())) for a in element.iter("a"))
    return own - 0.5 * link_text
