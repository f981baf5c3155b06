"""Dates and times as the office's letters print them: in Beijing time, the way Chinese official documents write
them (GB/T 9704-2012, 7.3.5.1: the year, month and day in Arabic numerals, in full, the month and day without a
leading zero, "2026年12月5日"). The stores keep instants in UTC (`core.lead.iso_utc`); a letter names the day and
time its reader lives in, and says which time zone that is (`core.beijing`; its `stamp_zh` gives a time for a cell).
"""
from __future__ import annotations

import zipfile
from datetime import datetime

from core.beijing import BEIJING, in_beijing
from core.lead import instant


def date_zh(value: str | datetime) -> str:
    """The day of `value` in Beijing, as an official document dates it: `2026年12月5日`."""
    day = instant(value).astimezone(BEIJING)
    return f"{day.year}年{day.month}月{day.day}日"


def time_zh(value: str | datetime | None, missing: str = "不详") -> str:
    """The moment `value` in Beijing with its time zone named: `2026年12月5日 18:33:54（北京时间）`; `missing` when
    there is none or it cannot be read (a stored field is never trusted to parse)."""
    moment = in_beijing(value)
    return missing if moment is None else f"{date_zh(moment)} {moment:%H:%M:%S}（{BEIJING.tzname(None)}）"


def minute_zh(value: str | datetime | None, missing: str = "") -> str:
    """The moment `value` in Beijing to the minute, for a table column whose heading names the time zone:
    `2026-12-05 18:33`; `missing` when there is none or it cannot be read."""
    moment = in_beijing(value)
    return missing if moment is None else f"{moment:%Y-%m-%d %H:%M}"


def zip_entry(name: str, when: datetime | None = None) -> zipfile.ZipInfo:
    """A ZIP entry (deflated, readable by its owner) dated in Beijing: a ZIP keeps a bare local time, and one
    written in UTC showed a package packed at 03:14 on the 6th as packed at 19:14 on the 5th, before the fetch
    time its letter gives (2026年12月6日 03:00:19（北京时间）)."""
    moment = (when or datetime.now(BEIJING)).astimezone(BEIJING)
    entry = zipfile.ZipInfo(name, date_time=moment.timetuple()[:6])
    entry.compress_type = zipfile.ZIP_DEFLATED
    entry.external_attr = 0o600 << 16
    return entry
