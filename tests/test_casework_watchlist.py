"""The 快速预审 watch list: agencies with violations confirmed in the period, for the IP protection centre."""
from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import typer
from openpyxl import load_workbook
from typer.testing import CliRunner

from casework import workflow
from casework.cli import register
from casework.watchlist import months_before, watched_agencies
from detector.registry import AgencyRegistry
from tests.fixtures.casework import detection, listing
from tests.fixtures.detector import write_registry

HOSTILE_SELLER = '=HYPERLINK("http://evil.example","点我")'


def confirm(store: Any, lead_id: str, at: str | None = None) -> None:
    """Review and confirm a lead; `at` back-dates the confirmation (as if it had happened then)."""
    workflow.set_status(store, lead_id, "reviewing", by="alice")
    change = workflow.plan_status(store.get(lead_id), "confirmed", by="alice")
    store.update_workflow(lead_id, change.changes, {**change.event, **({"at": at} if at else {})})


@pytest.fixture
def filled(store: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("LANTIAN_REGISTRY_PATH", str(write_registry(tmp_path / "registry.csv")))
    ids: dict[str, str] = {}
    for n, seller, code, phone in ((1, "上海华信知识产权代理有限公司", "31027", "13800000001"),
                                   (2, "华信知识产权（官方店）", None, "13800000001"),
                                   (3, "上海某某商标事务所", "39999", "13800000003"),
                                   (4, HOSTILE_SELLER, None, "13800000004"),
                                   (5, "上海早年违法代理公司", None, "13800000005"),
                                   (6, "上海未审核代理公司", None, "13800000006")):
        item = listing(n, seller=seller)
        lead = store.upsert(item, detection(item, phone=phone, agency_code=code))
        ids[seller] = lead.id
    for seller in ("上海华信知识产权代理有限公司", "华信知识产权（官方店）", "上海某某商标事务所", HOSTILE_SELLER):
        confirm(store, ids[seller])
    confirm(store, ids["上海早年违法代理公司"], at="2020-01-15T08:00:00Z")  # outside any recent period
    workflow.set_status(store, ids[HOSTILE_SELLER], "takedown_requested", by="alice")  # still a violation
    return ids


def test_watch_list_rows_are_the_agencies_with_recently_confirmed_violations(store: Any, filled: dict[str, str],
                                                                            tmp_path: Path) -> None:
    registry = AgencyRegistry.load(tmp_path / "registry.csv")
    agencies = {a.name: a for a in watched_agencies(store.iter_leads(), registry, months=6)}

    assert set(agencies) == {"上海华信知识产权代理有限公司", "上海某某商标事务所", HOSTILE_SELLER}
    huaxin = agencies["上海华信知识产权代理有限公司"]
    assert set(huaxin.lead_ids) == {filled["上海华信知识产权代理有限公司"], filled["华信知识产权（官方店）"]}
    assert huaxin.aliases == ["华信知识产权（官方店）"]
    assert huaxin.codes == ["31027"] and huaxin.licence == "名录内持证机构"
    assert huaxin.violations == ["冒用官方名义、标识", "声称内部渠道、快速授权"]
    stored = store.get(filled["上海华信知识产权代理有限公司"])
    assert any(stored.raw_sha256 in line for line in huaxin.evidence)
    assert agencies["上海某某商标事务所"].licence == "未知（代码不在名录中）"
    # Eight years back, the early violation counts too; an unreviewed lead never does.
    everything = {a.name for a in watched_agencies(store.iter_leads(), registry, months=96)}
    assert "上海早年违法代理公司" in everything and "上海未审核代理公司" not in everything


def test_watchlist_command_writes_formula_safe_csv_and_xlsx(store: Any, filled: dict[str, str],
                                                           tmp_path: Path) -> None:
    cli = typer.Typer()
    register(cli)
    result = CliRunner().invoke(cli, ["agencies", "watchlist", "--months", "6", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "3 agencies" in result.output
    [csv_path] = (tmp_path / "out").glob("*.csv")
    [xlsx_path] = (tmp_path / "out").glob("*.xlsx")
    with open(csv_path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:4] == ["机构名称", "其他名称", "机构代码", "名录状态"]
    names = [row[0] for row in rows[1:]]
    assert "'" + HOSTILE_SELLER in names and HOSTILE_SELLER not in names, "a formula is written as text"
    sheet = load_workbook(xlsx_path).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert "'" + HOSTILE_SELLER in cells


def test_months_before_is_calendar_months() -> None:
    moment = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
    assert months_before(moment, 1) == datetime(2026, 2, 28, 12, 0, tzinfo=UTC)
    assert months_before(moment, 15) == datetime(2024, 12, 31, 12, 0, tzinfo=UTC)


def test_the_watch_list_names_only_the_violations_reviewers_confirmed(store: Any, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The centre pre-screens an agency's filings on what the list says it did: a label the reviewer unticked when
    confirming is not one of its violations."""
    monkeypatch.setenv("LANTIAN_REGISTRY_PATH", str(write_registry(tmp_path / "registry.csv")))
    item = listing(1, seller="上海华信知识产权代理有限公司")
    lead = store.upsert(item, detection(item, phone="13800000001", agency_code="31027"))
    workflow.set_status(store, lead.id, "reviewing", by="alice")
    workflow.set_status(store, lead.id, "confirmed", by="alice", labels=["insider_channel"])
    [agency] = watched_agencies(store.iter_leads(), AgencyRegistry.load(tmp_path / "registry.csv"))
    assert agency.violations == ["声称内部渠道、快速授权"]
