"""Item pipelines: listing → seen-store (new / unchanged / changed / removed) → images for OCR → detector →
lead store → seen-store settled. Only new or changed content is detected again; an unflagged listing is recorded
as seen, not a lead. The seen-store counts a fetch only once the lead store has its outcome, so a killed crawl
loses no lead (crawler/seen.py)."""
from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, IgnoreRequest
from scrapy.http import Response
from scrapy.pipelines.files import FileException, FilesPipeline
from scrapy.pipelines.media import FileInfoOrError
from twisted.python.failure import Failure

from core.lead import Detection, Listing
from crawler.items import ListingItem, captured_by_hand, content_sha256, listing_of
from crawler.seen import SeenStore
from detector.ocr import MAX_IMAGE_BYTES

if TYPE_CHECKING:
    from index.store import LeadStore

logger = logging.getLogger(__name__)

IMAGE_FAILURES = {
    "refused": "refused (an internal address, robots.txt or the proxy check; each said above)",
    "CancelledError": f"larger than the OCR reads ({MAX_IMAGE_BYTES:,} bytes), given up unstored",
    "download-error": "the server answered with a status other than 200",
    "empty-content": "the server answered with no bytes",
}
"""How the end of a crawl names a kind of image failure (`ListingImagesPipeline`)."""
T = TypeVar("T")


def image_meta() -> dict[str, int | bool]:
    """Request meta of a listing's image: given up past the bytes the OCR reads (`MAX_IMAGE_BYTES`). The seller
    picks its size, and the picture is stored byte for byte and archived: under DOWNLOAD_MAXSIZE (64 MB) four
    pictures a listing made a gigabyte of disk for four listings. It is evidence (`EvidenceMiddleware`: its bytes,
    WARC record and a line of the evidence log with its address and fetch time), since a letter may quote text read
    from it (`casework.pictures`)."""
    return {"download_maxsize": MAX_IMAGE_BYTES, "evidence": True}


def seen_store_path(settings: Any) -> Path:
    return Path(settings["LANTIAN_SEEN_DB"])


class IncrementalPipeline:
    """Compares each fetched listing with the seen-store: `item["change"]` becomes new, unchanged, changed or
    removed. The store survives restarts, so a second crawl only re-detects what changed."""

    def __init__(self, crawler: Crawler) -> None:
        assert crawler.stats is not None
        self.settings = crawler.settings
        self.stats = crawler.stats
        self.store: SeenStore | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalPipeline:
        return cls(crawler)

    def open_spider(self, spider: Spider) -> None:
        self.store = getattr(spider, "seen", None) or SeenStore(seen_store_path(self.settings))
        self._owns_store = getattr(spider, "seen", None) is None

    def close_spider(self, spider: Spider) -> None:
        if self.store is not None and self._owns_store:
            self.store.close()

    def process_item(self, item: ListingItem, spider: Spider) -> ListingItem:
        assert self.store is not None
        stats = self.stats
        platform = item["platform"]
        if item.get("status") == "removed":
            known = self.store.get(item["canonical_url"])
            self.store.mark_removed(item["canonical_url"], reason=f"http {item.get('http_status')}"
                                    if item.get("http_status") in (404, 410) else "removed notice",
                                    platform=platform)
            if known is None:
                stats.inc_value(f"lantian/{platform}/removed_unknown")
                raise DropItem(f"removed before it was ever seen: {item['canonical_url']}")
            item["change"] = "removed"
        else:
            item["content_sha256"] = content_sha256(item)
            item["change"] = self.store.observe(item["canonical_url"], platform, item["content_sha256"])
        stats.inc_value(f"lantian/{platform}/{item['change']}")
        return item


