"""XPath as the browser reads it.

The crawler reads a platform's XPath with parsel, that is lxml, which adds functions of its own: `has-class()`,
and EXSLT's `re:test()`, `re:match()`, `set:difference()`, ... Chromium's `document.evaluate` (and Playwright's
`xpath=` engine, which calls it) reads XPath 1.0 only and refuses an expression that calls anything else.
`has-class()` is translated into XPath 1.0, as parsel's CSS translator writes a class test; any other function
XPath 1.0 lacks makes a selector one the browser cannot read (`functions_the_browser_lacks`).
"""
from __future__ import annotations

import re

_LITERAL = r"\"[^\"]*\"|'[^']*'"
_NAME_START = r"(?<![\w.:-])"
# A string literal (kept as it is), else a call of has-class() with its class names (XPath literals hold no
# escapes, so a literal is a quote to the next same quote; a call written inside a literal is left alone).
_HAS_CLASS = re.compile(rf"(?P<literal>{_LITERAL})|{_NAME_START}has-class\s*\(\s*"
                        rf"(?P<classes>(?:{_LITERAL})(?:\s*,\s*(?:{_LITERAL}))*)\s*\)")
# A string literal, else a function call or node test: a (prefixed) name followed by an opening parenthesis.
_CALL = re.compile(rf"(?P<literal>{_LITERAL})|{_NAME_START}(?P<name>[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?)\s*\(")

XPATH_1 = frozenset({
    # the core function library of XPath 1.0
    "last", "position", "count", "id", "local-name", "namespace-uri", "name", "string", "concat", "starts-with",
    "contains", "substring-before", "substring-after", "substring", "string-length", "normalize-space",
    "translate", "boolean", "not", "true", "false", "lang", "number", "sum", "floor", "ceiling", "round",
    # node tests, and the operators a parenthesis may follow
    "node", "text", "comment", "processing-instruction", "and", "or", "div", "mod",
})


def _class_test(literal: str) -> str:
    quote, name = literal[0], literal[1:-1].strip()
    return f"contains(concat(' ', normalize-space(@class), ' '), {quote} {name} {quote})"


def browser_xpath(expression: str) -> str:
    """`expression` with each `has-class("a", ...)` written in XPath 1.0 (true when the node's class attribute
    holds every one of the names, as lxml's has-class is)."""

    def translated(found: re.Match[str]) -> str:
        if found["literal"]:
            return found["literal"]
        names = re.findall(_LITERAL, found["classes"])
        return "(" + " and ".join(_class_test(name) for name in names) + ")"

    return _HAS_CLASS.sub(translated, expression)


def functions_the_browser_lacks(expression: str) -> list[str]:
    """The functions `expression` calls that the browser's XPath 1.0 lacks, once `has-class()` is translated
    (`re:test`, `set:difference`, ...), in order, each once."""
    lacking = [found["name"] for found in _CALL.finditer(browser_xpath(expression))
               if found["name"] and found["name"] not in XPATH_1]
    return list(dict.fromkeys(lacking))
