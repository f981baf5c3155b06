"""The seen-store: what the crawler has already fetched, for incremental re-crawls that survive restarts.

One SQLite row (WAL journal) per canonical listing URL. The crawler asks `is_due()` before re-fetching a known
listing, reports every fetch with `observe()` (new / unchanged / changed by content hash, so only new or changed
content goes back to the detector) and a disappearance with `mark_removed()`. Scrapy's JOBDIR keeps the request
queue of an interrupted crawl; this store keeps what was learnt across crawls.

A fetch counts only once its outcome has reached the lead store: `observe()` compares with the content last
`settle()`d (the lead sink settles a listing after its lead write) and leaves the row pending until then. A
crawl killed in between (`kill -9`, a crash) leaves pending rows, which the next crawl fetches at once and detects
again, so no listing is taken for "unchanged" while its lead was never written.
"""
from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from w3lib.url import canonicalize_url

from core.settings import data_dir
from core.sqlite import open_database, transaction

Observation = Literal["new", "unchanged", "changed"]
ACTIVE, REMOVED = "active", "removed"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS seen (
    url TEXT PRIMARY KEY,
    platform TEXT NOT NULL,
    content_sha256 TEXT,
    first_seen TEXT NOT NULL,
    last_seen TEXT,
    last_fetched TEXT NOT NULL,
    seen_count INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'removed')),
    removed_at TEXT,
    removed_reason TEXT,
    lead INTEGER NOT NULL DEFAULT 0,
    pending INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS seen_platform_fetched ON seen (platform, last_fetched);