class ListingImagesPipeline(FilesPipeline):
    """Scrapy's files pipeline for listing images, new or changed listings only (OCR reads text hidden in
    images). `images` gets the local paths. The spider's `image_request(item, url)` builds each request (its
    platform's download slot and robots rule) when it has one.

    An image that is not downloaded costs its listing nothing (`image_errors`); Scrapy's media pipeline logged each
    one as an ERROR with a traceback, so a seller who points many images at refused addresses filled a long
    crawl's log with errors that hid real ones. Each failure is counted by kind (`lantian/images_failed/<kind>`:
    `refused` by a guard, robots.txt or the proxy check, which say why at WARNING; `download-error` for a status
    other than 200, said by Scrapy; or the error's class) and each kind said once, at WARNING with its count, when
    the spider closes. Errors of the pipeline itself are still logged as Scrapy logs them."""

    failures: Counter[str]

    def open_spider(self, spider: Spider) -> None:
        super().open_spider(spider)
        self.failures = Counter()

    def media_failed(self, failure: Failure, request: Request, info: Any) -> NoReturn:
        kind = "refused" if isinstance(failure.value, IgnoreRequest) else type(failure.value).__name__
        self._failed(kind)
        super().media_failed(failure, request, info)

    def media_downloaded(self, response: Response, request: Request, info: Any, *, item: Any = None) -> Any:
        try:
            return super().media_downloaded(response, request, info, item=item)
        except FileException as exc:
            self._failed(str(exc) or "file-error")
            raise

    def _failed(self, kind: str) -> None:
        self.failures[kind] += 1
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"lantian/images_failed/{kind}")

    def _log_exception(self, result: Failure) -> Failure:
        """Scrapy's media pipeline logs every failure here at ERROR; an image's, counted above, is not an error."""
        if not isinstance(result.value, FileException):
            super()._log_exception(result)
        return result

    def close_spider(self, spider: Spider) -> None:
        for kind, count in sorted(self.failures.items()):
            logger.warning("%d listing image(s) not downloaded: %s (their listings are kept)", count,
                           IMAGE_FAILURES.get(kind, kind))

    def get_media_requests(self, item: Any, info: Any) -> list[Request]:
        if item.get("change") not in ("new", "changed") and not captured_by_hand(item):
            return []
        limit = self.crawler.settings.getint("LANTIAN_MAX_IMAGES")
        build = getattr(info.spider, "image_request", None)
        return [
            build(item, url) if build is not None else Request(url, meta={"download_slot": item.get("platform"),
                                                                          **image_meta()})
            for url in (item.get("image_urls") or [])[:limit]
        ]

    def item_completed(self, results: list[FileInfoOrError], item: Any, info: Any) -> Any:
        store = Path(self.store.basedir) if hasattr(self.store, "basedir") else None
        paths = [result["path"] for _, result in results if not isinstance(result, Failure)]
        item["images"] = [str(store / path) if store else path for path in paths]
        failed = len(results) - len(paths)
        if failed:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value(f"lantian/{item.get('platform')}/image_errors", failed)
        return item


