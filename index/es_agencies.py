"""The agencies index: one risk document per agency (casework's agency risk), found by name, code or filters."""
from __future__ import annotations

from typing import Any

from elasticsearch import Elasticsearch, NotFoundError

from core.agency import Agency
from index.es_client import Requests


class EsAgencies:
    """Agency documents behind the alias `alias`; every request goes through `requests`."""

    def __init__(self, client: Elasticsearch, alias: str, requests: Requests) -> None:
        self.client = client
        self.alias = alias
        self.requests = requests

    def upsert(self, agency: Agency) -> Agency:
        """Create or replace the agency's document."""
        if not agency.id:
            raise ValueError("an agency document needs an id")
        body = agency.document()
        self.requests("index agency", lambda: self.client.index(index=self.alias, id=agency.id, document=body))
        return agency

    def get(self, agency_id: str) -> Agency | None:
        try:
            found = self.requests("get agency", lambda: self.client.get(index=self.alias, id=agency_id))["_source"]
        except NotFoundError:
            return None
        return Agency.from_document(found)

    def search(self, text: str | None = None, *, district: str | None = None,
               risk_levels: list[str] | None = None, min_score: float | None = None,
               limit: int = 100) -> list[Agency]:
        """Agencies whose name, code or id contains every word of `text`, within the filters, highest score first."""
        query = self.query(text, district=district, risk_levels=risk_levels, min_score=min_score)
        body: dict[str, Any] = {"query": query, "size": limit,
                                "sort": [{"score": {"order": "desc", "missing": "_last"}}, {"id": "asc"}]}
        result = self.requests("search agencies", lambda: self.client.search(index=self.alias, **body))
        return [Agency.from_document(h["_source"]) for h in result["hits"]["hits"]]

    @staticmethod
    def query(text: str | None, *, district: str | None, risk_levels: list[str] | None,
              min_score: float | None) -> dict[str, Any]:
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
        return {"bool": {"must": must, "filter": filters}}
