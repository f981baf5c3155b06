"""How a sweep's summary counts time: Scrapy's own window, the one `scrapy bench` reports its pages/min over."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crawler.progress import engine_seconds

T0 = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)


def test_engine_time_runs_from_the_first_spider_opened_to_the_last_closed() -> None:
    static = {"start_time": T0, "finish_time": T0 + timedelta(seconds=40)}
    browser = {"start_time": T0 + timedelta(seconds=2), "finish_time": T0 + timedelta(seconds=45.5)}
    assert engine_seconds([static, browser]) == 45.5


def test_a_crawl_that_never_finished_gives_no_engine_time() -> None:
    assert engine_seconds([{"start_time": T0}]) == 0.0
    assert engine_seconds([]) == 0.0
