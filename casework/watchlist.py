"""The 快速预审 watch list: agencies with violations confirmed in the last months, for the IP protection centre,
which handles the fast pre-examination requests of violating agencies strictly. One row per agency (resolved
across its confirmed leads) with its codes, licence status from the registry, violations, lead numbers and the
SHA-256 of each lead's evidence; CSV and XLSX, every cell formula-safe."""
from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from casework.advertisers import resolve
from casework.agencies import LICENCE_NAMES_ZH, licence
from casework.export import write_csv, write_xlsx
from casework.workflow import CONFIRMED_STATUSES, last_status_event
from core.beijing import stamp_zh
from core.labels import LABEL_NAMES_ZH
from core.lead import Lead
from crawler.platforms import display_names
from detector.registry import AgencyRegistry


@dataclass(frozen=True)
class WatchedAgency:
    name: str
    aliases: list[str]
    codes: list[str]
    licence: str
    licence_note: str
    violations: list[str]
    platforms: list[str]
    lead_ids: list[str]
    evidence: list[str]
    first_confirmed: str
    last_confirmed: str


COLUMNS: tuple[tuple[str, str], ...] = (
    ("name", "机构名称"), ("aliases", "其他名称"), ("codes", "机构代码"), ("licence", "名录状态"),
    ("licence_note", "名录核对说明"), ("violations", "确认的违法情形"), ("platforms", "平台"), ("lead_ids", "线索编号"),
    ("evidence", "证据校验值（SHA-256）"), ("first_confirmed", "首次确认"), ("last_confirmed", "最近确认"),
)


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the month's last day when it is shorter)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(moment.day, monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def confirmed_at(lead: Lead) -> str | None:
    """When a reviewer (or the supervisor) last confirmed the lead as a violation."""
    return str(last_status_event(lead, "confirmed").get("at") or "") or None


def watched_agencies(leads: Iterable[Lead], registry: AgencyRegistry | None, *, months: int = 12,
                     now: datetime | None = None, registry_problem: str | None = None) -> list[WatchedAgency]:
    """Agencies with a lead confirmed in the last `months` months and still counted as a violation, most recently
    confirmed first. `registry` is the licensed-agency registry (None when it cannot be read: `registry_problem`).
    Platforms are named as staff know them (`crawler.platforms.display_names`)."""
    platform_names = display_names()
    since = months_before(now or datetime.now(UTC), months).strftime("%Y-%m-%dT%H:%M:%SZ")
    confirmed = [doc for doc in leads if doc.status in CONFIRMED_STATUSES and (confirmed_at(doc) or "") >= since]
    by_id = {doc.id: doc for doc in confirmed}
    watched = []
    for advertiser in resolve(confirmed, use_images=False):
        docs = [by_id[lead_id] for lead_id in advertiser.lead_ids]
        status = licence(advertiser, registry, registry_problem)
        dates = sorted(confirmed_at(doc) or "" for doc in docs)
        codes = advertiser.contacts.get("agency_code", [])
        # The registry's name when the agency is in it, else the longest (the full legal name, not a shop's).
        name = status["registry_name"] or max(advertiser.names, key=len, default="") or \
            (codes[0] if codes else "（未署名）")
        watched.append(WatchedAgency(
            name=name, aliases=[other for other in advertiser.names if other != name], codes=codes,
            licence=LICENCE_NAMES_ZH.get(status["status"], status["status"]), licence_note=status["note"],
            violations=sorted({LABEL_NAMES_ZH.get(label, label)
                               for doc in docs for label in doc.confirmed_violations()}),
            platforms=[platform_names.get(code, code) for code in advertiser.platforms], lead_ids=advertiser.lead_ids,
            evidence=[f"{doc.id} 网页原文 {doc.raw_sha256 or '无'} 截图 {doc.screenshot_sha256 or '无'}"
                      for doc in docs],
            first_confirmed=dates[0], last_confirmed=dates[-1]))
    watched.sort(key=lambda agency: (agency.last_confirmed, agency.name), reverse=True)
    return watched


# Instants kept in UTC, written in Beijing time with the zone named, as every export gives times.
TIME_COLUMNS = ("first_confirmed", "last_confirmed")


def _row(agency: WatchedAgency) -> list[Any]:
    values = {key: stamp_zh(value, value) if key in TIME_COLUMNS else value for key, value in agency.__dict__.items()}
    return ["\n".join(value) if isinstance(value, list) else value for value in (values[key] for key, _ in COLUMNS)]


def write_watchlist_csv(agencies: list[WatchedAgency], path: Path) -> Path:
    write_csv(path, [title for _, title in COLUMNS], map(_row, agencies))
    return path


def write_watchlist_xlsx(agencies: list[WatchedAgency], path: Path) -> Path:
    write_xlsx(path, "快速预审关注名单", [title for _, title in COLUMNS], map(_row, agencies))
    return path

