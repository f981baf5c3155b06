"""Whether a fetched listing page says the listing was taken down, decided in one place for the crawl and the
re-check (`casework.recheck`) alike.

A listing is removed when the platform answers a removal status (`REMOVED_STATUSES`), or when its page shows one of
the platform YAML's `detail.removed_markers` (已下架, 该内容已被删除 …) and no listing title: a live listing may quote
such a phrase in its own text, a removal page has no listing on it.
"""
from __future__ import annotations

from collections.abc import Iterable

REMOVED_STATUSES = (404, 410)


def removal_notice(shown: str, title: str, markers: Iterable[str]) -> str | None:
    """The removal marker the page shows (`shown`: its visible text, or its data), None when it shows a listing
    (`title` found) or none of the markers."""
    if title:
        return None
    return next((marker for marker in markers if marker in shown), None)
