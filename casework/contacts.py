"""A lead's contacts and agency names in comparable form, from its `contacts`, `agency_code` and the detector's
entities (advertisers, exports and the agency registry compare leads by them)."""
from __future__ import annotations

import re
from typing import Any

from core.lead import ENTITY_KINDS, Lead


def _as_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple, set)):
        return [str(v) for v in value if v not in (None, "")]
    return [str(value)]


def normalize_contact(kind: str, value: str) -> str:
    """A contact in a comparable form: digits only for phones and QQ, lower case without spaces otherwise."""
    value = value.strip()
    if kind in ("phone", "qq"):
        digits = re.sub(r"\D", "", value)
        return digits[-11:] if kind == "phone" and len(digits) > 11 else digits
    return re.sub(r"\s+", "", value).lower()


def contacts(lead: Lead) -> dict[str, list[str]]:
    """Normalised contacts and agency codes of a lead: {phone|wechat|qq|email|agency_code: [values]}.

    Entities give their canonical `value` (the detector's digits-only phone, bare WeChat id) when they have one.
    """
    found: dict[str, set[str]] = {}
    for shown_kind, shown in lead.contacts.items():
        found.setdefault(ENTITY_KINDS.get(shown_kind, shown_kind), set()).update(_as_list(shown))
    for code in _as_list(lead.agency_code):
        found.setdefault("agency_code", set()).add(code)
    for entity in lead.entities:
        entity_kind = ENTITY_KINDS.get(str(entity.get("type", "")).lower())
        value = entity.get("value") or entity.get("text")
        if entity_kind and entity_kind != "agency_name" and value:
            found.setdefault(entity_kind, set()).add(str(value))
    result: dict[str, list[str]] = {}
    for kind, values in found.items():
        normal = {normalize_contact(kind, v) for v in values}
        normal.discard("")
        if normal:
            result[kind] = sorted(normal)
    return result


def agency_names(lead: Lead) -> list[str]:
    """Agency names a lead shows: `agency_name` (its first agency entity, `index.lead`), the other agency entities,
    else the seller name."""
    names = _as_list(lead.agency_name)
    names += [str(e.get("value") or e["text"]) for e in lead.entities
              if ENTITY_KINDS.get(str(e.get("type", "")).lower()) == "agency_name" and e.get("text")]
    if not names:
        names = _as_list(lead.seller)
    return list(dict.fromkeys(n.strip() for n in names if n.strip()))
