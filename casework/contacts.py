"""A lead's contacts and agency names in comparable form, from its `contacts`, `agency_code` and the detector's
entities (advertisers, exports and the agency registry compare leads by them)."""
from __future__ import annotations

import re
from dataclasses import dataclass
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


# What staff read for each kind of entity (`detector.entities.ENTITY_TYPES`, by their `core.lead.ENTITY_KINDS` name
# where they have one) and for where on the page it stands.
ENTITY_NAMES_ZH: dict[str, str] = {
    "agency_name": "机构", "agency_code": "机构代码", "phone": "电话", "wechat": "微信", "qq": "QQ", "email": "邮箱",
    "district": "所属区", "price": "价格",
}
PLACE_NAMES_ZH: dict[str, str] = {"title": "标题", "text": "正文", "image_text": "图片中的文字", "seller": "发布者名称"}


@dataclass(frozen=True)
class ShownEntity:
    """One thing the page names (an agency, a phone, …) as staff read it: once, with every place it stands."""

    kind: str
    value: str
    places: tuple[str, ...]


def shown_entities(lead: Lead) -> list[ShownEntity]:
    """The lead's entities, each agency, contact, district or price once: the detector reports one entity per place
    it found it (an agency named as the seller and twice in an image was listed three times, a phone once as found
    and again normalised), so entities that compare equal (`normalize_contact`) are merged, with the places they
    stand; then the contacts and agency codes the listing gave that no entity named."""
    merged: dict[tuple[str, str], tuple[str, list[str]]] = {}
    for entity in lead.entities:
        raw_kind = str(entity.get("type", "")).lower()
        kind = ENTITY_KINDS.get(raw_kind, raw_kind)
        value = str(entity.get("value") or entity.get("text") or "").strip()
        if not kind or not value:
            continue
        _, places = merged.setdefault((kind, normalize_contact(kind, value)), (value, []))
        place = PLACE_NAMES_ZH.get(str(entity.get("field") or ""), "")
        if place and place not in places:
            places.append(place)
    for kind, values in contacts(lead).items():
        for value in values:
            merged.setdefault((kind, value), (value, []))
    return [ShownEntity(ENTITY_NAMES_ZH.get(kind, kind), value, tuple(places))
            for (kind, _), (value, places) in merged.items()]
