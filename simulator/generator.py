"""Listings generated from (seed, listing number): the same listing every time, so none has to be stored.

A listing is made in three steps, each from random numbers seeded by the seed and the listing number: its skeleton
(platform, group, claim, seller, evasion, repost of an earlier one), its headline (title, claims, labels, keywords:
what its ground truth is made of) and its body (supporting lines, price, date). Listings the admin added take the
place of generated ones, given by the caller.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from random import Random

from simulator.corpus import AGENCY_SELLER_TYPES, SLOT_PATTERN, Corpus, Group
from simulator.evasion import can_disguise, disguise
from simulator.listing import Listing, listing_id
from simulator.sellers import Population, Seller

CACHE_SIZE = 4096
DUPLICATE_RATE = 0.03
MULTI_LABEL_RATE = 0.15
VIOLATION_EVASIONS = {"none": 44, "spaces": 9, "traditional": 10, "pinyin": 9, "homophone": 9, "emoji": 9, "image": 10}
DISGUISES_TERMS = ("spaces", "pinyin", "homophone", "emoji")
OTHER_EVASIONS = {"none": 92, "traditional": 4, "image": 4}
EPOCH = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
NEUTRAL_TITLES = ("知识产权服务 详情见图", "商标专利 一站式服务 看图咨询", "专业代办 价格见图", "企业服务 详情请看图片")


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


def _weighted(rng: Random, weights: Mapping[str, float]) -> str:
    names = list(weights)
    return rng.choices(names, [weights[name] for name in names])[0]


class Generator:
    """The listings of one seed; `added` holds the skeletons and listings the admin added, by listing number."""

    def __init__(self, seed: int, corpus: Corpus, population: Population,
                 added: Mapping[int, Skeleton | Listing]) -> None:
        self.seed = seed
        self.corpus = corpus
        self.sellers = population.sellers
        self._sellers_by_type = population.by_type()
        self._group_weights = [group.weight for group in corpus.groups]
        self._violation_groups = [n for n, g in enumerate(corpus.groups) if g.kind == "violation"]
        self._added = added
        self.quirks: dict[int, str] = {}
        # Crawlers read a listing in a result page and then on its own page: keep recent ones ready.
        self._generate_cached = lru_cache(maxsize=CACHE_SIZE)(self._generate)

    def forget(self) -> None:
        """Drop the listings kept ready (the admin added one)."""
        self._generate_cached.cache_clear()

    def skeleton(self, index: int, platform: str | None = None) -> Skeleton:
        """The choices of listing `index` (a repost of an earlier one now and then); `platform` forces its
        platform."""
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
            root_seller = self.sellers[root.seller]
            choices = {
                name: weight
                for name, weight in group.platforms.items()
                if name != root.platform and (name != "agencies" or root_seller.is_agency)
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
        seller_number = rng.choice(self._sellers_by_type[rng.choice(seller_types)])
        claim = rng.randrange(len(group.claims))
        extra = None
        if group.kind == "violation" and rng.random() < MULTI_LABEL_RATE:
            other = rng.choice([n for n in self._violation_groups if n != group_number])
            extra = (other, rng.randrange(len(self.corpus.groups[other].claims)))
        evasion = _weighted(rng, VIOLATION_EVASIONS if group.kind == "violation" else OTHER_EVASIONS)
        return Skeleton(index, chosen_platform, group_number, claim, extra, seller_number, evasion, index, None)

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
        """The listing number `index` as first published (before admin edits); a fresh copy each call."""
        base = self._generate_cached(index)
        return replace(base, paragraphs=list(base.paragraphs))

    def headline(self, index: int) -> Headline:
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
        head = self.headline(index)
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

    def added_skeleton(self, index: int, platform: str, seller: int | None = None) -> Skeleton:
        """The skeleton of a listing the admin adds to `platform` (by `seller` when given; on the agency sites, by an
        agency)."""
        skeleton = self.skeleton(index, platform=platform)
        if skeleton.platform != platform:
            skeleton = replace(skeleton, platform=platform)
        if seller is not None:
            skeleton = replace(skeleton, seller=seller)
        if platform == "agencies" and not self.sellers[skeleton.seller].is_agency:
            agencies = self._sellers_by_type["licensed"] + self._sellers_by_type["fake_agency"]
            skeleton = replace(skeleton, seller=agencies[index % len(agencies)])
        return skeleton

    def pick_quirks(self, market: Iterable[int]) -> None:
        """One huge and one malformed market detail page, among the unrelated goods of the `market` listings."""
        wanted = ["huge", "malformed"]
        unrelated = self.corpus.group("unrelated")
        for index in market:
            if not wanted:
                break
            skeleton = self.skeleton(index)
            if self.corpus.groups[skeleton.group] is unrelated and skeleton.duplicate_of is None and index >= 10:
                self.quirks[index] = wanted.pop(0)
