"""The simulated world: every listing generated from (seed, index) on demand, plus the admin's changes.

Only small indexes are kept in memory (platform per listing, keyword -> listing numbers, seller -> listing numbers);
pages are rendered from a listing regenerated when it is asked for, so 100,000 listings cost a few megabytes.
`World` holds those indexes and answers the platforms; making listings (`simulator.generator`), the admin's changes
(`simulator.state`) and the ground truth (`simulator.truth`) are each done apart.
"""
from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from simulator.corpus import PLATFORMS, Corpus, default_corpus
from simulator.generator import Generator, Skeleton
from simulator.listing import Listing, UnknownListing, listing_id, parse_id
from simulator.sellers import Population, build_population
from simulator.state import AdminState, written
from simulator.truth import GroundTruth, Record, record


class World:
    """All listings of one simulator instance, their indexes and the admin's changes to them."""

    def __init__(self, seed: int = 7, listings: int = 2000, corpus: Corpus | None = None) -> None:
        if listings < 1:
            raise ValueError("listings must be at least 1")
        self.seed = seed
        self.corpus = corpus or default_corpus()
        self.population: Population = build_population(seed, listings, self.corpus)
        self.sellers = self.population.sellers
        self.keywords = self.corpus.keywords
        self.state = AdminState(self.exists)
        self.changes = self.state.changes
        self.generator = Generator(seed, self.corpus, self.population, self.state.added)
        self.truth_export = GroundTruth(self.generator, self.state)
        self._platform_codes = {name: code for code, name in enumerate(PLATFORMS)}
        self._platform_of = array("B")
        self.by_keyword: dict[str, dict[str, array]] = {p: {k: array("I") for k in self.keywords} for p in PLATFORMS}
        self.by_platform: dict[str, array] = {p: array("I") for p in PLATFORMS}
        self.by_seller: dict[int, array] = {}
        self.slug_to_seller = {s.slug: n for n, s in enumerate(self.sellers) if s.slug}
        for index in range(listings):
            self._index(self.generator.skeleton(index))
        self.generator.pick_quirks(self.by_platform["market"])

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

    # -- reading ---------------------------------------------------------------------------------------------------

    @property
    def count(self) -> int:
        return len(self._platform_of)

    def platform_of(self, index: int) -> str:
        return PLATFORMS[self._platform_of[index]]

    def exists(self, index: int) -> bool:
        return 0 <= index < self.count

    def is_active(self, index: int) -> bool:
        return self.state.is_active(index)

    def generate(self, index: int) -> Listing:
        """The listing number `index` as first published (before admin edits); a fresh copy each call."""
        return self.generator.generate(index)

    def listing(self, index: int) -> Listing:
        """The listing as it is now (admin edits applied); raises UnknownListing."""
        if not self.exists(index):
            raise UnknownListing(listing_id(index))
        return self.state.applied(self.generate(index))

    def by_id(self, value: str) -> Listing:
        return self.listing(parse_id(value))

    def active(self, indexes: array | list[int]) -> list[int]:
        if not self.state.any_removed():
            return list(indexes)
        return [index for index in indexes if self.is_active(index)]

    def search(self, platform: str, keyword: str | None) -> list[int]:
        """Active listing numbers of `platform` found by `keyword` (all of them when no keyword), in order."""
        found: array | list[int] | None
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
        return [i for i in self.active(self.by_seller.get(seller, [])) if self.platform_of(i) == platform]

    def seller_number(self, seller_id: str) -> int:
        if not re.fullmatch(r"S\d{5}", seller_id or ""):
            raise KeyError(seller_id)
        number = int(seller_id[1:])
        if number >= len(self.sellers):
            raise KeyError(seller_id)
        return number

    # -- admin -----------------------------------------------------------------------------------------------------

    def remove(self, index: int, mode: str = "delisted") -> Listing:
        self.state.remove(index, mode)
        return self.listing(index)

    def restore(self, index: int) -> Listing:
        self.state.restore(index)
        return self.listing(index)

    def edit(self, index: int, changes: dict[str, Any]) -> Listing:
        self.state.edit(index, changes)
        return self.listing(index)

    def add(self, platform: str, fields: dict[str, Any] | None = None) -> Listing:
        """A new listing on `platform`: generated from the corpus, or made of the given title/text/... fields."""
        if platform not in PLATFORMS:
            raise ValueError(f"platform must be one of {', '.join(PLATFORMS)}")
        fields = dict(fields or {})
        index = self.count
        seller = self.seller_number(str(fields.pop("seller_id"))) if "seller_id" in fields else None
        skeleton = self.generator.added_skeleton(index, platform, seller)
        self.state.added[index] = skeleton
        self.generator.forget()
        if fields:
            try:
                self.state.added[index] = written(self.generate(index), fields)
            except ValueError:
                del self.state.added[index]
                raise
            self.generator.forget()
        self._platform_of.append(self._platform_codes[platform])
        self.by_platform[platform].append(index)
        self.by_seller.setdefault(skeleton.seller, array("I")).append(index)
        listing = self.generate(index)
        for keyword in listing.keywords:
            self.by_keyword[platform].setdefault(keyword, array("I")).append(index)
        return listing

    # -- ground truth ----------------------------------------------------------------------------------------------

    def truth(self, listing: Listing, endpoints: dict[str, str]) -> Record:
        return record(listing, endpoints)

    def truth_of(self, index: int, endpoints: dict[str, str]) -> Record:
        """Same as `truth(listing(index))`, without generating the listing's body (exports stay quick)."""
        return self.truth_export.record_of(index, endpoints)

    def ground_truth(self, endpoints: dict[str, str]) -> Iterator[Record]:
        return self.truth_export.records(self.count, endpoints)

    def write_ground_truth(self, path: Path, endpoints: dict[str, str],
                           progress: Callable[[int], None] | None = None) -> Path:
        """JSONL, one record a listing; `progress(n)` is called every 1000 records."""
        return self.truth_export.write(path, self.count, endpoints, progress)
