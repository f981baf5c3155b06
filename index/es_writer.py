"""Bulk writes of lead documents, pipelined: batches go out from writer threads while the next one is prepared.

Preparing a batch (lead fields, jieba words, signatures, clusters, merges) is Python work and writing it is the
server's; running both at once, with a few requests on the wire, keeps the server from waiting for the next one.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from elasticsearch import Elasticsearch, helpers

from core.lead import LeadDocument
from core.settings import ElasticsearchSettings
from index.es_client import RETRY_STATUSES, Requests, ServerUnavailable
from index.store import StoreError

CONCURRENT_REQUESTS = ElasticsearchSettings().concurrent_requests
"""Bulk requests a bulk write keeps on the wire at once by default (`elasticsearch.concurrent_requests`)."""
_FIRST_BATCH_FRACTION = 4
# What a bulk response needs to say per document; the rest (index, version, shards) is not parsed.
_BULK_RESPONSE_FIELDS = "items.*._id,items.*.status,items.*.error"
_Item = TypeVar("_Item")
_Extra = TypeVar("_Extra")
_Plan = TypeVar("_Plan")
_Result = TypeVar("_Result")


class BulkWriter:
    """Bulk requests of `batch_size` documents, up to `concurrent_requests` of them on the wire at once."""

    def __init__(self, client: Elasticsearch, requests: Requests, *, batch_size: int,
                 concurrent_requests: int = CONCURRENT_REQUESTS) -> None:
        self.client = client
        self.requests = requests
        self.batch_size = batch_size
        self.concurrent_requests = concurrent_requests

    def bulk(self, actions: list[dict[str, Any]]) -> list[str]:
        """Send actions in bounded batches (429s retried with backoff); returns the ids that hit a version
        conflict. Any other per-document failure is an error."""
        conflicts: list[str] = []
        failures: list[str] = []

        def run() -> None:
            for ok, item in helpers.streaming_bulk(
                    self.client, actions, chunk_size=self.batch_size, max_retries=5, initial_backoff=1,
                    max_backoff=30, raise_on_error=False, raise_on_exception=True,
                    filter_path=_BULK_RESPONSE_FIELDS):
                if ok:
                    continue
                result = next(iter(item.values()))
                if result.get("status") == 409:
                    conflicts.append(result["_id"])
                elif result.get("status") in (*RETRY_STATUSES, 500):
                    raise ServerUnavailable(f"Elasticsearch refused a write: {result.get('error')}")
                else:
                    failures.append(f"{result.get('_id')}: {result.get('error')}")

        self.requests("bulk", run)
        if failures:
            raise StoreError(f"Elasticsearch rejected {len(failures)} lead(s), first: {failures[0]}")
        return conflicts

    def pipelined(self, items: list[_Item], prepare: Callable[[list[_Item]], tuple[list[LeadDocument], _Extra]],
                  plan: Callable[[list[LeadDocument], _Extra], _Plan],
                  write: Callable[[list[LeadDocument], _Extra, _Plan], list[_Result]]) -> list[_Result]:
        """`write` each batch of `items` in writer threads, up to `concurrent_requests` at once, while this thread
        prepares and plans the next one; no more batches than that wait, so memory stays bounded.

        A batch with a lead that a batch on the wire also writes waits for that batch before it is planned, so a
        lead's sightings are written in order, each merged into what the one before left. Batches on the wire
        together share no lead, so the order they reach the server (or the spool, whose file lock keeps
        appends and replays apart) does not matter.
        """
        if len(items) <= self.batch_size:
            observations, extra = prepare(items)
            return write(observations, extra, plan(observations, extra))
        results: list[_Result] = []
        with ThreadPoolExecutor(max_workers=self.concurrent_requests, thread_name_prefix="lantian-bulk") as writer:
            queued: deque[tuple[set[str], Future[list[_Result]]]] = deque()
            for start, end in self._batches(len(items)):
                observations, extra = prepare(items[start:end])
                ids = {seen["id"] for seen in observations}
                while queued and any(not ids.isdisjoint(writing) for writing, _ in queued):
                    results += queued.popleft()[1].result()
                queued.append((ids, writer.submit(write, observations, extra, plan(observations, extra))))
                if len(queued) > self.concurrent_requests:
                    results += queued.popleft()[1].result()
            while queued:
                results += queued.popleft()[1].result()
        return results

    def _batches(self, count: int) -> Iterator[tuple[int, int]]:
        """(start, end) of each batch: a small first one, so the server has work while the next is prepared,
        then `batch_size` each."""
        end = min(count, max(1, self.batch_size // _FIRST_BATCH_FRACTION))
        yield 0, end
        while end < count:
            start, end = end, min(count, end + self.batch_size)
            yield start, end
