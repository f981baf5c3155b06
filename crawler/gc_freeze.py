"""Scrapy extension for a crawl that owns its process (`lantian crawl`): once the engine has started, what the
process holds by then goes out of the garbage collector's way.

By the time the engine starts, the process holds some 450,000 objects that live as long as it does: Scrapy,
Twisted, Playwright, the pipelines and the detector they loaded (its tables and models). Each of Python's full
garbage collections walks every one of them, and a crawl's allocations set off many: the collector took 3.9 CPU-s of
an 833-page full run of `bench/bench_crawl.py`, 2.4 with this. Frozen (`gc.freeze`, after one last collection, as
`detector.detector.freeze_loaded` does for the detector alone, before the crawl's own imports), they are never
walked again, nor ever collected: so only a process that is the crawl, and ends with it, turns this on
(LANTIAN_GC_FREEZE; measured in bench/README.md).
"""
from __future__ import annotations

import gc

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured


class FreezeAtStart:
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FreezeAtStart:
        if not crawler.settings.getbool("LANTIAN_GC_FREEZE"):
            raise NotConfigured("LANTIAN_GC_FREEZE is off")
        extension = cls()
        crawler.signals.connect(extension.started, signal=signals.engine_started)
        return extension

    def started(self) -> None:
        gc.collect()
        gc.freeze()
