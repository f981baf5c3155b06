"""The crawl's last pipeline: flagged listings become leads without holding up the crawl."""
from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pytest
from scrapy.statscollectors import MemoryStatsCollector

from core.lead import Detection, lead_id
from crawler.items import ListingItem
from crawler.pipelines import LeadSinkPipeline
from crawler.run import crawler_settings
from index.sqlite_store import SqliteLeadStore

URL = "http://127.0.0.1:8600/item.htm?id=L000001"


def flagged_listing() -> ListingItem:
    return ListingItem(
        id=lead_id(URL), platform="market", url=URL, canonical_url=URL, status="active", change="new",
        title="国家知识产权局指定代理", text="国知局直属服务中心，内部渠道 30 天下证。", location="上海市徐汇区",
        fetched_at="2026-11-26T08:00:00+00:00",
        detection=Detection(labels=["impersonation"], scores={"impersonation": 0.97}, risk=0.97),
    )


def test_a_lead_write_that_has_to_wait_does_not_hold_up_the_crawl(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANTIAN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("LANTIAN_ES_URL", raising=False)
    crawler = SimpleNamespace(settings=crawler_settings())
    crawler.stats = MemoryStatsCollector(crawler)
    pipeline, spider = LeadSinkPipeline(crawler), SimpleNamespace()
    pipeline.open_spider(spider)
    other_writer = sqlite3.connect(tmp_path / "index" / "leads.sqlite3", isolation_level=None)
    other_writer.execute("BEGIN EXCLUSIVE")  # the lead store has to wait, as for a slow Elasticsearch

    async def crawl() -> ListingItem:
        write = asyncio.ensure_future(pipeline.process_item(flagged_listing(), spider))
        for _ in range(5):
            await asyncio.sleep(0.05)  # the event loop (downloads, parsing) goes on meanwhile
        assert not write.done(), "the write went through although the store was locked"
        other_writer.execute("ROLLBACK")
        return await write

    try:
        item = asyncio.run(crawl())
    finally:
        other_writer.close()
        pipeline.close_spider(spider)
    assert item["lead_id"] == lead_id(URL)
    store = SqliteLeadStore(tmp_path / "index" / "leads.sqlite3")
    try:
        lead = store.get(item["lead_id"])
        assert lead is not None and lead.labels == ["impersonation"] and lead.district == "徐汇区"
    finally:
        store.close()
