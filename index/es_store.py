"""The Elasticsearch lead store: `LeadStore` on an index behind a write alias, composed of parts with one job each.

`es_indices` creates and migrates the indices, `es_writer` sends pipelined bulk writes, `es_spooling` keeps crawler
writes (upserts, seen, removed) on disk while the server is unreachable and replays them in order once it answers,
`es_query` translates a `LeadQuery` into the query DSL, and `es_agencies` holds the agencies index. What stays here
is how a re-crawl is merged: there is no scripting on the server, so documents are fetched with their sequence
numbers, merged in Python, and written back with `if_seq_no`/`if_primary_term`; a concurrent change makes the write
conflict and the merge is redone.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from elasticsearch import ConflictError, Elasticsearch, NotFoundError, OrjsonSerializer, helpers

from core.agency import Agency
from core.lead import Detection, Lead, LeadDocument, Listing, iso_utc, listing_lead_id
from core.settings import ElasticsearchSettings
from index import cluster, es_query
from index import lead as leads
from index.es_agencies import EsAgencies
from index.es_client import ServerUnavailable, client_from_env, guarded, reason, unavailable
from index.es_indices import EsIndices
from index.es_spooling import SpooledWrites
from index.es_writer import BulkWriter
from index.mapping import prepare
from index.query import LeadPage, LeadQuery
from index.spool import Operation, Spool
from index.store import LeadNotFound, LeadStore, StoreError, WrittenLeads, public

log = logging.getLogger(__name__)

_MAX_CONFLICT_RETRIES = 10
DEFAULTS = ElasticsearchSettings()
"""The store's defaults are those of the settings file's `elasticsearch` section."""
Plan = tuple[dict[str, LeadDocument], list[dict[str, Any]]]
"""A batch's merged leads by id and the conditional bulk actions that write them."""
Signatures = Sequence[cluster.Signature | None]
"""The content signatures of a batch's observations, in order."""
# Documents are encoded as they are planned (the bulk helper sends bytes as they are), so the writer thread
# only frames and sends them and the server waits less between batches.
_SOURCES = OrjsonSerializer()
_SCROLL_SIZE = 500
_Result = TypeVar("_Result")


