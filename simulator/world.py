"""The simulated world: every listing generated from (seed, index) on demand, plus the admin's changes.

Only small indexes are kept in memory (platform per listing, keyword -> listing numbers, seller -> listing numbers);
pages are rendered from a listing regenerated when it is asked for, so 100,000 listings cost a few megabytes.
"""
from __future__ import annotations

import json
import re
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from random import Random

from simulator.corpus import AGENCY_SELLER_TYPES, PLATFORMS, SLOT_PATTERN, Corpus, Group, default_corpus
from simulator.evasion import can_disguise, disguise
from simulator.sellers import Population, Seller, build_population

CACHE_SIZE = 4096
DUPLICATE_RATE = 0.03
MULTI_LABEL_RATE = 0.15
VIOLATION_EVASIONS = {"none": 44, "spaces": 9, "traditional": 10, "pinyin": 9, "homophone": 9, "emoji": 9, "image": 10}
DISGUISES_TERMS = ("spaces", "pinyin", "homophone", "emoji")
OTHER_EVASIONS = {"none": 92, "traditional": 4, "image": 4}
EPOCH = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
ID_PATTERN = re.compile(r"^L(\d{6,})$")
NEUTRAL_TITLES = ("知识产权服务 详情见图", "商标专利 一站式服务 看图咨询", "专业代办 价格见图", "企业服务 详情请看图片")


class UnknownListing(KeyError):
    """No listing has this id."""


@dataclass(frozen=True)
class Skeleton:
    """The choices that define a listing; cheap to compute, so they are recomputed instead of stored."""

    index: int
    platform: str
    group: int
    claim: int
    extra: tuple[int, int] | None
    seller: int
    evasion: str
    content: int
    duplicate_of: int | None


@dataclass(frozen=True)
class Headline:
    """The part of a listing its ground truth is made of."""

    skeleton: Skeleton
    group: Group
    seller: Seller
    title: str
    claims: list[str]
    labels: tuple[str, ...]
    keywords: tuple[str, ...]
    patent: bool
    evasion: str
    image_text: str | None


@dataclass
class Listing:
    id: str
    index: int
    platform: str
    group: str
    kind: str
    labels: tuple[str, ...]
    title: str
    paragraphs: list[str]
    price: str | None
    seller: Seller
    image_count: int
    image_text: str | None
    keywords: tuple[str, ...]
    evasion: str
    offers_patent_agency: bool
    duplicate_of: str | None
    published_at: str
    likes: int
    tags: tuple[str, ...]
    quirk: str | None = None
    status: str = "active"
    removed_as: str | None = None
    version: int = 1

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)


@dataclass
class Change:
    """What the admin did to one listing."""

    fields: dict = field(default_factory=dict)
    version: int = 1
    removed_as: str | None = None


def listing_id(index: int) -> str:
    return f"L{index:06d}"


def parse_id(value: str) -> int:
    match = ID_PATTERN.match(value or "")
    if not match:
        raise UnknownListing(value)
    return int(match.group(1))


def page_path(platform: str, listing_id: str, slug: str | None) -> str:
    """Path of the page that is a listing (what a crawler should end on)."""
    if platform == "market":
        return f"/item.htm?id={listing_id}"
    if platform == "feed":
        return f"/explore/{listing_id}"
    if platform == "search":
        return f"/ad/{listing_id}"
    if platform == "agencies":
        return f"/site/{slug}/services/{listing_id}.html"
    return f"/service/{listing_id}.html"


def canonical_path(listing: Listing) -> str:
    return page_path(listing.platform, listing.id, listing.seller.slug)


def _weighted(rng: Random, weights: dict[str, float]) -> str:
    names = list(weights)
    return rng.choices(names, [weights[name] for name in names])[0]


