"""The listing item: what the crawler hands to the detector and the lead store (docs/architecture.md)."""
from __future__ import annotations

import hashlib
from typing import Any, cast

import scrapy

from core.lead import Listing

# The crawl's own bookkeeping on an item, set by its stages and never handed on with the listing.
BOOKKEEPING: tuple[str, ...] = (
    "change",  # the seen-store's verdict: new, unchanged, changed or removed
    "detection",  # the detector's `Detection`
    "labels", "risk",  # the detection's labels and risk, for the crawl's own output
    "lead_id",  # the lead the store wrote
)


class ListingItem(scrapy.Item):
    """One listing (an ad, a note, a service page) at its canonical URL, as the crawl carries it from stage to
    stage: the fields of `core.lead.Listing` (declared there, once) and the crawl's `BOOKKEEPING`. A field outside
    both is refused when it is set."""

    fields = {name: scrapy.Field() for name in (*Listing.__annotations__, *BOOKKEEPING)}


def listing_of(item: ListingItem) -> Listing:
    """The listing an item carries, as the detector and the lead store take it (without the crawl's bookkeeping)."""
    return cast(Listing, {key: value for key, value in item.items() if key not in BOOKKEEPING})


def captured_by_hand(item: ListingItem | dict[str, Any]) -> bool:
    """A listing a staff member asked for (`lantian capture`, a complaint's URL): it is detected, screenshotted and
    stored as a lead whatever the seen-store says and whether or not a label fires, so the decision is on record."""
    return bool(item.get("capture"))


CONTENT_FIELDS = ("title", "text", "price", "seller", "location", "contacts", "image_urls")


def content_sha256(item: ListingItem | dict[str, Any]) -> str:
    """Hash of what the detector reads, so an unchanged listing is recognised on re-crawl."""
    digest = hashlib.sha256()
    for field in CONTENT_FIELDS:
        value = item.get(field)
        if isinstance(value, (list, tuple)):
            value = "\x1f".join(str(v) for v in value)
        digest.update(f"{field}={value or ''}\x1e".encode())
    return digest.hexdigest()
