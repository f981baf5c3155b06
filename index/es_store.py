"""The Elasticsearch lead store: an index template, a write alias, bulk writes, a disk spool for outages.

There is no scripting on the server, so a re-crawl is merged in Python: documents are fetched with their sequence
numbers, merged, and written back with `if_seq_no`/`if_primary_term`; a concurrent change makes the write conflict
and the merge is redone. When the server cannot be reached, crawler writes (upserts, seen, removed) go to the
spool on disk and are replayed in order before the next write once the server answers again.
"""
from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, Callable

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout
from elasticsearch import ApiError, ConflictError, Elasticsearch, NotFoundError, OrjsonSerializer, helpers

from index import cluster
from index import lead as leads
from index import text as textutil
from index.district import UNKNOWN_DISTRICT
from index.lead import DEFAULT_SOURCE, Lead
from index.mapping import AGENCIES_MAPPING, INDEX_SETTINGS, LEADS_MAPPING, MAPPING_VERSION
from index.query import LeadPage, LeadQuery
from index.spool import Operation, Spool
from index.store import LeadNotFound, LeadStore, StoreError, public

log = logging.getLogger(__name__)

RETRY_STATUSES = (429, 502, 503, 504)
HIGHLIGHT_FIELDS = ("title", "seller", "text")
_SORT_FIELDS = {"risk": "risk", "last_seen": "last_seen", "first_seen": "first_seen"}
_GROUP_FIELDS = {
    "label": "labels", "platform": "platform", "district": "district", "status": "status",
    "agency": "agency_code", "cluster": "cluster_id", "listing_status": "listing_status", "source": "source",
}
_MAX_CONFLICT_RETRIES = 10
CONCURRENT_REQUESTS = 2
"""Bulk requests a bulk write keeps on the wire at once by default (`elasticsearch.concurrent_requests`)."""
Plan = tuple[dict[str, Lead], list[dict[str, Any]]]
"""A batch's merged leads by id and the conditional bulk actions that write them."""
Signatures = Sequence[cluster.Signature | None]
"""The content signatures of a batch's observations, in order."""
_FIRST_BATCH_FRACTION = 4
# Spooled operations handed to one replay step, in batches: enough for the pipeline to keep the server busy; a
# failed step is replayed whole next time (merges are idempotent).
_REPLAY_BATCHES = 20
# Documents are encoded as they are planned (the bulk helper sends bytes as they are), so the writer thread
# only frames and sends them and the server waits less between batches.
_SOURCES = OrjsonSerializer()
# What a bulk response needs to say per document; the rest (index, version, shards) is not parsed.
_BULK_RESPONSE_FIELDS = "items.*._id,items.*.status,items.*.error"


class ServerUnavailable(StoreError):
    """Elasticsearch did not answer (down, restarting, overloaded after retries)."""


def _unavailable(exc: Exception) -> bool:
    if isinstance(exc, (TransportConnectionError, ConnectionTimeout)):
        return True
    return isinstance(exc, ApiError) and exc.meta.status in (*RETRY_STATUSES, 500)


def _reason(exc: Exception) -> str:
    """A short reason for an unreachable server (the transport's own messages nest three levels deep)."""
    if isinstance(exc, ConnectionTimeout):
        return "timed out"
    if isinstance(exc, TransportConnectionError):
        return "cannot connect"
    if isinstance(exc, ApiError):
        return f"HTTP {exc.meta.status}"
    return str(exc)


def prepare(doc: Lead, fresh: bool = False) -> Lead:
    """`doc` made ready to index, in place: the jieba companion fields added (kept when present, unless `fresh`).

    In place because every lead passes here on its way to the server; `public()` drops the fields again.
    """
    for field, words in (("title", "title_words"), ("text", "text_words")):
        if fresh or words not in doc:
            doc[words] = textutil.words(doc.get(field))
    return doc


