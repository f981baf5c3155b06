"""The console, agency risk and takedowns on the Elasticsearch backend (the same behaviour as embedded)."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from casework.config import load_takedown_config
from casework.console.app import create_app
from casework.takedown import request_takedowns
from tests.fixtures.casework import HOSTILE_TITLE, detection, listing

pytestmark = [pytest.mark.slow, pytest.mark.elasticsearch]


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.mark.usefixtures("office")
def test_console_review_flow_on_elasticsearch(es_store, users_file, tmp_path):
    hostile = listing(1, platform="market", title=HOSTILE_TITLE)
    plain = listing(2, platform="services", seller="王五知产")
    lead, other = es_store.upsert(hostile, detection(hostile, phone="13811110000")), \
        es_store.upsert(plain, detection(plain, phone="13811110000"))
    es_store.flush()
    client = TestClient(create_app(es_store, users_file), follow_redirects=True)
    page = client.get("/login")
    page = client.post("/login", data={"username": "root", "password": "admin-pass-123",
                                       "csrf_token": _token(page.text)})
    token = _token(page.text)
    listed = client.get("/leads", params={"platform": "market"}).text
    assert lead.id in listed and other.id not in listed and "<script>" not in listed
    for to in ("reviewing", "confirmed"):
        client.post(f"/leads/{lead.id}/change",
                    data={"action": "status", "value": to, "why": "证据充分", "csrf_token": token})
    es_store.flush()
    confirmed = client.get("/leads", params={"status": "confirmed"}).text
    assert lead.id in confirmed and other.id not in confirmed
    page = client.post("/admin/agencies/refresh", data={"csrf_token": token})
    assert "已更新 1 个机构的风险分类" in page.text
    es_store.flush()
    agencies = [a for a in es_store.search_agencies() if not a.superseded]
    assert len(agencies) == 1 and set(agencies[0].lead_ids) == {lead.id, other.id}
    detail = client.get(f"/leads/{lead.id}").text
    assert detail.count('class="audit-event"') == 2 and "&lt;script&gt;" in detail
    assert f'href="/leads/{other.id}"' in detail  # the agency's other lead

    result = request_takedowns(es_store, "market", load_takedown_config(), tmp_path, by="root")
    assert result.moved == [lead.id]
    assert es_store.get(lead.id).status == "takedown_requested"
