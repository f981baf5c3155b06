"""Triage: the order in which staff review leads, and why each lead ranks where it does.

Detector risk alone orders nothing once most leads sit near 1.0, so the review queue is ranked by a priority made
of points staff can explain and tune (`config/casework/triage.yaml`): how serious each label is, several labels at
once, a repeat offender (other leads with the same agency code, phone, WeChat or QQ; the agency's risk class), the
platform's reach, how recently the listing was seen, and whether a complaint names it. Every point comes with its
reason in Chinese, shown in the console and by `lantian leads list`.

The other order, "uncertain first", puts the leads whose label scores sit nearest the detector's thresholds first:
reviewing those teaches the model the most (issue 16). The thresholds are the trained model's
(`models/detector/model.json`) or, in rules-only mode, `config/detector/detector.yaml`'s.
"""
from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from casework.config import TriageConfig, load_triage_config
from core.config import ConfigError
from core.labels import LABEL_NAMES_ZH
from core.lead import Lead

# Orders computed here (the store's own sorts are in index.query.SORTS).
from core.settings import project_root
from crawler.platforms import display_names
from detector.config import load_detector_file
from index import LeadPage, LeadQuery
from index.store import MAX_AGENCIES, LeadStore

# Orders computed here (the store's own sorts are in index.query.SORTS).
ORDERS: tuple[str, ...] = ("priority", "uncertain")
MODEL_META = Path("models") / "detector" / "model.json"
CONTACT_KINDS = ("phone", "wechat", "qq")


@dataclass(frozen=True)
class Reason:
    """One item of a lead's priority: what it is (in Chinese, for staff) and the points it gives."""

    what: str
    points: float


class RankedLead(Lead):
    """A lead as `Triage.rank` returns it: its priority, the reasons for it (`what`, `points`), and, ordered by
    uncertainty, how near its scores are to the detector's thresholds (its document has the three fields last)."""

    priority: float
    priority_reasons: list[dict[str, Any]]
    uncertainty: float | None


@dataclass(frozen=True)
class Priority:
    score: float
    reasons: tuple[Reason, ...]

    def explain(self, limit: int | None = None) -> str:
        """The reasons as one line, largest first: `冒用官方名义、标识 +40；同一联系方式另有 3 条线索 +12`."""
        items = sorted(self.reasons, key=lambda r: -r.points)[:limit]
        return "；".join(f"{r.what} +{r.points:g}" for r in items)


def contact_keys(lead: Lead) -> set[tuple[str, str]]:
    """The agency code and contacts that tie a lead to other leads of the same advertiser."""
    keys: set[tuple[str, str]] = set()
    if lead.agency_code:
        keys.add(("agency_code", lead.agency_code.strip()))
    for kind in CONTACT_KINDS:
        for value in lead.contacts.get(kind) or []:
            text = "".join(str(value).split()).lower()
            if text:
                keys.add((kind, text))
    return keys


class Neighbours:
    """Which leads share an agency code or a contact (built once over all leads)."""

    def __init__(self, leads: Iterable[Lead]) -> None:
        self._leads: dict[tuple[str, str], set[str]] = defaultdict(set)
        for lead in leads:
            for key in contact_keys(lead):
                self._leads[key].add(lead.id)

    def of(self, lead: Lead) -> set[str]:
        """The other leads that share an agency code or a contact with `lead`."""
        ids: set[str] = set()
        for key in contact_keys(lead):
            ids |= self._leads.get(key, set())
        return ids - {lead.id}

    def others(self, lead: Lead) -> int:
        return len(self.of(lead))


def is_complaint(lead: Lead) -> bool:
    """Whether a complaint from the public names the listing (intake records `source` and `complaints`)."""
    return lead.source == "complaint" or bool(lead.complaints)


def _days_since(stamp: Any, now: datetime) -> float | None:
    if not stamp:
        return None
    try:
        seen = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return None
    return max((now - seen).total_seconds() / 86400, 0.0)


def priority(lead: Lead, config: TriageConfig, *, others: int = 0, agency_class: str | None = None,
             now: datetime | None = None, platform_names: Mapping[str, str] | None = None) -> Priority:
    """A lead's triage priority with the reason for every point (its platform named by `platform_names`,
    `crawler.platforms.display_names`, else by its code)."""
    now = now or datetime.now(UTC)
    reasons: list[Reason] = []
    names = lead.labels
    for label in names:
        if config.label_severity.get(label):
            reasons.append(Reason(f"违法情形：{LABEL_NAMES_ZH.get(label, label)}", config.label_severity[label]))
    extra = min(max(len(names) - 1, 0), config.extra_labels.cap)
    if extra and config.extra_labels.points:
        reasons.append(Reason(f"一条信息同时涉及 {len(names)} 种违法情形", extra * config.extra_labels.points))
    counted = min(others, config.repeat_offender.per_other_lead.cap)
    if counted and config.repeat_offender.per_other_lead.points:
        reasons.append(Reason(f"同一机构代码或联系方式另有 {others} 条线索",
                              counted * config.repeat_offender.per_other_lead.points))
    if agency_class and config.repeat_offender.agency_class.get(agency_class):
        reasons.append(Reason(f"所属机构风险分类 {agency_class} 类", config.repeat_offender.agency_class[agency_class]))
    reach = config.reach(lead.platform)
    if reach:
        platform = (platform_names or {}).get(lead.platform or "", lead.platform)
        reasons.append(Reason(f"平台影响面（{platform or '未知平台'}）", reach))
    days = _days_since(lead.last_seen or lead.fetched_at, now)
    if days is not None and config.recency.points:
        points = round(config.recency.points * 0.5 ** (days / config.recency.half_life_days), 1)
        if points:
            reasons.append(Reason(f"最近发现于 {days:.0f} 天前", points))
    if is_complaint(lead) and config.complaint:
        reasons.append(Reason("有群众投诉指向该信息", config.complaint))
    return Priority(round(sum(r.points for r in reasons), 1), tuple(reasons))


