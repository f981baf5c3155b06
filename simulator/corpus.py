"""The corpus of listing templates (`simulator/corpus/*.yaml`), loaded and validated once.

Each group file holds titles and claims of one kind of listing; `slots.yaml` holds the fillers the templates draw
from. Errors name the file and the field, like every lantian config.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import ConfigDict, Field, field_validator, model_validator

from core.config import ConfigError, StrictModel, load_model
from core.labels import LABELS

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
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


Kind = Literal["violation", "lawful_ad", "hard_negative", "unrelated"]
Platform = Literal["market", "feed", "search", "agencies", "services", "app"]
SellerType = Literal["licensed", "fake_agency", "personal", "official_looking", "media", "university", "shop"]
# What follows a group's claim in a listing: service lines and contact (business), a second claim of the group
# and contact (group), or a line about the goods and contact (goods).
Support = Literal["business", "group", "goods"]
KINDS: tuple[str, ...] = get_args(Kind)
PLATFORMS: tuple[str, ...] = get_args(Platform)
SELLER_TYPES: tuple[str, ...] = get_args(SellerType)
AGENCY_SELLER_TYPES = ("licensed", "fake_agency")
NonEmpty = Annotated[str, Field(min_length=1)]


class ClaimEntry(StrictModel):
    """A claim written as a mapping: its text, whether it offers patent agency (default: the group's), the search
    keywords it adds and a title of its own."""

    text: NonEmpty
    patent: bool | None = None
    keywords: list[NonEmpty] = []
    title: str | None = None


class GroupFile(StrictModel):
    """One group file of the corpus."""

    kind: Kind
    labels: list[str] = []
    weight: float = Field(1.0, gt=0)
    offers_patent_agency: bool = False
    sellers: list[SellerType] = Field(min_length=1)
    platforms: dict[Platform, Annotated[float, Field(gt=0)]] = Field(min_length=1)
    keywords: list[NonEmpty] = Field(min_length=1)
    titles: list[NonEmpty] = Field(min_length=1)
    claims: list[NonEmpty | ClaimEntry] = Field(min_length=1)
    support: Support = "business"

    @field_validator("labels")
    @classmethod
    def _known_labels(cls, labels: list[str]) -> list[str]:
        unknown = [label for label in labels if label not in LABELS]
        if unknown:
            raise ValueError(f"unknown labels {unknown}; labels are {', '.join(LABELS)}")
        return labels

    @model_validator(mode="after")
    def _agencies_need_an_agency_seller(self) -> GroupFile:
        if "agencies" in self.platforms and not set(self.sellers) & set(AGENCY_SELLER_TYPES):
            raise ValueError("platforms has agencies but sellers has no agency type")
        return self


class SlotsFile(StrictModel):
    """slots.yaml: lists of fillers by name (any name a template writes), and the structured ones the generator
    itself reads, which must be there."""

    model_config = ConfigDict(extra="allow")

    brands: list[Any] = Field(min_length=1)
    terms: dict[str, Any] = Field(min_length=1)
    homophones: dict[str, Any] = Field(min_length=1)
    locations: dict[str, Any] = Field(min_length=1)
    contact_lines: list[str] = Field(min_length=1)
    official_looking_names: list[str] = Field(min_length=1)
    personal_names: list[str] = Field(min_length=1)


def _check_slots(text: str, slots: dict[str, Any], where: str) -> None:
    for name in SLOT_PATTERN.findall(text):
        if name not in GENERATED_SLOTS and not isinstance(slots.get(name), list):
            raise ConfigError(f"{where}: unknown slot {{{name}}}")


def _load_group(path: Path, slots: dict[str, Any]) -> Group:
    data = load_model(GroupFile, path)
    claims = tuple(Claim(raw, data.offers_patent_agency, ()) if isinstance(raw, str) else
                   Claim(raw.text, data.offers_patent_agency if raw.patent is None else raw.patent,
                         tuple(raw.keywords), raw.title)
                   for raw in data.claims)
    for number, claim in enumerate(claims):
        _check_slots(claim.text, slots, f"{path}: claims.{number}")
        _check_slots(claim.title or "", slots, f"{path}: claims.{number}")
    for number, title in enumerate(data.titles):
        _check_slots(title, slots, f"{path}: titles.{number}")
    return Group(
        name=path.stem,
        kind=data.kind,
        labels=tuple(data.labels),
        weight=data.weight,
        sellers=tuple(data.sellers),
        platforms={str(name): weight for name, weight in data.platforms.items()},
        keywords=tuple(data.keywords),
        titles=tuple(data.titles),
        claims=claims,
        support=data.support,
    )


def load_corpus(directory: Path = CORPUS_DIR) -> Corpus:
    """Read `slots.yaml` and every group file of `directory`."""
    slots = load_model(SlotsFile, directory / "slots.yaml").model_dump()
    groups = tuple(
        _load_group(path, slots) for path in sorted(directory.glob("*.yaml")) if path.name != "slots.yaml"
    )
    if not groups:
        raise ConfigError(f"{directory}: no corpus group files")
    return Corpus(groups=groups, slots=slots)


@lru_cache(maxsize=2)
def default_corpus() -> Corpus:
    return load_corpus()
