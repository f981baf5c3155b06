"""Leads: the detector's hits as one record per listing, in Elasticsearch or the embedded SQLite store.

`open_store()` picks the backend from the settings; everything else talks to the `LeadStore` interface.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.lead import Lead, lead_id
from index.query import LeadPage, LeadQuery
from index.store import LeadNotFound, LeadStore, StoreError

__all__ = [
    "Lead", "LeadNotFound", "LeadPage", "LeadQuery", "LeadStore", "StoreError", "lead_id", "open_store",
]


def open_store(settings: Mapping[str, Any] | None = None) -> LeadStore:
    """The lead store the settings ask for: Elasticsearch when `elasticsearch.url` (or `LANTIAN_ES_URL`) is
    set, else the embedded SQLite store in `<data dir>/index/leads.sqlite3`."""
    from core.settings import data_dir, main_settings

    es = main_settings(settings).elasticsearch
    if (es.url or "").strip():
        from index.es_store import EsLeadStore

        return EsLeadStore.from_settings(es)
    from index.sqlite_store import SqliteLeadStore

    return SqliteLeadStore(data_dir() / "index" / "leads.sqlite3")
