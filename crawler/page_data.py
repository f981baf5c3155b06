"""Reading a page's fields the way its platform's YAML says: selectors on the HTML (`source: html`), or JMESPath
expressions on data — a JSON response (`source: json`, a search API) or the JSON a script of the page assigns to a
variable (`source: embedded`, e.g. `window.__INITIAL_STATE__ = {…}`). Most large platforms build their pages from
such data, which a crawler reads without a browser.

Both kinds of page answer the same questions (`PageFields`): the values of a field, its text, and the result cards
of a list. Every value read from data is text: numbers are written out, lists are flattened, objects and nulls are
left out (a field is text to detect, never structure).

The data is written by the people we monitor. Arrays and objects nested deeper than Python's JSON reader goes
(RecursionError at about 1,000 levels) are read as null from `DATA_DEPTH` levels down, the rest as written
(`DataFields.cut` counts them); an integer longer than Python writes out (4,300 digits) is kept as its text.
"""
from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Protocol

import chompjs
import jmespath
from jmespath.parser import ParsedResult
from parsel import Selector
from scrapy.http import TextResponse

from crawler.extract import field_values, select, tidy


class PageDataError(ValueError):
    """The page's data could not be read (not JSON, no script assigns the variable, a broken object)."""


class PageFields(Protocol):
    def values(self, spec: str | None) -> list[str]: ...

    def text(self, spec: str | None, separator: str = "\n") -> str: ...

    def cards(self, spec: str) -> list[PageFields]: ...


class HtmlFields:
    """Fields of an HTML page (or of one card of it), by CSS or XPath selectors."""

    def __init__(self, node: Selector) -> None:
        self.node = node

    def values(self, spec: str | None) -> list[str]:
        return field_values(self.node, spec)

    def text(self, spec: str | None, separator: str = "\n") -> str:
        return separator.join(self.values(spec))

    def cards(self, spec: str) -> list[PageFields]:
        return [HtmlFields(card) for card in select(self.node, spec)]


DATA_DEPTH = 256
"""The nesting depth from which a page's data that Python cannot read whole is read as null (real pages' data is
a few dozen levels deep; Python's reader stops near its recursion limit, 1,000, less the frames of its caller)."""
_DATA_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|[\[\]{}]', re.DOTALL)


class DataFields:
    """Fields of a page's data (or of one card of it), by JMESPath expressions; `cut`: how many arrays and objects
    nested deeper than `DATA_DEPTH` were read as null."""

    def __init__(self, data: Any, cut: int = 0) -> None:
        self.data = data
        self.cut = cut

    def values(self, spec: str | None) -> list[str]:
        if not spec:
            return []
        found: list[str] = []
        _flatten(compiled(spec).search(self.data), found)
        return found

    def text(self, spec: str | None, separator: str = "\n") -> str:
        return separator.join(self.values(spec))

    def cards(self, spec: str) -> list[PageFields]:
        found = compiled(spec).search(self.data)
        return [DataFields(card) for card in found] if isinstance(found, list) else []


def _flatten(value: Any, into: list[str]) -> None:
    """The text of `value`, its lists flattened in order (without recursion: a list may be nested as deep as the
    reader allows)."""
    pending = [value]
    while pending:
        value = pending.pop()
        if isinstance(value, list):
            pending.extend(reversed(value))
        elif isinstance(value, str):
            text = tidy(value)
            if text:
                into.append(text)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            into.append(str(value))


def _integer(digits: str) -> int | str:
    """An integer of the data, or its text when it is longer than Python writes out (`sys.get_int_max_str_digits`):
    the text is what a field shows either way."""
    return int(digits) if len(digits.lstrip("-")) <= sys.get_int_max_str_digits() else digits


