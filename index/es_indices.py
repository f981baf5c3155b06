"""The lead store's indices on the server: templates, write aliases, and moving an alias to a new mapping version.

Leads live behind the alias `<prefix>-leads` and agencies behind `<prefix>-agencies`, each on the index of the
current `MAPPING_VERSION`; an alias found on an older index is moved by copying its documents over.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from elasticsearch import ApiError, Elasticsearch, NotFoundError, helpers

from index.es_client import ServerUnavailable, reason, unavailable
from index.mapping import AGENCIES_MAPPING, INDEX_SETTINGS, LEADS_MAPPING, MAPPING_VERSION, prepare

log = logging.getLogger(__name__)


def leads_alias(prefix: str) -> str:
    """The alias the leads of an index prefix are read and written through (Kibana's data view reads it too)."""
    return f"{prefix}-leads"


class EsIndices:
    """The lead and agency indices of one prefix (created on first use, safe from several processes at once)."""

    def __init__(self, client: Elasticsearch, url: str, prefix: str, batch_size: int) -> None:
        self.client = client
        self.url = url
        self.alias = leads_alias(prefix)
        self.index = f"{self.alias}-v{MAPPING_VERSION}"
        self.agency_alias = f"{prefix}-agencies"
        self.batch_size = batch_size
        self.ready = False

    def ensure(self) -> None:
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
        self.ready = True

    def ensure_ready(self) -> None:
        """`ensure()` unless done already; an unreachable server raises ServerUnavailable."""
        if self.ready:
            return
        try:
            self.ensure()
        except Exception as exc:
            if unavailable(exc):
                raise ServerUnavailable(f"Elasticsearch at {self.url} is unreachable ({reason(exc)})") from exc
            raise

    def drop(self) -> None:
        """Delete this prefix's indices and templates (tests and `lantian leads reset`)."""
        for alias in (self.alias, self.agency_alias):
            names = list(self.client.indices.get(index=f"{alias}-v*", allow_no_indices=True).body)
            if names:
                self.client.indices.delete(index=",".join(names))
            try:
                self.client.indices.delete_index_template(name=alias)
            except NotFoundError:
                pass
        self.ready = False

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
