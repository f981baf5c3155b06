"""The one item pipeline a worker adds to the crawler's own."""
from __future__ import annotations

from scrapy import Spider
from scrapy.crawler import Crawler

from crawler.items import ListingItem

PIPELINE_ORDER = 150  # after crawler.pipelines.IncrementalPipeline (100), before images and detection


class RecheckRequeuedPipeline:
    """A listing re-fetched for a dead worker is detected and upserted again even if the seen-store calls it
    unchanged: the dead worker may have recorded it in the seen-store and died before its lead was written. The
    lead store's upsert is idempotent, so a lead that was written is not changed by this."""

    def __init__(self, crawler: Crawler) -> None:
        assert crawler.stats is not None
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RecheckRequeuedPipeline:
        return cls(crawler)

    def process_item(self, item: ListingItem, spider: Spider) -> ListingItem:
        if item.get("change") == "unchanged" and item["canonical_url"] in getattr(spider, "rechecked", ()):
            item["change"] = "changed"
            self.stats.inc_value("lantian/distributed/rechecked")
        return item
