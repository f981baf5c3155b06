"""Moving a team's leads from the embedded store to Elasticsearch when it outgrows one machine.

Leads are copied as whole documents (workflow status, assignee, notes, audit trail, history, re-check and
takedown records), then the agency risk documents; the copy is checked by counting both sides per status.
Running it again overwrites the same documents, so an interrupted migration is finished by running it again.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from index.query import LeadQuery
from index.store import MAX_AGENCIES, LeadStore

BATCH = 500


@dataclass(frozen=True)
class Migration:
    leads: int
    agencies: int
    by_status_source: dict[str, int]
    by_status_target: dict[str, int]

    @property
    def complete(self) -> bool:
        return self.by_status_source == self.by_status_target


def migrate(source: LeadStore, target: LeadStore, progress: Callable[[int], None] | None = None) -> Migration:
    """Copy every lead and agency document from `source` into `target`; returns what was copied and the status
    counts on both sides."""
    copied = 0
    batch = []
    for lead in source.iter_leads(LeadQuery(sort="first_seen", descending=False)):
        batch.append(lead.document())
        if len(batch) >= BATCH:
            copied += target.import_leads(batch)
            batch = []
            if progress is not None:
                progress(copied)
    copied += target.import_leads(batch)
    agencies = source.search_agencies(limit=MAX_AGENCIES)
    for doc in agencies:
        target.upsert_agency(doc)
    target.flush()
    return Migration(copied, len(agencies), source.counts(by="status"), target.counts(by="status"))
