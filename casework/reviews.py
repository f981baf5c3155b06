"""Learning from review: reviewer decisions exported as labelled examples for the detector's training corpus.

A confirmed lead is a positive example with the labels its reviewer confirmed (`Lead.confirmed_violations`); a
dismissed lead is a reviewed negative (often a hard negative the detector got wrong), with no labels. One JSON
object a line, in the detector's corpus format (`detector.training.corpus.Item`), so `lantian train
--with-reviews` reads it like its own splits.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from casework.workflow import CONFIRMED_STATUSES, status_events
from core.labels import OFFERS_PATENT_AGENCY, UNLICENSED_AGENCY
from core.lead import Lead

POSITIVE = frozenset(CONFIRMED_STATUSES)


def _decided(lead: Lead) -> bool:
    return bool(status_events(lead, ("confirmed", "dismissed")))


def example(lead: Lead) -> dict[str, Any] | None:
    """The corpus item a reviewed lead gives (the fields of `detector.training.corpus.Item`), or None if nobody
    decided on it yet. The reviewer and reason stay in the lead's audit trail, which the id points back to."""
    if not _decided(lead) or lead.status not in POSITIVE | {"dismissed"}:
        return None
    positive = lead.status in POSITIVE
    found = lead.confirmed_violations() if positive else []  # a label the reviewer unticked is not taught
    offers = UNLICENSED_AGENCY in found or lead.scores.get(OFFERS_PATENT_AGENCY, 0) >= 0.5
    return {
        "id": f"review-{lead.id}",
        "title": lead.title or "",
        "text": lead.text or "",
        "seller": lead.seller or "",
        "agency_code": lead.agency_code or "",
        "labels": found,
        "offers_patent_agency": offers,
        "kind": "violation" if positive else "hard_negative",
        "template_id": f"review/{lead.id}",
        "split": "train",
        "group": "review",
        "evasion": "",
    }


def export_reviews(leads: Iterable[Lead], path: Path) -> dict[str, int]:
    """Write the examples as JSONL; returns counts of positives and negatives."""
    counts = {"positive": 0, "negative": 0}
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        for lead in leads:
            item = example(lead)
            if item is None:
                continue
            counts["positive" if item["kind"] == "violation" else "negative"] += 1
            handle.write(json.dumps(item, ensure_ascii=False) + "\n")
    return counts
