"""Crawled text as people read it: the characters that draw nothing yet change what is read are made visible.

A seller can put a right-to-left override (U+202E) into a title or URL so that it reads differently from what it
says, or zero-width characters between the letters of a name so that it looks like another. Everything staff read
or send (the console, the terminal, exports, takedown letters) shows each such character as its code point,
`〈U+202E〉` (CJK angle brackets: the takedown PDF's font has them), and they are counted; the stored lead, its raw
page and the evidence keep the text as it was fetched.

The characters are Unicode's format characters (general category Cf: bidi embeddings, overrides, isolates and marks,
zero-width space and joiners, the BOM, invisible operators, tag characters), as the `regex` library's Unicode
database classes them, rather than listed by hand.
"""
from __future__ import annotations

from typing import Any

import regex
from markupsafe import Markup

INVISIBLE = regex.compile(r"\p{Cf}")
"""One character that draws nothing and changes what a reader sees (category Cf)."""


def _named(match: Any) -> str:
    return f"〈U+{ord(match.group()):04X}〉"


def shown(text: str) -> str:
    """`text` with every invisible format character written as its code point (`〈U+202E〉`)."""
    return str(INVISIBLE.sub(_named, text))


def invisible_count(text: str) -> int:
    """How many invisible format characters `text` holds."""
    return len(INVISIBLE.findall(text))


def shown_in_template(value: Any) -> Any:
    """The `finalize` of a Jinja environment printing crawled text (the console, the weekly report): every value
    printed with its invisible format characters shown. Markup (a macro's output) stays markup: showing a character
    writes only `〈U+…〉`, nothing to escape."""
    if isinstance(value, Markup):
        return Markup(shown(str(value)))
    return shown(value) if isinstance(value, str) else value
