"""Reading a page's fields the way its platform's YAML says: selectors on the HTML (`source: html`), or JMESPath
expressions on data — a JSON response (`source: json`, a search API) or the JSON a script of the page assigns to a
variable (`source: embedded`, e.g. `window.__INITIAL_STATE__ = {…}`). Most large platforms build their pages from
such data, which a crawler reads without a browser.

Both kinds of page answer the same questions (`PageFields`): the values of a field, its text, and the result cards
of a list. Every value read from data is text: numbers are written out, lists are flattened, objects and nulls are
left out (a field is text to detect, never structure).
"""
from __future__ import annotations

import json
import re
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


class DataFields:
    """Fields of a page's data (or of one card of it), by JMESPath expressions."""

    def __init__(self, data: Any) -> None:
        self.data = data

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
    if isinstance(value, list):
        for part in value:
            _flatten(part, into)
    elif isinstance(value, str):
        text = tidy(value)
        if text:
            into.append(text)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        into.append(str(value))


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
            return DataFields(json.loads(text))
        except ValueError as exc:
            raise PageDataError(f"not JSON ({exc})") from exc
    page = page if page is not None else Selector(text=text or "<html></html>")
    if source == "html":
        return HtmlFields(page)
    assert embedded is not None, "source: embedded needs the variable's name"
    return DataFields(embedded_data(page, variable=embedded))


def embedded_data(page: Selector, variable: str) -> Any:
    """The object a script of the page assigns to `variable` (JavaScript object syntax is accepted: unquoted keys,
    single quotes, trailing commas; `undefined` is read as the text "undefined")."""
    assignment = re.compile(rf"(?<![\w$.]){re.escape(variable)}\s*=\s*(?!=)")
    for script in page.xpath("//script/text()").getall():
        match = assignment.search(script)
        if match is None:
            continue
        try:
            return chompjs.parse_js_object(script[match.end():])
        except ValueError as exc:
            raise PageDataError(f"{variable} is not a readable object ({exc})") from exc
    raise PageDataError(f"no script of the page assigns {variable}")