class EsLeadStore(LeadStore):
    """Leads behind the alias `<prefix>-leads`, agencies behind `<prefix>-agencies`."""

    backend = "elasticsearch"

    def __init__(self, url: str, *, index_prefix: str = DEFAULTS.index_prefix, spool_dir: Path | None = None,
                 batch_size: int = DEFAULTS.batch_size, concurrent_requests: int = DEFAULTS.concurrent_requests,
                 replay_interval: float = 2.0,
                 client: Elasticsearch | None = None) -> None:
        super().__init__()
        self.url = url.rstrip("/")
        self.prefix = index_prefix
        self.client = client or client_from_env(self.url)
        self.indices = EsIndices(self.client, self.url, index_prefix, batch_size)
        self.alias, self.index, self.agency_alias = self.indices.alias, self.indices.index, self.indices.agency_alias
        self.writer = BulkWriter(self.client, self._call, batch_size=batch_size,
                                 concurrent_requests=concurrent_requests)
        self.agencies = EsAgencies(self.client, self.agency_alias, self._call)
        if spool_dir is None:
            from core.settings import data_dir

            spool_dir = data_dir() / "index" / "spool" / self.alias
        self.spool = Spool(spool_dir)
        self.spooled = SpooledWrites(self.spool, self._apply_now, ensure_ready=self.indices.ensure_ready,
                                     batch_size=batch_size, replay_interval=replay_interval, destination=self.alias)
        self._planning = threading.Lock()
        try:
            self.indices.ensure()
        except Exception as exc:
            if not unavailable(exc):
                raise
            log.info("Elasticsearch at %s is unreachable (%s); writes go to the spool %s until it answers",
                     self.url, reason(exc), self.spool.directory)

    @classmethod
    def from_settings(cls, es: ElasticsearchSettings) -> EsLeadStore:
        """The store for the `elasticsearch` section of lantian.yaml (`core.settings.main_settings().elasticsearch`)."""
        return cls((es.url or "").strip(), index_prefix=es.index_prefix, batch_size=es.batch_size,
                   concurrent_requests=es.concurrent_requests)

    def ensure_indices(self) -> None:
        """Create templates, indices and aliases if missing, migrating to a new mapping version (`EsIndices`)."""
        self.indices.ensure()

    def drop(self) -> None:
        """Delete this store's indices and templates (tests and `lantian leads reset`)."""
        self.indices.drop()

    def _call(self, what: str, request: Callable[[], _Result]) -> _Result:
        """Run one request once the indices exist, turning an unreachable server into ServerUnavailable."""
        self.indices.ensure_ready()
        return guarded(self.url, what, request)

    # --- documents ---------------------------------------------------------------------------------------

    def _load(self, lead_id: str) -> LeadDocument | None:
        try:
            hit = self._call("get", lambda: self.client.get(index=self.alias, id=lead_id))
        except NotFoundError:
            return None
        found: LeadDocument = hit["_source"]
        return found

    def _load_versioned(self, lead_ids: list[str]) -> dict[str, tuple[LeadDocument, int, int]]:
        if not lead_ids:
            return {}
        body = self._call("mget", lambda: self.client.mget(index=self.alias, ids=lead_ids))
        return {d["_id"]: (d["_source"], d["_seq_no"], d["_primary_term"]) for d in body["docs"] if d.get("found")}

    def _load_many(self, lead_ids: list[str]) -> dict[str, LeadDocument]:
        return {k: v[0] for k, v in self._load_versioned(lead_ids).items()}

    def _save_many(self, docs: list[LeadDocument]) -> None:
        self.writer.bulk([{"_index": self.alias, "_id": d["id"], "_source": prepare(d)} for d in docs])

    def _plan(self, observations: list[LeadDocument], signatures: Signatures, read_all: bool) -> Plan:
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

    def _send(self, observations: list[LeadDocument], signatures: Signatures, plan: Plan) -> list[LeadDocument]:
        """Write a plan; leads whose write conflicted with a concurrent change are read, merged and written again."""
        results: dict[str, LeadDocument] = {}
        merged, actions = plan
        for _ in range(_MAX_CONFLICT_RETRIES):
            conflicts = set(self.writer.bulk(actions))
            results.update({k: v for k, v in merged.items() if k not in conflicts})
            if not conflicts:
                return [results[o["id"]] for o in observations]
            again = [number for number, seen in enumerate(observations) if seen["id"] in conflicts]
            merged, actions = self._plan([observations[n] for n in again], [signatures[n] for n in again],
                                         read_all=True)
        raise StoreError(f"{len(merged)} lead(s) kept changing concurrently; gave up after "
                         f"{_MAX_CONFLICT_RETRIES} attempts")

    def _update(self, lead_id: str, change: Callable[[LeadDocument], LeadDocument],
                visible_now: bool = True) -> LeadDocument:
        for _ in range(_MAX_CONFLICT_RETRIES):
            try:
                hit = self._call("get", lambda: self.client.get(index=self.alias, id=lead_id))
            except NotFoundError:
                raise LeadNotFound(f"no lead {lead_id}") from None
            updated = change(hit["_source"])
            try:
                self._call("index", partial(
                    self.client.index, index=self.alias, id=lead_id, document=prepare(updated),
                    if_seq_no=hit["_seq_no"], if_primary_term=hit["_primary_term"], refresh=visible_now))
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

    def upsert_many(self, pairs: Iterable[tuple[Listing, Detection]]) -> WrittenLeads:
        """Like `LeadStore.upsert_many`, in bulk batches of `batch_size`, up to `concurrent_requests` of them on the
        wire at once while the next is prepared (`BulkWriter.pipelined`).

        While the server is unreachable the observations are spooled and the returned leads are what a first
        sighting would store (workflow fields merge in on replay).
        """
        return WrittenLeads(self.writer.pipelined(list(pairs), self._observe, self._plan_unless_spooling,
                                                  self._write_batch))

    def _observe(self, pairs: list[tuple[Listing, Detection]]) -> tuple[list[LeadDocument], Signatures]:
        """Observations with their jieba words, and the signatures of their contents."""
        districts = self.districts
        return EsLeadStore._signed([prepare(leads.observation(listing, detection, districts))
                                    for listing, detection in pairs])

    @staticmethod
    def _signed(observations: list[LeadDocument]) -> tuple[list[LeadDocument], Signatures]:
        """The observations with the signatures of their contents."""
        return observations, cluster.signatures([(seen.get("title"), seen.get("text")) for seen in observations])

    def _plan_unless_spooling(self, observations: list[LeadDocument], signatures: Signatures) -> Plan | None:
        """The plan of a batch, or None when the batch will go to the spool (or the server could not be read)."""
        if self.spool.pending():
            return None
        try:
            return self._plan(observations, signatures, read_all=False)
        except ServerUnavailable:
            return None

    def _write_batch(self, observations: list[LeadDocument], signatures: Signatures,
                     plan: Plan | None) -> list[LeadDocument]:
        def write() -> list[LeadDocument]:
            return self._send(observations, signatures, plan or self._plan(observations, signatures, read_all=False))

        written = self.spooled.write_or_spool([{"op": "upsert", "lead": o} for o in observations], write)
        if written is None:
            return [leads.merge(None, o) for o in observations]
        return written

    def record_seen(self, listing: Listing) -> Lead | None:
        """Like `LeadStore.record_seen`; None also while the operation waits in the spool."""
        op = {"op": "seen", "id": listing_lead_id(listing), "at": iso_utc(listing.get("fetched_at"))}
        return self.spooled.write_or_spool(
            [op], lambda: LeadStore.record_seen(self, {"id": op["id"], "fetched_at": op["at"]}))

    def mark_removed(self, lead_id: str, at: Any = None) -> Lead | None:
        """Like `LeadStore.mark_removed`; None also while the operation waits in the spool."""
        op = {"op": "removed", "id": lead_id, "at": iso_utc(at)}
        return self.spooled.write_or_spool([op], lambda: LeadStore.mark_removed(self, lead_id, op["at"]))

    def _apply_now(self, ops: list[Operation]) -> None:
        """Apply spooled operations in order (consecutive upserts in pipelined bulk batches)."""
        batch: list[LeadDocument] = []
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

    def _replay_upserts(self, observations: list[LeadDocument]) -> None:
        """Write spooled observations; an unreachable server raises (the spool keeps them), nothing is spooled again."""
        self.writer.pipelined(observations, self._signed, partial(self._plan, read_all=False), self._send)

    def replay_spool(self, force: bool = True) -> bool:
        """Replay spooled operations if the server answers; True when the spool is empty afterwards.

        Without `force`, tries at most once per `replay_interval` seconds so an outage does not slow the crawl.
        """
        return self.spooled.replay(force)

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

    def search(self, query: LeadQuery) -> LeadPage:
        body = es_query.search_body(query)
        return es_query.page(self._call("search", lambda: self.client.search(index=self.alias, **body)).body, query)

    def iter_leads(self, query: LeadQuery | None = None) -> Iterator[Lead]:
        query = query or LeadQuery()
        search_after: list[Any] | None = None
        while True:
            body = es_query.scroll_body(query, _SCROLL_SIZE, search_after)
            hits = self._call("search", partial(self.client.search, index=self.alias, **body))["hits"]["hits"]
            yield from (public(h["_source"]) for h in hits)
            if len(hits) < _SCROLL_SIZE:
                return
            search_after = hits[-1]["sort"]

    def count(self, query: LeadQuery | None = None) -> int:
        body: dict[str, Any] = {"query": es_query.bool_query(query or LeadQuery())}
        return int(self._call("count", lambda: self.client.count(index=self.alias, **body))["count"])

    def counts(self, by: str = "label", query: LeadQuery | None = None) -> dict[str, int]:
        self._check_count_by(by)
        body = es_query.counts_body(by, query or LeadQuery())
        return es_query.counts(self._call("aggregate", lambda: self.client.search(index=self.alias, **body)).body)

    # --- agencies ----------------------------------------------------------------------------------------

    def upsert_agency(self, agency: Agency) -> Agency:
        return self.agencies.upsert(agency)

    def get_agency(self, agency_id: str) -> Agency | None:
        return self.agencies.get(agency_id)

    def search_agencies(self, text: str | None = None, *, district: str | None = None,
                        risk_levels: list[str] | None = None, min_score: float | None = None,
                        limit: int = 100) -> list[Agency]:
        return self.agencies.search(text, district=district, risk_levels=risk_levels, min_score=min_score,
                                    limit=limit)
