"""The lead document: one record per listing (canonical URL), built from a listing and its detection.

Both stores keep exactly this document, so everything downstream (casework, Kibana, reports) reads one shape.
Merging a re-crawl into an existing lead lives here too, so both backends keep workflow state the same way.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.lead import (
    CONTACT_KINDS,
    DEFAULT_SOURCE,
    ENTITY_KINDS,
    SOURCES,
    STATUSES,
    Capture,
    Detection,
    LeadDocument,
    Listing,
    iso_utc,
    lead_id,
)
from index.district import DistrictFinder, configured_districts

# Listing fields copied onto the lead as they are (evidence of the fetch and what the listing shows).
LISTING_FIELDS: tuple[str, ...] = (
    "platform", "url", "canonical_url", "title", "text", "price", "seller", "seller_url", "location",
    "images", "image_urls", "content_sha256", "raw_sha256", "raw_path", "screenshot_path", "screenshot_sha256",
    "warc_path",
)
# Fields only the workflow (casework) changes; a re-crawl never touches them.
WORKFLOW_FIELDS: tuple[str, ...] = (
    "status", "assignee", "dismissal_reason", "takedown_deadline", "status_changed_at", "status_changed_by",
    "notes", "audit", "complaints",
)


def contacts_from(entities: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Contacts shown in the listing, grouped by kind, in order of appearance without repeats."""
    found: dict[str, list[str]] = {kind: [] for kind in CONTACT_KINDS}
    for entity in entities:
        kind = ENTITY_KINDS.get(str(entity.get("type", "")).lower())
        text = str(entity.get("text") or "").strip()
        if kind in found and text and text not in found[kind]:
            found[kind].append(text)
    return found


def _first_entity(entities: list[dict[str, Any]], kind: str) -> str | None:
    for entity in entities:
        if ENTITY_KINDS.get(str(entity.get("type", "")).lower()) == kind and str(entity.get("text") or "").strip():
            return str(entity["text"]).strip()
    return None


def observation(listing: Listing, detection: Detection, districts: DistrictFinder | None = None) -> LeadDocument:
    """The lead fields one fetch of a listing determines (everything except history and workflow); the district
    is found with `districts` (a store passes the one it opened with), else with the configured ones."""
    canonical = listing.get("canonical_url") or listing.get("url")
    if not canonical:
        raise ValueError("a listing needs a canonical_url (or url) to become a lead")
    entities: list[dict[str, Any]] = [dict(entity) for entity in detection.entities]
    doc: LeadDocument = {field: listing.get(field) for field in LISTING_FIELDS}
    doc["canonical_url"] = canonical
    doc["images"] = [str(p) for p in listing.get("images") or []]
    doc["image_urls"] = [str(u) for u in listing.get("image_urls") or []]
    doc["id"] = lead_id(canonical)
    doc["fetched_at"] = iso_utc(listing.get("fetched_at"))
    doc["labels"] = list(detection.labels)
    doc["scores"] = dict(detection.scores)
    doc["risk"] = detection.risk
    doc["solicitation"] = detection.solicitation
    doc["evidence"] = [span.copy() for span in detection.evidence]
    doc["entities"] = entities
    doc["contacts"] = contacts_from(entities)
    doc["agency_code"] = _first_entity(entities, "agency_code")
    doc["agency_name"] = _first_entity(entities, "agency_name")
    doc["district"] = (districts or configured_districts()).find(listing.get("location"), listing.get("seller"),
                                                                 doc["agency_name"])
    doc["listing_status"] = listing.get("status") or "active"
    doc["source"] = source_of(listing)
    capture = listing.get("capture")
    doc["captures"] = [_capture_entry(capture)] if isinstance(capture, Mapping) else []
    if listing.get("read_without_rendering"):
        doc["read_without_rendering"] = str(listing["read_without_rendering"])
    shows = listing.get("screenshot_shows")
    if shows:
        doc["screenshot_shows"] = {"passages": int(shows["passages"]), "shown": int(shows["shown"]),
                                   "missing": [str(text) for text in shows["missing"]]}
    return doc


def source_of(doc: Mapping[str, Any]) -> str:
    """The source of a lead or listing (`sweep` when it says none, as documents written before sources did)."""
    source = doc.get("source") or DEFAULT_SOURCE
    if source not in SOURCES:
        raise ValueError(f"unknown lead source {source!r}: use one of {', '.join(SOURCES)}")
    return str(source)


