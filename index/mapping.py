"""The Elasticsearch mappings of the lead and agency indices, their version, and a lead as the index holds it.

Only core analyzers exist on the server (`standard`, `whitespace`, `keyword`, `simple`): `standard` indexes each
CJK character as a token, so phrase queries on `title`/`text` find exact Chinese phrases; the `*_words` companion
fields hold jieba words (segmented and lower-cased in Python) for word-level ranking.

Bump `MAPPING_VERSION` whenever the mapping or the Python-side preparation of a document changes: at start-up the
store finds the alias on an older index and reindexes into `<prefix>-leads-v<MAPPING_VERSION>`.
"""
from __future__ import annotations

from typing import Any

from core.labels import LABELS
from core.lead import LeadDocument
from index import text as textutil

MAPPING_VERSION = 4

_KEYWORD = {"type": "keyword", "ignore_above": 1024}
_DATE = {"type": "date", "format": "strict_date_optional_time||epoch_millis", "ignore_malformed": True}
_TEXT_WITH_KEYWORD = {"type": "text", "analyzer": "standard",
                      "fields": {"keyword": {"type": "keyword", "ignore_above": 512}}}
_WORDS = {"type": "text", "analyzer": "whitespace"}


def _span(**extra: Any) -> dict[str, Any]:
    return {"type": "nested", "properties": {
        "label": _KEYWORD, "field": _KEYWORD, "start": {"type": "integer"}, "end": {"type": "integer"},
        "text": _TEXT_WITH_KEYWORD, **extra}}


LEAD_PROPERTIES: dict[str, Any] = {
    "id": _KEYWORD,
    "platform": _KEYWORD,
    "url": _KEYWORD,
    "canonical_url": _KEYWORD,
    "title": _TEXT_WITH_KEYWORD,
    "title_words": _WORDS,
    "text": {"type": "text", "analyzer": "standard"},
    "text_words": _WORDS,
    "price": _KEYWORD,
    "seller": _TEXT_WITH_KEYWORD,
    "seller_url": _KEYWORD,
    "location": _TEXT_WITH_KEYWORD,
    "images": _KEYWORD,
    "image_urls": _KEYWORD,
    "agency_name": _TEXT_WITH_KEYWORD,
    "agency_code": _KEYWORD,
    "contacts": {"properties": dict.fromkeys(("phone", "wechat", "qq", "email"), _KEYWORD)},
    "district": _KEYWORD,
    "labels": _KEYWORD,
    "scores": {"properties": {label: {"type": "float"} for label in LABELS}},
    "risk": {"type": "float"},
    "solicitation": {"type": "float"},
    "evidence": _span(),
    "entities": {"type": "nested", "properties": {
        "type": _KEYWORD, "text": _KEYWORD, "field": _KEYWORD,
        "start": {"type": "integer"}, "end": {"type": "integer"}}},
    "content_sha256": _KEYWORD,
    "raw_sha256": _KEYWORD,
    "raw_path": _KEYWORD,
    "screenshot_path": _KEYWORD,
    "screenshot_sha256": _KEYWORD,
    "warc_path": _KEYWORD,
    "fetched_at": _DATE,
    "first_seen": _DATE,
    "last_seen": _DATE,
    "seen_count": {"type": "integer"},
    "listing_status": _KEYWORD,
    "removed_at": _DATE,
    "cluster_id": _KEYWORD,
    "status": _KEYWORD,
    "assignee": _KEYWORD,
    "dismissal_reason": {"type": "text", "analyzer": "standard"},
    "takedown_deadline": _DATE,
    "status_changed_at": _DATE,
    "status_changed_by": _KEYWORD,
    "notes": {"type": "nested", "properties": {"at": _DATE, "by": _KEYWORD, "text": {"type": "text"}}},
    "audit": {"type": "nested", "properties": {
        "at": _DATE, "by": _KEYWORD, "action": _KEYWORD, "from": _KEYWORD, "to": _KEYWORD,
        "why": {"type": "text"}}},
    "source": _KEYWORD,
    "captures": {"type": "nested", "properties": {
        "at": _DATE, "by": _KEYWORD, "note": {"type": "text", "analyzer": "standard"}, "complaint": _KEYWORD}},
    "complaints": _KEYWORD,
    # Why the newest fetch was read as the server sent it, not rendered (a rendered page that hung).
    "read_without_rendering": {"type": "text", "analyzer": "standard"},
    "minhash": {"type": "binary"},
}

LEADS_MAPPING: dict[str, Any] = {
    # Fields outside the mapping are kept in _source but not indexed: a new listing field never breaks indexing.
    "dynamic": False,
    "_meta": {"mapping_version": MAPPING_VERSION},
    "properties": LEAD_PROPERTIES,
}

AGENCIES_MAPPING: dict[str, Any] = {
    "dynamic": True,
    "_meta": {"mapping_version": MAPPING_VERSION},
    "dynamic_templates": [{"strings_as_keywords": {
        "match_mapping_type": "string", "mapping": {"type": "keyword", "ignore_above": 1024}}}],
    "properties": {
        "id": _KEYWORD, "code": _KEYWORD, "name": _TEXT_WITH_KEYWORD, "district": _KEYWORD,
        "risk_level": _KEYWORD, "score": {"type": "float"},
    },
}

INDEX_SETTINGS: dict[str, Any] = {"number_of_shards": 1, "number_of_replicas": 0}


def prepare(doc: LeadDocument, fresh: bool = False) -> LeadDocument:
    """`doc` made ready to index, in place: the jieba companion fields added (kept when present, unless `fresh`).

    In place because every lead passes here on its way to the server; `public()` drops the fields again.
    """
    for field, words in (("title", "title_words"), ("text", "text_words")):
        if fresh or words not in doc:
            doc[words] = textutil.words(doc.get(field))
    return doc
