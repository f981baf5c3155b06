"""Entity resolution: link leads into one advertiser when they share a contact, an agency code, an agency name (up
to obvious aliases) or a near-identical image, so a repeat offender shows up across platforms and relistings.

Linking is transitive (union-find): two listings that share nothing directly are one advertiser if a third shares
a phone with one and a WeChat id with the other.
"""
from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from casework.contacts import agency_names, contacts
from core.lead import Lead

logger = logging.getLogger(__name__)

# Hamming distance up to which two perceptual hashes count as the same picture. With 64-bit hashes split in
# IMAGE_DISTANCE + 1 bands, two hashes that close share at least one band exactly (pigeonhole), so candidates come
# from band buckets instead of comparing every pair.
IMAGE_DISTANCE = 4

_ALIAS_NOISE = re.compile(
    r"(上海市?|北京市?|深圳市?|广州市?|杭州市?|有限责任公司|股份有限公司|有限公司|集团|公司|事务所|工作室|代理|服务|咨询|"
    r"知识产权|专利|商标|科技|信息|管理|中心|注册|代办|申请|办理|旗舰店|专营店|官方|[\s()（）\[\]【】·._\-—|｜])"
)
_OFFICIAL_WORDS = ("国家知识产权局", "知识产权局", "商标局", "专利局", "国知局", "官方", "保护中心")


def alias_key(name: str) -> str:
    """An agency name reduced to its distinctive core (city, legal form and trade words removed).

    "上海某某知识产权代理有限公司" and "某某知识产权" share the key "某某". Names that are only generic or official
    words ("知识产权局商标注册中心") give an empty key: they identify nobody.
    """
    text = name.strip()
    if any(word in text for word in _OFFICIAL_WORDS):
        text = re.sub("|".join(_OFFICIAL_WORDS), "", text)
    core = _ALIAS_NOISE.sub("", text).lower()
    return core if len(core) >= 2 else ""


def image_hashes(paths: Iterable[str]) -> list[int]:
    """Perceptual hashes (imagehash.phash, 64 bits as int) of the images that can be read; unreadable ones skipped.

    Paths are absolute or relative to the data dir, as the crawler's images pipeline stores them. The pictures are
    the sellers' own, kept byte for byte: one of more than the OCR's `MAX_PIXELS` (a PNG of a few KB can say
    20,000 × 20,000, which Pillow refuses with DecompressionBombError, or 10,000 × 10,000, which it decodes with
    a warning) is skipped with a warning naming it, before a pixel is decoded.
    """
    import imagehash
    from PIL import Image, UnidentifiedImageError

    from casework.evidence_files import resolve_path
    from detector.ocr import MAX_PIXELS, open_web_image

    hashes = []
    for raw in paths:
        path = resolve_path(raw)
        if path is None:
            continue
        try:
            with open_web_image(path, str(path)) as image:
                if image.width * image.height > MAX_PIXELS:
                    logger.warning("Skipped the picture %s in linking advertisers: %d×%d pixels, more than %d",
                                   path, image.width, image.height, MAX_PIXELS)
                    continue
                hashes.append(int(str(imagehash.phash(image)), 16))
        except Image.DecompressionBombError as exc:
            logger.warning("Skipped the picture %s in linking advertisers: %s", path, exc)
        except (OSError, UnidentifiedImageError, ValueError):
            continue
    return hashes


def _bands(value: int) -> list[tuple[int, int]]:
    count = IMAGE_DISTANCE + 1
    width = -(-64 // count)
    return [(i, (value >> (i * width)) & ((1 << width) - 1)) for i in range(count)]


@dataclass
class Advertiser:
    """One advertiser: the leads linked together and the keys that linked them."""

    id: str
    lead_ids: list[str]
    names: list[str] = field(default_factory=list)
    contacts: dict[str, list[str]] = field(default_factory=dict)
    platforms: list[str] = field(default_factory=list)
    links: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "lead_ids": self.lead_ids, "names": self.names, "contacts": self.contacts,
                "platforms": self.platforms, "links": self.links}


class _UnionFind:
    def __init__(self, items: Iterable[str]) -> None:
        self.parent = {item: item for item in items}

    def find(self, item: str) -> str:
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def advertiser_id(lead_ids: Iterable[str]) -> str:
    """A stable id for a group: derived from its smallest lead id, so re-running keeps ids of unchanged groups."""
    return "adv-" + hashlib.sha1(min(lead_ids).encode()).hexdigest()[:12]


def resolve(leads: Iterable[Lead], *, use_images: bool = True) -> list[Advertiser]:
    """Group leads into advertisers; each lead ends up in exactly one advertiser (alone if nothing links it)."""
    docs = list(leads)
    by_id = {doc.id: doc for doc in docs}
    uf = _UnionFind(by_id)
    first_with_key: dict[tuple[str, str], str] = {}
    links: list[tuple[str, str, str, str]] = []

    def link(kind: str, value: str, lead_id: str) -> None:
        key = (kind, value)
        other = first_with_key.setdefault(key, lead_id)
        if other != lead_id:
            if uf.find(other) != uf.find(lead_id):
                links.append((other, lead_id, kind, value))
            uf.union(other, lead_id)

    for doc in docs:
        for kind, values in contacts(doc).items():
            for value in values:
                link(kind, value, doc.id)
        for name in agency_names(doc):
            key = alias_key(name)
            if key:
                link("agency_name", key, doc.id)

    if use_images:
        buckets: dict[tuple[int, int], list[tuple[str, int]]] = {}
        for doc in docs:
            for image_hash in image_hashes(doc.images):
                for band in _bands(image_hash):
                    for other_id, other_value in buckets.get(band, []):
                        if other_id != doc.id and bin(image_hash ^ other_value).count("1") <= IMAGE_DISTANCE:
                            if uf.find(other_id) != uf.find(doc.id):
                                links.append((other_id, doc.id, "image", f"{other_value:016x}"))
                            uf.union(other_id, doc.id)
                    buckets.setdefault(band, []).append((doc.id, image_hash))

    groups: dict[str, list[str]] = {}
    for lead_id in by_id:
        groups.setdefault(uf.find(lead_id), []).append(lead_id)
    advertisers = []
    for members in groups.values():
        members.sort()
        merged: dict[str, set[str]] = {}
        names: list[str] = []
        platforms: list[str] = []
        for lead_id in members:
            doc = by_id[lead_id]
            for kind, values in contacts(doc).items():
                merged.setdefault(kind, set()).update(values)
            names += [n for n in agency_names(doc) if n not in names]
            if doc.platform and doc.platform not in platforms:
                platforms.append(doc.platform)
        member_set = set(members)
        advertisers.append(Advertiser(
            id=advertiser_id(members), lead_ids=members, names=names,
            contacts={k: sorted(v) for k, v in merged.items()}, platforms=sorted(platforms),
            links=[{"a": a, "b": b, "kind": kind, "value": value} for a, b, kind, value in links
                   if a in member_set],
        ))
    advertisers.sort(key=lambda adv: (-len(adv.lead_ids), adv.id))
    return advertisers
