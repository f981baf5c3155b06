"""Closed loop against the platform simulator: listings taken down through its admin API (delisted notice or 404,
on server-rendered, GBK, JavaScript and JSON-app platforms) are exactly the ones re-check marks removed; the others
persist, read as the crawler reads them (an app's listing from its embedded data)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from casework import workflow
from casework.config import load_recheck_config
from casework.recheck import recheck_leads
from core.lead import Detection

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def _listing(record: dict) -> dict:
    return {"id": record["id"], "platform": record["platform"], "url": record["url"],
            "canonical_url": record["url"], "title": record["title"], "text": record["title"],
            "seller": record["seller"], "fetched_at": "2026-11-20T08:00:00Z"}


def test_recheck_finds_the_listings_removed_on_the_simulator(store, simulator):
    # Plain violations: a re-check re-runs the detector, and a listing where no label fires counts as edited clean.
    active = [r for r in simulator.ground_truth()
              if r["status"] == "active" and not r["quirk"] and r["labels"] and r["evasion"] == "none"]
    chosen: list[dict] = []
    for platform in ("market", "services", "feed", "search", "app"):
        chosen += [r for r in active if r["platform"] == platform][:2]
    assert len(chosen) == 10
    to_remove = {chosen[0]["id"]: "delisted", chosen[2]["id"]: "404", chosen[4]["id"]: "delisted",
                 chosen[6]["id"]: "delisted", chosen[8]["id"]: "delisted"}
    past = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    lead_of: dict[str, str] = {}
    for record in chosen:
        lead = store.upsert(_listing(record), Detection(labels=["insider_channel"], risk=0.8))
        for to in ("reviewing", "confirmed"):
            workflow.set_status(store, lead.id, to, by="alice")
        workflow.set_status(store, lead.id, "takedown_requested", by="root",
                            extra={"takedown_deadline": past})
        lead_of[record["id"]] = lead.id
    try:
        for listing_id, mode in to_remove.items():
            simulator.remove(listing_id, mode=mode)
        verdicts = recheck_leads(store, load_recheck_config(), by="recheck", render=True)
    finally:
        for listing_id in to_remove:
            simulator.restore(listing_id)

    outcome = {v.lead_id: v.outcome for v in verdicts}
    assert len(outcome) == len(chosen)
    removed = {lead_of[i] for i in to_remove}
    assert {i for i, o in outcome.items() if o == "removed"} == removed
    assert {i for i, o in outcome.items() if o == "persisting"} == set(lead_of.values()) - removed
    feed_removed = store.get(lead_of[chosen[4]["id"]])
    assert feed_removed.status == "removed" and feed_removed.recheck["screenshot_sha256"]
