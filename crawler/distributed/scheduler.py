"""Scrapy schedulers on a Redis frontier shared by every worker of a sweep.

`WorkerScheduler` extends scrapy-redis' `Scheduler` (its connection settings, its `RFPDupeFilter` in Redis, its
request encoding) with the reliable `Frontier`. Two adaptations to Scrapy 2.13 are needed:

- Scrapy has no signal for "this request is completely done". The engine calls `Slot.remove_request(request)`
  exactly then — after the download, the callback, the scheduling of the requests it yielded and the item
  pipelines of its items (or after a redirect/retry was re-scheduled). `open()` wraps that method of the engine's
  slot (which exists when the scheduler opens) to ack the request in Redis.
- scrapy-redis' scheduler reports "no pending requests" as soon as the queue is empty and lets Scrapy close the
  spider, although another worker may still be parsing a page that yields new requests. Here a worker finishes
  only when the sweep is seeded and nothing is queued or in flight anywhere; while it waits it polls the queue.

`SeedScheduler` only pushes: the normal spiders' start requests go into Redis and the seeding crawl ends.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Any, cast

from redis.exceptions import RedisError
from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings
from scrapy_redis import connection
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from crawler.distributed.frontier import Frontier
from crawler.distributed.keys import SweepKeys, check_sweep_id

logger = logging.getLogger(__name__)

IDLE_POLL = 0.5


def default_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def redis_from_settings(settings: BaseSettings) -> Any:
    """scrapy-redis' client from `REDIS_URL` (and `REDIS_PARAMS`), checked with a PING."""
    server = connection.from_settings(settings)
    server.ping()
    return server


def sweep_id_of(settings: BaseSettings) -> str:
    sweep_id = settings.get("LANTIAN_SWEEP_ID")
    if not sweep_id:
        raise ValueError("LANTIAN_SWEEP_ID is not set: a distributed crawl needs a sweep id")
    return check_sweep_id(sweep_id)


def sweep_dupefilter(server: Any, keys: SweepKeys, spider: Spider) -> RFPDupeFilter:
    """scrapy-redis' dupefilter (fingerprints in a Redis set), on this sweep's key."""
    return RFPDupeFilter(server, key=keys.dupefilter, debug=spider.settings.getbool("DUPEFILTER_DEBUG"))


