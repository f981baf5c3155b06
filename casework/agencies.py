"""Agency credit-risk classification (信用风险分类): leads aggregated per advertiser into weighted indicators.

Each advertiser found by entity resolution is one agency, named by its full name (the registry's, else the longest
it shows) with its licence status from the registry. Indicator values are capped (so one prolific seller does not
dwarf everything else) and weighted from `config/casework/risk.yaml`. Confirmed violations drive the class: leads
nobody has reviewed count through the same indicators times `unreviewed_factor`, dismissed leads not at all. The
score maps to a class A (low risk, "无事不扰") .. D (high risk, "触发式监管"); `breakdown` keeps every indicator's
values, weight and points so staff can defend the class.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from casework.advertisers import Advertiser, resolve
from casework.config import RiskConfig
from casework.workflow import CONFIRMED_STATUSES, now_iso
from core.agency import Agency, IndicatorPoints, Licence
from core.config import ConfigError
from core.lead import Lead
from detector.registry import AgencyRegistry
from index.query import LeadQuery
from index.store import MAX_AGENCIES, LeadStore

# Statuses of leads nobody has decided on yet: they count only as a weaker signal (`unreviewed_factor`).
UNREVIEWED_STATUSES = frozenset({"new", "reviewing", "escalated"})
INDICATOR_NAMES_ZH: dict[str, str] = {
    "leads": "违法信息条数", "persisting": "请求删除后仍在线", "platforms": "涉及平台数", "labels": "违法类型数",
    "impersonation": "冒用官方名义", "licence": "机构代码不在名录或属于其他机构",
}
LICENCE_NAMES_ZH: dict[str, str] = {
    "licensed": "名录内持证机构", "not_in_registry": "未知（不在名录中）", "unknown_code": "未知（代码不在名录中）",
    "code_of_other_agency": "代码属于其他机构", "registry_unavailable": "名录不可用",
}


def indicators(leads: list[Lead]) -> dict[str, float]:
    """Indicator values of a set of one agency's leads (before caps and weights): of a confirmed lead, the labels
    its reviewer confirmed (`Lead.confirmed_violations`), never one the reviewer left out."""
    flagged = [lead for lead in leads if lead.confirmed_violations()]
    return {
        "leads": float(len(flagged)),
        "persisting": float(sum(1 for lead in flagged if lead.status == "persisting")),
        "platforms": float(len({lead.platform for lead in flagged if lead.platform})),
        "labels": float(len({label for lead in flagged for label in lead.confirmed_violations()})),
        "impersonation": float(sum(1 for lead in flagged if "impersonation" in lead.confirmed_violations())),
    }


def licence(advertiser: Advertiser, registry: AgencyRegistry | None, problem: str | None = None) -> Licence:
    """The agency's licence status from the registry: licensed, unknown, or a code belonging to another agency."""
    if registry is None:
        return {"status": "registry_unavailable", "note": f"机构名录不可用：{problem or '未配置'}", "code": None,
                "registry_name": None}
    check = registry.check(advertiser.names, advertiser.contacts.get("agency_code", []))
    return {"status": check.reason, "note": check.note, "code": check.code or (check.agency.code if check.agency
                                                                               else None),
            "registry_name": check.agency.name if check.agency else None}


def breakdown(leads: list[Lead], licence_status: str, config: RiskConfig) -> list[IndicatorPoints]:
    """Each indicator with its value among confirmed and among unreviewed leads, weight, cap and points: the
    reasons behind the class, as the CLI and the console show them. Dismissed leads count nothing."""
    confirmed = indicators([lead for lead in leads if lead.status in CONFIRMED_STATUSES])
    unreviewed = indicators([lead for lead in leads if lead.status in UNREVIEWED_STATUSES])
    rows: list[IndicatorPoints] = []
    for name, spec in config.indicators.items():
        if name == "licence":
            value = 1.0 if licence_status in ("unknown_code", "code_of_other_agency") else 0.0
            weak = 0.0
        else:
            value, weak = confirmed.get(name, 0.0), unreviewed.get(name, 0.0)
        points = spec.weight * min(value, spec.cap) + config.unreviewed_factor * spec.weight * min(weak, spec.cap)
        rows.append({"indicator": name, "name_zh": INDICATOR_NAMES_ZH.get(name, name), "confirmed": value,
                     "unreviewed": weak, "weight": spec.weight, "cap": spec.cap, "points": round(points, 2)})
    return rows


