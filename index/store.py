"""`LeadStore`: the one interface to the leads, whichever backend holds them.

The backends only read and write whole lead documents (`_load`, `_save`, ...); merging a re-crawl, workflow
changes, notes and near-duplicate clustering happen here, so both backends behave the same.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cached_property
from typing import Any, overload

from core.agency import Agency
from core.lead import Detection, Lead, LeadDocument, Listing, listing_lead_id
from index import cluster
from index import lead as leads
from index.district import DistrictFinder, configured_districts
from index.query import COUNT_BY, LeadPage, LeadQuery

# Fields kept in the stored document for the store's own use, never handed to callers.
INTERNAL_FIELDS: tuple[str, ...] = ("minhash", "title_words", "text_words")
# The most agency documents read back at once (Elasticsearch's default result window).
MAX_AGENCIES = 10_000


class StoreError(RuntimeError):
    """The store cannot do what was asked (unknown lead, backend refused); the message says which."""


class LeadNotFound(StoreError, KeyError):
    """No lead with this id."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "lead not found"


def stored(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A stored document without the store's internal fields (copied, then the few dropped: every lead written
    passes here, and testing each of its fields against the list costs more)."""
    lead = dict(doc)
    for field in INTERNAL_FIELDS:
        lead.pop(field, None)
    return lead


def public(doc: Mapping[str, Any]) -> Lead:
    """The lead a stored document is, as the store hands it on."""
    return Lead.from_document(stored(doc))


class WrittenLeads(Sequence[Lead]):
    """The leads a bulk write stored, in the order of its listings, each made a `Lead` when it is read.

    A crawl's bulk writes rarely read what they wrote, and validating a `Lead` is a large share of the writing
    process's own work per lead (bench/bench_index.py), so only the leads read pay for it.
    """

    def __init__(self, docs: list[LeadDocument]) -> None:
        self._docs = docs

    def __len__(self) -> int:
        return len(self._docs)

    @overload
    def __getitem__(self, index: int) -> Lead: ...

    @overload
    def __getitem__(self, index: slice) -> list[Lead]: ...

    def __getitem__(self, index: int | slice) -> Lead | list[Lead]:
        if isinstance(index, slice):
            return [public(doc) for doc in self._docs[index]]
        return public(self._docs[index])


class LeadStore(ABC):
    """Leads (one per canonical URL) with their history, workflow state and agency risk documents."""

    backend: str = ""

    def __init__(self) -> None:
        self._near_duplicates: cluster.NearDuplicateIndex | None = None

    @cached_property
    def districts(self) -> DistrictFinder:
        """The districts leads are filed under: those of the config dir when the store first files one (asking
        the environment for the config dir at every lead cost more than the rest of building its document)."""
        return configured_districts()

    # --- what backends implement -------------------------------------------------------------------------

    @abstractmethod
    def _load(self, lead_id: str) -> LeadDocument | None:
        """The stored document (with internal fields) or None."""

    @abstractmethod
    def _load_many(self, lead_ids: list[str]) -> dict[str, LeadDocument]:
        """Stored documents by id for the ids that exist."""

    @abstractmethod
    def _save_many(self, docs: list[LeadDocument]) -> None:
        """Write whole documents (create or replace), atomically per document."""

    @abstractmethod
    def _signatures(self) -> Iterable[tuple[str, str, str]]:
        """Every stored `(lead_id, minhash, cluster_id)` with a signature."""

    @abstractmethod
    def _update(self, lead_id: str, change: Any, visible_now: bool = True) -> LeadDocument:
        """Apply `change(doc) -> doc` to one stored lead atomically; LeadNotFound if missing.

        `visible_now`: searches must see the change as soon as this returns (reviewer actions); crawler
        bookkeeping passes False and becomes searchable at the next refresh or `flush()`.
        """

    @abstractmethod
    def search(self, query: LeadQuery) -> LeadPage:
        """One page of matching leads with highlights of the free-text terms."""

    @abstractmethod
    def iter_leads(self, query: LeadQuery | None = None) -> Iterator[Lead]:
        """Every matching lead (ignores offset/limit), in the query's sort order."""

    @abstractmethod
    def counts(self, by: str = "label", query: LeadQuery | None = None) -> dict[str, int]:
        """Number of matching leads per label/platform/district/status/agency/cluster (largest first) or per
        week of first_seen (Monday's date, oldest first)."""

    @abstractmethod
    def count(self, query: LeadQuery | None = None) -> int:
        """Number of matching leads."""

    @abstractmethod
    def upsert_agency(self, agency: Agency) -> Agency:
        """Create or replace one agency's risk document."""

    @abstractmethod
    def get_agency(self, agency_id: str) -> Agency | None:
        """One agency's risk document or None."""

    @abstractmethod
    def search_agencies(self, text: str | None = None, *, district: str | None = None,
                        risk_levels: list[str] | None = None, min_score: float | None = None,
                        limit: int = 100) -> list[Agency]:
        """Agency documents matching the name/code text and filters, highest `score` first."""

    def flush(self) -> None:  # noqa: B027 (a backend whose writes are durable and visible at once needs none)
        """Make every accepted write durable and visible to searches."""

    def close(self) -> None:
        """Flush and release the backend."""
        self.flush()

    def __enter__(self) -> LeadStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the shared behaviour ----------------------------------------------------------------------------

    def get(self, lead_id: str) -> Lead | None:
        """The lead with this id, or None."""
        doc = self._load(lead_id)
        return public(doc) if doc else None

    def upsert(self, listing: Listing, detection: Detection) -> Lead:
        """Create or update the lead of `listing` (idempotent; keeps status, notes, audit and first_seen)."""
        return self.upsert_many([(listing, detection)])[0]

    def upsert_many(self, pairs: Iterable[tuple[Listing, Detection]]) -> WrittenLeads:
        """`upsert` for a batch of (listing, detection) pairs, written in one backend round trip."""
        observations = [leads.observation(listing, detection, self.districts) for listing, detection in pairs]
        return WrittenLeads(self._write_observations(observations))

    def _write_observations(self, observations: list[LeadDocument]) -> list[LeadDocument]:
        merged = self._merged(observations, self._load_many(list(dict.fromkeys(o["id"] for o in observations))))
        self._save_many(list(merged.values()))
        return [merged[o["id"]] for o in observations]

    def _merged(self, observations: list[LeadDocument], existing: Mapping[str, LeadDocument],
                signatures: Sequence[cluster.Signature | None] | None = None) -> dict[str, LeadDocument]:
        """Each observation merged, in order, into its lead (stored in `existing`, or merged earlier in the batch),
        with its content signature and cluster.

        A new lead joins the cluster of its near-duplicates, in batches (`join_many`); a lead whose content changed
        (or whose signature an older scheme made) gets a new signature in its cluster. `signatures`, when the
        caller computed them already, are those of the observations' contents, in order.
        """
        merged: dict[str, LeadDocument] = {}
        joining: dict[str, cluster.Signature] = {}
        for number, seen in enumerate(observations):
            lead_id = seen["id"]
            if lead_id in joining:
                self._join(merged, joining)
            before = merged.get(lead_id) or existing.get(lead_id)
            doc = merged[lead_id] = leads.merge(before, seen)
            if (before is not None and before.get("content_sha256") == doc.get("content_sha256")
                    and cluster.is_current(before.get("minhash"))):
                doc["minhash"] = before["minhash"]
                continue
            if signatures is not None and doc.get("content_sha256") == seen.get("content_sha256"):
                minhash = signatures[number]
            else:  # not computed, or the lead kept newer content than this observation's
                minhash = cluster.signature(doc.get("title"), doc.get("text"))
            if minhash is None:
                doc["minhash"] = None
                continue
            doc["minhash"] = cluster.encode(minhash)
            if before is None:
                joining[lead_id] = minhash
            else:
                self._join(merged, joining)
                self._near_duplicate_index().add(lead_id, minhash, doc["cluster_id"])
        self._join(merged, joining)
        return merged

    def _join(self, merged: dict[str, LeadDocument], joining: dict[str, cluster.Signature]) -> None:
        """Give the new leads waiting in `joining` their clusters (joins happen in order, before any later change
        to the near-duplicate index)."""
        if joining:
            found = self._near_duplicate_index().join_many(list(joining), list(joining.values()))
            for lead_id, cluster_id in zip(joining, found):
                merged[lead_id]["cluster_id"] = cluster_id
            joining.clear()

    def _near_duplicate_index(self) -> cluster.NearDuplicateIndex:
        if self._near_duplicates is None:
            index = cluster.NearDuplicateIndex()
            index.load(self._signatures())
            self._near_duplicates = index
        return self._near_duplicates

    def record_seen(self, listing: Listing) -> Lead | None:
        """A re-fetch found the listing unchanged: bump last_seen/seen_count of its lead (None if not a lead)."""
        lead_id = listing_lead_id(listing)
        if self._load(lead_id) is None:
            return None
        return public(self._update(lead_id, lambda doc: leads.mark_seen(doc, listing.get("fetched_at")),
                                   visible_now=False))

    def mark_removed(self, lead_id: str, at: Any = None) -> Lead | None:
        """The crawler found the listing gone: record `listing_status: removed` and when (None if not a lead)."""
        if self._load(lead_id) is None:
            return None
        return public(self._update(lead_id, lambda doc: leads.mark_removed(doc, at), visible_now=False))

    def update_workflow(self, lead_id: str, changes: Mapping[str, Any], event: Mapping[str, Any]) -> Lead:
        """Apply workflow `changes` and append `event` to the audit list in one atomic update."""
        return public(self._update(lead_id, lambda doc: leads.apply_workflow(doc, changes, event)))

    def set_status(self, lead_id: str, to: str, by: str, why: str | None = None) -> Lead:
        """Record a status change (casework checks that the transition is allowed before calling this)."""
        def change(doc: LeadDocument) -> LeadDocument:
            event = {"by": by, "action": "status", "from": doc.get("status"), "to": to, "why": why or ""}
            return leads.apply_workflow(doc, {"status": to}, event)
        return public(self._update(lead_id, change))

    def import_leads(self, docs: Iterable[Mapping[str, Any]]) -> int:
        """Write whole lead documents as another store holds them (a migration): status, assignee, notes, audit
        and history stay as they are; the content signatures are computed again. Returns how many."""
        batch: list[LeadDocument] = []
        for doc in docs:
            lead = dict(doc)
            minhash = cluster.signature(lead.get("title"), lead.get("text"))
            lead["minhash"] = cluster.encode(minhash) if minhash is not None else None
            batch.append(lead)
        if batch:
            self._save_many(batch)
            self._near_duplicates = None
        return len(batch)

    def add_note(self, lead_id: str, note: Mapping[str, Any]) -> Lead:
        """Append a reviewer note `{at, by, text}`."""
        return public(self._update(lead_id, lambda doc: leads.append_note(doc, note)))

    @staticmethod
    def _check_count_by(by: str) -> None:
        if by not in COUNT_BY:
            raise ValueError(f"cannot count by {by!r}: use one of {', '.join(COUNT_BY)}")
