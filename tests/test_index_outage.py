"""Safety of the Elasticsearch store: no lead is lost while the server is down, and mappings upgrade in place."""
from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from index.es_server import EsServer, free_port
from index.es_store import EsLeadStore
from index.mapping import MAPPING_VERSION
from index.query import LeadQuery
from index.spool import Spool
from index.store import StoreError
from tests.test_index_store import detection, listing


def test_spool_replays_in_order_and_keeps_what_failed(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    spool.append([{"n": i} for i in range(5)])
    spool.append([{"n": i} for i in range(5, 8)])
    assert len(spool) == 8
    seen: list[int] = []

    def fail_on_six(ops: list[dict]) -> None:
        for op in ops:
            if op["n"] == 6:
                raise ConnectionError("server went away")
            seen.append(op["n"])

    with pytest.raises(ConnectionError):
        spool.replay(fail_on_six, batch=2)
    assert seen == [0, 1, 2, 3, 4, 5]
    assert len(spool) == 2
    applied: list[int] = []
    assert spool.replay(lambda ops: applied.extend(op["n"] for op in ops)) == 2
    assert applied == [6, 7] and not spool.pending()


@pytest.mark.slow
def test_killing_elasticsearch_mid_crawl_loses_no_lead(tmp_path: Path) -> None:
    server = EsServer(home=tmp_path / "es", port=free_port(), heap="256m")
    url = server.start(timeout=240)
    spool_dir = tmp_path / "spool"
    try:
        store = EsLeadStore(url, index_prefix="outage", spool_dir=spool_dir, replay_interval=0, batch_size=20)
        for n in range(10):
            store.upsert(listing(n), detection(("impersonation",), risk=0.9))
        store.flush()
        reviewed = store.update_workflow(listing(3)["id"], {"status": "reviewing"},
                                         {"by": "zhang", "action": "status", "from": "new", "to": "reviewing"})
        store.add_note(reviewed.id, {"by": "zhang", "text": "待核实"})

        # SIGKILL the server while a bulk crawl of 200 listings is being written, wherever it is.
        crawl = [(listing(n), detection(("insider_channel",), risk=0.8)) for n in range(10, 210)]
        writer = threading.Thread(target=store.upsert_many, args=(crawl,))
        writer.start()
        time.sleep(0.5)
        os.kill(int(server.pid_file.read_text().strip()), signal.SIGKILL)
        writer.join()
        server.stop()  # reaps the killed process and clears its pid file
        for n in range(210, 215):
            provisional = store.upsert(listing(n), detection(("insider_channel",), risk=0.8))
            assert provisional.id == listing(n)["id"]
        store.upsert(listing(3, fetched_at="2026-11-20T08:00:00Z", text="内部渠道 下证快"),
                     detection(("impersonation", "insider_channel"), risk=0.97))
        store.mark_removed(listing(4)["id"], at="2026-11-20T09:00:00Z")
        assert store.spool.pending()
        store.client.close()  # the crawling process ends while the server is still down

        server.start(timeout=240)
        resumed = EsLeadStore(url, index_prefix="outage", spool_dir=spool_dir, replay_interval=0, batch_size=20)
        for n in range(215, 220):
            resumed.upsert(listing(n), detection(("abnormal_filing",), risk=0.7))
        resumed.flush()
        assert not resumed.spool.pending()
        assert resumed.count() == 220
        assert resumed.count(LeadQuery(labels=["insider_channel"])) == 206
        again = resumed.get(listing(3)["id"])
        assert again.status == "reviewing" and [n["text"] for n in again.notes] == ["待核实"]
        assert again.seen_count == 2 and again.risk == pytest.approx(0.97)
        assert resumed.get(listing(4)["id"]).listing_status == "removed"
        resumed.close()
    finally:
        server.stop()


def test_mapping_upgrade_reindexes_behind_the_alias(es_url: str, tmp_path: Path) -> None:
    client = Elasticsearch(es_url)
    old = "upgrade-leads-v0"
    client.indices.create(index=old, mappings={"dynamic": True}, aliases={"upgrade-leads": {"is_write_index": True}})
    lead = {**listing(7), "status": "confirmed", "labels": ["impersonation"], "risk": 0.9,
            "first_seen": "2026-11-01T00:00:00Z", "last_seen": "2026-11-01T00:00:00Z",
            "notes": [{"at": "2026-11-02T00:00:00Z", "by": "wu", "text": "已移交"}], "audit": []}
    client.index(index=old, id=lead["id"], document=lead, refresh=True)
    store = EsLeadStore(es_url, index_prefix="upgrade", spool_dir=tmp_path / "spool")
    try:
        assert list(client.indices.get_alias(name="upgrade-leads").body) == [f"upgrade-leads-v{MAPPING_VERSION}"]
        moved = store.get(lead["id"])
        assert moved.status == "confirmed" and moved.notes[0]["text"] == "已移交"
        assert store.count(LeadQuery(text="专利申请", statuses=["confirmed"])) == 1
        mapping = client.indices.get_mapping(index="upgrade-leads").body
        assert mapping[f"upgrade-leads-v{MAPPING_VERSION}"]["mappings"]["_meta"]["mapping_version"] == MAPPING_VERSION
        # Opening again changes nothing.
        EsLeadStore(es_url, index_prefix="upgrade", spool_dir=tmp_path / "spool").client.close()
        assert store.count() == 1
    finally:
        store.drop()
        client.indices.delete(index=old, ignore_unavailable=True)
        store.client.close()
        client.close()


def test_two_writers_merge_the_same_new_lead(es_url: str, tmp_path: Path) -> None:
    first = EsLeadStore(es_url, index_prefix="writers", spool_dir=tmp_path / "spool-a")
    second = EsLeadStore(es_url, index_prefix="writers", spool_dir=tmp_path / "spool-b")
    try:
        second.upsert(listing(90), detection())  # `second` now knows its leads, but not what `first` writes
        first.upsert(listing(1), detection(("impersonation",), risk=0.8))
        first.update_workflow(listing(1)["id"], {"status": "reviewing"},
                              {"by": "he", "action": "status", "from": "new", "to": "reviewing"})
        merged = second.upsert(listing(1, fetched_at="2026-11-30T00:00:00Z"),
                               detection(("impersonation",), risk=0.9))
        assert merged.seen_count == 2 and merged.status == "reviewing"
        assert merged.first_seen == "2026-11-02T08:00:00Z"
        second.flush()
        assert second.count() == 2
    finally:
        first.drop()
        first.client.close()
        second.client.close()


def test_a_store_opened_while_the_server_is_down_spools_and_another_replays(es_url: str, tmp_path: Path) -> None:
    down = EsLeadStore(f"http://127.0.0.1:{free_port()}", index_prefix="later", spool_dir=tmp_path / "spool")
    leads = down.upsert_many([(listing(n), detection(("impersonation",))) for n in range(5)])
    assert [lead.status for lead in leads] == ["new"] * 5
    assert down.record_seen({**listing(0), "fetched_at": "2026-11-03T00:00:00Z"}) is None
    with pytest.raises(StoreError, match="unreachable"):
        down.search(LeadQuery())
    with pytest.raises(StoreError, match="unreachable"):
        down.flush()
    down.close()
    assert len(down.spool) == 6

    up = EsLeadStore(es_url, index_prefix="later", spool_dir=tmp_path / "spool")
    try:
        up.flush()
        assert up.count() == 5 and not up.spool.pending()
        assert up.get(listing(0)["id"]).seen_count == 2
    finally:
        up.drop()
        up.client.close()


def test_a_long_spool_replays_in_pipelined_batches_and_in_order(es_url: str, tmp_path: Path) -> None:
    from index import lead as leads
    from index.mapping import prepare

    store = EsLeadStore(es_url, index_prefix="replay", spool_dir=tmp_path / "spool", batch_size=4, replay_interval=0)
    store.drop()
    store.ensure_indices()
    upserts = [{"op": "upsert", "lead": prepare(leads.observation(listing(n), detection(("impersonation",))))}
               for n in range(30)]
    removed = {"op": "removed", "id": listing(7)["id"], "at": "2026-11-21T00:00:00Z"}
    later = leads.observation(listing(7, fetched_at="2026-11-22T00:00:00Z"), detection(("impersonation",)))
    store.spool.append([*upserts[:20], removed, *upserts[20:], {"op": "upsert", "lead": prepare(later)}])
    threads = []
    original = store._send

    def send(*args: object) -> list[dict]:
        threads.append(threading.current_thread().name)
        return original(*args)

    store._send = send  # type: ignore[method-assign]
    store.flush()
    assert not store.spool.pending() and store.count() == 30
    assert any(name.startswith("lantian-bulk") for name in threads)  # written by the pipeline's writer thread
    relisted = store.get(listing(7)["id"])
    assert relisted.listing_status == "active" and relisted.removed_at is None  # the later sighting won
    store.drop()
