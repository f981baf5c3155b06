"""A `LeadQuery` in Elasticsearch's query DSL, and a search response read back as a `LeadPage`.

Free-text terms must each occur as a phrase in the title, seller or text (per-character tokens of the `standard`
analyzer); the jieba words of the `*_words` fields only rank the matches.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.lead import DEFAULT_SOURCE
from index import text as textutil
from index.district import UNKNOWN_DISTRICT
from index.query import LeadPage, LeadQuery
from index.store import INTERNAL_FIELDS, public

HIGHLIGHT_FIELDS = ("title", "seller", "text")
_SORT_FIELDS = {"risk": "risk", "last_seen": "last_seen", "first_seen": "first_seen"}
_GROUP_FIELDS = {
    "label": "labels", "platform": "platform", "district": "district", "status": "status",
    "agency": "agency_code", "cluster": "cluster_id", "listing_status": "listing_status", "source": "source",
}
_WITHOUT_INTERNAL_FIELDS = {"excludes": list(INTERNAL_FIELDS)}


def filters(query: LeadQuery) -> list[dict[str, Any]]:
    """The query's filters (no scoring): fields, districts and sources (a missing one counts as the default),
    risk and date ranges."""
    found: list[dict[str, Any]] = []
    for field, values in (("id", query.ids), ("labels", query.labels), ("platform", query.platforms),
                          ("status", query.statuses),
                          ("assignee", query.assignees), ("agency_code", query.agency_codes)):
        if values:
            found.append({"terms": {field: values}})
    if query.districts:
        districts: list[dict[str, Any]] = [{"terms": {"district": query.districts}}]
        if UNKNOWN_DISTRICT in query.districts:
            districts.append({"bool": {"must_not": {"exists": {"field": "district"}}}})
        found.append({"bool": {"should": districts, "minimum_should_match": 1}})
    if query.sources:
        # Documents written before leads had a source are sweeps.
        sources: list[dict[str, Any]] = [{"terms": {"source": query.sources}}]
        if DEFAULT_SOURCE in query.sources:
            sources.append({"bool": {"must_not": {"exists": {"field": "source"}}}})
        found.append({"bool": {"should": sources, "minimum_should_match": 1}})
    if query.id_prefix:
        found.append({"prefix": {"id": query.id_prefix}})
    if query.cluster_id:
        found.append({"term": {"cluster_id": query.cluster_id}})
    if query.listing_status:
        found.append({"term": {"listing_status": query.listing_status}})
    if query.read_without_rendering is not None:
        unrendered = {"exists": {"field": "read_without_rendering"}}
        found.append(unrendered if query.read_without_rendering else {"bool": {"must_not": unrendered}})
    risk = {k: v for k, v in (("gte", query.min_risk), ("lte", query.max_risk)) if v is not None}
    if risk:
        found.append({"range": {"risk": risk}})
    dates = {k: v for k, v in (("gte", query.since), ("lte", query.until)) if v is not None}
    if dates:
        found.append({"range": {query.date_field: dates}})
    return found


def phrases(query: LeadQuery) -> list[dict[str, Any]]:
    """One clause per free-text term: the term as a phrase in any of the highlighted fields."""
    return [{"bool": {"should": [{"match_phrase": {field: term}} for field in HIGHLIGHT_FIELDS],
                      "minimum_should_match": 1}} for term in query.terms()]


def bool_query(query: LeadQuery) -> dict[str, Any]:
    """The whole query: filters, every term as a phrase, ranked by jieba words (title words count double)."""
    words = " ".join(textutil.words(term) for term in query.terms())
    should = [{"match": {"title_words": {"query": words, "boost": 2}}},
              {"match": {"text_words": words}}] if words else []
    return {"bool": {"filter": filters(query), "must": phrases(query), "should": should}}


def sort(query: LeadQuery) -> list[dict[str, Any]]:
    """The query's order, ties broken by lead id (so pages and `search_after` are stable)."""
    order = "desc" if query.descending else "asc"
    if query.sort == "relevance" and query.terms():
        return [{"_score": order}, {"id": "asc"}]
    return [{_SORT_FIELDS.get(query.sort, "last_seen"): {"order": order, "missing": "_last"}}, {"id": "asc"}]


def search_body(query: LeadQuery) -> dict[str, Any]:
    """The body of the search for one page of `query`, with highlights of its free-text terms."""
    body: dict[str, Any] = {"query": bool_query(query), "sort": sort(query), "from": query.offset,
                            "size": query.limit, "track_total_hits": True, "_source": _WITHOUT_INTERNAL_FIELDS}
    if query.terms():
        body["highlight"] = {
            "encoder": "html", "pre_tags": [textutil.PRE_TAG], "post_tags": [textutil.POST_TAG],
            "highlight_query": {"bool": {"should": phrases(query)}}, "require_field_match": True,
            "fields": {f: {"type": "unified", "fragment_size": textutil.FRAGMENT_CHARS,
                           "number_of_fragments": textutil.MAX_FRAGMENTS if f == "text" else 0}
                       for f in HIGHLIGHT_FIELDS}}
    return body


def page(result: Mapping[str, Any], query: LeadQuery) -> LeadPage:
    """The response to `search_body(query)` as a page of leads with their highlighted fragments."""
    hits = result["hits"]["hits"]
    highlights = {h["_id"]: {f: [textutil.join_adjacent_marks(x) for x in frags]
                             for f, frags in (h.get("highlight") or {}).items()} for h in hits}
    return LeadPage(int(result["hits"]["total"]["value"]), [public(h["_source"]) for h in hits],
                    highlights, query.offset, query.limit)


def scroll_body(query: LeadQuery, size: int, search_after: list[Any] | None) -> dict[str, Any]:
    """The body of the search for the next `size` leads of `query` after the sort values `search_after`."""
    body: dict[str, Any] = {"query": bool_query(query), "sort": sort(query), "size": size,
                            "_source": _WITHOUT_INTERNAL_FIELDS}
    if search_after is not None:
        body["search_after"] = search_after
    return body


def counts_body(by: str, query: LeadQuery) -> dict[str, Any]:
    """The aggregation counting `query`'s leads by one field (largest first) or by week of first sighting, Monday
    to Sunday in Beijing (the store keeps UTC)."""
    if by == "week":
        agg = {"date_histogram": {"field": "first_seen", "calendar_interval": "week", "format": "yyyy-MM-dd",
                                  "time_zone": "+08:00", "min_doc_count": 1}}
    else:
        agg = {"terms": {"field": _GROUP_FIELDS[by], "size": 10000,
                         "order": [{"_count": "desc"}, {"_key": "asc"}]}}
        if by == "source":
            agg["terms"]["missing"] = DEFAULT_SOURCE
        if by == "district":
            agg["terms"]["missing"] = UNKNOWN_DISTRICT
    return {"query": bool_query(query), "size": 0, "aggs": {"by": agg}}


def counts(result: Mapping[str, Any]) -> dict[str, int]:
    """The response to `counts_body` as counts by bucket key."""
    return {str(b.get("key_as_string", b["key"])): int(b["doc_count"]) for b in result["aggregations"]["by"]["buckets"]}
