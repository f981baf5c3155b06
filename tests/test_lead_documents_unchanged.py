"""A lead is the same JSON it was before it became a typed model, byte for byte, wherever it leaves the code: the
document each store keeps (the embedded store's row, Elasticsearch's `_source`, whose fields the Kibana assets
read), the lead `leads show --json` and `leads list --json` print, the `lead.json` of its evidence package, and its
row in the case export.

The expected bytes (fixtures/lead_documents.json) were recorded by running `outputs` and `sources` below on the code
as it was when a lead was a dict (commit 26574d8); `record` writes them again. One scenario covers a lead that went
through review (two fetches, status changes, a note), a captured lead whose listing was removed, and a migrated
document with a field no lead type knows.
"""
from __future__ import annotations

import io
import json
import os
import sys
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from casework.config import load_takedown_config
from casework.export import evidence_package, write_cases_csv
from index.es_store import EsLeadStore
from index.kibana_setup import saved_objects
from index.sqlite_store import SqliteLeadStore
from lantian.cli import app
from tests.fixtures.casework import detection, listing
from tests.test_index_kibana import referenced_fields

EXPECTED = Path(__file__).parent / "fixtures" / "lead_documents.json"
REVIEWED, CAPTURED = listing(1), {
    **listing(2, location=""), "source": "capture",
    "capture": {"at": "2026-11-22T10:00:00Z", "by": "bob", "note": "市民来电反映", "complaint": 7}}
MIGRATED = {
    "id": "m" * 40, "platform": "feed", "url": "http://127.0.0.1:9/note/1", "canonical_url": "http://127.0.0.1:9/note/1",
    "title": "专利加急 包授权", "text": "专利加急，包授权，不成功全额退款。", "labels": ["guaranteed_outcome"],
    "risk": 0.8, "status": "dismissed", "first_seen": "2026-10-01T00:00:00Z", "last_seen": "2026-10-02T00:00:00Z",
    "seen_count": 2, "legacy_reviewer_tag": {"by": "an older console", "tags": ["退款承诺"]},
}


def fill(target: Any) -> list[str]:
    """The scenario, through the store's public methods only; returns the ids of its three leads."""
    found = detection(REVIEWED, phone="13800130001", wechat="wx_agent1", agency_code="91310000MA1FL8XQ2K")
    target.upsert(REVIEWED, found)
    target.upsert({**REVIEWED, "fetched_at": "2026-11-21T09:30:00Z"}, found)
    lead_id = REVIEWED["id"]
    target.update_workflow(lead_id, {"status": "reviewing", "assignee": "alice"},
                           {"at": "2026-11-21T10:00:00Z", "by": "alice", "action": "status", "from": "new",
                            "to": "reviewing", "why": ""})
    target.add_note(lead_id, {"at": "2026-11-21T10:05:00Z", "by": "alice", "text": "已电话核实"})
    target.update_workflow(lead_id, {"status": "confirmed"},
                           {"at": "2026-11-21T11:00:00Z", "by": "alice", "action": "status", "from": "reviewing",
                            "to": "confirmed", "why": "证据充分"})
    target.upsert(CAPTURED, detection(CAPTURED, []))
    target.mark_removed(CAPTURED["id"], at="2026-11-23T00:00:00Z")
    target.import_leads([MIGRATED])
    return [lead_id, CAPTURED["id"], MIGRATED["id"]]


def outputs(target: Any, work: Path) -> dict[str, str]:
    """Every form a lead leaves the embedded store in (`target` is the store the CLI opens too)."""
    ids = fill(target)
    out: dict[str, str] = {}
    rows = target._db.execute("SELECT id, doc FROM leads ORDER BY id").fetchall()
    out |= {f"stored {lead_id}": doc for lead_id, doc in rows}
    for lead_id in ids:
        shown = CliRunner().invoke(app, ["leads", "show", lead_id, "--json"])
        assert shown.exit_code == 0, shown.output
        out[f"show {lead_id}"] = shown.output
        package = work / f"{lead_id}.zip"
        evidence_package(target.get(lead_id), package)
        with zipfile.ZipFile(package) as archive:
            out[f"lead.json {lead_id}"] = archive.read("lead.json").decode("utf-8")
    listed = CliRunner().invoke(app, ["leads", "list", "--json", "--sort", "first_seen"])
    assert listed.exit_code == 0, listed.output
    out["list"] = listed.output
    write_cases_csv([target.get(lead_id) for lead_id in ids], work / "cases.csv", load_takedown_config())
    out["cases.csv"] = (work / "cases.csv").read_bytes().decode("utf-8")
    return out


def sources(target: EsLeadStore) -> dict[str, str]:
    """Each lead's `_source` as Elasticsearch keeps it, fields in their stored order."""
    ids = fill(target)
    target.flush()
    return {lead_id: json.dumps(target.client.get(index=target.alias, id=lead_id)["_source"], ensure_ascii=False)
            for lead_id in ids}


def expected() -> dict[str, Any]:
    return json.loads(EXPECTED.read_text(encoding="utf-8"))


def test_the_embedded_store_and_every_export_write_the_same_bytes(store: Any, tmp_path: Path) -> None:
    recorded = expected()["embedded"]
    written = outputs(store, tmp_path)
    assert sorted(written) == sorted(recorded)
    for name, text in recorded.items():
        assert written[name] == text, name
    assert "legacy_reviewer_tag" in recorded[f"stored {MIGRATED['id']}"]  # a field outside the type travelled


@pytest.mark.elasticsearch
def test_elasticsearch_keeps_the_same_source_for_every_field_kibana_reads(es_url: str, tmp_path: Path) -> None:
    recorded = expected()["elasticsearch"]
    target = EsLeadStore(es_url, index_prefix=f"unchanged-{uuid.uuid4().hex[:8]}", spool_dir=tmp_path / "spool")
    try:
        written = sources(target)
    finally:
        target.drop()
        target.client.close()
    assert written == recorded
    kibana = {field.split(".")[0] for field in referenced_fields(saved_objects())}
    reviewed = json.loads(recorded[REVIEWED["id"]])
    assert kibana <= set(reviewed), kibana - set(reviewed)  # so every field a dashboard reads is pinned above


def record(es_url: str, work: Path) -> None:
    """Write fixtures/lead_documents.json from the code on `sys.path` (run once, on the code being matched)."""
    os.environ.update(LANTIAN_DATA_DIR=str(work / "data"), LANTIAN_ES_URL="",
                      LANTIAN_CONSOLE_SECRET="test-secret-not-for-production")
    embedded = SqliteLeadStore(work / "data" / "index" / "leads.sqlite3")
    target = EsLeadStore(es_url, index_prefix=f"record-{uuid.uuid4().hex[:8]}", spool_dir=work / "spool")
    try:
        result = {"embedded": outputs(embedded, work), "elasticsearch": sources(target)}
    finally:
        embedded.close()
        target.drop()
        target.client.close()
    buffer = io.StringIO()
    json.dump(result, buffer, ensure_ascii=False, indent=1)
    EXPECTED.write_text(buffer.getvalue() + "\n", encoding="utf-8")


if __name__ == "__main__":
    record(sys.argv[1], Path(sys.argv[2]))