def _whole_number(es: Mapping[str, Any], field: str, default: int, most: int) -> int:
    """`elasticsearch.<field>` of lantian.yaml, a whole number from 1 to `most` (ConfigError naming the field)."""
    from lantian.settings import ConfigError

    value = es.get(field, default)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= most:
        raise ConfigError(f"lantian.yaml: elasticsearch.{field} must be a whole number from 1 to {most}, "
                          f"not {value!r}")
    return value


def client_from_env(url: str, **options: Any) -> Elasticsearch:
    """A client for `url` with credentials and CA from the environment (LANTIAN_ES_USERNAME/_PASSWORD,
    LANTIAN_ES_API_KEY, LANTIAN_ES_CA_CERTS), retries on 429/5xx and timeouts, and orjson to encode bulk bodies."""
    kwargs: dict[str, Any] = {
        "retry_on_status": RETRY_STATUSES, "retry_on_timeout": True, "max_retries": 3, "request_timeout": 30,
        "serializer": OrjsonSerializer(),
    }
    if os.environ.get("LANTIAN_ES_API_KEY"):
        kwargs["api_key"] = os.environ["LANTIAN_ES_API_KEY"]
    elif os.environ.get("LANTIAN_ES_USERNAME"):
        kwargs["basic_auth"] = (os.environ["LANTIAN_ES_USERNAME"], os.environ.get("LANTIAN_ES_PASSWORD", ""))
    if os.environ.get("LANTIAN_ES_CA_CERTS"):
        kwargs["ca_certs"] = os.environ["LANTIAN_ES_CA_CERTS"]
    kwargs.update(options)
    return Elasticsearch(url, **kwargs)


