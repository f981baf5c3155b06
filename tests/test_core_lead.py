"""The detection document: a typed model that writes the same JSON document the detector always wrote."""
from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from core.lead import Detection, lead_id, listing_lead_id

DOCUMENT = {
    "id": "L1", "labels": ["insider_channel"], "scores": {"insider_channel": 0.91, "impersonation": 0.02},
    "evidence": [{"label": "insider_channel", "field": "text", "start": 0, "end": 4, "text": "内部渠道",
                  "rule": "insider.channel", "note": "备案号不符"}],
    "entities": [{"type": "phone", "text": "13800138000", "value": "13800138000", "field": "text", "start": 5,
                  "end": 16}],
    "risk": 0.91, "solicitation": 0.8, "image_text": "图中文字", "reviewed_by": "a newer detector's field",
}


def test_a_detection_writes_back_the_document_it_was_made_from_byte_for_byte() -> None:
    detection = Detection.model_validate(DOCUMENT)
    assert json.dumps(detection.document(), ensure_ascii=False) == json.dumps(DOCUMENT, ensure_ascii=False)
    assert detection.evidence[0]["rule"] == "insider.channel"  # a span's field outside the type travels whole


def test_fields_a_detection_was_not_given_stay_out_of_its_document() -> None:
    nothing_found = Detection(labels=[])
    assert nothing_found.document() == {"labels": []}
    assert (nothing_found.risk, nothing_found.solicitation, nothing_found.evidence) == (0.0, None, [])


@pytest.mark.parametrize("field, value", [
    ("risk", float("nan")), ("risk", float("inf")), ("risk", 1.5), ("solicitation", float("nan")),
    ("scores", {"impersonation": float("nan")}), ("scores", {"impersonation": -0.1}),
])
def test_a_score_that_is_not_a_number_from_0_to_1_is_refused_where_the_detection_is_made(
        field: str, value: object) -> None:
    # The embedded store keeps risk in a NOT NULL column, and SQLite stores NaN as NULL: one such detection used to
    # abort its whole batch with "NOT NULL constraint failed: leads.risk", losing every lead written with it.
    with pytest.raises(ValidationError, match=field):
        Detection.model_validate({**DOCUMENT, field: value})


def test_a_listing_is_seen_for_the_lead_of_its_own_id_else_of_its_canonical_url_else_of_its_url() -> None:
    canonical, final = "http://market.example/item/7", "http://market.example/item/7?from=search"
    assert listing_lead_id({"id": "L7", "canonical_url": canonical}) == "L7"
    assert listing_lead_id({"canonical_url": canonical, "url": final}) == lead_id(canonical)
    assert listing_lead_id({"url": final}) == lead_id(final) != lead_id(canonical)