def _capture_entry(capture: Mapping[str, Any]) -> Capture:
    """Who captured a listing by hand, when, why, and for which complaint (if any)."""
    return {"at": iso_utc(capture.get("at")), "by": str(capture.get("by") or ""),
            "note": str(capture.get("note") or ""), "complaint": capture.get("complaint")}


def merge(existing: LeadDocument | None, seen: LeadDocument) -> LeadDocument:
    """The lead after observation `seen`: content and scores from the newest fetch, history kept, workflow kept.

    Replaying the same observation twice gives the same lead (seen_count counts distinct fetch times), which is
    what makes re-indexing a crawl and replaying the spool safe.
    """
    fetched = seen["fetched_at"]
    lead: LeadDocument
    if existing is None:
        lead = dict(seen)
        lead.update(first_seen=fetched, last_seen=fetched, seen_count=1, status="new", notes=[], audit=[],
                    complaints=[], removed_at=None, cluster_id=seen.get("cluster_id") or seen["id"])
        return lead
    lead = dict(existing)
    # A lead keeps the source it came in by; every capture is added to its history once.
    source = source_of(existing)
    captures = list(existing.get("captures") or [])
    captures += [entry for entry in seen.get("captures") or [] if entry not in captures]
    newer = fetched > (existing.get("last_seen") or "")
    if fetched >= (existing.get("last_seen") or ""):
        district = lead.get("district")
        lead.update({k: v for k, v in seen.items() if k not in WORKFLOW_FIELDS and k != "cluster_id"})
        for field in ("read_without_rendering", "screenshot_shows"):  # said of an earlier fetch only
            if field not in seen:
                lead.pop(field, None)
        # A district a reviewer set stays; a district the listing shows fills an empty one.
        lead["district"] = district or seen.get("district")
        lead["last_seen"] = fetched
        if seen.get("listing_status") != "removed":
            lead["removed_at"] = None
    if newer:
        lead["seen_count"] = int(existing.get("seen_count") or 0) + 1
    lead["first_seen"] = min(existing.get("first_seen") or fetched, fetched)
    lead["cluster_id"] = existing.get("cluster_id") or seen.get("cluster_id") or seen["id"]
    lead["source"] = source
    lead["captures"] = captures
    return lead


def mark_seen(existing: LeadDocument, fetched_at: Any) -> LeadDocument:
    """The lead after a re-fetch that found the content unchanged (no new detection)."""
    lead = dict(existing)
    fetched = iso_utc(fetched_at)
    if fetched > (existing.get("last_seen") or ""):
        lead["last_seen"] = fetched
        lead["seen_count"] = int(existing.get("seen_count") or 0) + 1
        lead["listing_status"] = "active"
        lead["removed_at"] = None
    return lead


def mark_removed(existing: LeadDocument, at: Any) -> LeadDocument:
    """The lead after the crawler found the listing gone (the workflow status is casework's to change)."""
    lead = dict(existing)
    lead["listing_status"] = "removed"
    lead["removed_at"] = lead.get("removed_at") or iso_utc(at)
    return lead


def apply_workflow(existing: LeadDocument, changes: Mapping[str, Any], event: Mapping[str, Any]) -> LeadDocument:
    """The lead after one workflow change: fields set, the audit event appended (never rewritten)."""
    forbidden = set(changes) & {"id", "audit", "notes", "first_seen", "last_seen", "seen_count", "cluster_id"}
    if forbidden:
        raise ValueError(f"update_workflow cannot change {', '.join(sorted(forbidden))}")
    if "status" in changes and changes["status"] not in STATUSES:
        raise ValueError(f"unknown status {changes['status']!r}: use one of {', '.join(STATUSES)}")
    lead = dict(existing)
    lead.update(changes)
    stamped = {**event, "at": iso_utc(event.get("at"))}
    if "status" in changes:
        lead["status_changed_at"] = stamped["at"]
        lead["status_changed_by"] = event.get("by")
    lead["audit"] = [*(existing.get("audit") or []), stamped]
    return lead


def append_note(existing: LeadDocument, note: Mapping[str, Any]) -> LeadDocument:
    """The lead with one more reviewer note `{at, by, text}`."""
    text = str(note.get("text") or "").strip()
    if not text:
        raise ValueError("a note needs text")
    lead = dict(existing)
    entry = {"at": iso_utc(note.get("at")), "by": note.get("by"), "text": text}
    lead["notes"] = [*(existing.get("notes") or []), entry]
    return lead
