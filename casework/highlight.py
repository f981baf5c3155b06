"""Split a listing field into segments marked with the labels whose evidence spans cover them.

The console renders each segment as escaped text inside a `<mark>` per label; building segments here (instead of
inserting tags into the text) means crawled content is never treated as markup.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Segment:
    text: str
    labels: tuple[str, ...] = ()


def _located(text: str, span: Mapping[str, Any]) -> tuple[int, int] | None:
    """The span's offsets if they match its text; otherwise the first occurrence of its text; else None."""
    quoted = str(span.get("text") or "")
    try:
        start, end = int(span["start"]), int(span["end"])
    except (KeyError, TypeError, ValueError):
        start = end = -1
    if 0 <= start < end <= len(text) and (not quoted or text[start:end] == quoted):
        return start, end
    if quoted:
        found = text.find(quoted)
        if found >= 0:
            return found, found + len(quoted)
    return None


def segments(text: str, spans: Iterable[Mapping[str, Any]], field: str) -> list[Segment]:
    """Segments of `text` (the listing's `field`) covering it completely, in order."""
    text = text or ""
    ranges: list[tuple[int, int, str]] = []
    for span in spans:
        if str(span.get("field") or "text") != field:
            continue
        located = _located(text, span)
        if located:
            ranges.append((*located, str(span.get("label") or "")))
    cuts = sorted({0, len(text), *(s for s, _, _ in ranges), *(e for _, e, _ in ranges)})
    result: list[Segment] = []
    for start, end in zip(cuts, cuts[1:]):
        covering = tuple(sorted({label for s, e, label in ranges if s <= start and end <= e}))
        if result and result[-1].labels == covering:
            result[-1] = Segment(result[-1].text + text[start:end], covering)
        else:
            result.append(Segment(text[start:end], covering))
    return result
