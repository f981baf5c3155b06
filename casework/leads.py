"""Reading lead documents the same way whichever store produced them.

Leads follow docs/domain.md's "What a lead is"; the store may hand back plain dicts or model objects, and contacts may
sit in a `contacts` mapping or only in the detector's `entities`. These helpers give casework one view of both.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

# Entity type names the detector may use, mapped to casework's contact kinds.
ENTITY_KINDS: dict[str, str] = {
    "phone": "phone", "mobile": "phone", "tel": "phone",
    "wechat": "wechat", "weixin": "wechat", "wx": "wechat",
    "qq": "qq",
    "email": "email",
    "agency_code": "agency_code", "org_code": "agency_code",
    "agency": "agency_name", "agency_name": "agency_name", "org": "agency_name", "organization": "agency_name",
}


def as_dict(lead: Any) -> dict[str, Any]:
    """A lead as a plain dict (accepts dicts, pydantic models, dataclasses and objects with `to_dict`)."""
    if lead is None:
        raise ValueError("no lead")
    if isinstance(lead, Mapping):
        return dict(lead)
    if hasattr(lead, "model_dump"):
        return lead.model_dump()
    if hasattr(lead, "to_dict"):
        return lead.to_dict()
    if dataclasses.is_dataclass(lead):
        return dataclasses.asdict(lead)
    raise TypeError(f"cannot read a lead from {type(lead).__name__}")


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


def contacts(lead: Mapping[str, Any]) -> dict[str, list[str]]:
    """Normalised contacts and agency codes of a lead: {phone|wechat|qq|email|agency_code: [values]}.

    Entities give their canonical `value` (the detector's digits-only phone, bare WeChat id) when they have one.
    """
    found: dict[str, set[str]] = {}
    for kind, values in (lead.get("contacts") or {}).items():
        kind = ENTITY_KINDS.get(kind, kind)
        for value in _as_list(values):
            found.setdefault(kind, set()).add(value)
    for code in _as_list(lead.get("agency_code")):
        found.setdefault("agency_code", set()).add(code)
    for entity in lead.get("entities") or []:
        kind = ENTITY_KINDS.get(str(entity.get("type", "")).lower())
        value = entity.get("value") or entity.get("text")
        if kind and kind != "agency_name" and value:
            found.setdefault(kind, set()).add(str(value))
    result: dict[str, list[str]] = {}
    for kind, values in found.items():
        normal = {normalize_contact(kind, v) for v in values}
        normal.discard("")
        if normal:
            result[kind] = sorted(normal)
    return result


def agency_names(lead: Mapping[str, Any]) -> list[str]:
    """Agency names a lead shows: `agency_name`/`agency`, agency entities, else the seller name."""
    names = _as_list(lead.get("agency_name")) + _as_list(lead.get("agency"))
    names += [str(e.get("value") or e["text"]) for e in lead.get("entities") or []
              if ENTITY_KINDS.get(str(e.get("type", "")).lower()) == "agency_name" and e.get("text")]
    if not names:
        names = _as_list(lead.get("seller"))
    return list(dict.fromkeys(n.strip() for n in names if n.strip()))


def labels(lead: Mapping[str, Any]) -> list[str]:
    """The lead's labels as a list of names (stores may keep a list or a {label: score} mapping)."""
    value = lead.get("labels") or []
    if isinstance(value, Mapping):
        return [k for k, v in value.items() if v]
    return [str(v) for v in value]

