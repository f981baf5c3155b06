"""Crawls in one Scrapy CrawlerProcess: `run_sweep` (the selected platforms × keywords), `run_capture` (single URLs
captured by hand) and `run_refetch` (listings fetched once more, for re-checks).

The Twisted reactor can start only once per process, so call this once per process (the CLI does; tests run it in
a subprocess through `lantian crawl`).
"""
from __future__ import annotations

import hashlib
import json
import logging
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from scrapy import Spider
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.log import get_scrapy_root_handler
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from core.settings import data_dir
from crawler import health
from crawler.capture import CaptureOutcome
from crawler.data_paths import fill_data_paths
from crawler.platforms import Catalog, load_endpoints, read_keywords_file
from crawler.progress import (
    HEALTH_COUNTERS,
    SweepSummary,
    counters,
    engine_seconds,
    run_with_progress,
    summarize,
)
from crawler.refetch import Refetched, RefetchTarget
from crawler.spiders.capture import CaptureSpider
from crawler.spiders.refetch import RefetchSpider
from crawler.spiders.site import SiteSpider
from crawler.spiders.sweep import SweepSpider

logger = logging.getLogger(__name__)

SPIDERS = {"sweep": SweepSpider, "site": SiteSpider}


def crawler_settings(overrides: dict[str, Any] | None = None) -> Settings:
    """The crawler's settings (crawler/settings.py, then `overrides`), with the data-dir paths filled in."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    if overrides:
        settings.update(overrides, priority="cmdline")
    fill_data_paths(settings)
    return settings


class LeveledCrawlerProcess(CrawlerProcess):
    """A CrawlerProcess logging at `LOG_LEVEL` and doing no work for messages below it.

    Scrapy's root handler drops records below `LOG_LEVEL` but leaves the root logger at NOTSET, and sets it back to
    NOTSET whenever a crawler starts and installs its handler: so every debug record is still built, and
    scrapy-playwright, which checks its logger's level when it opens a tab, attaches its request and response
    loggers to every tab: each costs a round trip to the Playwright driver (and Chromium) for a header, per request
    and response of every rendered page, only for a line that is then dropped. Here the root logger is set to the
    root handler's level when the process starts and again after each crawler has installed its handler."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, install_root_handler=True)
        self._level_root_logger()

    def crawl(self, crawler_or_spidercls: type[Spider] | str | Crawler, *args: Any, **kwargs: Any) -> Deferred[None]:
        started = super().crawl(crawler_or_spidercls, *args, **kwargs)
        self._level_root_logger()
        return started

    @staticmethod
    def _level_root_logger() -> None:
        handler = get_scrapy_root_handler()
        if handler is not None:
            logging.root.setLevel(handler.level)


def crawler_process(settings: Settings) -> LeveledCrawlerProcess:
    """The process the crawls of one run share (`LeveledCrawlerProcess`: nothing done for unlogged messages)."""
    return LeveledCrawlerProcess(settings)


def _log_settings(kind: str) -> dict[str, Any]:
    """A fresh log file under `<data dir>/crawl/logs/` for one run."""
    log_dir = data_dir() / "crawl" / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return {"LOG_FILE": str(log_dir / f"{kind}-{stamp}.log"), "LOG_FILE_APPEND": False}


def record_crawl_failure(failure: Failure, kind: str, failures: dict[str, str]) -> None:
    """A crawl that raised (its spider failed to open: a pipeline, the scheduler or Redis) ends with no finish
    reason of Scrapy's: the sweep's summary (a worker's too) says which one and why, and its
    log has the traceback, instead of a finish reason `None`."""
    failures[kind] = f"failed: {failure.getErrorMessage()}"
    logger.error("The %s crawl failed: %s", kind, failure.getTraceback())


