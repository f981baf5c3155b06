"""Scrapy extension for benchmarks: where the crawl's own process spends its CPU, by thread.

Each stage of the full pipeline runs in threads of its own name: the engine, parsing, middlewares and pipeline glue
on the main thread (Scrapy's asyncio reactor), the detector in `detector`, lead-store writes in `lead-store`, OCR
cache look-ups in `ocr-cache`, evidence writes in Twisted's thread pool. Sampled every half second (a thread that
ends between samples keeps its last sample) into the stats as `lantian/cpu_ms/<stage>` (milliseconds). Off unless
LANTIAN_THREAD_CPU is set.
"""
from __future__ import annotations

import threading
import time

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

SAMPLE_SECONDS = 0.5
STAGES = (
    ("MainThread", "engine, parsing, middlewares (main thread)"),
    ("detector", "detector"),
    ("lead-store", "lead store writes"),
    ("ocr-cache", "OCR cache look-ups"),
    ("PoolThread", "evidence writes and other I/O (Twisted's thread pool)"),
)


def stage_of(thread_name: str) -> str:
    for prefix, stage in STAGES:
        if thread_name.startswith(prefix):
            return stage
    return f"other threads ({thread_name.rstrip('0123456789_-')})"


class ThreadCpu:
    def __init__(self, crawler: Crawler) -> None:
        assert crawler.stats is not None
        self.stats = crawler.stats
        self.seconds: dict[int, tuple[str, float]] = {}
        self.loop = task.LoopingCall(self.sample)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ThreadCpu:
        if not crawler.settings.getbool("LANTIAN_THREAD_CPU"):
            raise NotConfigured("LANTIAN_THREAD_CPU is off")
        extension = cls(crawler)
        crawler.signals.connect(extension.opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.closed, signal=signals.spider_closed)
        return extension

    def opened(self) -> None:
        self.loop.start(SAMPLE_SECONDS, now=True)

    def sample(self) -> None:
        for thread in threading.enumerate():
            if thread.ident is None:
                continue
            try:
                seconds = time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
            except (OSError, ProcessLookupError):  # the thread ended while we looked
                continue
            self.seconds[thread.ident] = (stage_of(thread.name), seconds)

    def closed(self) -> None:
        if self.loop.running:
            self.loop.stop()
        self.sample()
        totals: dict[str, float] = {}
        for stage, seconds in self.seconds.values():
            totals[stage] = totals.get(stage, 0.0) + seconds
        for stage, seconds in totals.items():
            self.stats.set_value(f"lantian/cpu_ms/{stage}", round(seconds * 1000))
