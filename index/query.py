"""What the CLI and casework ask the lead store: filters, free text, sorting, paging, and the page returned."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from core.beijing import BEIJING
from core.labels import LABEL_NAMES_ZH, LABELS
from core.lead import SOURCES, STATUS_NAMES_ZH, STATUSES, Lead, iso_utc

SORTS: tuple[str, ...] = ("risk", "last_seen", "first_seen", "relevance")
DATE_FIELDS: tuple[str, ...] = ("first_seen", "last_seen", "fetched_at")
COUNT_BY: tuple[str, ...] = (
    "label", "platform", "district", "status", "week", "agency", "cluster", "listing_status", "source",
)
# How deep a page may reach (offset + limit): Elasticsearch's default `index.max_result_window`, and the same for
# the embedded store so that both answer alike. `iter_leads` streams past it.
MAX_WINDOW = 10_000


def _named(kind: str, values: list[str], names: tuple[str, ...], names_zh: dict[str, str]) -> list[str]:
    """`values` as the stored names of a fixed vocabulary (labels, statuses), each given by that name or by the
    Chinese one staff read (`已确认` for `confirmed`); a value that is neither is refused, for a misspelt filter
    would otherwise match nothing and read as "no such leads"."""
    by_name_zh = {name_zh: name for name, name_zh in names_zh.items()}
    stored = [by_name_zh.get(value, value) for value in values]
    unknown = [value for value in stored if value not in names]
    if unknown:
        raise ValueError(f"unknown {kind} {', '.join(map(repr, unknown))}: use one of "
                         + ", ".join(f"{name} ({names_zh[name]})" for name in names))
    return stored


@dataclass
class LeadQuery:
    """Filters combine with AND; values inside one list filter combine with OR.

    `text` matches title, text and seller as phrases (every whitespace-separated term must occur); dates are
    compared on `date_field` inclusively (`since` <= date <= `until`). `read_without_rendering` True keeps only
    leads whose newest fetch was read without rendering (a rendered page that hung), False only the others.
    """

    text: str | None = None
    ids: list[str] = field(default_factory=list)
    id_prefix: str | None = None
    labels: list[str] = field(default_factory=list)
    platforms: list[str] = field(default_factory=list)
    districts: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    agency_codes: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    cluster_id: str | None = None
    listing_status: str | None = None
    read_without_rendering: bool | None = None
    min_risk: float | None = None
    max_risk: float | None = None
    date_field: str = "last_seen"
    since: str | None = None
    until: str | None = None
    sort: str = "risk"
    descending: bool = True
    offset: int = 0
    limit: int = 20

    def __post_init__(self) -> None:
        for name in ("ids", "labels", "platforms", "districts", "statuses", "assignees", "agency_codes", "sources"):
            value = getattr(self, name)
            setattr(self, name, [value] if isinstance(value, str) else [str(v) for v in value or []])
        self.labels = _named("label", self.labels, LABELS, LABEL_NAMES_ZH)
        self.statuses = _named("status", self.statuses, STATUSES, STATUS_NAMES_ZH)
        unknown = [source for source in self.sources if source not in SOURCES]
        if unknown:
            raise ValueError(f"unknown source {', '.join(unknown)}: use one of {', '.join(SOURCES)}")
        if self.sort not in SORTS:
            raise ValueError(f"unknown sort {self.sort!r}: use one of {', '.join(SORTS)}")
        if self.date_field not in DATE_FIELDS:
            raise ValueError(f"unknown date field {self.date_field!r}: use one of {', '.join(DATE_FIELDS)}")
        if self.since is not None:
            self.since = _day_bound(self.since, time(0, 0, 0))
        if self.until is not None:
            self.until = _day_bound(self.until, time(23, 59, 59))
        if self.offset < 0 or self.limit < 0:
            raise ValueError("offset and limit must not be negative")
        if self.offset + self.limit > MAX_WINDOW:
            raise ValueError(f"a page reaches at most lead {MAX_WINDOW:,} (offset {self.offset:,} + limit "
                             f"{self.limit:,}): narrow the filters to see further")
        for name in ("min_risk", "max_risk"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 1:
                raise ValueError(f"{name} must be a number from 0 to 1")
        self.text = (self.text or "").strip() or None

    def terms(self) -> list[str]:
        """The free-text terms (each searched as a phrase); terms without a letter or digit are ignored."""
        return [t for t in (self.text or "").split() if any(ch.isalnum() for ch in t)]


def _day_bound(value: Any, moment: time) -> str:
    """`since` or `until` as a UTC instant: a bare date (`2026-12-01`, as staff type it and the console's date
    fields send it) is a day in Beijing, from its first second (`since`) to its last (`until`) there; a time keeps
    its own zone (UTC when it names none)."""
    text = str(value).strip()
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError as exc:
        raise ValueError(f"not an ISO-8601 date: {text!r}") from exc
    return iso_utc(datetime.combine(day, moment, BEIJING) if day else text)


@dataclass
class LeadPage:
    """One page of results: `total` matches, `leads` on this page, and highlighted fragments per lead id.

    Highlights mark matched terms with `<em>…</em>` in fragments of `title`, `text` and `seller`.
    """

    total: int
    leads: list[Lead]
    highlights: dict[str, dict[str, list[str]]]
    offset: int = 0
    limit: int = 20
