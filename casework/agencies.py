"""Agency credit-risk classification (信用风险分类): leads aggregated per advertiser into weighted indicators.

Each advertiser found by entity resolution is one agency. Indicator values are capped (so one prolific seller does
not dwarf everything else) and weighted from `config/casework/risk.yaml`; the score maps to a class A (low risk,
"无事不扰") .. D (high risk, "触发式监管").
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Iterable, Mapping

from casework.advertisers import Advertiser, resolve
from casework.config import RiskConfig
from casework.leads import as_dict, labels
from casework.workflow import CONFIRMED_STATUSES, now_iso
from index.store import MAX_AGENCIES



def indicators(leads: list[Mapping[str, Any]]) -> dict[str, float]:
    """Raw indicator values of one agency's leads (before caps and weights)."""
    flagged = [lead for lead in leads if labels(lead)]
    all_labels = {label for lead in flagged for label in labels(lead)}
    return {
        "leads": float(len(flagged)),
        "confirmed": float(sum(1 for lead in leads if lead.get("status") in CONFIRMED_STATUSES)),
        "persisting": float(sum(1 for lead in leads if lead.get("status") == "persisting")),
        "platforms": float(len({lead.get("platform") for lead in flagged if lead.get("platform")})),
        "labels": float(len(all_labels)),
        "max_risk": 10.0 * max((float(lead.get("risk") or 0.0) for lead in leads), default=0.0),
        "impersonation": float(sum(1 for lead in flagged if "impersonation" in labels(lead))),
    }


def score(values: Mapping[str, float], config: RiskConfig) -> float:
    return round(sum(spec.weight * min(values.get(name, 0.0), spec.cap)
                     for name, spec in config.indicators.items()), 2)


def agency_doc(advertiser: Advertiser, leads: list[Mapping[str, Any]], config: RiskConfig,
               previous_first_seen: str | None = None) -> dict[str, Any]:
    """The agency document for the store's agency index (also what the console and reports show)."""
    values = indicators(leads)
    total = score(values, config)
    risk_class = config.classify(total)
    dates = [lead.get("first_seen") for lead in leads if lead.get("first_seen")]
    codes = advertiser.contacts.get("agency_code", [])
    districts = Counter(lead["district"] for lead in leads if lead.get("district"))
    return {
        "id": advertiser.id,
        "name": advertiser.names[0] if advertiser.names else (codes[0] if codes else advertiser.id),
        "aliases": advertiser.names,
        "code": codes[0] if codes else None,
        "agency_codes": codes,
        "contacts": {k: v for k, v in advertiser.contacts.items() if k != "agency_code"},
        "platforms": advertiser.platforms,
        "lead_ids": advertiser.lead_ids,
        "lead_count": len(advertiser.lead_ids),
        "labels": sorted({label for lead in leads for label in labels(lead)}),
        "district": districts.most_common(1)[0][0] if districts else None,
        "districts": sorted(districts),
        "indicators": values,
        "score": total,
        "risk_level": risk_class,
        "triggered": config.triggers(risk_class),
        "links": advertiser.links,
        "first_seen": min(dates) if dates else previous_first_seen,
        "last_seen": max((lead.get("last_seen") or "" for lead in leads), default="") or None,
        "updated_at": now_iso(),
    }


def classify_agencies(leads: Iterable[Mapping[str, Any] | Any], config: RiskConfig, *,
                      use_images: bool = True) -> list[dict[str, Any]]:
    """Agency documents for all leads, highest score first."""
    docs = [as_dict(lead) for lead in leads]
    by_id = {doc["id"]: doc for doc in docs}
    agencies = [agency_doc(adv, [by_id[i] for i in adv.lead_ids], config)
                for adv in resolve(docs, use_images=use_images)]
    agencies.sort(key=lambda a: (-a["score"], a["id"]))
    return agencies


def refresh(store: Any, config: RiskConfig, *, use_images: bool = True) -> list[dict[str, Any]]:
    """Re-classify every agency from the store's leads and write the documents to the store's agency index.

    Agencies from an earlier run whose leads now belong to another group are kept (the index is not ours to
    delete from) but marked `superseded`, with no leads and no risk level, so lists and reports skip them.
    """
    from index import LeadQuery

    docs = classify_agencies(store.iter_leads(LeadQuery()), config, use_images=use_images)
    current = {doc["id"] for doc in docs}
    for old in store.search_agencies(limit=MAX_AGENCIES):
        if old["id"] not in current and not old.get("superseded"):
            store.upsert_agency({**old, "superseded": True, "lead_ids": [], "lead_count": 0, "score": None,
                                 "risk_level": None, "triggered": False, "updated_at": now_iso()})
    for doc in docs:
        store.upsert_agency({**doc, "superseded": False})
    store.flush()
    return docs
