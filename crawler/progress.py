"""Per-platform crawl counters (pages, items, leads, errors) and their live Rich display."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.http import Response

from crawler.middlewares import PAGE_META

COUNTERS = ("pages", "items", "leads", "errors")
DETAIL_COUNTERS = ("new", "changed", "unchanged", "removed", "not_due")
# What platform health is judged on (crawler/health.py).
HEALTH_COUNTERS = ("result_pages", "cards", "details", "selector_misses", "unanswered")


class PlatformStats:
    """Scrapy extension: counts into the crawler's stats as `lantian/<platform>/<counter>`."""

    def __init__(self, crawler: Crawler) -> None:
        assert crawler.stats is not None
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PlatformStats:
        extension = cls(crawler)
        crawler.signals.connect(extension.response_received, signal=signals.response_received)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(extension.spider_error, signal=signals.spider_error)
        crawler.signals.connect(extension.item_error, signal=signals.item_error)
        return extension

    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        """Counts a page, and an error status as an error of its platform. Only final answers arrive here (the
        signal follows the downloader middlewares, so an answer the retry middleware asks again never does)."""
        if not request.meta.get(PAGE_META):
            return
        platform = request.meta.get("platform", "?")
        self.stats.inc_value(f"lantian/{platform}/pages")
        if response.status >= 400 and response.status not in (request.meta.get("handle_httpstatus_list") or ()):
            self.stats.inc_value(f"lantian/{platform}/http_{response.status}")

    def item_scraped(self, item: Any, response: Response, spider: Spider) -> None:
        platform = item.get("platform", "?")
        self.stats.inc_value(f"lantian/{platform}/items")
        if item.get("lead_id"):
            self.stats.inc_value(f"lantian/{platform}/leads")

    def spider_error(self, failure: Any, response: Response, spider: Spider) -> None:
        self.stats.inc_value(f"lantian/{response.meta.get('platform', '?')}/errors")

    def item_error(self, item: Any, response: Response, spider: Spider, failure: Any) -> None:
        self.stats.inc_value(f"lantian/{item.get('platform', '?')}/errors")


@dataclass
class PlatformSummary:
    pages: int = 0
    items: int = 0
    leads: int = 0
    errors: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    not_due: int = 0
    result_pages: int = 0
    cards: int = 0
    details: int = 0
    selector_misses: int = 0
    unanswered: int = 0


@dataclass
class SweepSummary:
    """What a sweep did, per platform (returned by `crawler.run.run_sweep`)."""

    platforms: dict[str, PlatformSummary] = field(default_factory=dict)
    finish_reasons: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    # The crawl as Scrapy's stats time it: first spider opened to last spider closed (see `engine_seconds`).
    engine_seconds: float = 0.0
    counters: dict[str, int] = field(default_factory=dict)
    log_file: str = ""
    health: dict[str, Any] = field(default_factory=dict)

    @property
    def totals(self) -> PlatformSummary:
        total = PlatformSummary()
        for summary in self.platforms.values():
            for name in asdict(total):
                setattr(total, name, getattr(total, name) + getattr(summary, name))
        return total

    def as_dict(self) -> dict[str, Any]:
        return {
            "platforms": {name: asdict(s) for name, s in self.platforms.items()},
            "totals": asdict(self.totals),
            "finish_reasons": dict(self.finish_reasons),
            "seconds": round(self.seconds, 2),
            "engine_seconds": round(self.engine_seconds, 2),
            "counters": dict(sorted(self.counters.items())),
            "log_file": self.log_file,
            "health": self.health,
        }


def summarize(stats: Iterable[dict[str, Any]], platforms: Iterable[str]) -> dict[str, PlatformSummary]:
    """Collect `lantian/<platform>/<counter>` values from the stats of one or more crawlers."""
    result = {name: PlatformSummary() for name in platforms}
    for values in stats:
        for key, value in values.items():
            parts = key.split("/")
            if len(parts) != 3 or parts[0] != "lantian" or parts[1] not in result:
                continue
            summary = result[parts[1]]
            if parts[2] in COUNTERS + DETAIL_COUNTERS + HEALTH_COUNTERS:
                setattr(summary, parts[2], getattr(summary, parts[2]) + int(value))
            elif parts[2].startswith("http_"):
                summary.errors += int(value)
    return result


COUNTER_PREFIXES = ("lantian/", "retry/", "downloader/response_status_count/", "playwright/page_count",
                    "playwright/browser_count", "evidence/", "robotstxt/", "item_", "response_received_count",
                    "dupefilter/", "offsite/")


def engine_seconds(stats: Iterable[dict[str, Any]]) -> float:
    """Seconds from the first crawler's `start_time` to the last one's `finish_time` (0.0 if none finished).

    Scrapy's core stats time a crawl from the spider opened to the spider closed, so this leaves out what happens
    before the spider opens (the pipelines' opening: the detector's load) and after it closes; its pipelines'
    closing is inside. `scrapy bench` reports its pages/min over the same window (`elapsed_time_seconds`), so the
    benchmark compares the two on it as well as on `SweepSummary.seconds`.
    """
    values = list(stats)
    starts = [v["start_time"] for v in values if isinstance(v.get("start_time"), datetime)]
    ends = [v["finish_time"] for v in values if isinstance(v.get("finish_time"), datetime)]
    return (max(ends) - min(starts)).total_seconds() if starts and ends else 0.0


def counters(stats: Iterable[dict[str, Any]]) -> dict[str, int]:
    """The numeric stats worth keeping after a sweep (retries, statuses, browser, evidence), summed over crawlers."""
    total: dict[str, int] = {}
    for values in stats:
        for key, value in values.items():
            if key.startswith(COUNTER_PREFIXES) and isinstance(value, (int, float)) and not isinstance(value, bool):
                total[key] = total.get(key, 0) + int(value)
    return total


LIVE_COLUMNS = ("pages", "items", "leads", "errors")
SUMMARY_COLUMNS = ("pages", "items", "leads", "errors", "new", "changed", "unchanged", "removed", "not_due")


def progress_table(platforms: dict[str, PlatformSummary], title: str = "lantian crawl",
                   columns: tuple[str, ...] = LIVE_COLUMNS) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("platform", no_wrap=True)
    for name in columns:
        table.add_column(name.replace("_", " "), justify="right", no_wrap=True)
    for name, summary in platforms.items():
        table.add_row(name, *(str(getattr(summary, col)) for col in columns))
    return table


def crawl_stats(crawlers: Iterable[Crawler]) -> list[dict[str, Any]]:
    """The stats of every crawler that has them (one that failed to start has none)."""
    return [stats.get_stats() for crawler in crawlers if (stats := getattr(crawler, "stats", None)) is not None]


def run_with_progress(process: CrawlerProcess, crawlers: Sequence[Crawler], platforms: Sequence[str],
                      console: Console, show: bool, title: str = "lantian crawl") -> list[dict[str, Any]]:
    """Run the process's crawls to their end, with a live per-platform table (refreshed twice a second) when
    `show`; returns the crawlers' final stats."""
    live = Live(progress_table(summarize([], platforms), title=title), console=console, refresh_per_second=4,
                transient=True) if show else None
    from twisted.internet import task  # after CrawlerProcess installed its reactor

    looper = task.LoopingCall(lambda: live.update(progress_table(summarize(crawl_stats(crawlers), platforms),
                                                                 title=title)) if live is not None else None)
    with live if live is not None else nullcontext():
        if live is not None:
            looper.start(0.5, now=False)
        process.start(stop_after_crawl=True)
        if looper.running:
            looper.stop()
    return crawl_stats(crawlers)
