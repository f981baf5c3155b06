"""Agency risk staff can defend, through `lantian agencies score/list/show` and the console: full names, licence
status from the registry, every indicator with its weight, and classes driven by confirmed violations."""
from __future__ import annotations

import re

from fastapi.testclient import TestClient
from rich.console import Console
from typer.testing import CliRunner

from casework import cli as casework_cli
from casework import workflow
from casework.agencies import indicators
from casework.console.app import create_app
from lantian.cli import app
from tests.fixtures.casework import detection, listing

REGISTRY = (
    "code,name,district\n31001,上海华信知识产权代理有限公司,浦东新区\n"
    "31002,上海远航专利代理事务所（普通合伙）,徐汇区\n"
)


def _lead(store, n, *, seller, phone=None, code=None, agency=None, labels=("impersonation",), platform="market"):
    item = listing(n, seller=seller, platform=platform)
    found = detection(item, list(labels), phone=phone, agency_code=code)
    if agency:
        found.entities.append({"type": "agency_name", "text": agency, "field": "text", "start": 0, "end": 0})
    return store.upsert(item, found)


def _confirm(store, lead):
    workflow.set_status(store, lead.id, "reviewing", by="alice")
    workflow.set_status(store, lead.id, "confirmed", by="alice", why="证据充分")


def _agencies(runner):
    result = runner.invoke(app, ["agencies", "list", "--limit", "50"])
    assert result.exit_code == 0, result.output
    return result.output


def test_classes_follow_confirmed_violations_with_licence_and_full_names(store, users_file, tmp_path,
                                                                          monkeypatch):
    registry = tmp_path / "registry.csv"
    registry.write_text(REGISTRY, encoding="utf-8")
    monkeypatch.setenv("LANTIAN_REGISTRY_PATH", str(registry))
    monkeypatch.setattr(casework_cli, "console", Console(width=250))
    huaxin = [_lead(store, n, seller="华信知产", phone="13900000001", platform=platform,
                    agency="上海华信知识产权代理有限公司" if n == 1 else None)
              for n, platform in ((1, "market"), (2, "services"), (3, "feed"))]
    borrowed = _lead(store, 4, seller="远航知识产权服务中心", code="31001", labels=("insider_channel",))
    unknown = _lead(store, 5, seller="某某商标事务所", code="39999", labels=("insider_channel",))
    _confirm(store, borrowed)
    dismissed = _lead(store, 6, seller="正规代理", phone="13700000007", labels=("impersonation", "insider_channel"))
    workflow.set_status(store, dismissed.id, "reviewing", by="alice")
    workflow.set_status(store, dismissed.id, "dismissed", by="alice", why="持证机构陈述事实")
    runner = CliRunner()

    assert runner.invoke(app, ["agencies", "score", "--no-images"]).exit_code == 0
    docs = {doc.lead_ids[0]: doc for doc in store.search_agencies(limit=50) if not doc.superseded}
    first = docs[min(lead.id for lead in huaxin)]
    assert first.name == "上海华信知识产权代理有限公司"  # the full name, not the shop's 华信知产
    assert first.licence["status"] == "licensed"
    assert docs[borrowed.id].licence["status"] == "code_of_other_agency"
    assert "上海华信知识产权代理有限公司" in docs[borrowed.id].licence["note"]
    assert docs[unknown.id].licence["status"] == "unknown_code"
    assert docs[dismissed.id].score == 0 and docs[dismissed.id].risk_level == "A"
    # Three unreviewed impersonation leads on three platforms weigh a quarter: (24 + 9 + 4 + 15) / 4 = 13.
    assert first.score == 13.0 and first.risk_level == "A"
    # One confirmed lead with another agency's code outranks them: 8 + 3 + 4 + 15 (licence) = 30.
    assert docs[borrowed.id].score == 30.0 and docs[borrowed.id].risk_level == "B"
    listed = _agencies(runner)
    assert "上海华信知识产权代理有限公司" in listed and "代码属于其他机构" in listed and "名录内持证机构" in listed

    for lead in huaxin:
        _confirm(store, lead)
    assert runner.invoke(app, ["agencies", "score", "--no-images"]).exit_code == 0
    confirmed = next(doc for doc in store.search_agencies(limit=50)
                     if not doc.superseded and huaxin[0].id in doc.lead_ids)
    assert confirmed.score == 52.0 and confirmed.risk_level == "C" and confirmed.triggered
    shown = runner.invoke(app, ["agencies", "show", confirmed.id])
    assert shown.exit_code == 0, shown.output
    text = shown.output
    assert "C 类  52.0 分  上海华信知识产权代理有限公司" in text and "名录内持证机构" in text
    assert re.search(r"违法信息条数 \(leads\)\s*│\s*3\s*│\s*0\s*│\s*8\s*│\s*10\s*│\s*24", text), text
    assert re.search(r"冒用官方名义 \(impersonation\)\s*│\s*3\s*│\s*0\s*│\s*5\s*│\s*5\s*│\s*15", text), text

    client = TestClient(create_app(store, users_file), follow_redirects=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"username": "alice", "password": "reviewer-pass-1", "csrf_token": token})
    html = client.get("/agencies").text
    row = next(part for part in html.split('<tr class="agency-row"') if f'data-id="{confirmed.id}"' in part)
    assert "上海华信知识产权代理有限公司" in row and "名录内持证机构" in row
    assert "<td>违法信息条数</td><td>3</td><td>0</td><td>8</td><td>10</td><td>24</td>" in row
    assert "未审核线索按 0.25 倍计入" in html


def test_a_label_the_reviewer_left_out_does_not_count_against_the_agency(store):
    """An agency's impersonation count and its number of violation types are of the violations reviewers
    confirmed: a label unticked at confirmation is not one of them."""
    item = listing(1)
    lead = store.upsert(item, detection(item, ["impersonation", "insider_channel"]))
    workflow.set_status(store, lead.id, "reviewing", by="alice")
    confirmed = workflow.set_status(store, lead.id, "confirmed", by="alice", labels=["insider_channel"])
    values = indicators([confirmed])
    assert (values["leads"], values["labels"], values["impersonation"]) == (1.0, 1.0, 0.0)