class WorkerScheduler(Scheduler):
    """Settings: `REDIS_URL`, `LANTIAN_SWEEP_ID`, `LANTIAN_WORKER_ID` (default host-pid),
    `LANTIAN_HEARTBEAT_SECONDS`, `LANTIAN_STALE_AFTER_SECONDS`, `LANTIAN_SEED_START` (this worker also pushes
    the spider's start requests)."""

    def __init__(self, server: Any, *, sweep_id: str, worker_id: str, heartbeat: float, stale_after: float,
                 **kwargs: Any) -> None:
        super().__init__(server, persist=True, **kwargs)
        self.sweep_id = sweep_id
        self.worker_id = worker_id
        self.heartbeat_seconds = heartbeat
        self.stale_after = stale_after
        self.frontier: Frontier | None = None
        self.crawler: Crawler | None = None
        self._tokens: dict[Request, bytes] = {}
        self._reaper: task.LoopingCall | None = None
        self._stop_beating = threading.Event()
        self._beater: threading.Thread | None = None
        self._redis_down_since: float | None = None
        self._stopping = False
        self.seeds = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WorkerScheduler:
        settings = crawler.settings
        instance = cls(
            redis_from_settings(settings),
            sweep_id=sweep_id_of(settings),
            worker_id=settings.get("LANTIAN_WORKER_ID") or default_worker_id(),
            heartbeat=settings.getfloat("LANTIAN_HEARTBEAT_SECONDS"),
            stale_after=settings.getfloat("LANTIAN_STALE_AFTER_SECONDS"),
        )
        instance.stats = crawler.stats
        instance.crawler = crawler
        instance.seeds = settings.getbool("LANTIAN_SEED_START")
        return instance

    def open(self, spider: Spider) -> None:
        self.spider = spider
        keys = SweepKeys(self.sweep_id, spider.name)
        self.frontier = Frontier(self.server, spider, keys, self.worker_id, self.serializer)
        self.queue = self.frontier
        self.df = sweep_dupefilter(self.server, keys, spider)
        returned = self.frontier.leave()
        if returned > 0:
            logger.info("Worker %s: %d requests of its previous run returned to the queue", self.worker_id, returned)
        self.frontier.heartbeat()
        self._ack_when_done()
        self._beater = threading.Thread(target=self._heartbeat, name=f"heartbeat-{spider.name}", daemon=True)
        self._beater.start()
        self._reaper = task.LoopingCall(self._requeue_stale)
        self._reaper.start(self.heartbeat_seconds, now=False)
        logger.info("Worker %s joined sweep %s (%d requests queued)", self.worker_id, self.sweep_id,
                    len(self.frontier))

    def _ack_when_done(self) -> None:
        assert self.crawler is not None and self.crawler.engine is not None
        slot = self.crawler.engine._slot
        assert slot is not None
        remove_request = slot.remove_request

        def remove_and_ack(request: Request) -> None:
            token = self._tokens.pop(request, None)
            if token is not None and self.frontier is not None:
                try:
                    self.frontier.ack(token)
                except RedisError as exc:  # stays in flight in Redis: fetched again later, nothing lost
                    self._redis_failed(exc)
            remove_request(request)

        slot.remove_request = remove_and_ack  # type: ignore[method-assign]

    def _heartbeat(self) -> None:
        """Stamps this worker alive from a thread of its own: the reactor may be blocked for a while (a pipeline
        loading its models, a huge page being parsed) without its in-flight requests being taken away."""
        assert self.frontier is not None
        while not self._stop_beating.wait(self.heartbeat_seconds):
            try:
                self.frontier.heartbeat()
            except Exception as exc:  # Redis briefly unreachable: try again next beat
                logger.error("Heartbeat to Redis failed: %s", exc)

    def _requeue_stale(self) -> None:
        assert self.frontier is not None
        try:
            for worker, count in self.frontier.requeue_stale(self.stale_after).items():
                if count:
                    logger.warning("Worker %s stopped answering: %d in-flight requests returned to the queue",
                                   worker, count)
                    if self.stats:
                        self.stats.inc_value("lantian/distributed/requeued", count)
            self._redis_down_since = None
        except RedisError as exc:
            self._redis_failed(exc)

    def _redis_failed(self, exc: Exception) -> None:
        """Redis briefly unreachable: keep crawling what is in flight and retry. Unreachable for longer than
        `stale_after` (other workers would count this one dead too): stop, so a supervisor restarts the worker
        once Redis is back; its unfinished requests are still in its in-flight set there."""
        now = time.monotonic()
        if self._redis_down_since is None:
            self._redis_down_since = now
            logger.error("Redis unreachable: %s", exc)
        elif now - self._redis_down_since > self.stale_after and not self._stopping and self.crawler is not None:
            self._stopping = True
            logger.error("Redis unreachable for %.0f s: stopping this worker", now - self._redis_down_since)
            from twisted.internet import reactor
            from twisted.internet.base import ReactorBase

            assert self.crawler.engine is not None
            # not from inside the engine's own call (next_request): the engine goes on using its slot after it
            cast(ReactorBase, reactor).callLater(0, self.crawler.engine.close_spider, self.spider,
                                                 "redis_unreachable")

    def close(self, reason: str) -> None:
        if self._reaper is not None and self._reaper.running:
            self._reaper.stop()
        self._stop_beating.set()
        if self._beater is not None:
            self._beater.join()
        if self.frontier is not None:
            try:
                returned = self.frontier.leave()
            except RedisError as exc:
                logger.error("Could not return this worker's requests to the queue (Redis: %s); another worker "
                             "will once this one's heartbeat is stale", exc)
                return
            if returned:
                logger.info("Worker %s left: %d unfinished requests returned to the queue", self.worker_id,
                            returned)

    def enqueue_request(self, request: Request) -> bool:
        """Into the shared queue unless the sweep's dupefilter has seen it. With Redis down the request is
        dropped: the request it came from is still in flight in Redis (its ack failed too), so it is fetched
        and parsed again once Redis is back, and yields this one again."""
        try:
            if not request.dont_filter and self.df.request_seen(request):
                self.df.log(request, self.spider)
                return False
            self.queue.push(request)
        except RedisError as exc:
            self._redis_failed(exc)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis", spider=self.spider)
        return True

    def next_request(self) -> Request | None:
        assert self.frontier is not None
        try:
            popped = self.frontier.pop()
        except RedisError as exc:
            self._redis_failed(exc)
            popped = None
        if popped is None:
            self._poll_later()
            return None
        request, token = popped
        self._tokens[request] = token
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis", spider=self.spider)
        return request

    def has_pending_requests(self) -> bool:
        """True until the whole sweep is finished (not only this worker's share). The engine asks only once the
        spider's start requests are exhausted, so a seeding worker marks the sweep seeded here."""
        assert self.frontier is not None
        try:
            if self.seeds:
                self.server.set(self.frontier.keys.seeded, "worker", nx=True)
                self.seeds = False
            status = self.frontier.status()
        except RedisError as exc:
            self._redis_failed(exc)
            return True
        self._redis_down_since = None
        return not status.finished

    def _poll_later(self) -> None:
        engine = self.crawler.engine if self.crawler is not None else None
        slot = getattr(engine, "_slot", None)
        if slot is not None and slot.closing is None:
            slot.nextcall.schedule(IDLE_POLL)


class SeedScheduler(Scheduler):
    """Pushes every request the spiders' `start()` yields into the sweep's frontier (through the shared
    dupefilter) and hands none out, so the seeding crawl ends when the start requests are exhausted."""

    def __init__(self, server: Any, *, sweep_id: str, **kwargs: Any) -> None:
        super().__init__(server, persist=True, **kwargs)
        self.sweep_id = sweep_id
        self.frontier: Frontier | None = None
        self.pushed = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SeedScheduler:
        instance = cls(redis_from_settings(crawler.settings), sweep_id=sweep_id_of(crawler.settings))
        instance.stats = crawler.stats
        return instance

    def open(self, spider: Spider) -> None:
        self.spider = spider
        keys = SweepKeys(self.sweep_id, spider.name)
        self.frontier = Frontier(self.server, spider, keys, "seed", self.serializer)
        self.queue = self.frontier
        self.df = sweep_dupefilter(self.server, keys, spider)

    def close(self, reason: str) -> None:
        if reason == "finished" and self.frontier is not None:
            self.server.set(self.frontier.keys.seeded, str(self.pushed))
        if self.stats:
            self.stats.set_value("lantian/distributed/seeded", self.pushed)

    def enqueue_request(self, request: Request) -> bool:
        if not request.dont_filter and self.df.request_seen(request):
            return False
        self.queue.push(request)
        self.pushed += 1
        return True

    def next_request(self) -> Request | None:
        return None

    def has_pending_requests(self) -> bool:
        return False
