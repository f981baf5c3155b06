"""The corpus of listing templates (`simulator/corpus/*.yaml`), loaded and validated once.

Each group file holds titles and claims of one kind of listing; `slots.yaml` holds the fillers the templates draw
from. Errors name the file and the field, like every lantian config.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from core.config import ConfigError, read_yaml
from core.labels import LABELS

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
KINDS = ("violation", "lawful_ad", "hard_negative", "unrelated")
PLATFORMS = ("market", "feed", "search", "agencies", "services", "app")
SELLER_TYPES = ("licensed", "fake_agency", "personal", "official_looking", "media", "university", "shop")
AGENCY_SELLER_TYPES = ("licensed", "fake_agency")
# What follows a group's claim in a listing: service lines and contact (business), a second claim of the group
# and contact (group), or a line about the goods and contact (goods).
SUPPORT_KINDS = ("business", "group", "goods")
SLOT_PATTERN = re.compile(r"\{(\w+)\}")
GENERATED_SLOTS = frozenset({"seller", "district", "phone", "wechat", "qq", "code"})


@dataclass(frozen=True)
class Claim:
    """One sentence carrying the group's message; `patent` marks an offer of patent agency."""

    text: str
    patent: bool
    keywords: tuple[str, ...]
    title: str | None = None


@dataclass(frozen=True)
class Group:
    name: str
    kind: str
    labels: tuple[str, ...]
    weight: float
    sellers: tuple[str, ...]
    platforms: dict[str, float]
    keywords: tuple[str, ...]
    titles: tuple[str, ...]
    claims: tuple[Claim, ...]
    support: str = "business"


@dataclass(frozen=True)
class Corpus:
    groups: tuple[Group, ...]
    slots: dict[str, Any] = field(repr=False)

    @property
    def keywords(self) -> tuple[str, ...]:
        """Every search keyword some listing can be found by, in a stable order."""
        seen: dict[str, None] = {}
        for group in self.groups:
            for keyword in group.keywords:
                seen.setdefault(keyword)
            for claim in group.claims:
                for keyword in claim.keywords:
                    seen.setdefault(keyword)
        return tuple(seen)

    def group(self, name: str) -> Group:
        for group in self.groups:
            if group.name == name:
                return group
        raise KeyError(name)


def _require(data: dict, key: str, kind: type, path: Path) -> Any:
    value = data.get(key)
    if not isinstance(value, kind) or (hasattr(value, "__len__") and not value and kind is not dict):
        raise ConfigError(f"{path}: field `{key}` must be a non-empty {kind.__name__}")
    return value


def _check_slots(text: str, slots: dict[str, Any], where: str) -> None:
    for name in SLOT_PATTERN.findall(text):
        if name not in GENERATED_SLOTS and not isinstance(slots.get(name), list):
            raise ConfigError(f"{where}: unknown slot {{{name}}}")


def _load_group(path: Path, slots: dict[str, Any]) -> Group:
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping")
    kind = _require(data, "kind", str, path)
    if kind not in KINDS:
        raise ConfigError(f"{path}: field `kind` must be one of {', '.join(KINDS)}")
    labels = data.get("labels") or []
    if not isinstance(labels, list) or any(label not in LABELS for label in labels):
        raise ConfigError(f"{path}: field `labels` must list names from {', '.join(LABELS)}")
    sellers = _require(data, "sellers", list, path)
    if any(seller not in SELLER_TYPES for seller in sellers):
        raise ConfigError(f"{path}: field `sellers` must list types from {', '.join(SELLER_TYPES)}")
    platforms = _require(data, "platforms", dict, path)
    if any(name not in PLATFORMS or not isinstance(w, (int, float)) or w <= 0 for name, w in platforms.items()):
        raise ConfigError(f"{path}: field `platforms` maps names from {', '.join(PLATFORMS)} to positive weights")
    if "agencies" in platforms and not set(sellers) & set(AGENCY_SELLER_TYPES):
        raise ConfigError(f"{path}: field `platforms` has agencies but `sellers` has no agency type")
    default_patent = bool(data.get("offers_patent_agency", False))
    keywords = tuple(_require(data, "keywords", list, path))
    titles = tuple(str(title) for title in _require(data, "titles", list, path))
    claims: list[Claim] = []
    for number, raw in enumerate(_require(data, "claims", list, path)):
        where = f"{path}: claims[{number}]"
        if isinstance(raw, str):
            claims.append(Claim(raw, default_patent, ()))
        elif isinstance(raw, dict) and isinstance(raw.get("text"), str):
            claims.append(Claim(raw["text"], bool(raw.get("patent", default_patent)), tuple(raw.get("keywords") or ()),
                                raw.get("title")))
        else:
            raise ConfigError(f"{where}: must be a string or a mapping with `text`")
        _check_slots(claims[-1].text, slots, where)
        _check_slots(claims[-1].title or "", slots, where)
    for number, title in enumerate(titles):
        _check_slots(title, slots, f"{path}: titles[{number}]")
    support = data.get("support", "business")
    if support not in SUPPORT_KINDS:
        raise ConfigError(f"{path}: field `support` must be one of {', '.join(SUPPORT_KINDS)}")
    weight = data.get("weight", 1)
    if not isinstance(weight, (int, float)) or weight <= 0:
        raise ConfigError(f"{path}: field `weight` must be a positive number")
    return Group(
        name=path.stem,
        kind=kind,
        labels=tuple(labels),
        weight=float(weight),
        sellers=tuple(sellers),
        platforms={name: float(w) for name, w in platforms.items()},
        keywords=keywords,
        titles=titles,
        claims=tuple(claims),
        support=support,
    )


def load_corpus(directory: Path = CORPUS_DIR) -> Corpus:
    """Read `slots.yaml` and every group file of `directory`."""
    slots_path = directory / "slots.yaml"
    slots = read_yaml(slots_path)
    if not isinstance(slots, dict):
        raise ConfigError(f"{slots_path}: top level must be a mapping")
    for key in ("brands", "terms", "homophones", "locations", "contact_lines", "official_looking_names",
                "personal_names"):
        if not slots.get(key):
            raise ConfigError(f"{slots_path}: field `{key}` is missing or empty")
    groups = tuple(
        _load_group(path, slots) for path in sorted(directory.glob("*.yaml")) if path.name != "slots.yaml"
    )
    if not groups:
        raise ConfigError(f"{directory}: no corpus group files")
    return Corpus(groups=groups, slots=slots)


@lru_cache(maxsize=2)
def default_corpus() -> Corpus:
    return load_corpus()
