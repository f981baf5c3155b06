"""A simulated listing as the platforms show it, its id, and the path of its page on each platform."""
from __future__ import annotations

import re
from dataclasses import dataclass

from simulator.sellers import Seller

ID_PATTERN = re.compile(r"^L(\d{6,})$")


class UnknownListing(KeyError):
    """No listing has this id."""


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
    if platform == "app":
        return f"/goods/{listing_id}"
    return f"/service/{listing_id}.html"


def canonical_path(listing: Listing) -> str:
    return page_path(listing.platform, listing.id, listing.seller.slug)
