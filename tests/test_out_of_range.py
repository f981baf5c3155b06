"""Out-of-range numbers from the user are refused with a 400 or a clear message, never a 500 or a traceback."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from casework.console.app import create_app
from index import LeadQuery
from lantian.cli import app
from tests.fixtures.casework import detection, listing
from tests.test_casework_console import _login

HUGE = "99999999999999999999"


@pytest.fixture
def one_lead(store: Any) -> dict[str, Any]:
    item = listing(1)
    return store.upsert(item, detection(item))


@pytest.mark.parametrize(("fields", "message"), [
    ({"offset": int(HUGE)}, "a page reaches at most lead 10,000"),
    ({"offset": 9_990, "limit": 20}, "a page reaches at most lead 10,000"),
    ({"min_risk": float("nan")}, "min_risk must be a number from 0 to 1"),
    ({"max_risk": 2.0}, "max_risk must be a number from 0 to 1"),
])
def test_lead_query_refuses_what_no_store_can_answer(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LeadQuery(**fields)


@pytest.mark.parametrize("args", [["leads", "list", "--offset", HUGE], ["leads", "list", "--sort", "risk",
                                                                         "--offset", HUGE]])
def test_cli_offset(one_lead: dict[str, Any], args: list[str]) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, (result.output, result.exception)
    assert "a page reaches at most lead 10,000" in result.output


def test_cli_agencies_limit(one_lead: dict[str, Any]) -> None:
    result = CliRunner().invoke(app, ["agencies", "list", "--limit", HUGE])
    assert result.exit_code == 2 and "Invalid value for '--limit'" in result.output


@pytest.mark.parametrize("query", [f"page={HUGE}", f"page={HUGE}&sort=risk", "page=abc", "min_risk=nan",
                                   "min_risk=1e400", "since=99999-99-99"])
def test_console_page_and_filters(one_lead: dict[str, Any], store: Any, users_file: Path, query: str) -> None:
    client = TestClient(create_app(store, users_file), follow_redirects=True, raise_server_exceptions=False)
    _login(client, "alice", "reviewer-pass-1")
    response = client.get(f"/leads?{query}")
    assert response.status_code == 400, response.text[:300]
