"""Which stored agency document holds a lead, for the lead page (cached: agencies change only on refresh)."""
from __future__ import annotations

import time

from core.agency import Agency
from index.store import MAX_AGENCIES, LeadStore

# How long the console reuses the agency documents before reading them again.
AGENCY_CACHE_SECONDS = 30


class AgencyLookup:
    """Which stored agency document holds a lead (read from the store at most every few seconds)."""

    def __init__(self, store: LeadStore) -> None:
        self.store = store
        self._loaded = 0.0
        self._by_lead: dict[str, Agency] = {}

    def invalidate(self) -> None:
        self._loaded = 0.0

    def of(self, lead_id: str) -> Agency | None:
        if time.monotonic() - self._loaded > AGENCY_CACHE_SECONDS:
            self._by_lead = {lid: doc for doc in self.store.search_agencies(limit=MAX_AGENCIES)
                             for lid in doc.lead_ids}
            self._loaded = time.monotonic()
        return self._by_lead.get(lead_id)