def run_sweep(
    platforms: Sequence[str] | None = None,
    endpoints: str | Path | dict[str, str] | None = None,
    keywords: str | Path | Sequence[str] | None = None,
    max_pages: int | None = None,
    progress: bool = True,
    *,
    resumable: bool = False,
    settings: dict[str, Any] | None = None,
    console: Console | None = None,
) -> SweepSummary:
    """Sweep the named platforms (default: every enabled one) and return per-platform counts.

    `endpoints` overrides base URLs (`{platform: base_url}` or the simulator's endpoints.json); `keywords` (a
    list or a keywords file) replaces the configured keyword lists; `max_pages` caps result pages per search;
    `resumable` keeps Scrapy's JOBDIR under the data dir so an interrupted sweep continues where it stopped.
    """
    endpoint_map = load_endpoints(Path(endpoints)) if isinstance(endpoints, (str, Path)) else endpoints
    keyword_list = read_keywords_file(Path(keywords)) if isinstance(keywords, (str, Path)) else (
        list(keywords) if keywords is not None else None
    )
    catalog = Catalog(endpoints=endpoint_map)
    selected = catalog.select(list(platforms) if platforms else None)
    for platform in selected:
        platform.check_urls()
    names = [p.name for p in selected]
    base = _log_settings("crawl")
    log_file = base["LOG_FILE"]
    process = crawler_process(crawler_settings({**base, **(settings or {})}))

    crawlers: dict[str, Crawler] = {}
    failures: dict[str, str] = {}
    job_dirs: dict[str, Path] = {}
    for kind, spider_cls in SPIDERS.items():
        kind_names = [p.name for p in selected if p.kind == kind]
        if not kind_names:
            continue
        spider_settings: dict[str, Any] = {}
        if resumable:
            key = hashlib.sha1(",".join(sorted(kind_names)).encode()).hexdigest()[:10]
            job_dirs[kind] = data_dir() / "crawl" / "jobs" / f"{kind}-{key}"
            spider_settings["JOBDIR"] = str(job_dirs[kind])
        crawler = process.create_crawler(spider_cls)
        crawler.settings.update(spider_settings, priority="cmdline")
        crawlers[kind] = crawler
        process.crawl(
            crawler, platforms=kind_names, endpoints=endpoint_map, keywords=keyword_list, max_pages=max_pages,
        ).addErrback(record_crawl_failure, kind, failures)

    started = time.monotonic()
    console = console or Console()
    all_stats = run_with_progress(process, list(crawlers.values()), names, console, progress)

    summary = SweepSummary(seconds=time.monotonic() - started, engine_seconds=engine_seconds(all_stats),
                           log_file=str(log_file))
    summary.platforms = summarize(all_stats, names)
    summary.counters = counters(all_stats)
    swept = {name: {counter: getattr(summary.platforms[name], counter) for counter in HEALTH_COUNTERS}
             for name in names}
    summary.health = health.as_dict(health.check_sweep(swept))
    for kind, crawler in crawlers.items():
        reason = crawler.stats.get_value("finish_reason") if crawler.stats is not None else None
        summary.finish_reasons[kind] = failures.get(kind) or str(reason)
        if reason == "finished" and kind in job_dirs:
            shutil.rmtree(job_dirs[kind], ignore_errors=True)
    return summary


def run_capture(
    urls: Sequence[str],
    *,
    by: str,
    note: str = "",
    complaint: int | None = None,
    browser: bool = False,
    endpoints: str | Path | dict[str, str] | None = None,
    settings: dict[str, Any] | None = None,
) -> list[CaptureOutcome]:
    """Capture each URL through the crawler (`CaptureSpider`) and return one outcome per URL, in order.

    Like `run_sweep`, this starts the Twisted reactor: call it once per process.
    """
    endpoint_map = load_endpoints(Path(endpoints)) if isinstance(endpoints, (str, Path)) else endpoints
    Catalog(endpoints=endpoint_map)  # a broken platform config is reported here, not lost inside the crawl
    process = crawler_process(crawler_settings({**_log_settings("capture"), **(settings or {})}))
    crawler = process.create_crawler(CaptureSpider)
    process.crawl(crawler, urls=list(urls), by=by, note=note, complaint=complaint, browser=browser,
                  endpoints=endpoint_map)
    process.start()
    if not isinstance(crawler.spider, CaptureSpider):
        raise RuntimeError("the capture crawl did not start its spider")
    outcomes = crawler.spider.outcomes
    return [outcomes[url] for url in urls]


def run_refetch(
    targets: Sequence[RefetchTarget],
    *,
    render: bool = True,
    settings: dict[str, Any] | None = None,
) -> list[Refetched]:
    """Fetch each target once more (`RefetchSpider`, no item pipelines: nothing is detected or stored here) and
    return what each answered, in order. Like `run_sweep`, this starts the Twisted reactor: call it once per process
    (`crawler.refetch.refetch` runs it in a child process)."""
    overrides = {**_log_settings("refetch"), "ITEM_PIPELINES": {}, **(settings or {})}
    process = crawler_process(crawler_settings(overrides))
    crawler = process.create_crawler(RefetchSpider)
    process.crawl(crawler, targets=list(targets), render=render)
    process.start()
    if not isinstance(crawler.spider, RefetchSpider):
        raise RuntimeError("the re-fetch crawl did not start its spider")
    results = crawler.spider.results
    return [results.get(t.url) or Refetched(url=t.url, error="the crawl ended before it was fetched")
            for t in targets]


def refetch_main() -> None:
    """The child process of `crawler.refetch.refetch`: its targets as JSON on stdin, one JSON line per URL out."""
    arguments = json.loads(sys.stdin.read())
    targets = [RefetchTarget(**t) for t in arguments["targets"]]
    for refetched in run_refetch(targets, render=arguments["render"], settings=arguments["settings"]):
        print(json.dumps(asdict(refetched), ensure_ascii=False), flush=True)
