"""Item pipeline: the text inside new and changed listings' images, read once per picture in worker processes.

Put it after `ListingImagesPipeline` (which downloads the images through the engine into `images`) and before
the detector, which then reads `image_text` instead of running OCR itself in the crawl's process.

Settings: LANTIAN_OCR_WORKERS (worker processes, 1), LANTIAN_OCR_NICENESS (their lower CPU priority, 5),
LANTIAN_OCR_CACHE (default `data_dir()/ocr/image-text.sqlite3`, kept across crawls).
"""
from __future__ import annotations

import logging
from pathlib import Path

from scrapy import Spider
from scrapy.crawler import Crawler
from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThread

from crawler.items import ListingItem
from detector.ocr_pool import ImageTextWorkers, ReaderSettings

logger = logging.getLogger(__name__)


class SharedImageTextWorkers:
    """One pool of OCR workers per process, shared by the crawlers of one run (sweep and site), so a picture two of
    them meet is read once and the machine runs LANTIAN_OCR_WORKERS of them, not that many per crawler."""

    _workers: ImageTextWorkers | None = None
    _users = 0

    @classmethod
    def acquire(cls, settings: ReaderSettings, cache_path: Path, workers: int, niceness: int) -> ImageTextWorkers:
        if cls._workers is None:
            cls._workers = ImageTextWorkers(settings, cache_path, workers=workers, niceness=niceness)
        cls._users += 1
        return cls._workers

    @classmethod
    def release(cls) -> Deferred[None] | None:
        cls._users -= 1
        if cls._users > 0 or cls._workers is None:
            return None
        workers, cls._workers, cls._users = cls._workers, None, 0
        return deferToThread(workers.close)


class ImageTextPipeline:
    def __init__(self, crawler: Crawler) -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats = crawler.stats
        self.workers: ImageTextWorkers | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ImageTextPipeline:
        return cls(crawler)

    def open_spider(self, spider: Spider) -> None:
        from detector import Detector

        config = Detector.load().config
        settings = self.crawler.settings
        self.workers = SharedImageTextWorkers.acquire(
            ReaderSettings(config.ocr_min_score, config.ocr_max_side),
            Path(settings["LANTIAN_OCR_CACHE"]),
            workers=settings.getint("LANTIAN_OCR_WORKERS"),
            niceness=settings.getint("LANTIAN_OCR_NICENESS"),
        )

    def close_spider(self, spider: Spider) -> Deferred[None] | None:
        if self.workers is None:
            return None
        self.workers = None
        return SharedImageTextWorkers.release()

    async def process_item(self, item: ListingItem, spider: Spider) -> ListingItem:
        if item.get("change") not in ("new", "changed") or not item.get("images"):
            return item
        assert self.workers is not None
        found = await self.workers.read(list(item["images"]))
        item["image_text"] = found.text
        for how, count in found.found.items():
            self.stats.inc_value(f"lantian/ocr/{how}", count)
        if found.errors:
            self.stats.inc_value(f"lantian/{item['platform']}/image_errors", len(found.errors))
            for error in found.errors:
                logger.warning("Image of %s not read: %s", item.get("url"), error)
        return item
