"""The crawl's detection pipeline reads the listings that reach it together as one batch, with the detections each
would get alone, and a listing the detector refuses costs no other listing of its batch."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy.exceptions import DropItem
from scrapy.statscollectors import MemoryStatsCollector

from core.lead import lead_id
from crawler.items import ListingItem, listing_of
from crawler.pipelines import DetectionPipeline
from crawler.run import crawler_settings
from detector import Detector

TEXTS = [
    ("国家知识产权局指定代理", "国知局直属服务中心，内部渠道 30 天下证。"),
    ("专利挂名 当天出证", "不用懂技术，专利我们编好，只管拿证评职称。"),
    ("商标注册", "提供商标查询、注册申请与续展服务，明码标价。"),
    ("实用新型 包授权", "三个月包下证，不过全额退款，加V信 abc_12345"),
    ("软件著作权登记", "代写说明书，材料齐全后提交版权中心。"),
]


def listing(number: int, title: str, text: str) -> ListingItem:
    url = f"http://127.0.0.1:8600/item.htm?id=L{number:06d}"
    return ListingItem(id=lead_id(url), platform="market", url=url, canonical_url=url, status="active",
                       change="new", title=title, text=text, fetched_at="2026-12-05T08:00:00+00:00")


def pipeline_of(**settings: Any) -> tuple[DetectionPipeline, list[int]]:
    """The pipeline, and the size of each batch its detector was given."""
    crawler = SimpleNamespace(settings=crawler_settings(settings))
    crawler.stats = MemoryStatsCollector(crawler)
    pipeline = DetectionPipeline(crawler)
    pipeline.open_spider(SimpleNamespace())
    batches: list[int] = []
    detect_many = pipeline.detector.detect_many

    def counted(listings: list[Any], **kwargs: Any) -> Any:
        batches.append(len(listings))
        return detect_many(listings, **kwargs)

    pipeline.detector = SimpleNamespace(detect_many=counted, detect=pipeline.detector.detect)
    return pipeline, batches


def run_together(pipeline: DetectionPipeline, items: list[ListingItem]) -> list[ListingItem | Exception]:
    async def crawl() -> list[ListingItem | Exception]:
        return await asyncio.gather(*(pipeline.process_item(item, SimpleNamespace()) for item in items),
                                    return_exceptions=True)

    try:
        return asyncio.run(crawl())
    finally:
        pipeline.close_spider(SimpleNamespace())


def test_listings_that_arrive_together_are_one_batch_with_the_detections_each_gets_alone() -> None:
    items = [listing(number, title, text) for number, (title, text) in enumerate(TEXTS)]
    alone = [Detector.load().detect(listing_of(item)) for item in items]
    pipeline, batches = pipeline_of(LANTIAN_DETECT_BATCH=16, LANTIAN_DETECT_WAIT=0.2)
    done = run_together(pipeline, items)
    assert batches == [len(TEXTS)]
    assert [item["detection"] for item in done] == alone  # type: ignore[index]
    assert any(item["labels"] for item in done)  # type: ignore[index]


def test_a_full_batch_goes_without_waiting_and_the_rest_after_the_wait() -> None:
    items = [listing(number, title, text) for number, (title, text) in enumerate(TEXTS)]
    pipeline, batches = pipeline_of(LANTIAN_DETECT_BATCH=2, LANTIAN_DETECT_WAIT=0.2)
    run_together(pipeline, items)
    assert batches == [2, 2, 1]


def test_a_listing_the_detector_refuses_costs_no_other_listing_of_its_batch() -> None:
    items = [listing(number, title, text) for number, (title, text) in enumerate(TEXTS)]
    items[2]["title"] = ["a title that is not text"]
    pipeline, batches = pipeline_of(LANTIAN_DETECT_BATCH=16, LANTIAN_DETECT_WAIT=0.2)
    done = run_together(pipeline, items)
    assert batches == [len(TEXTS)]
    assert isinstance(done[2], DropItem)
    kept = [item for number, item in enumerate(done) if number != 2]
    assert all(not isinstance(item, Exception) and "detection" in item for item in kept)
    assert pipeline.stats.get_value("lantian/market/errors") == 1


@pytest.mark.parametrize("wait", [0.0, 0.2])
def test_a_listing_alone_is_detected_within_the_wait(wait: float) -> None:
    pipeline, batches = pipeline_of(LANTIAN_DETECT_BATCH=16, LANTIAN_DETECT_WAIT=wait)
    [item] = run_together(pipeline, [listing(1, *TEXTS[0])])
    assert batches == [1] and "detection" in item  # type: ignore[operator]
