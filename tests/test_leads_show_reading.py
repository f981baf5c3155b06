"""`lantian leads show` as staff read it: every time in Beijing with the zone named, as the console, letters and
exports give them (the store keeps UTC), each contact once, and a demo lead's link saying it opens nothing once
the demo has ended."""
from __future__ import annotations

import io
import re
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from casework import leads_cli, workflow
from lantian.cli import app
from tests.fixtures.casework import detection, listing

LATE_EVENING_UTC = "2026-11-20T23:30:00Z"  # 07:30 the next morning in Shanghai


def _shown(monkeypatch: pytest.MonkeyPatch, lead_id: str) -> str:
    terminal = io.StringIO()
    monkeypatch.setattr(leads_cli, "console", Console(file=terminal, width=200))
    result = CliRunner().invoke(app, ["leads", "show", lead_id])
    assert result.exit_code == 0, result.output
    return terminal.getvalue()


def test_leads_show_gives_times_in_beijing_with_the_zone_named(store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    item = listing(1, fetched_at=LATE_EVENING_UTC)
    lead = store.upsert(item, detection(item))
    workflow.set_status(store, lead.id, "reviewing", by="alice")
    store.flush()
    shown = _shown(monkeypatch, lead.id)
    assert "fetched                 2026-11-21 07:30:00（北京时间）" in shown
    assert "2026-11-21 07:30:00（北京时间） / 2026-11-21 07:30:00（北京时间）" in shown  # first / last seen
    assert "T23:30:00Z" not in shown and "2026-11-20" not in shown
    assert "（北京时间）" in shown.split("audit")[1]  # the audit trail's times too


def test_leads_show_lists_a_phone_written_two_ways_once(store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    item = listing(1, text="内部渠道，包授权。电话 138 0013 0001，或 13800130001。")
    phones = [{"type": "phone", "text": text, "value": "13800130001", "field": "text", "start": 0, "end": 0}
              for text in ("138 0013 0001", "13800130001")]
    lead = store.upsert(item, detection(item).model_copy(update={"entities": phones}))
    store.flush()
    assert lead.contacts["phone"] == ["138 0013 0001", "13800130001"]  # as the page writes them
    contacts = re.search(r"│ contacts +(.*?) *│", _shown(monkeypatch, lead.id))
    assert contacts is not None and contacts.group(1) == "phone: 13800130001"


def test_leads_show_names_an_agency_that_is_the_seller_once(store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    agency = "上海某某专利代理有限公司"
    item = listing(1, seller=agency)
    entity = {"type": "agency", "text": agency, "value": agency, "field": "seller", "start": 0, "end": len(agency)}
    lead = store.upsert(item, detection(item).model_copy(update={"entities": [entity]}))
    store.flush()
    assert lead.agency_name == lead.seller == agency
    shown = _shown(monkeypatch, lead.id)
    assert shown.count(agency) == 1 and re.search(r"│ agency +\(the seller\) *│", shown), shown


def test_a_demo_leads_link_says_it_opens_nothing_once_the_demo_has_ended(
        store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    demo, real = listing(1, base="http://127.0.0.1:40525"), listing(2, base="https://item.taobao.com")
    demo_lead, real_lead = (store.upsert(item, detection(item)) for item in (demo, real))
    store.flush()
    said = "stopped when the demo ended"
    assert said in " ".join(_shown(monkeypatch, demo_lead.id).split())
    assert said not in " ".join(_shown(monkeypatch, real_lead.id).split())


def test_leads_show_marks_a_label_the_reviewer_did_not_confirm(store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    item = listing(1)
    lead = store.upsert(item, detection(item, ["impersonation", "insider_channel"]))
    workflow.set_status(store, lead.id, "reviewing", by="alice")
    workflow.set_status(store, lead.id, "confirmed", by="alice", labels=["insider_channel"])
    store.flush()
    shown = _shown(monkeypatch, lead.id)
    assert re.search(r"✘ impersonation\b", shown) and re.search(r"✔ insider_channel\b", shown)
