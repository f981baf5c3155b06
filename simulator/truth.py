"""The ground truth: one record a listing saying what it is (labels, kind, evasion, seller, repost, status), the
answer a crawl and the detector are scored against (fields: simulator/README.md)."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from simulator.generator import Generator
from simulator.listing import Listing, canonical_path, listing_id, page_path
from simulator.state import AdminState, Change

Record = dict[str, Any]


def record(listing: Listing, endpoints: dict[str, str]) -> Record:
    """The ground truth of a listing as shown (`endpoints`: each platform's base URL)."""
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


class GroundTruth:
    """The records of a world's listings, made from their headlines and the admin's changes."""

    def __init__(self, generator: Generator, state: AdminState) -> None:
        self.generator = generator
        self.state = state

    def record_of(self, index: int, endpoints: dict[str, str]) -> Record:
        """Same as `record(listing)` of listing `index` as shown, without generating its body (exports stay
        quick)."""
        if isinstance(self.state.added.get(index), Listing):
            return record(self.state.applied(self.generator.generate(index)), endpoints)
        head = self.generator.headline(index)
        skeleton, seller = head.skeleton, head.seller
        change = self.state.changes.get(index) or Change()
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
            "quirk": self.generator.quirks.get(index),
            "version": change.version,
        }

    def records(self, count: int, endpoints: dict[str, str]) -> Iterator[Record]:
        """The records of listings 0 to `count` - 1, in order."""
        for index in range(count):
            yield self.record_of(index, endpoints)

    def write(self, path: Path, count: int, endpoints: dict[str, str],
              progress: Callable[[int], None] | None = None) -> Path:
        """JSONL, one record a listing; `progress(n)` is called every 1000 records."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            for number, found in enumerate(self.records(count, endpoints), 1):
                handle.write(json.dumps(found, ensure_ascii=False) + "\n")
                if progress and number % 1000 == 0:
                    progress(number)
        return path
