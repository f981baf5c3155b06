"""Nothing silent: leads without a district count and filter as 未知 on both stores (stats, the console, the weekly
report); `lantian leads migrate --to URL` copies leads with statuses and audit into the real Elasticsearch."""
from __future__ import annotations

import json
import re
import uuid

import pytest
from fastapi.testclient import TestClient
from rich.console import Console
from typer.testing import CliRunner

from casework import leads_cli, workflow
from casework.console.app import create_app
from core.lead import Lead
from index import LeadQuery
from index.es_client import client_from_env
from index.es_store import EsLeadStore
from lantian.cli import app
from tests.fixtures.casework import detection, listing


def _seed(target) -> dict[str, Lead]:
    placed = listing(1, location="上海 浦东新区")
    nowhere = listing(2, location="", seller="某某知识产权")
    also_nowhere = listing(3, location="全国可办", seller="代理")
    return {"placed": target.upsert(placed, detection(placed)), "nowhere": target.upsert(nowhere, detection(nowhere)),
            "also_nowhere": target.upsert(also_nowhere, detection(also_nowhere))}


def _check_unknown_district(target, leads) -> None:
    target.flush()
    assert target.counts(by="district") == {"未知": 2, "浦东新区": 1}
    unknown = {lead.id for lead in target.iter_leads(LeadQuery(districts=["未知"]))}
    assert unknown == {leads["nowhere"].id, leads["also_nowhere"].id}
    both = {lead.id for lead in target.iter_leads(LeadQuery(districts=["未知", "浦东新区"]))}
    assert both == {lead.id for lead in leads.values()}


def test_leads_without_a_district_count_and_filter_as_unknown(store, users_file, monkeypatch):
    leads = _seed(store)
    _check_unknown_district(store, leads)
    monkeypatch.setattr(leads_cli, "console", Console(width=200))
    stats = CliRunner().invoke(app, ["leads", "stats", "--by", "district"])
    assert stats.exit_code == 0 and re.search(r"未知\s*│\s*2", stats.output), stats.output
    listed = CliRunner().invoke(app, ["leads", "list", "--district", "未知", "--json"])
    assert {json.loads(line)["id"] for line in listed.output.splitlines()} == {
        leads["nowhere"].id, leads["also_nowhere"].id}

    client = TestClient(create_app(store, users_file), follow_redirects=True)
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    client.post("/login", data={"username": "alice", "password": "reviewer-pass-1", "csrf_token": token})
    html = client.get("/leads", params={"district": "未知"}).text
    assert leads["nowhere"].id in html and leads["placed"].id not in html
    assert '<option value="未知" selected' in html


@pytest.mark.slow
@pytest.mark.elasticsearch
def test_unknown_district_on_elasticsearch(es_store):
    _check_unknown_district(es_store, _seed(es_store))


@pytest.mark.slow
@pytest.mark.elasticsearch
def test_leads_migrate_copies_statuses_audit_and_agencies_into_elasticsearch(store, es_url, monkeypatch):
    from casework.agencies import refresh
    from casework.config import load_risk_config

    leads = _seed(store)
    lead_id = leads["placed"].id
    for to in ("reviewing", "confirmed"):
        workflow.set_status(store, lead_id, to, by="alice", why="证据充分")
    workflow.set_field(store, leads["nowhere"].id, "assignee", "bob", by="root")
    store.add_note(lead_id, {"at": "2026-11-21T08:00:00Z", "by": "alice", "text": "已电话核实"})
    refresh(store, load_risk_config(), use_images=False)
    before = store.get(lead_id)
    store.flush()

    prefix = f"migrate-{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(leads_cli, "console", Console(width=200))
    result = CliRunner().invoke(app, ["leads", "migrate", "--to", es_url, "--index-prefix", prefix])
    assert result.exit_code == 0, result.output
    assert "3 lead(s) and" in result.output and "done:" in result.output
    # The migrated store is used only with its own index prefix, which no variable overrides.
    assert f"elasticsearch.index_prefix to {prefix} in config/lantian.yaml" in result.output

    target = EsLeadStore(es_url, index_prefix=prefix)
    try:
        copied = target.get(lead_id)
        assert copied.status == "confirmed" and copied.audit == before.audit
        assert copied.notes == before.notes and copied.first_seen == before.first_seen
        assert target.get(leads["nowhere"].id).assignee == "bob"
        assert target.counts(by="status") == {"confirmed": 1, "new": 2}
        assert len(target.search_agencies(limit=100)) == len(store.search_agencies(limit=100)) > 0
        # The migrated store is a working store: the workflow goes on there.
        moved = workflow.set_status(target, lead_id, "takedown_requested", by="root")
        assert [e["to"] for e in moved.audit] == ["reviewing", "confirmed", "takedown_requested"]
        again = CliRunner().invoke(app, ["leads", "migrate", "--to", es_url, "--index-prefix", prefix])
        assert again.exit_code == 0 and target.count() == 3
    finally:
        target.close()
        client = client_from_env(es_url)
        client.indices.delete(index=",".join(client.indices.get(index=f"{prefix}-*")))
        client.close()
