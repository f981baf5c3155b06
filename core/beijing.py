"""Beijing time, the time staff read: the stores and the evidence log keep instants in UTC (`core.lead.iso_utc`),
and every time a member of staff reads is given in Beijing with its zone named, in the console, the exports, the
letters (`casework.dates`) and the terminal alike (a bare `2026-11-20T23:30:00Z` read in Shanghai is eight hours and
a day off)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from core.lead import instant

BEIJING = timezone(timedelta(hours=8), "北京时间")
"""China Standard Time, UTC+8 all year (China keeps no daylight saving time)."""


def in_beijing(value: str | datetime | None) -> datetime | None:
    """The moment `value` in Beijing, or None when there is none or it cannot be read (a stored field is never
    trusted to parse)."""
    if not value:
        return None
    try:
        return instant(value).astimezone(BEIJING)
    except (TypeError, ValueError):
        return None


def stamp_zh(value: str | datetime | None, missing: str = "") -> str:
    """The moment `value` in Beijing for a spreadsheet cell or a terminal, in an order that sorts and with its time
    zone named: `2026-12-05 18:33:54（北京时间）`; `missing` when there is none or it cannot be read."""
    moment = in_beijing(value)
    return missing if moment is None else f"{moment:%Y-%m-%d %H:%M:%S}（{BEIJING.tzname(None)}）"
