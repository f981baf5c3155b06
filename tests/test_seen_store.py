"""The seen-store decides what an incremental re-crawl fetches and re-detects; its state must survive restarts."""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from crawler.seen import SeenStore

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
URL = "http://market.test/item/42?b=2&a=1#reviews"


@pytest.fixture
def store(tmp_path):
    with SeenStore(tmp_path / "seen.sqlite") as seen:
        yield seen


def fetch(store: SeenStore, url: str, platform: str, content: str, now: datetime, lead: bool = False) -> str:
    """A fetch whose outcome reached the lead store, as the crawl's pipelines record it."""
    change = store.observe(url, platform, content, now=now)
    store.settle(url, content, lead=lead)
    return change


def test_first_fetch_is_new_same_hash_unchanged_other_hash_changed(store):
    assert fetch(store, URL, "xianyu", "a" * 64, now=T0) == "new"
    assert fetch(store, URL, "xianyu", "a" * 64, now=T0 + timedelta(hours=1)) == "unchanged"
    assert fetch(store, URL, "xianyu", "b" * 64, now=T0 + timedelta(hours=2)) == "changed"
    record = store.get(URL)
    assert record.content_sha256 == "b" * 64
    assert record.first_seen == T0
    assert record.last_seen == T0 + timedelta(hours=2)
    assert record.seen_count == 3
    assert record.status == "active"


def test_unchanged_content_moves_only_last_seen(store):
    fetch(store, URL, "xianyu", "a" * 64, now=T0)
    fetch(store, URL, "xianyu", "a" * 64, now=T0 + timedelta(days=3))
    record = store.get(URL)
    assert (record.first_seen, record.last_seen, record.last_fetched) == (T0, T0 + timedelta(days=3),
                                                                          T0 + timedelta(days=3))
    assert record.content_sha256 == "a" * 64


def test_urls_differing_only_in_query_order_or_fragment_are_one_listing(store):
    fetch(store, "http://market.test/item/42?a=1&b=2", "xianyu", "a" * 64, now=T0)
    assert fetch(store, URL, "xianyu", "a" * 64, now=T0) == "unchanged"
    assert store.counts()["total"] == 1


def test_is_due_follows_the_interval_since_the_last_fetch(store):
    assert store.is_due(URL, timedelta(hours=6), now=T0)
    fetch(store, URL, "xianyu", "a" * 64, now=T0)
    assert not store.is_due(URL, timedelta(hours=6), now=T0 + timedelta(hours=5, minutes=59))
    assert store.is_due(URL, timedelta(hours=6), now=T0 + timedelta(hours=6))
    assert store.is_due(URL, 3600, now=T0 + timedelta(hours=1))


def test_removed_listing_is_marked_and_its_return_counts_as_changed(store):
    fetch(store, URL, "taobao", "a" * 64, now=T0)
    assert store.mark_removed(URL, reason="404", now=T0 + timedelta(days=1)) is True
    assert store.mark_removed(URL, reason="已下架", now=T0 + timedelta(days=2)) is False
    store.settle(URL)
    record = store.get(URL)
    assert record.status == "removed"
    assert record.removed_reason == "404"
    assert record.removed_at == T0 + timedelta(days=1)
    assert record.last_fetched == T0 + timedelta(days=2)
    assert record.last_seen == T0
    assert store.counts() == {"total": 1, "active": 0, "removed": 1, "leads": 0}

    assert fetch(store, URL, "taobao", "a" * 64, now=T0 + timedelta(days=3)) == "changed"
    record = store.get(URL)
    assert record.status == "active" and record.removed_at is None


def test_removed_unknown_url_is_recorded_so_it_is_not_fetched_again_before_due(store):
    assert store.mark_removed("http://market.test/item/9", reason="404", platform="taobao", now=T0)
    assert not store.is_due("http://market.test/item/9", timedelta(hours=1), now=T0 + timedelta(minutes=5))
    assert store.counts("taobao")["removed"] == 1