class World:
    """All listings of one simulator instance, their indexes and the admin's changes to them."""

    def __init__(self, seed: int = 7, listings: int = 2000, corpus: Corpus | None = None) -> None:
        if listings < 1:
            raise ValueError("listings must be at least 1")
        self.seed = seed
        self.corpus = corpus or default_corpus()
        self.population: Population = build_population(seed, listings, self.corpus)
        self.sellers = self.population.sellers
        self._sellers_by_type = self.population.by_type()
        self._group_weights = [group.weight for group in self.corpus.groups]
        self._violation_groups = [n for n, g in enumerate(self.corpus.groups) if g.kind == "violation"]
        self.keywords = self.corpus.keywords
        self._platform_codes = {name: code for code, name in enumerate(PLATFORMS)}
        self._platform_of = array("B")
        self.by_keyword: dict[str, dict[str, array]] = {p: {k: array("I") for k in self.keywords} for p in PLATFORMS}
        self.by_platform: dict[str, array] = {p: array("I") for p in PLATFORMS}
        self.by_seller: dict[int, array] = {}
        self.quirks: dict[int, str] = {}
        self.changes: dict[int, Change] = {}
        self._added: dict[int, Skeleton | Listing] = {}
        self.slug_to_seller = {s.slug: n for n, s in enumerate(self.sellers) if s.slug}
        # Crawlers read a listing in a result page and then on its own page: keep recent ones ready.
        self._generate_cached = lru_cache(maxsize=CACHE_SIZE)(self._generate)
        for index in range(listings):
            self._index(self.skeleton(index))
        self._pick_quirks()

    # -- generation ------------------------------------------------------------------------------------------------

    def skeleton(self, index: int, platform: str | None = None) -> Skeleton:
        added = self._added.get(index)
        if isinstance(added, Skeleton):
            return added
        rng = Random(f"{self.seed}/s/{index}")
        if index >= 20 and rng.random() < DUPLICATE_RATE and not isinstance(
            self._added.get(root_index := rng.randrange(index)), Listing
        ):
            root = self.skeleton(root_index)
            if root.duplicate_of is not None:
                root = self.skeleton(root.duplicate_of)
            group = self.corpus.groups[root.group]
            seller = self.sellers[root.seller]
            choices = {
                name: weight
                for name, weight in group.platforms.items()
                if name != root.platform and (name != "agencies" or seller.is_agency)
            }
            if choices and (platform is None or platform in choices):
                return replace(root, index=index, platform=platform or _weighted(rng, choices),
                               duplicate_of=root.index)
        group_number = rng.choices(range(len(self.corpus.groups)), self._group_weights)[0]
        group = self.corpus.groups[group_number]
        chosen_platform = platform or _weighted(rng, group.platforms)
        seller_types = [kind for kind in group.sellers if self._sellers_by_type[kind]]
        if chosen_platform == "agencies":
            seller_types = [kind for kind in seller_types if kind in AGENCY_SELLER_TYPES] or [
                kind for kind in AGENCY_SELLER_TYPES if self._sellers_by_type[kind]
            ]
        seller = rng.choice(self._sellers_by_type[rng.choice(seller_types)])
        claim = rng.randrange(len(group.claims))
        extra = None
        if group.kind == "violation" and rng.random() < MULTI_LABEL_RATE:
            other = rng.choice([n for n in self._violation_groups if n != group_number])
            extra = (other, rng.randrange(len(self.corpus.groups[other].claims)))
        evasion = _weighted(rng, VIOLATION_EVASIONS if group.kind == "violation" else OTHER_EVASIONS)
        return Skeleton(index, chosen_platform, group_number, claim, extra, seller, evasion, index, None)

    def _fill(self, template: str, rng: Random, seller: Seller) -> str:
        slots = self.corpus.slots
        generated = {
            "seller": seller.name,
            "district": seller.district,
            "phone": seller.phone,
            "wechat": seller.wechat,
            "qq": seller.qq,
            "code": seller.agency_code or "31" + str(rng.randrange(100, 999)),
        }

        def value(match: re.Match) -> str:
            name = match.group(1)
            if name in generated:
                return generated[name]
            return str(rng.choice(slots[name]))

        # Two passes: a filler may itself hold slots (contact lines name {wechat_word}, {phone}).
        once = SLOT_PATTERN.sub(value, template)
        return SLOT_PATTERN.sub(value, once) if "{" in once else once

    def generate(self, index: int) -> Listing:
        """The listing number `index` as first published (before admin changes); a fresh copy each call."""
        base = self._generate_cached(index)
        return replace(base, paragraphs=list(base.paragraphs))

    def _headline(self, index: int) -> Headline:
        """Everything the ground truth needs, without the body (so exporting 100,000 records stays quick)."""
        skeleton = self.skeleton(index)
        group = self.corpus.groups[skeleton.group]
        seller = self.sellers[skeleton.seller]
        slots = self.corpus.slots
        rng = Random(f"{self.seed}/t/{skeleton.content}")
        claim = group.claims[skeleton.claim]
        claims = [claim]
        labels = set(group.labels)
        keywords = dict.fromkeys(group.keywords + claim.keywords)
        if skeleton.extra:
            extra_group = self.corpus.groups[skeleton.extra[0]]
            extra_claim = extra_group.claims[skeleton.extra[1]]
            claims.append(extra_claim)
            labels.update(extra_group.labels)
            keywords.update(dict.fromkeys(extra_group.keywords + extra_claim.keywords))
        patent = any(c.patent for c in claims)
        if patent and seller.type != "licensed":
            labels.add("unlicensed_agency")
        if seller.type == "official_looking":
            labels.add("impersonation")
        title = self._fill(claim.title or rng.choice(group.titles), rng, seller)
        claim_texts = [self._fill(c.text, rng, seller) for c in claims]
        evasion = skeleton.evasion
        terms = slots["homophones"] if evasion == "homophone" else slots["terms"]
        if evasion in DISGUISES_TERMS and not any(can_disguise(t, terms) for t in claim_texts):
            evasion = "none"
        image_text = None
        if evasion == "image":
            image_text = "\n".join(claim_texts)
            title = rng.choice(NEUTRAL_TITLES) if labels else title
            claim_texts = ["详情见图，图片内容为准。"]
        elif evasion != "none":
            claim_texts = [disguise(t, evasion, terms, slots["emoji"], rng) for t in claim_texts]
            title = disguise(title, evasion, terms, slots["emoji"], rng)
        if skeleton.duplicate_of is not None:
            title_rng = Random(f"{self.seed}/dt/{index}")
            title = title_rng.choice(("【转】", "急！", "", "新品 ")) + title + title_rng.choice(("", " 同城", " 可议"))
        return Headline(skeleton, group, seller, title, claim_texts, tuple(sorted(labels)), tuple(keywords), patent,
                        evasion, image_text)

    def _generate(self, index: int) -> Listing:
        added = self._added.get(index)
        if isinstance(added, Listing):
            return replace(added, paragraphs=list(added.paragraphs))
        head = self._headline(index)
        skeleton, group, seller = head.skeleton, head.group, head.seller
        rng = Random(f"{self.seed}/b/{skeleton.content}")
        paragraphs = head.claims + self._supporting_lines(group, skeleton.claim, head.patent, rng, seller)
        published = EPOCH - timedelta(days=rng.randrange(0, 400), minutes=rng.randrange(0, 1440))
        listing = Listing(
            id=listing_id(index),
            index=index,
            platform=skeleton.platform,
            group=group.name,
            kind="violation" if head.labels else group.kind,
            labels=head.labels,
            title=head.title,
            paragraphs=paragraphs,
            price=self._price(group, rng),
            seller=seller,
            image_count=1 + rng.randrange(3),
            image_text=head.image_text,
            keywords=head.keywords,
            evasion=head.evasion,
            offers_patent_agency=head.patent,
            duplicate_of=listing_id(skeleton.duplicate_of) if skeleton.duplicate_of is not None else None,
            published_at=published.isoformat(timespec="seconds"),
            likes=rng.randrange(0, 5000),
            tags=tuple(rng.sample(list(head.keywords), k=min(2, len(head.keywords)))),
            quirk=self.quirks.get(index),
        )
        if skeleton.duplicate_of is not None:
            self._perturb(listing, Random(f"{self.seed}/d/{index}"))
        return listing

    def _supporting_lines(self, group: Group, claim: int, patent: bool, rng: Random, seller: Seller) -> list[str]:
        slots = self.corpus.slots
        contact = [] if seller.type == "media" else [self._fill(rng.choice(slots["contact_lines"]), rng, seller)]
        if group.support == "goods":
            return [self._fill(rng.choice(slots["general_lines"][1:]), rng, seller)] + contact
        if group.support == "group":
            others = [c for number, c in enumerate(group.claims) if number != claim] or list(group.claims)
            return [self._fill(rng.choice(others).text, rng, seller)] + contact
        business = slots["patent_lines"] if patent else slots["trademark_lines"]
        lines = [self._fill(line, rng, seller) for line in rng.sample(business, k=2)]
        return lines + [self._fill(rng.choice(slots["general_lines"]), rng, seller)] + contact

    def _price(self, group: Group, rng: Random) -> str | None:
        if group.kind == "unrelated":
            return f"{rng.randrange(9, 300)}.{rng.choice(('00', '90', '99'))}"
        if group.name in ("official_notice", "recruitment"):
            return None
        return f"{rng.choice(self.corpus.slots['price'])}.00"

    def _perturb(self, listing: Listing, rng: Random) -> None:
        """A repost is a near-duplicate: same text with a new price, one line dropped and one added (the title got
        its marker in the headline)."""
        if listing.price:
            listing.price = f"{int(float(listing.price) * rng.choice((0.8, 0.9, 1.1, 1.2)))}.00"
        if len(listing.paragraphs) > 2:
            listing.paragraphs.pop(rng.randrange(1, len(listing.paragraphs)))
        listing.paragraphs.append(rng.choice(("其他平台同步在售。", "另有店铺同款，欢迎比价。", "老客户请直接联系。")))

    # -- indexes ---------------------------------------------------------------------------------------------------

    def _index(self, skeleton: Skeleton) -> None:
        index = skeleton.index
        self._platform_of.append(self._platform_codes[skeleton.platform])
        group = self.corpus.groups[skeleton.group]
        keywords = set(group.keywords) | set(group.claims[skeleton.claim].keywords)
        if skeleton.extra:
            extra_group = self.corpus.groups[skeleton.extra[0]]
            keywords |= set(extra_group.keywords) | set(extra_group.claims[skeleton.extra[1]].keywords)
        for keyword in keywords:
            self.by_keyword[skeleton.platform].setdefault(keyword, array("I")).append(index)
        self.by_platform[skeleton.platform].append(index)
        self.by_seller.setdefault(skeleton.seller, array("I")).append(index)

    def _pick_quirks(self) -> None:
        """One huge and one malformed market detail page, among unrelated goods listings."""
        wanted = ["huge", "malformed"]
        unrelated = self.corpus.group("unrelated")
        for index in self.by_platform["market"]:
            if not wanted:
                break
            skeleton = self.skeleton(index)
            if self.corpus.groups[skeleton.group] is unrelated and skeleton.duplicate_of is None and index >= 10:
                self.quirks[index] = wanted.pop(0)

    # -- reading ---------------------------------------------------------------------------------------------------

    @property
    def count(self) -> int:
        return len(self._platform_of)

    def platform_of(self, index: int) -> str:
        return PLATFORMS[self._platform_of[index]]

    def exists(self, index: int) -> bool:
        return 0 <= index < self.count

    def is_active(self, index: int) -> bool:
        change = self.changes.get(index)
        return change is None or change.removed_as is None

    def listing(self, index: int) -> Listing:
        """The listing as it is now (admin edits applied); raises UnknownListing."""
        if not self.exists(index):
            raise UnknownListing(listing_id(index))
        listing = self.generate(index)
        change = self.changes.get(index)
        if change:
            for name, value in change.fields.items():
                if name == "text":
                    listing.paragraphs = [line for line in str(value).split("\n") if line.strip()]
                else:
                    setattr(listing, name, value)
            listing.version = change.version
            if change.removed_as:
                listing.status, listing.removed_as = "removed", change.removed_as
        return listing

    def by_id(self, value: str) -> Listing:
        return self.listing(parse_id(value))

    def active(self, indexes: array | list[int]) -> list[int]:
        if not any(change.removed_as for change in self.changes.values()):
            return list(indexes)
        return [index for index in indexes if self.is_active(index)]

    def search(self, platform: str, keyword: str | None) -> list[int]:
        """Active listing numbers of `platform` found by `keyword` (all of them when no keyword), in order."""
        if keyword:
            found = self.by_keyword[platform].get(keyword.strip())
            if found is None:
                found = self._substring_search(platform, keyword.strip())
        else:
            found = self.by_platform[platform]
        return self.active(found)

    def _substring_search(self, platform: str, keyword: str) -> list[int]:
        matches: set[int] = set()
        for known, indexes in self.by_keyword[platform].items():
            if keyword in known or known in keyword:
                matches.update(indexes)
        return sorted(matches)

    def seller_listings(self, seller: int, platform: str) -> list[int]:
        return [i for i in self.active(self.by_seller.get(seller, ())) if self.platform_of(i) == platform]

    def seller_number(self, seller_id: str) -> int:
        if not re.fullmatch(r"S\d{5}", seller_id or ""):
            raise KeyError(seller_id)
        number = int(seller_id[1:])
        if number >= len(self.sellers):
            raise KeyError(seller_id)
        return number

    # -- admin -----------------------------------------------------------------------------------------------------

    def remove(self, index: int, mode: str = "delisted") -> Listing:
        if mode not in ("delisted", "404"):
            raise ValueError("mode must be delisted or 404")
        self.listing(index)
        self.changes.setdefault(index, Change()).removed_as = mode
        return self.listing(index)

    def restore(self, index: int) -> Listing:
        self.listing(index)
        if index in self.changes:
            self.changes[index].removed_as = None
        return self.listing(index)

    EDITABLE = ("title", "text", "price", "labels", "kind")

    def edit(self, index: int, changes: dict) -> Listing:
        self.listing(index)
        unknown = set(changes) - set(self.EDITABLE)
        if unknown:
            raise ValueError(f"cannot edit {', '.join(sorted(unknown))}; editable: {', '.join(self.EDITABLE)}")
        change = self.changes.setdefault(index, Change())
        for name, value in changes.items():
            if name == "labels":
                value = tuple(sorted(value))
            change.fields[name] = value
        change.version += 1
        return self.listing(index)

    def add(self, platform: str, fields: dict | None = None) -> Listing:
        """A new listing on `platform`: generated from the corpus, or made of the given title/text/... fields."""
        if platform not in PLATFORMS:
            raise ValueError(f"platform must be one of {', '.join(PLATFORMS)}")
        fields = dict(fields or {})
        index = self.count
        skeleton = self.skeleton(index, platform=platform)
        if skeleton.platform != platform:
            skeleton = replace(skeleton, platform=platform)
        if "seller_id" in fields:
            skeleton = replace(skeleton, seller=self.seller_number(str(fields.pop("seller_id"))))
        if platform == "agencies" and not self.sellers[skeleton.seller].is_agency:
            agencies = self._sellers_by_type["licensed"] + self._sellers_by_type["fake_agency"]
            skeleton = replace(skeleton, seller=agencies[index % len(agencies)])
        self._added[index] = skeleton
        self._generate_cached.cache_clear()
        if fields:
            base = self.generate(index)
            keywords = tuple(fields.pop("keywords", ()) or base.keywords)
            labels = tuple(sorted(fields.pop("labels", ()) or ()))
            text = str(fields.pop("text", base.text))
            listing = replace(
                base,
                title=str(fields.pop("title", base.title)),
                paragraphs=[line for line in text.split("\n") if line.strip()],
                price=str(fields.pop("price")) if "price" in fields else base.price,
                keywords=keywords,
                labels=labels,
                kind=str(fields.pop("kind", "violation" if labels else "unrelated")),
                evasion="none",
                image_text=None,
                duplicate_of=None,
                group="admin",
            )
            if fields:
                del self._added[index]
                raise ValueError(f"unknown fields: {', '.join(sorted(fields))}")
            self._added[index] = listing
            self._generate_cached.cache_clear()
            for keyword in keywords:
                self.by_keyword[platform].setdefault(keyword, array("I"))
            skeleton_keywords = keywords
        else:
            skeleton_keywords = None
        self._platform_of.append(self._platform_codes[platform])
        self.by_platform[platform].append(index)
        self.by_seller.setdefault(skeleton.seller, array("I")).append(index)
        listing = self.generate(index)
        for keyword in skeleton_keywords or listing.keywords:
            self.by_keyword[platform].setdefault(keyword, array("I")).append(index)
        return listing

    # -- ground truth ----------------------------------------------------------------------------------------------

    def truth(self, listing: Listing, endpoints: dict[str, str]) -> dict:
        return {
            "id": listing.id,
            "platform": listing.platform,
            "url": endpoints.get(listing.platform, "") + canonical_path(listing),
            "title": listing.title,
            "labels": list(listing.labels),
            "kind": listing.kind,
            "group": listing.group,
            "evasion": listing.evasion,
            "seller": listing.seller.name,
            "seller_id": listing.seller.id,
            "agency_code": listing.seller.agency_code,
            "in_registry": listing.seller.in_registry,
            "offers_patent_agency": listing.offers_patent_agency,
            "keywords": list(listing.keywords),
            "duplicate_of": listing.duplicate_of,
            "status": listing.status,
            "removed_as": listing.removed_as,
            "quirk": listing.quirk,
            "version": listing.version,
        }

    def truth_of(self, index: int, endpoints: dict[str, str]) -> dict:
        """Same as `truth(listing(index))`, without generating the listing's body (exports stay quick)."""
        if isinstance(self._added.get(index), Listing):
            return self.truth(self.listing(index), endpoints)
        head = self._headline(index)
        skeleton, seller = head.skeleton, head.seller
        change = self.changes.get(index) or Change()
        listing_key = listing_id(index)
        labels = change.fields.get("labels", head.labels)
        return {
            "id": listing_key,
            "platform": skeleton.platform,
            "url": endpoints.get(skeleton.platform, "") + page_path(skeleton.platform, listing_key, seller.slug),
            "title": change.fields.get("title", head.title),
            "labels": list(labels),
            "kind": change.fields.get("kind", "violation" if head.labels else head.group.kind),
            "group": head.group.name,
            "evasion": head.evasion,
            "seller": seller.name,
            "seller_id": seller.id,
            "agency_code": seller.agency_code,
            "in_registry": seller.in_registry,
            "offers_patent_agency": head.patent,
            "keywords": list(head.keywords),
            "duplicate_of": listing_id(skeleton.duplicate_of) if skeleton.duplicate_of is not None else None,
            "status": "removed" if change.removed_as else "active",
            "removed_as": change.removed_as,
            "quirk": self.quirks.get(index),
            "version": change.version,
        }

    def ground_truth(self, endpoints: dict[str, str]) -> Iterator[dict]:
        for index in range(self.count):
            yield self.truth_of(index, endpoints)

    def write_ground_truth(self, path: Path, endpoints: dict[str, str],
                           progress: Callable[[int], None] | None = None) -> Path:
        """JSONL, one record a listing; `progress(n)` is called every 1000 records."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            for number, record in enumerate(self.ground_truth(endpoints), 1):
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                if progress and number % 1000 == 0:
                    progress(number)
        return path