def _read(text: str, load: Callable[[str, bool], Any]) -> DataFields:
    """`text` loaded by `load(text, long_numbers)`. Data nested too deep for Python is loaded again with its arrays
    and objects deeper than `DATA_DEPTH` read as null; data Python refuses is loaded again with `long_numbers`,
    integers longer than Python writes out kept as text (a hook that costs the JSON reader 45% more time on 350 KB
    holding 10,000 integers, 4.6 ms against 3.1, so paid only by the pages that need it)."""
    cut, long_numbers = 0, False
    while True:
        try:
            return DataFields(load(text, long_numbers), cut)
        except RecursionError:
            if cut:
                raise PageDataError(f"nested deeper than Python reads even from {DATA_DEPTH} levels cut") from None
            text, cut = cut_deep_data(text, DATA_DEPTH)
        except ValueError:
            if long_numbers:
                raise
            long_numbers = True


def _json(text: str, long_numbers: bool) -> Any:
    return json.loads(text, parse_int=_integer) if long_numbers else json.loads(text)


def _javascript(text: str, long_numbers: bool) -> Any:
    return chompjs.parse_js_object(text, loader_kwargs={"parse_int": _integer} if long_numbers else None)


def cut_deep_data(text: str, depth: int) -> tuple[str, int]:
    """`text` (JSON, or JavaScript object syntax) with every array and object that opens `depth` levels deep
    replaced by null, and how many were; brackets inside strings are text. One that never closes is cut to the
    end of the text."""
    parts: list[str] = []
    level, kept, opened, cut = 0, 0, -1, 0
    for token in _DATA_TOKENS.finditer(text):
        bracket = token.group()
        if bracket in "[{":
            level += 1
            if level == depth:
                opened = token.start()
        elif bracket in "]}":
            if level == depth:
                parts += [text[kept:opened], "null"]
                kept, cut = token.end(), cut + 1
            level = max(0, level - 1)
    if level >= depth:
        parts += [text[kept:opened], "null"]
        kept, cut = len(text), cut + 1
    return "".join(parts) + text[kept:], cut


@lru_cache(maxsize=1024)
def compiled(expression: str) -> ParsedResult:
    """A JMESPath expression, compiled once (raises jmespath's ParseError for a broken one)."""
    return jmespath.compile(expression)


def page_fields(response: TextResponse, source: str, embedded: str | None = None) -> PageFields:
    """The fields of a response read as its platform's YAML says (`source`, and for `embedded` the variable)."""
    return read_fields(response.text, source, embedded, page=None if source == "json" else response.selector)


def read_fields(text: str, source: str, embedded: str | None = None, page: Selector | None = None) -> PageFields:
    """The fields of a page's text (a page a re-check fetched, or a response's, `page` its parsed HTML if at hand)
    read as its platform's YAML says."""
    if source == "json":
        try:
            return _read(text, _json)
        except ValueError as exc:
            raise PageDataError(f"not JSON ({exc})") from exc
    page = page if page is not None else Selector(text=text or "<html></html>")
    if source == "html":
        return HtmlFields(page)
    assert embedded is not None, "source: embedded needs the variable's name"
    return embedded_fields(page, variable=embedded)


def embedded_data(page: Selector, variable: str) -> Any:
    """The object a script of the page assigns to `variable` (JavaScript object syntax is accepted: unquoted keys,
    single quotes, trailing commas; `undefined` is read as the text "undefined")."""
    return embedded_fields(page, variable).data


def embedded_fields(page: Selector, variable: str) -> DataFields:
    """The fields of the object a script of the page assigns to `variable` (see `embedded_data`)."""
    assignment = re.compile(rf"(?<![\w$.]){re.escape(variable)}\s*=\s*(?!=)")
    for script in page.xpath("//script/text()").getall():
        match = assignment.search(script)
        if match is None:
            continue
        try:
            return _read(script[match.end():], _javascript)
        except ValueError as exc:
            raise PageDataError(f"{variable} is not a readable object ({exc})") from exc
    raise PageDataError(f"no script of the page assigns {variable}")