def label_thresholds(config: Path | None = None, model_meta: Path | None = None) -> dict[str, float]:
    """Each label's decision threshold as the detector uses it: detector.yaml's, replaced by the trained model's
    where `models/detector/model.json` exists (the detector's own rule for choosing its mode)."""
    thresholds = dict(load_detector_file(config)[0].thresholds)
    meta = model_meta or project_root() / MODEL_META
    if meta.is_file():
        try:
            trained = json.loads(meta.read_text(encoding="utf-8")).get("thresholds") or {}
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{meta}: cannot read the trained model's thresholds ({exc})") from exc
        thresholds.update({str(k): float(v) for k, v in trained.items()})
    return thresholds


def uncertainty(lead: Lead, thresholds: Mapping[str, float]) -> float:
    """How far the lead's label score nearest its threshold is from it (0 = on the threshold; 1 = no scores)."""
    distances = [abs(score - thresholds[label]) for label, score in lead.scores.items() if label in thresholds]
    return round(min(distances), 4) if distances else 1.0


class Triage:
    """Ranks the leads of a query by priority or uncertainty, over one snapshot of who shares contacts."""

    def __init__(self, store: LeadStore, config: TriageConfig | None = None,
                 thresholds: Mapping[str, float] | None = None, *, reuse_seconds: float = 0.0) -> None:
        """`reuse_seconds`: how long a long-running caller (the console) reuses the snapshot of shared contacts
        and agency classes before reading them again; 0 reads them once for the object's life."""
        self.store = store
        self.config = config or load_triage_config()
        self.reuse_seconds = reuse_seconds
        self._thresholds = dict(thresholds) if thresholds is not None else None
        self._platform_names: dict[str, str] | None = None
        self._neighbours: Neighbours | None = None
        self._loaded = 0.0
        self._agency_class: dict[str, str] = {}

    @property
    def thresholds(self) -> dict[str, float]:
        if self._thresholds is None:
            self._thresholds = label_thresholds()
        return self._thresholds

    @property
    def platform_names(self) -> dict[str, str]:
        """The platforms by the names staff know them by, as the reasons name them."""
        if self._platform_names is None:
            self._platform_names = display_names()
        return self._platform_names

    def refresh(self) -> Neighbours:
        """Read again which leads share contacts and which agency class each lead has."""
        self._neighbours = Neighbours(self.store.iter_leads(LeadQuery()))
        self._loaded = time.monotonic()
        self._agency_class = {lead_id: doc.risk_level for doc in self.store.search_agencies(limit=MAX_AGENCIES)
                              if not doc.superseded and doc.risk_level for lead_id in doc.lead_ids}
        return self._neighbours

    def _current(self) -> Neighbours:
        stale = self.reuse_seconds and time.monotonic() - self._loaded > self.reuse_seconds
        return self.refresh() if self._neighbours is None or stale else self._neighbours

    def priority(self, lead: Lead, now: datetime | None = None) -> Priority:
        return priority(lead, self.config, others=self._current().others(lead),
                        agency_class=self._agency_class.get(lead.id), now=now, platform_names=self.platform_names)

    def sharing(self, lead: Lead) -> set[str]:
        """The other leads that share an agency code or a contact with `lead`: those its priority counts."""
        return self._current().of(lead)

    def rank(self, query: LeadQuery, order: str = "priority", now: datetime | None = None) -> LeadPage:
        """One page of the query's leads in `order`; each lead carries `priority`, `priority_reasons` and
        `uncertainty`."""
        if order not in ORDERS:
            raise ValueError(f"unknown order {order!r}: use one of {', '.join(ORDERS)}")
        scored: list[tuple[Lead, Priority, float | None]] = []
        for lead in self.store.iter_leads(query):
            scored.append((lead, self.priority(lead, now),
                           uncertainty(lead, self.thresholds) if order == "uncertain" else None))
        if order == "uncertain":
            scored.sort(key=lambda s: (s[2], -s[1].score, s[0].id))
        else:
            scored.sort(key=lambda s: (-s[1].score, -s[0].risk, s[0].id))
        # Only the page's leads become RankedLeads: a queue of thousands would otherwise validate each one again.
        window = [RankedLead.from_document({
            **lead.document(), "priority": ranked.score,
            "priority_reasons": [{"what": r.what, "points": r.points} for r in ranked.reasons],
            "uncertainty": distance}) for lead, ranked, distance in scored[query.offset:query.offset + query.limit]]
        return LeadPage(total=len(scored), leads=[*window], highlights={}, offset=query.offset, limit=query.limit)
