"""The listing item: what the crawler hands to the detector and the lead store (docs/architecture.md)."""
from __future__ import annotations

import hashlib

import scrapy


class ListingItem(scrapy.Item):
    """One listing (an ad, a note, a service page) at its canonical URL."""

    id = scrapy.Field()
    platform = scrapy.Field()
    url = scrapy.Field()
    canonical_url = scrapy.Field()
    title = scrapy.Field()
    text = scrapy.Field()
    price = scrapy.Field()
    seller = scrapy.Field()
    seller_url = scrapy.Field()
    location = scrapy.Field()
    contacts = scrapy.Field()
    images = scrapy.Field()
    image_urls = scrapy.Field()
    image_text = scrapy.Field()
    keyword = scrapy.Field()
    found_on = scrapy.Field()
    http_status = scrapy.Field()
    fetched_at = scrapy.Field()
    content_sha256 = scrapy.Field()
    raw_sha256 = scrapy.Field()
    raw_path = scrapy.Field()
    screenshot_path = scrapy.Field()
    screenshot_sha256 = scrapy.Field()
    warc_path = scrapy.Field()
    status = scrapy.Field()
    change = scrapy.Field()
    labels = scrapy.Field()
    risk = scrapy.Field()
    detection = scrapy.Field()
    lead_id = scrapy.Field()
    source = scrapy.Field()
    capture = scrapy.Field()


def captured_by_hand(item: ListingItem | dict) -> bool:
    """A listing a staff member asked for (`lantian capture`, a complaint's URL): it is detected, screenshotted and
    stored as a lead whatever the seen-store says and whether or not a label fires, so the decision is on record."""
    return bool(item.get("capture"))


CONTENT_FIELDS = ("title", "text", "price", "seller", "location", "contacts", "image_urls")


def content_sha256(item: ListingItem | dict) -> str:
    """Hash of what the detector reads, so an unchanged listing is recognised on re-crawl."""
    digest = hashlib.sha256()
    for field in CONTENT_FIELDS:
        value = item.get(field)
        if isinstance(value, (list, tuple)):
            value = "\x1f".join(str(v) for v in value)
        digest.update(f"{field}={value or ''}\x1e".encode())
    return digest.hexdigest()