"""
# Columns added since the first version, for stores written by an older lantian.
_ADDED_COLUMNS = {"pending": "INTEGER NOT NULL DEFAULT 0"}


def default_path() -> Path:
    """Where the crawler keeps its seen-store unless told otherwise: `data_dir()/crawl/seen.sqlite3`."""
    return data_dir() / "crawl" / "seen.sqlite3"


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("seen-store times must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _interval(interval: timedelta | float) -> timedelta:
    return interval if isinstance(interval, timedelta) else timedelta(seconds=float(interval))


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _moment(value: str) -> datetime:
    """A column every row has (NOT NULL)."""
    return datetime.fromisoformat(value)


def canonical(url: str) -> str:
    """The store's key: w3lib's canonical form (sorted query, no fragment), so equal listings share one row."""
    return canonicalize_url(url.strip())


@dataclass(frozen=True)
class SeenRecord:
    url: str
    platform: str
    content_sha256: str | None
    first_seen: datetime
    last_seen: datetime | None  # last fetch that found the listing live
    last_fetched: datetime
    seen_count: int
    status: str
    removed_at: datetime | None
    removed_reason: str | None
    lead: bool
    pending: bool  # fetched, but the outcome has not reached the lead store yet

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> SeenRecord:
        return cls(
            url=row["url"], platform=row["platform"], content_sha256=row["content_sha256"],
            first_seen=_moment(row["first_seen"]), last_seen=_parse(row["last_seen"]),
            last_fetched=_moment(row["last_fetched"]), seen_count=row["seen_count"], status=row["status"],
            removed_at=_parse(row["removed_at"]), removed_reason=row["removed_reason"], lead=bool(row["lead"]),
            pending=bool(row["pending"]),
        )


class SeenStore:
    """Persistent per-URL crawl state; one connection guarded by a lock, so threads of one process may share it."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path else default_path()
        self._lock = threading.Lock()
        try:
            self._db = open_database(self.path)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            present = {row["name"] for row in self._db.execute("PRAGMA table_info(seen)")}
            for name, definition in _ADDED_COLUMNS.items():
                if name not in present:
                    self._db.execute(f"ALTER TABLE seen ADD COLUMN {name} {definition}")
        except sqlite3.DatabaseError as exc:
            raise ValueError(f"{self.path}: not a usable seen-store database: {exc}") from exc

    def get(self, url: str) -> SeenRecord | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM seen WHERE url = ?", (canonical(url),)).fetchone()
        return SeenRecord.from_row(row) if row else None

    def is_due(self, url: str, interval: timedelta | float, now: datetime | None = None) -> bool:
        """True when `url` was never fetched, its last fetch never reached the lead store (pending), or its last
        fetch is at least `interval` (timedelta or seconds) old."""
        record = self.get(url)
        return record is None or record.pending or record.last_fetched + _interval(interval) <= (now or _now())

    def observe(
        self, url: str, platform: str, content_sha256: str, now: datetime | None = None
    ) -> Observation:
        """Record a fetch that found the listing live, compared with what reached the lead store (`settle`).

        "new": never settled; "unchanged": same content hash as the settled one (only last_seen moves);
        "changed": different content, or a listing marked removed that is back (both need detecting again).
        New and changed rows stay pending until `settle`.
        """
        at = _iso(now or _now())
        key = canonical(url)
        with transaction(self._db, self._lock):
            row = self._db.execute("SELECT content_sha256, status FROM seen WHERE url = ?", (key,)).fetchone()
            if row is None:
                self._db.execute(
                    "INSERT INTO seen (url, platform, first_seen, last_seen, last_fetched, seen_count, pending)"
                    " VALUES (?, ?, ?, ?, ?, 1, 1)",
                    (key, platform, at, at, at),
                )
                return "new"
            result: Observation = (
                "new" if row["content_sha256"] is None
                else "unchanged" if row["content_sha256"] == content_sha256 and row["status"] == ACTIVE
                else "changed"
            )
            self._db.execute(
                "UPDATE seen SET platform = ?, last_seen = ?, last_fetched = ?, seen_count = seen_count + 1,"
                " pending = pending OR ? WHERE url = ?",
                (platform, at, at, int(result != "unchanged"), key),
            )
            return result

    def settle(self, url: str, content_sha256: str | None = None, lead: bool = False) -> None:
        """Record that the outcome of the last fetch reached the lead store: a live listing's content
        (`content_sha256`, None for a removal) and whether it is a lead (a lead stays one)."""
        with transaction(self._db, self._lock):
            if content_sha256 is None:
                self._db.execute("UPDATE seen SET pending = 0, lead = lead OR ? WHERE url = ?",
                                 (int(lead), canonical(url)))
                return
            self._db.execute(
                "UPDATE seen SET content_sha256 = ?, status = 'active', removed_at = NULL, removed_reason = NULL,"
                " pending = 0, lead = lead OR ? WHERE url = ?",
                (content_sha256, int(lead), canonical(url)),
            )

    def mark_removed(
        self, url: str, reason: str = "removed", platform: str | None = None, now: datetime | None = None
    ) -> bool:
        """Record a fetch that found the listing gone (404, "已下架" …); True if it was active (or unknown) before.

        An unknown URL gets a row too (with `platform`, default "unknown"), so it is not fetched again before due.
        A known one stays pending until `settle` (its lead has to be marked removed).
        """
        at = _iso(now or _now())
        key = canonical(url)
        with transaction(self._db, self._lock):
            row = self._db.execute("SELECT status FROM seen WHERE url = ?", (key,)).fetchone()
            if row is None:
                self._db.execute(
                    "INSERT INTO seen (url, platform, first_seen, last_fetched, status, removed_at, removed_reason)"
                    " VALUES (?, ?, ?, ?, 'removed', ?, ?)",
                    (key, platform or "unknown", at, at, at, reason),
                )
                return True
            was_active = row["status"] == ACTIVE
            self._db.execute(
                "UPDATE seen SET last_fetched = ?, status = 'removed', pending = 1,"
                " removed_at = CASE WHEN status = 'removed' THEN removed_at ELSE ? END,"
                " removed_reason = CASE WHEN status = 'removed' THEN removed_reason ELSE ? END"
                " WHERE url = ?",
                (at, at, reason, key),
            )
            return was_active

    def due(
        self, platform: str, interval: timedelta | float, now: datetime | None = None, leads_only: bool = False
    ) -> Iterator[SeenRecord]:
        """Known listings of `platform` whose re-fetch is due (or pending, see `settle`), oldest fetch first (to
        schedule re-crawls)."""
        cutoff = _iso((now or _now()) - _interval(interval))
        query = "SELECT * FROM seen WHERE platform = ? AND (last_fetched <= ? OR pending = 1)"
        if leads_only:
            query += " AND lead = 1"
        with self._lock:
            rows = self._db.execute(query + " ORDER BY last_fetched", (platform, cutoff)).fetchall()
        return (SeenRecord.from_row(row) for row in rows)

    def counts(self, platform: str | None = None) -> dict[str, int]:
        """Totals: total, active, removed, leads (for one platform, or all)."""
        query = (
            "SELECT COUNT(*) AS total, COALESCE(SUM(status = 'active'), 0) AS active,"
            " COALESCE(SUM(status = 'removed'), 0) AS removed, COALESCE(SUM(lead), 0) AS leads FROM seen"
        )
        params: tuple[str, ...] = ()
        if platform is not None:
            query, params = query + " WHERE platform = ?", (platform,)
        with self._lock:
            row = self._db.execute(query, params).fetchone()
        return {key: int(row[key]) for key in ("total", "active", "removed", "leads")}

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> SeenStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