class DetectionPipeline:
    """Runs the detector (`detector.Detector`) on new and changed listings, in one worker thread so rules,
    models and OCR never block the crawl.

    Listings are read in batches (`Detector.detect_many`, the same output as one at a time): the first listing to
    arrive waits up to LANTIAN_DETECT_WAIT seconds for others, up to LANTIAN_DETECT_BATCH in all. The detector's
    cost is mostly per call (one sparse product, one spaCy pass, their set-up), so on simulator listings a batch of 8
    cost 0.5 ms of CPU a listing and a listing alone 1.7 ms (`bench/README.md`); a crawl brings its listings a few
    at a time, and the wait is short beside the OCR and screenshot a listing waits for anyway."""

    def __init__(self, crawler: Crawler) -> None:
        assert crawler.stats is not None
        self.stats = crawler.stats
        self.detector: Any = None
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="detector")
        self.batch_size = max(1, crawler.settings.getint("LANTIAN_DETECT_BATCH"))
        self.wait = crawler.settings.getfloat("LANTIAN_DETECT_WAIT")
        self.waiting: list[tuple[Listing, asyncio.Future[Detection]]] = []
        self.timer: asyncio.TimerHandle | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DetectionPipeline:
        return cls(crawler)

    def open_spider(self, spider: Spider) -> None:
        from detector import Detector

        self.detector = Detector.load()

    def close_spider(self, spider: Spider) -> None:
        self.executor.shutdown(wait=True)

    async def process_item(self, item: ListingItem, spider: Spider) -> ListingItem:
        if item.get("change") not in ("new", "changed") and not captured_by_hand(item):
            return item
        try:
            detection = await self._detect(listing_of(item))
        except Exception as exc:  # one bad listing must not stop the sweep; it is counted and logged
            self.stats.inc_value(f"lantian/{item['platform']}/errors")
            logger.error("Detector failed on %s: %s", item["url"], exc, exc_info=True)
            raise DropItem(f"detector failed: {exc}") from exc
        item["detection"] = detection
        item["labels"] = list(detection.labels)
        item["risk"] = detection.risk
        return item

    def _detect(self, listing: Listing) -> asyncio.Future[Detection]:
        """The listing's detection, once the batch it joins has been read."""
        loop = asyncio.get_running_loop()
        detection: asyncio.Future[Detection] = loop.create_future()
        self.waiting.append((listing, detection))
        if len(self.waiting) >= self.batch_size:
            self._send_batch()
        elif self.timer is None:
            self.timer = loop.call_later(self.wait, self._send_batch)
        return detection

    def _send_batch(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        batch, self.waiting = self.waiting, []
        if not batch:
            return
        done = asyncio.get_running_loop().run_in_executor(self.executor, self._detect_batch,
                                                                 [listing for listing, _ in batch])
        done.add_done_callback(lambda finished: self._settle(batch, finished))

    def _detect_batch(self, listings: list[Listing]) -> list[Detection | Exception]:
        """Each listing's detection, or the error that listing alone raised (in the detector's thread)."""
        failed: dict[int, Exception] = {}
        try:
            detections = iter(self.detector.detect_many(listings, on_error=failed.__setitem__))
        except Exception:  # a fault of one listing must not cost the others: each is read alone
            return [self._detect_alone(listing) for listing in listings]
        return [failed[index] if index in failed else next(detections) for index in range(len(listings))]

    def _detect_alone(self, listing: Listing) -> Detection | Exception:
        try:
            detection: Detection = self.detector.detect(listing)
            return detection
        except Exception as exc:
            return exc

    @staticmethod
    def _settle(batch: list[tuple[Listing, asyncio.Future[Detection]]],
                finished: asyncio.Future[list[Detection | Exception]]) -> None:
        error = finished.exception()
        outcomes = [error] * len(batch) if error is not None else finished.result()
        for (_, detection), outcome in zip(batch, outcomes, strict=True):
            if detection.done():
                continue
            if isinstance(outcome, BaseException):
                detection.set_exception(outcome)
            else:
                detection.set_result(outcome)


class SharedLeadStore:
    """One lead store per process, shared by the sweep and site crawlers of one run, so a repost found by one
    crawler is clustered with an original found by the other in the same run; and one writer thread for it, so
    writes keep their order and a slow or unreachable Elasticsearch never blocks the crawl's event loop."""

    _store: LeadStore | None = None
    _writer: ThreadPoolExecutor | None = None
    _users = 0

    @classmethod
    def acquire(cls) -> LeadStore:
        from index import open_store

        if cls._store is None:
            cls._store = open_store()
            cls._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lead-store")
        cls._users += 1
        return cls._store

    @classmethod
    async def run(cls, write: Callable[[LeadStore], T]) -> T:
        """`write(store)` in the writer thread, after the writes submitted before it."""
        assert cls._writer is not None and cls._store is not None, "SharedLeadStore.acquire() first"
        return await asyncio.get_running_loop().run_in_executor(cls._writer, write, cls._store)

    @classmethod
    def release(cls) -> None:
        cls._users -= 1
        if cls._users <= 0 and cls._store is not None:
            store, writer = cls._store, cls._writer
            cls._store, cls._writer, cls._users = None, None, 0
            if writer is not None:
                writer.shutdown(wait=True)
            store.flush()
            store.close()


class LeadSinkPipeline:
    """Writes flagged listings as leads (`index.open_store()`), bumps last_seen of unchanged ones, and marks
    removed listings removed; then settles the listing in the spider's seen-store (with its lead mark)."""

    def __init__(self, crawler: Crawler) -> None:
        assert crawler.stats is not None
        self.stats = crawler.stats
        self.acquired = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LeadSinkPipeline:
        return cls(crawler)

    def open_spider(self, spider: Spider) -> None:
        SharedLeadStore.acquire()
        self.acquired = True

    def close_spider(self, spider: Spider) -> None:
        if self.acquired:
            self.acquired = False
            SharedLeadStore.release()

    async def process_item(self, item: ListingItem, spider: Spider) -> ListingItem:
        change = item.get("change")
        if change == "removed":
            removed = await SharedLeadStore.run(lambda store: store.mark_removed(item["id"], item.get("fetched_at")))
            if removed is not None:
                self.stats.inc_value(f"lantian/{item['platform']}/leads_removed")
            return self._settled(item, spider)
        listing = listing_of(item)
        if captured_by_hand(item):
            lead = await SharedLeadStore.run(lambda store: store.upsert(listing, item.get("detection") or Detection()))
            item["lead_id"] = lead.id
            return item
        if change == "unchanged":
            if await SharedLeadStore.run(lambda store: store.record_seen(listing)) is not None:
                item["lead_id"] = item["id"]
            return self._settled(item, spider)
        detection = item.get("detection") or Detection()
        if not detection.labels:
            await SharedLeadStore.run(lambda store: self._refresh_lead(store, listing, detection))
            return self._settled(item, spider)
        lead = await SharedLeadStore.run(lambda store: store.upsert(listing, detection))
        item["lead_id"] = lead.id
        return self._settled(item, spider)

    @staticmethod
    def _settled(item: ListingItem, spider: Spider) -> ListingItem:
        """The lead store has the listing's outcome: now the seen-store may count the fetch. The spider opens its
        seen-store in `start()`, after the pipelines open, so it is looked up here."""
        seen: SeenStore | None = getattr(spider, "seen", None)
        if seen is not None:
            content = None if item.get("change") == "removed" else item.get("content_sha256")
            seen.settle(item["canonical_url"], content, lead="lead_id" in item)
        return item

    @staticmethod
    def _refresh_lead(store: LeadStore, listing: Listing, detection: Detection) -> None:
        """An unflagged listing updates the lead it already is (a lead once flagged stays one), else nothing."""
        if store.get(listing["id"]) is not None:
            store.upsert(listing, detection)
