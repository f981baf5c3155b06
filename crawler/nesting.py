"""Pages nested deeper than lxml parses, read as a browser shows them.

libxml2, under parsel and Scrapy's selectors, stops parsing a page at 2,048 levels of nested elements (the limit
it keeps with XML_PARSE_HUGE): everything after that point is missing from the parsed page, the rest of the
listing included, not only what is deeper. A seller who opens 2,100 `<div>`s before the ad hid the whole listing
from the crawler (no title, no text, no lead), while a browser shows it: Chromium's parser puts elements deeper
than 512 levels beside the deepest open one instead of inside it (`HTMLTreeBuilder`'s
kMaximumHTMLParserDOMTreeDepth). `flattened` does the same to the markup, so the page parses whole.
"""
from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

from lxml import etree

PARSED_DEPTH = 2048
"""The nesting depth at which libxml2 stops parsing a page (its limit with XML_PARSE_HUGE, which parsel asks for)."""
FLAT_DEPTH = 512
"""The depth from which `flattened` puts an element beside the deepest open one, as Chromium's parser does."""
VOID_ELEMENTS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta",
                           "param", "source", "track", "wbr"})


def cut_by_depth(root: etree._Element) -> bool:
    """Whether the parse of `root`'s page stopped at `PARSED_DEPTH`: libxml2 stops at the element it could not
    nest, so the last element of the page (found down its last children, a few steps on any real page) is that
    deep."""
    depth, node = 0, root
    while len(node):
        node = node[-1]
        depth += 1
    return depth >= PARSED_DEPTH - 16


def flattened(markup: str) -> str:
    """`markup` with every element that would open deeper than `FLAT_DEPTH` levels opened beside the deepest open
    element instead (which is closed first), and the end tags of elements no longer open dropped: the nesting a
    browser builds. Text, attributes, scripts and comments are kept as written."""
    flattener = _Flattener()
    flattener.feed(markup)
    flattener.close()
    return "".join(flattener.out)


class _Flattener(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []
        self.open: list[str] = []
        self.open_count: Counter[str] = Counter()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raw = self.get_starttag_text() or f"<{tag}>"
        if tag in VOID_ELEMENTS:
            self.out.append(raw)
            return
        if len(self.open) >= FLAT_DEPTH:
            self._close()
        self.out.append(raw)
        self.open.append(tag)
        self.open_count[tag] += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self.get_starttag_text() or f"<{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if not self.open_count[tag]:
            return
        while self._close() != tag:
            pass

    def _close(self) -> str:
        closed = self.open.pop()
        self.open_count[closed] -= 1
        self.out.append(f"</{closed}>")
        return closed

    def handle_data(self, data: str) -> None:
        self.out.append(data)

    def handle_entityref(self, name: str) -> None:
        self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.out.append(f"&#{name};")

    def handle_comment(self, data: str) -> None:
        self.out.append(f"<!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        self.out.append(f"<!{decl}>")

    def handle_pi(self, data: str) -> None:
        self.out.append(f"<?{data}>")

    def unknown_decl(self, data: str) -> None:
        self.out.append(f"<![{data}]>")