def test_due_lists_known_listings_of_a_platform_oldest_first(store):
    for hours, name in ((0, "a"), (2, "b"), (10, "c")):
        fetch(store, f"http://market.test/{name}", "xianyu", name * 64, now=T0 + timedelta(hours=hours),
              lead=name == "b")
    fetch(store, "http://other.test/x", "baidu", "d" * 64, now=T0)
    due = [record.url for record in store.due("xianyu", timedelta(hours=8), now=T0 + timedelta(hours=11))]
    assert due == ["http://market.test/a", "http://market.test/b"]
    leads = [record.url for record in store.due("xianyu", 0, now=T0 + timedelta(hours=11), leads_only=True)]
    assert leads == ["http://market.test/b"]
    assert store.counts() == {"total": 4, "active": 4, "removed": 0, "leads": 1}


def test_state_survives_closing_and_reopening(tmp_path):
    path = tmp_path / "state" / "seen.sqlite"
    with SeenStore(path) as seen:
        fetch(seen, URL, "xianyu", "a" * 64, now=T0, lead=True)
    with SeenStore(path) as reopened:
        record = reopened.get(URL)
        assert record.lead and record.content_sha256 == "a" * 64 and record.first_seen == T0
        assert reopened.observe(URL, "xianyu", "a" * 64, now=T0 + timedelta(days=1)) == "unchanged"


def test_a_fetch_whose_outcome_never_reached_the_lead_store_is_replayed(store):
    """A crawl killed between the fetch and the lead write: the next crawl fetches and detects the listing again."""
    assert store.observe(URL, "xianyu", "a" * 64, now=T0) == "new"
    assert store.get(URL).pending and store.is_due(URL, timedelta(days=1), now=T0 + timedelta(minutes=1))
    due = store.due("xianyu", timedelta(days=1), now=T0 + timedelta(minutes=1))
    assert [record.url for record in due] == [store.get(URL).url]
    assert fetch(store, URL, "xianyu", "a" * 64, now=T0 + timedelta(minutes=1), lead=True) == "new"
    assert not store.get(URL).pending and not store.is_due(URL, timedelta(days=1), now=T0 + timedelta(minutes=2))
    assert store.observe(URL, "xianyu", "b" * 64, now=T0 + timedelta(hours=1)) == "changed"
    assert store.observe(URL, "xianyu", "b" * 64, now=T0 + timedelta(hours=2)) == "changed"
    assert store.get(URL).content_sha256 == "a" * 64, "the content the lead store has"
    assert store.observe(URL, "xianyu", "a" * 64, now=T0 + timedelta(hours=3)) == "unchanged"
    store.settle(URL, "a" * 64)
    assert store.get(URL).lead, "a lead stays one"
    assert store.mark_removed(URL, reason="404", now=T0 + timedelta(hours=4))
    assert store.is_due(URL, timedelta(days=1), now=T0 + timedelta(hours=5)), "the removal has to reach the leads"


def test_a_store_of_an_older_version_gains_the_pending_column(tmp_path):
    import sqlite3

    path = tmp_path / "seen.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE seen (url TEXT PRIMARY KEY, platform TEXT NOT NULL, content_sha256 TEXT, "
                   "first_seen TEXT NOT NULL, last_seen TEXT, last_fetched TEXT NOT NULL, seen_count INTEGER NOT "
                   "NULL DEFAULT 0, status TEXT NOT NULL DEFAULT 'active', removed_at TEXT, removed_reason TEXT, "
                   "lead INTEGER NOT NULL DEFAULT 0)")
        db.execute("INSERT INTO seen VALUES (?, 'xianyu', ?, ?, ?, ?, 1, 'active', NULL, NULL, 1)",
                   ("http://market.test/item/1", "a" * 64, T0.isoformat(), T0.isoformat(), T0.isoformat()))
    with SeenStore(path) as seen:
        assert not seen.get("http://market.test/item/1").pending
        assert seen.observe("http://market.test/item/1", "xianyu", "a" * 64, now=T0) == "unchanged"


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