class EsLeadStore(LeadStore):
    """Leads behind the alias `<prefix>-leads`, agencies behind `<prefix>-agencies`."""

    backend = "elasticsearch"

    def __init__(self, url: str, *, index_prefix: str = "lantian", spool_dir: Path | None = None,
                 batch_size: int = 500, concurrent_requests: int = CONCURRENT_REQUESTS, replay_interval: float = 2.0,
                 client: Elasticsearch | None = None) -> None:
        super().__init__()
        self.url = url.rstrip("/")
        self.prefix = index_prefix
        self.alias = f"{index_prefix}-leads"
        self.index = f"{self.alias}-v{MAPPING_VERSION}"
        self.agency_alias = f"{index_prefix}-agencies"
        self.batch_size = batch_size
        self.concurrent_requests = concurrent_requests
        self.replay_interval = replay_interval
        self.client = client or client_from_env(self.url)
        if spool_dir is None:
            from lantian.settings import data_dir

            spool_dir = data_dir() / "index" / "spool" / self.alias
        self.spool = Spool(spool_dir)
        self._ready = False
        self._last_replay_attempt = 0.0
        self._planning = threading.Lock()
        try:
            self.ensure_indices()
        except Exception as exc:
            if not _unavailable(exc):
                raise
            log.info("Elasticsearch at %s is unreachable (%s); writes go to the spool %s until it answers",
                     self.url, _reason(exc), self.spool.directory)

    @classmethod
    def from_settings(cls, es: Mapping[str, Any]) -> EsLeadStore:
        """The store for the `elasticsearch` section of lantian.yaml (ConfigError naming a bad field)."""
        from lantian.settings import ConfigError

        prefix = str(es.get("index_prefix") or "lantian")
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", prefix):
            raise ConfigError(f"lantian.yaml: elasticsearch.index_prefix {prefix!r} must be lower-case letters, "
                              "digits, '-' or '_'")
        batch_size = _whole_number(es, "batch_size", 500, 10000)
        concurrent_requests = _whole_number(es, "concurrent_requests", CONCURRENT_REQUESTS, 8)
        return cls(str(es["url"]).strip(), index_prefix=prefix, batch_size=batch_size,
                   concurrent_requests=concurrent_requests)

    # --- indices -----------------------------------------------------------------------------------------

    def ensure_indices(self) -> None:
        """Create templates, indices and aliases if missing; move the alias to a new mapping version by
        reindexing. Safe to run any number of times, from several processes."""
        self.client.indices.put_index_template(
            name=self.alias, index_patterns=[f"{self.alias}-v*"], priority=100,
            template={"settings": INDEX_SETTINGS, "mappings": LEADS_MAPPING},
            meta={"mapping_version": MAPPING_VERSION, "managed_by": "lantian"})
        self.client.indices.put_index_template(
            name=self.agency_alias, index_patterns=[f"{self.agency_alias}-v*"], priority=100,
            template={"settings": INDEX_SETTINGS, "mappings": AGENCIES_MAPPING},
            meta={"mapping_version": MAPPING_VERSION, "managed_by": "lantian"})
        self._ensure_alias(self.alias, self.index, migrate=self._reindex_leads)
        self._ensure_alias(self.agency_alias, f"{self.agency_alias}-v{MAPPING_VERSION}", migrate=self._copy)
        self._ready = True

    def _ensure_alias(self, alias: str, index: str, migrate: Callable[[str, str], None]) -> None:
        try:
            current = list(self.client.indices.get_alias(name=alias).body)
        except NotFoundError:
            current = []
        if index in current:
            return
        if not current:
            try:
                self.client.indices.create(index=index, aliases={alias: {"is_write_index": True}})
            except ApiError as exc:
                if exc.meta.status != 400 or "resource_already_exists" not in str(exc):
                    raise
            return
        if not self.client.indices.exists(index=index):
            self.client.indices.create(index=index)
        for old in current:
            log.warning("reindexing %s into %s (mapping version %s)", old, index, MAPPING_VERSION)
            migrate(old, index)
        self.client.indices.refresh(index=index)
        actions = [{"remove": {"index": old, "alias": alias}} for old in current]
        actions.append({"add": {"index": index, "alias": alias, "is_write_index": True}})
        self.client.indices.update_aliases(actions=actions)

    def _reindex_leads(self, old: str, new: str) -> None:
        docs = ({"_index": new, "_id": hit["_id"], "_source": prepare(hit["_source"], fresh=True)}
                for hit in helpers.scan(self.client, index=old, query={"query": {"match_all": {}}}))
        helpers.bulk(self.client, docs, chunk_size=self.batch_size, max_retries=5)

    def _copy(self, old: str, new: str) -> None:
        docs = ({"_index": new, "_id": hit["_id"], "_source": hit["_source"]}
                for hit in helpers.scan(self.client, index=old, query={"query": {"match_all": {}}}))
        helpers.bulk(self.client, docs, chunk_size=self.batch_size, max_retries=5)

    def drop(self) -> None:
        """Delete this store's indices and templates (tests and `lantian leads reset`)."""
        for alias in (self.alias, self.agency_alias):
            names = list(self.client.indices.get(index=f"{alias}-v*", allow_no_indices=True).body)
            if names:
                self.client.indices.delete(index=",".join(names))
            try:
                self.client.indices.delete_index_template(name=alias)
            except NotFoundError:
                pass
        self._ready = False

    # --- documents ---------------------------------------------------------------------------------------

    def _ensure_ready(self) -> None:
        if not self._ready:
            try:
                self.ensure_indices()
            except Exception as exc:
                if _unavailable(exc):
                    raise ServerUnavailable(f"Elasticsearch at {self.url} is unreachable ({_reason(exc)})") from exc
                raise

    def _call(self, what: str, fn: Callable[[], Any]) -> Any:
        """Run one request, turning an unreachable server into ServerUnavailable with a clear message."""
        self._ensure_ready()
        try:
            return fn()
        except (ApiError, TransportConnectionError, ConnectionTimeout) as exc:
            if _unavailable(exc):
                raise ServerUnavailable(f"Elasticsearch at {self.url} is unreachable ({what}: {_reason(exc)})") from exc
            raise

    def _load(self, lead_id: str) -> Lead | None:
        try:
            hit = self._call("get", lambda: self.client.get(index=self.alias, id=lead_id))
        except NotFoundError:
            return None
        return hit["_source"]

    def _load_versioned(self, lead_ids: list[str]) -> dict[str, tuple[Lead, int, int]]:
        if not lead_ids:
            return {}
        body = self._call("mget", lambda: self.client.mget(index=self.alias, ids=lead_ids))
        return {d["_id"]: (d["_source"], d["_seq_no"], d["_primary_term"]) for d in body["docs"] if d.get("found")}

    def _load_many(self, lead_ids: list[str]) -> dict[str, Lead]:
        return {k: v[0] for k, v in self._load_versioned(lead_ids).items()}

    def _save_many(self, docs: list[Lead]) -> None:
        actions = [{"_index": self.alias, "_id": d["id"], "_source": prepare(d)} for d in docs]
        self._bulk(actions)

    def _bulk(self, actions: list[dict[str, Any]]) -> list[str]:
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

        self._call("bulk", run)
        if failures:
            raise StoreError(f"Elasticsearch rejected {len(failures)} lead(s), first: {failures[0]}")
        return conflicts

    def _plan(self, observations: list[Lead], signatures: Signatures, read_all: bool) -> Plan:
        """The merged leads of `observations` and the conditional bulk actions that write them.

        Without `read_all`, only leads this process knows (its near-duplicate index) are read first; the others
        are written with `create`, so a first crawl needs no read. If another process created one meanwhile,
        `create` conflicts and the lead is planned again with `read_all`. Plans are made one at a time (the writer
        thread re-plans conflicts while the caller plans the next batch), as they update the near-duplicate index.
        """
        with self._planning:
            known = self._near_duplicate_index()
            ids = list(dict.fromkeys(o["id"] for o in observations))
            existing = self._load_versioned(ids if read_all else [i for i in ids if i in known])
            merged = self._merged(observations, {lead_id: found[0] for lead_id, found in existing.items()}, signatures)
        actions = []
        for lead_id, doc in merged.items():
            action: dict[str, Any] = {"_index": self.alias, "_id": lead_id, "_source": _SOURCES.dumps(prepare(doc))}
            if lead_id in existing:
                action["if_seq_no"], action["if_primary_term"] = existing[lead_id][1:]
            else:
                action["_op_type"] = "create"
            actions.append(action)
        return merged, actions

    def _send(self, observations: list[Lead], signatures: Signatures, plan: Plan) -> list[Lead]:
        """Write a plan; leads whose write conflicted with a concurrent change are read, merged and written again."""
        results: dict[str, Lead] = {}
        merged, actions = plan
        for _ in range(_MAX_CONFLICT_RETRIES):
            conflicts = set(self._bulk(actions))
            results.update({k: v for k, v in merged.items() if k not in conflicts})
            if not conflicts:
                return [results[o["id"]] for o in observations]
            again = [number for number, seen in enumerate(observations) if seen["id"] in conflicts]
            merged, actions = self._plan([observations[n] for n in again], [signatures[n] for n in again],
                                         read_all=True)
        raise StoreError(f"{len(merged)} lead(s) kept changing concurrently; gave up after "
                         f"{_MAX_CONFLICT_RETRIES} attempts")

    def _update(self, lead_id: str, change: Callable[[Lead], Lead], visible_now: bool = True) -> Lead:
        for _ in range(_MAX_CONFLICT_RETRIES):
            try:
                hit = self._call("get", lambda: self.client.get(index=self.alias, id=lead_id))
            except NotFoundError:
                raise LeadNotFound(f"no lead {lead_id}") from None
            updated = change(hit["_source"])
            try:
                self._call("index", lambda: self.client.index(
                    index=self.alias, id=lead_id, document=prepare(updated), if_seq_no=hit["_seq_no"],
                    if_primary_term=hit["_primary_term"], refresh=visible_now))
            except ConflictError:
                continue
            return updated
        raise StoreError(f"lead {lead_id} kept changing concurrently; gave up after {_MAX_CONFLICT_RETRIES} attempts")

    def _signatures(self) -> Iterable[tuple[str, str, str]]:
        query = {"query": {"match_all": {}}, "_source": ["minhash", "cluster_id"]}

        def scan() -> list[tuple[str, str, str]]:
            return [(hit["_id"], hit["_source"]["minhash"], hit["_source"].get("cluster_id") or hit["_id"])
                    for hit in helpers.scan(self.client, index=self.alias, query=query)
                    if hit["_source"].get("minhash")]

        return self._call("scan signatures", scan)

    # --- crawler writes survive outages ------------------------------------------------------------------

    def upsert_many(self, pairs: Iterable[tuple[Mapping[str, Any], Mapping[str, Any]]]) -> list[Lead]:
        """Like `LeadStore.upsert_many`, in bulk batches of `batch_size`, up to `concurrent_requests` of them on the
        wire at once while the next is prepared (lead fields, jieba words, signatures, clusters, merges), so
        Python and the server work at once and the server never waits for the next request.

        While the server is unreachable the observations are spooled and the returned leads are what a first
        sighting would store (workflow fields merge in on replay).
        """
        return self._pipelined(list(pairs), self._observe, self._plan_unless_spooling, self._write_batch)

    def _pipelined(self, items: list[Any], prepare: Callable[[list[Any]], tuple[list[Lead], Signatures]],
                   plan: Callable[[list[Lead], Signatures], Plan | None],
                   write: Callable[[list[Lead], Signatures, Plan | None], list[Lead]]) -> list[Lead]:
        """`write` each batch of `items` in writer threads, up to `concurrent_requests` at once, while this thread
        prepares and plans the next one; no more batches than that wait, so memory stays bounded.

        A batch with a lead that a batch on the wire also writes waits for that batch before it is planned, so a
        lead's sightings are written in order, each merged into what the one before left. Batches on the wire
        together share no lead, so the order they reach the server (or the spool, whose file lock keeps
        appends and replays apart) does not matter.
        """
        if len(items) <= self.batch_size:
            observations, signatures = prepare(items)
            return write(observations, signatures, plan(observations, signatures))
        results: list[Lead] = []
        with ThreadPoolExecutor(max_workers=self.concurrent_requests, thread_name_prefix="lantian-bulk") as writer:
            queued: deque[tuple[set[str], Future[list[Lead]]]] = deque()
            for start, end in self._batches(len(items)):
                observations, signatures = prepare(items[start:end])
                ids = {seen["id"] for seen in observations}
                while queued and any(not ids.isdisjoint(writing) for writing, _ in queued):
                    results += queued.popleft()[1].result()
                queued.append((ids, writer.submit(write, observations, signatures, plan(observations, signatures))))
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

    @staticmethod
    def _observe(pairs: list[tuple[Mapping[str, Any], Mapping[str, Any]]]) -> tuple[list[Lead], Signatures]:
        """Observations with their jieba words, and the signatures of their contents."""
        return EsLeadStore._signed([prepare(leads.observation(listing, detection)) for listing, detection in pairs])

    @staticmethod
    def _signed(observations: list[Lead]) -> tuple[list[Lead], Signatures]:
        """The observations with the signatures of their contents."""
        return observations, cluster.signatures([(seen.get("title"), seen.get("text")) for seen in observations])

    def _plan_unless_spooling(self, observations: list[Lead], signatures: Signatures) -> Plan | None:
        """The plan of a batch, or None when the batch will go to the spool (or the server could not be read)."""
        if self.spool.pending():
            return None
        try:
            return self._plan(observations, signatures, read_all=False)
        except ServerUnavailable:
            return None

    def _write_batch(self, observations: list[Lead], signatures: Signatures, plan: Plan | None) -> list[Lead]:
        def write() -> list[Lead]:
            return self._send(observations, signatures, plan or self._plan(observations, signatures, read_all=False))

        written = self._write_or_spool([{"op": "upsert", "lead": o} for o in observations], write)
        if written is None:
            return [public(leads.merge(None, o)) for o in observations]
        return [public(doc) for doc in written]

    def record_seen(self, listing: Mapping[str, Any]) -> Lead | None:
        """Like `LeadStore.record_seen`; None also while the operation waits in the spool."""
        op = {"op": "seen", "id": listing.get("id") or leads.lead_id(listing.get("canonical_url") or listing["url"]),
              "at": leads.iso_utc(listing.get("fetched_at"))}
        return self._write_or_spool([op], lambda: LeadStore.record_seen(self, {"id": op["id"], "fetched_at": op["at"]}))

    def mark_removed(self, lead_id: str, at: Any = None) -> Lead | None:
        """Like `LeadStore.mark_removed`; None also while the operation waits in the spool."""
        op = {"op": "removed", "id": lead_id, "at": leads.iso_utc(at)}
        return self._write_or_spool([op], lambda: LeadStore.mark_removed(self, lead_id, op["at"]))

    def _write_or_spool(self, ops: list[Operation], write: Callable[[], Any]) -> Any:
        """`write()`, or None after spooling `ops` when the server is unreachable or older operations still
        wait in the spool (they go first, to keep the order)."""
        if self.spool.pending() and not self.replay_spool(force=False):
            self.spool.append(ops)
            return None
        try:
            return write()
        except ServerUnavailable as exc:
            log.warning("%s: spooling %d operation(s)", exc, len(ops))
            self.spool.append(ops)
            return None

    def _apply_now(self, ops: list[Operation]) -> None:
        """Apply spooled operations in order (consecutive upserts in pipelined bulk batches)."""
        batch: list[Lead] = []
        for op in ops:
            if op["op"] == "upsert":
                batch.append(op["lead"])
                continue
            if batch:
                self._replay_upserts(batch)
                batch = []
            if op["op"] == "seen":
                LeadStore.record_seen(self, {"id": op["id"], "fetched_at": op["at"]})
            elif op["op"] == "removed":
                LeadStore.mark_removed(self, op["id"], op["at"])
        if batch:
            self._replay_upserts(batch)

    def _replay_upserts(self, observations: list[Lead]) -> None:
        """Write spooled observations; an unreachable server raises (the spool keeps them), nothing is spooled again."""
        self._pipelined(observations, self._signed, partial(self._plan, read_all=False), self._send)

    def replay_spool(self, force: bool = True) -> bool:
        """Replay spooled operations if the server answers; True when the spool is empty afterwards.

        Without `force`, tries at most once per `replay_interval` seconds so an outage does not slow the crawl.
        """
        if not self.spool.pending():
            return True
        now = time.monotonic()
        if not force and now - self._last_replay_attempt < self.replay_interval:
            return False
        self._last_replay_attempt = now
        try:
            self._ensure_ready()
            replayed = self.spool.replay(self._apply_now, batch=self.batch_size * _REPLAY_BATCHES)
        except ServerUnavailable as exc:
            log.warning("spool kept: %s", exc)
            return False
        log.info("replayed %d spooled operation(s) into %s", replayed, self.alias)
        return not self.spool.pending()

    def flush(self) -> None:
        """Replay the spool (if the server answers) and refresh, so searches see every accepted write."""
        if not self.replay_spool(force=True):
            raise ServerUnavailable(f"Elasticsearch at {self.url} is unreachable: "
                                    f"{len(self.spool)} operation(s) wait in {self.spool.directory}")
        self._call("refresh", lambda: self.client.indices.refresh(index=f"{self.alias},{self.agency_alias}"))

    def close(self) -> None:
        try:
            self.flush()
        except ServerUnavailable:
            if self.spool.pending():
                log.warning("%d operation(s) wait in %s; the next writer replays them once Elasticsearch at %s "
                            "answers", len(self.spool), self.spool.directory, self.url)
        finally:
            self.client.close()

    # --- queries -----------------------------------------------------------------------------------------

    def _filters(self, query: LeadQuery) -> list[dict[str, Any]]:
        filters: list[dict[str, Any]] = []
        for field, values in (("id", query.ids), ("labels", query.labels), ("platform", query.platforms),
                              ("status", query.statuses),
                              ("assignee", query.assignees), ("agency_code", query.agency_codes)):
            if values:
                filters.append({"terms": {field: values}})
        if query.districts:
            districts: list[dict[str, Any]] = [{"terms": {"district": query.districts}}]
            if UNKNOWN_DISTRICT in query.districts:
                districts.append({"bool": {"must_not": {"exists": {"field": "district"}}}})
            filters.append({"bool": {"should": districts, "minimum_should_match": 1}})
        if query.sources:
            # Documents written before leads had a source are sweeps.
            sources: list[dict[str, Any]] = [{"terms": {"source": query.sources}}]
            if DEFAULT_SOURCE in query.sources:
                sources.append({"bool": {"must_not": {"exists": {"field": "source"}}}})
            filters.append({"bool": {"should": sources, "minimum_should_match": 1}})
        if query.id_prefix:
            filters.append({"prefix": {"id": query.id_prefix}})
        if query.cluster_id:
            filters.append({"term": {"cluster_id": query.cluster_id}})
        if query.listing_status:
            filters.append({"term": {"listing_status": query.listing_status}})
        risk = {k: v for k, v in (("gte", query.min_risk), ("lte", query.max_risk)) if v is not None}
        if risk:
            filters.append({"range": {"risk": risk}})
        dates = {k: v for k, v in (("gte", query.since), ("lte", query.until)) if v is not None}
        if dates:
            filters.append({"range": {query.date_field: dates}})
        return filters

    @staticmethod
    def _phrases(query: LeadQuery) -> list[dict[str, Any]]:
        return [{"bool": {"should": [{"match_phrase": {field: term}} for field in HIGHLIGHT_FIELDS],
                          "minimum_should_match": 1}} for term in query.terms()]

    def _query(self, query: LeadQuery) -> dict[str, Any]:
        words = " ".join(textutil.words(term) for term in query.terms())
        should = [{"match": {"title_words": {"query": words, "boost": 2}}},
                  {"match": {"text_words": words}}] if words else []
        return {"bool": {"filter": self._filters(query), "must": self._phrases(query), "should": should}}

    @staticmethod
    def _sort(query: LeadQuery) -> list[dict[str, Any]]:
        order = "desc" if query.descending else "asc"
        if query.sort == "relevance" and query.terms():
            return [{"_score": order}, {"id": "asc"}]
        return [{_SORT_FIELDS.get(query.sort, "last_seen"): {"order": order, "missing": "_last"}},
                {"id": "asc"}]

    def search(self, query: LeadQuery) -> LeadPage:
        body: dict[str, Any] = {"query": self._query(query), "sort": self._sort(query), "from": query.offset,
                                "size": query.limit, "track_total_hits": True,
                                "_source": {"excludes": ["minhash", "title_words", "text_words"]}}
        if query.terms():
            body["highlight"] = {
                "encoder": "html", "pre_tags": [textutil.PRE_TAG], "post_tags": [textutil.POST_TAG],
                "highlight_query": {"bool": {"should": self._phrases(query)}}, "require_field_match": True,
                "fields": {f: {"type": "unified", "fragment_size": textutil.FRAGMENT_CHARS,
                               "number_of_fragments": textutil.MAX_FRAGMENTS if f == "text" else 0}
                           for f in HIGHLIGHT_FIELDS}}
        result = self._call("search", lambda: self.client.search(index=self.alias, **body))
        hits = result["hits"]["hits"]
        highlights = {h["_id"]: {f: [textutil.join_adjacent_marks(x) for x in frags]
                                 for f, frags in (h.get("highlight") or {}).items()} for h in hits}
        return LeadPage(int(result["hits"]["total"]["value"]), [public(h["_source"]) for h in hits],
                        highlights, query.offset, query.limit)

    def iter_leads(self, query: LeadQuery | None = None) -> Iterator[Lead]:
        query = query or LeadQuery()
        search_after: list[Any] | None = None
        while True:
            body: dict[str, Any] = {"query": self._query(query), "sort": self._sort(query), "size": 500,
                                    "_source": {"excludes": ["minhash", "title_words", "text_words"]}}
            if search_after is not None:
                body["search_after"] = search_after
            hits = self._call("search", lambda: self.client.search(index=self.alias, **body))["hits"]["hits"]
            yield from (public(h["_source"]) for h in hits)
            if len(hits) < 500:
                return
            search_after = hits[-1]["sort"]

    def count(self, query: LeadQuery | None = None) -> int:
        body = {"query": self._query(query or LeadQuery())}
        return int(self._call("count", lambda: self.client.count(index=self.alias, **body))["count"])

    def counts(self, by: str = "label", query: LeadQuery | None = None) -> dict[str, int]:
        self._check_count_by(by)
        if by == "week":
            agg = {"date_histogram": {"field": "first_seen", "calendar_interval": "week", "format": "yyyy-MM-dd",
                                      "min_doc_count": 1}}
        else:
            agg = {"terms": {"field": _GROUP_FIELDS[by], "size": 10000,
                             "order": [{"_count": "desc"}, {"_key": "asc"}]}}
            if by == "source":
                agg["terms"]["missing"] = DEFAULT_SOURCE
            if by == "district":
                agg["terms"]["missing"] = UNKNOWN_DISTRICT
        body = {"query": self._query(query or LeadQuery()), "size": 0, "aggs": {"by": agg}}
        result = self._call("aggregate", lambda: self.client.search(index=self.alias, **body))
        buckets = result["aggregations"]["by"]["buckets"]
        return {str(b.get("key_as_string", b["key"])): int(b["doc_count"]) for b in buckets}

    # --- agencies ----------------------------------------------------------------------------------------

    def upsert_agency(self, doc: Mapping[str, Any]) -> dict[str, Any]:
        if not doc.get("id"):
            raise ValueError("an agency document needs an id")
        body = dict(doc)
        self._call("index agency", lambda: self.client.index(index=self.agency_alias, id=str(body["id"]),
                                                             document=body))
        return body

    def get_agency(self, agency_id: str) -> dict[str, Any] | None:
        try:
            return self._call("get agency", lambda: self.client.get(index=self.agency_alias, id=agency_id))["_source"]
        except NotFoundError:
            return None

    def search_agencies(self, text: str | None = None, *, district: str | None = None,
                        risk_levels: list[str] | None = None, min_score: float | None = None,
                        limit: int = 100) -> list[dict[str, Any]]:
        must: list[dict[str, Any]] = []
        for term in (text or "").split():
            pattern = f"*{term}*"
            must.append({"bool": {"should": [
                {"wildcard": {field: {"value": pattern, "case_insensitive": True}}}
                for field in ("name.keyword", "code", "id")], "minimum_should_match": 1}})
        filters: list[dict[str, Any]] = []
        if district:
            filters.append({"term": {"district": district}})
        if risk_levels:
            filters.append({"terms": {"risk_level": list(risk_levels)}})
        if min_score is not None:
            filters.append({"range": {"score": {"gte": min_score}}})
        body = {"query": {"bool": {"must": must, "filter": filters}}, "size": limit,
                "sort": [{"score": {"order": "desc", "missing": "_last"}}, {"id": "asc"}]}
        result = self._call("search agencies", lambda: self.client.search(index=self.agency_alias, **body))
        return [h["_source"] for h in result["hits"]["hits"]]
