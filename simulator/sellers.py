"""Sellers (agencies, individuals, shops, media accounts) and the licensed-agency registry they are checked against.

Sellers are few (at most a few thousand even for 100,000 listings), so they are generated once and kept in memory.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from pathlib import Path
from random import Random

from core.agency import REGISTRY_COLUMNS, RegisteredAgency
from simulator.corpus import AGENCY_SELLER_TYPES, SELLER_TYPES, Corpus

MAX_SELLERS = 1500
SELLER_TYPE_WEIGHTS = {
    "licensed": 30,
    "fake_agency": 15,
    "personal": 20,
    "official_looking": 4,
    "media": 5,
    "university": 4,
    "shop": 22,
}
NAME_MIDDLES = (("", ""), ("国际", "intl"), ("联合", "united"), ("知信", "zhixin"), ("创新", "innov"),
                ("恒通", "hengtong"), ("正和", "zhenghe"), ("科技", "tech"))
LAYOUTS = ("classic", "modern", "minimal")


@dataclass(frozen=True)
class Seller:
    id: str
    type: str
    name: str
    district: str
    city: str
    agency_code: str | None
    in_registry: bool
    phone: str
    wechat: str
    qq: str
    address: str
    slug: str | None
    layout: str

    @property
    def is_agency(self) -> bool:
        return self.type in AGENCY_SELLER_TYPES

    @property
    def location(self) -> str:
        return f"{self.city} {self.district}".strip()


@dataclass(frozen=True)
class Population:
    sellers: tuple[Seller, ...]
    registry: tuple[RegisteredAgency, ...]

    def by_type(self) -> dict[str, list[int]]:
        groups: dict[str, list[int]] = {kind: [] for kind in SELLER_TYPES}
        for number, seller in enumerate(self.sellers):
            groups[seller.type].append(number)
        return groups


def _phone(rng: Random) -> str:
    return rng.choice(("13", "15", "17", "18", "19")) + "".join(str(rng.randrange(10)) for _ in range(9))


def _unique_name(rng: Random, brands: list, suffixes: list, used: set[str]) -> tuple[str, str]:
    for _ in range(200):
        stem, romanised = rng.choice(brands)
        middle, middle_roman = rng.choice(NAME_MIDDLES)
        name = f"上海{stem}{middle}{rng.choice(suffixes)}"
        if name not in used:
            used.add(name)
            return name, romanised + middle_roman
    raise RuntimeError("agency name space exhausted")


def build_population(seed: int, listings: int, corpus: Corpus) -> Population:
    """Sellers and registry for a corpus of `listings` listings, the same for the same seed."""
    slots = corpus.slots
    rng = Random(f"{seed}/sellers")
    count = min(MAX_SELLERS, max(40, listings // 12))
    types = list(SELLER_TYPE_WEIGHTS)
    weights = list(SELLER_TYPE_WEIGHTS.values())
    chosen = types + rng.choices(types, weights, k=count - len(types))
    codes = [str(code) for code in range(31001, 31999)]
    rng.shuffle(codes)
    used_names: set[str] = set()
    shanghai = slots["locations"]["shanghai"]
    elsewhere = slots["locations"]["elsewhere"]
    sellers: list[Seller] = []
    for number, kind in enumerate(chosen):
        sid = f"S{number:05d}"
        local = kind in ("licensed", "official_looking", "university") or rng.random() < 0.8
        if local:
            city, district = "上海", rng.choice(shanghai)
        else:
            city, district = rng.choice(elsewhere).split(" ", 1)
        code: str | None = None
        in_registry = False
        slug: str | None = None
        if kind == "licensed":
            name, roman = _unique_name(rng, slots["brands"], slots["agency_suffix"], used_names)
            code, in_registry = codes.pop(), True
            slug = f"{roman}{number:04d}"
        elif kind == "fake_agency":
            suffixes = slots["agency_suffix"] if rng.random() < 0.4 else slots["fake_agency_suffix"]
            name, roman = _unique_name(rng, slots["brands"], suffixes, used_names)
            if not local:
                name = name.replace("上海", city, 1)
            slug = f"{roman}{number:04d}"
        elif kind == "official_looking":
            name = f"{rng.choice(slots['official_looking_names'])}（{district.removesuffix('区').removesuffix('新')}）"
        elif kind == "personal":
            name = f"{rng.choice(slots['personal_names'])}{rng.randrange(10, 999)}"
        elif kind == "media":
            name = rng.choice(slots["media_names"])
        elif kind == "university":
            name = f"{rng.choice(slots['university'])}{rng.choice(slots['university_names'])}"
        else:
            name = f"{rng.choice(slots['mark'])}{rng.choice(slots['shop_names'])}"
        wechat = f"{(slug or 'ip')[:8]}{rng.randrange(100, 99999)}"
        sellers.append(
            Seller(
                id=sid,
                type=kind,
                name=name,
                district=district,
                city=city,
                agency_code=code,
                in_registry=in_registry,
                phone=_phone(rng),
                wechat=wechat,
                qq=str(rng.randrange(10_000_000, 3_999_999_999)),
                address=(f"{city}{district}{rng.choice(slots['roads'])}"
                         f"{rng.randrange(1, 2000)}号{rng.randrange(2, 30)}楼"),
                slug=slug,
                layout=rng.choice(LAYOUTS),
            )
        )
    registry = [RegisteredAgency(s.agency_code, s.name, s.district) for s in sellers if s.in_registry and s.agency_code]
    for _ in range(len(registry) // 2 + 10):
        name, _roman = _unique_name(rng, slots["brands"], slots["agency_suffix"], used_names)
        registry.append(RegisteredAgency(codes.pop(), name, rng.choice(shanghai)))
    # Licensed agencies do not always print their code; fake agencies sometimes print one that is not registered.
    shown: list[Seller] = []
    for seller in sellers:
        if seller.type == "licensed" and rng.random() < 0.3:
            seller = replace(seller, agency_code=None)
        elif seller.type == "fake_agency" and rng.random() < 0.5:
            seller = replace(seller, agency_code=codes.pop() if codes else str(rng.randrange(32000, 39999)))
        shown.append(seller)
    registry.sort(key=lambda entry: entry.code)
    return Population(sellers=tuple(shown), registry=tuple(registry))


def write_registry(registry: tuple[RegisteredAgency, ...], path: Path) -> Path:
    """The registry as lantian loads it: UTF-8 CSV with the header `REGISTRY_COLUMNS`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(REGISTRY_COLUMNS)
        for entry in registry:
            writer.writerow((entry.code, entry.name, entry.district))
    return path