def full_name(advertiser: Advertiser, registered: str | None) -> str | None:
    """The agency's full name: the registry's, else the longest name it shows (a legal name, not a shop nickname)."""
    if registered:
        return registered
    return max(advertiser.names, key=len) if advertiser.names else None


def agency_doc(advertiser: Advertiser, leads: list[Lead], config: RiskConfig,
               previous_first_seen: str | None = None, registry: AgencyRegistry | None = None,
               registry_problem: str | None = None) -> Agency:
    """The agency document for the store's agency index (also what the console and reports show)."""
    licensed = licence(advertiser, registry, registry_problem)
    rows = breakdown(leads, licensed["status"], config)
    total = round(sum(row["points"] for row in rows), 2)
    risk_class = config.classify(total)
    dates = [lead.first_seen for lead in leads if lead.first_seen]
    codes = advertiser.contacts.get("agency_code", [])
    districts = Counter(lead.district for lead in leads if lead.district)
    return Agency.model_validate({
        "id": advertiser.id,
        "name": full_name(advertiser, licensed["registry_name"]) or (codes[0] if codes else advertiser.id),
        "aliases": advertiser.names,
        "code": codes[0] if codes else None,
        "agency_codes": codes,
        "licence": licensed,
        "contacts": {k: v for k, v in advertiser.contacts.items() if k != "agency_code"},
        "platforms": advertiser.platforms,
        "lead_ids": advertiser.lead_ids,
        "lead_count": len(advertiser.lead_ids),
        "labels": sorted({label for lead in leads for label in lead.labels}),
        "district": districts.most_common(1)[0][0] if districts else None,
        "districts": sorted(districts),
        "indicators": {row["indicator"]: row["confirmed"] for row in rows},
        "unreviewed_indicators": {row["indicator"]: row["unreviewed"] for row in rows},
        "breakdown": rows,
        "unreviewed_factor": config.unreviewed_factor,
        "score": total,
        "risk_level": risk_class,
        "triggered": config.triggers(risk_class),
        "links": advertiser.links,
        "first_seen": min(dates) if dates else previous_first_seen,
        "last_seen": max((lead.last_seen or "" for lead in leads), default="") or None,
        "updated_at": now_iso(),
    })


def load_registry() -> tuple[AgencyRegistry | None, str | None]:
    """The licensed-agency registry of config/lantian.yaml, or None and why it cannot be read."""
    try:
        return AgencyRegistry.from_settings(), None
    except ConfigError as exc:
        return None, str(exc)


def classify_agencies(leads: Iterable[Lead], config: RiskConfig, *,
                      use_images: bool = True, registry: AgencyRegistry | None = None,
                      registry_problem: str | None = None) -> list[Agency]:
    """Agency documents for all leads, highest score first."""
    docs = list(leads)
    by_id = {doc.id: doc for doc in docs}
    agencies = [agency_doc(adv, [by_id[i] for i in adv.lead_ids], config, registry=registry,
                           registry_problem=registry_problem)
                for adv in resolve(docs, use_images=use_images)]
    agencies.sort(key=lambda a: (-(a.score or 0.0), a.id))
    return agencies


def refresh(store: LeadStore, config: RiskConfig, *, use_images: bool = True,
            registry: AgencyRegistry | None = None) -> list[Agency]:
    """Re-classify every agency from the store's leads and write the documents to the store's agency index.

    Agencies from an earlier run whose leads now belong to another group are kept (the index is not ours to
    delete from) but marked `superseded`, with no leads and no risk level, so lists and reports skip them.
    """
    problem = None
    if registry is None:
        registry, problem = load_registry()
    docs = classify_agencies(store.iter_leads(LeadQuery()), config, use_images=use_images, registry=registry,
                             registry_problem=problem)
    current = {doc.id for doc in docs}
    for old in store.search_agencies(limit=MAX_AGENCIES):
        if old.id not in current and not old.superseded:
            store.upsert_agency(old.replaced(superseded=True, lead_ids=[], lead_count=0, score=None, risk_level=None,
                                             triggered=False, updated_at=now_iso()))
    for doc in docs:
        store.upsert_agency(doc.replaced(superseded=False))
    store.flush()
    return docs
