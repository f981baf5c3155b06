"""The seen-store decides what an incremental re-crawl fetches and re-detects; its state must survive restarts."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from crawler.seen import SeenStore

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)
URL = "http://market.test/item/42?b=2&a=1#reviews"


@pytest.fixture
def store(tmp_path):
    with SeenStore(tmp_path / "seen.sqlite") as seen:
        yield seen


def test_first_fetch_is_new_same_hash_unchanged_other_hash_changed(store):
    assert store.observe(URL, "xianyu", "a" * 64, now=T0) == "new"
    assert store.observe(URL, "xianyu", "a" * 64, now=T0 + timedelta(hours=1)) == "unchanged"
    assert store.observe(URL, "xianyu", "b" * 64, now=T0 + timedelta(hours=2)) == "changed"
    record = store.get(URL)
    assert record.content_sha256 == "b" * 64
    assert record.first_seen == T0
    assert record.last_seen == T0 + timedelta(hours=2)
    assert record.seen_count == 3
    assert record.status == "active"


def test_unchanged_content_moves_only_last_seen(store):
    store.observe(URL, "xianyu", "a" * 64, now=T0)
    store.observe(URL, "xianyu", "a" * 64, now=T0 + timedelta(days=3))
    record = store.get(URL)
    assert (record.first_seen, record.last_seen, record.last_fetched) == (T0, T0 + timedelta(days=3),
                                                                          T0 + timedelta(days=3))
    assert record.content_sha256 == "a" * 64


def test_urls_differing_only_in_query_order_or_fragment_are_one_listing(store):
    store.observe("http://market.test/item/42?a=1&b=2", "xianyu", "a" * 64, now=T0)
    assert store.observe(URL, "xianyu", "a" * 64, now=T0) == "unchanged"
    assert store.counts()["total"] == 1


def test_is_due_follows_the_interval_since_the_last_fetch(store):
    assert store.is_due(URL, timedelta(hours=6), now=T0)
    store.observe(URL, "xianyu", "a" * 64, now=T0)
    assert not store.is_due(URL, timedelta(hours=6), now=T0 + timedelta(hours=5, minutes=59))
    assert store.is_due(URL, timedelta(hours=6), now=T0 + timedelta(hours=6))
    assert store.is_due(URL, 3600, now=T0 + timedelta(hours=1))


def test_removed_listing_is_marked_and_its_return_counts_as_changed(store):
    store.observe(URL, "taobao", "a" * 64, now=T0)
    assert store.mark_removed(URL, reason="404", now=T0 + timedelta(days=1)) is True
    assert store.mark_removed(URL, reason="已下架", now=T0 + timedelta(days=2)) is False
    record = store.get(URL)
    assert record.status == "removed"
    assert record.removed_reason == "404"
    assert record.removed_at == T0 + timedelta(days=1)
    assert record.last_fetched == T0 + timedelta(days=2)
    assert record.last_seen == T0
    assert store.counts() == {"total": 1, "active": 0, "removed": 1, "leads": 0}

    assert store.observe(URL, "taobao", "a" * 64, now=T0 + timedelta(days=3)) == "changed"
    record = store.get(URL)
    assert record.status == "active" and record.removed_at is None


def test_removed_unknown_url_is_recorded_so_it_is_not_fetched_again_before_due(store):
    assert store.mark_removed("http://market.test/item/9", reason="404", platform="taobao", now=T0)
    assert not store.is_due("http://market.test/item/9", timedelta(hours=1), now=T0 + timedelta(minutes=5))
    assert store.counts("taobao")["removed"] == 1


def test_due_lists_known_listings_of_a_platform_oldest_first(store):
    for hours, name in ((0, "a"), (2, "b"), (10, "c")):
        store.observe(f"http://market.test/{name}", "xianyu", name * 64, now=T0 + timedelta(hours=hours))
    store.observe("http://other.test/x", "baidu", "d" * 64, now=T0)
    store.set_lead("http://market.test/b")
    due = [record.url for record in store.due("xianyu", timedelta(hours=8), now=T0 + timedelta(hours=11))]
    assert due == ["http://market.test/a", "http://market.test/b"]
    leads = [record.url for record in store.due("xianyu", 0, now=T0 + timedelta(hours=11), leads_only=True)]
    assert leads == ["http://market.test/b"]
    assert store.counts() == {"total": 4, "active": 4, "removed": 0, "leads": 1}


def test_state_survives_closing_and_reopening(tmp_path):
    path = tmp_path / "state" / "seen.sqlite"
    with SeenStore(path) as seen:
        seen.observe(URL, "xianyu", "a" * 64, now=T0)
        seen.set_lead(URL)
    with SeenStore(path) as reopened:
        record = reopened.get(URL)
        assert record.lead and record.content_sha256 == "a" * 64 and record.first_seen == T0
        assert reopened.observe(URL, "xianyu", "a" * 64, now=T0 + timedelta(days=1)) == "unchanged"


def test_threads_sharing_one_store_lose_no_observation(store):
    def worker(n: int) -> None:
        for i in range(50):
            store.observe(f"http://market.test/item/{i}", "xianyu", f"{n:064x}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.counts()["total"] == 50
    assert {store.get(f"http://market.test/item/{i}").seen_count for i in range(50)} == {4}


def test_naive_times_are_refused(store):
    with pytest.raises(ValueError):
        store.observe(URL, "xianyu", "a" * 64, now=datetime(2026, 3, 1))


def test_a_file_that_is_not_a_database_gives_a_clear_error(tmp_path):
    path = tmp_path / "seen.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ValueError, match="not a usable seen-store"):
        SeenStore(path)
