"""Text from outside on the terminal: crawled fields are written by the people we monitor, so they are shown as
text — never read as Rich markup (a title `[/]` would crash the print, `[link=…]` would plant a hyperlink) and
never passed on as terminal control sequences (escape codes), and bidi overrides that reorder what staff read are
shown as what they are (`core.visible`)."""
from __future__ import annotations

import html
import re

from rich.text import Text

from core.visible import shown

# C0 controls except tab and line feed, DEL and C1 controls (invisible format characters: `core.visible`).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_MARK = re.compile("</?em>")


def _visible(match: re.Match[str]) -> str:
    """A control character as its Unicode control picture (ESC shows as ␛), or U+FFFD when it has none (C1)."""
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)
    return "\u2421" if code == 0x7F else "\ufffd"


def as_text(value: object, style: str = "") -> Text:
    """`value` for a Rich print or table cell: markup characters stay literal, control characters are shown, and
    so are invisible format characters such as bidi overrides (`core.visible.shown`)."""
    return Text(shown(_CONTROL.sub(_visible, "" if value is None else str(value))), style=style)


def highlighted(fragment: str, style: str = "", mark: str = "bold yellow") -> Text:
    """A search fragment as `LeadPage.highlights` holds it (HTML-escaped, matches in `<em>`) as terminal text."""
    text = Text(style=style)
    for index, part in enumerate(_MARK.split(fragment)):
        text.append_text(as_text(html.unescape(part), mark if index % 2 else ""))
    return text
