"""`lantian simulator ...`: export without serving, start errors and the admin commands against a live instance."""
from __future__ import annotations

import csv
import json
import socket
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from simulator import SimulatorServer
from simulator.cli import app

runner = CliRunner()


def test_export_writes_the_documented_files(tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", "--seed", "3", "--listings", "120", "--port-base", "8700",
                                 "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    endpoints = json.loads((tmp_path / "endpoints.json").read_text())
    assert endpoints["market"] == "http://127.0.0.1:8700" and endpoints["services"] == "http://127.0.0.1:8704"
    records = [json.loads(line) for line in (tmp_path / "ground_truth.jsonl").read_text().splitlines()]
    assert len(records) == 120
    assert set(records[0]) == {"id", "platform", "url", "title", "labels", "kind", "group", "evasion", "seller",
                               "seller_id", "agency_code", "in_registry", "offers_patent_agency", "keywords",
                               "duplicate_of", "status", "removed_as", "quirk", "version"}
    with open(tmp_path / "registry.csv", encoding="utf-8") as handle:
        assert csv.DictReader(handle).fieldnames == ["code", "name", "district"]


def test_export_matches_what_start_serves(tmp_path: Path, simulator_factory: Callable[..., SimulatorServer]) -> None:
    runner.invoke(app, ["export", "--seed", "3", "--listings", "80", "--out", str(tmp_path)])
    exported = [json.loads(line) for line in (tmp_path / "ground_truth.jsonl").read_text().splitlines()]
    served = simulator_factory(seed=3, listings=80).ground_truth()
    assert [(r["id"], r["title"], r["labels"]) for r in exported] == [(r["id"], r["title"], r["labels"])
                                                                      for r in served]


def test_start_reports_a_busy_port_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(app, ["start", "--listings", "20", "--port-base", str(port), "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert f"port {port} (market) is already in use" in result.output
    assert "Traceback" not in result.output


def test_bad_options_are_clear_errors(tmp_path: Path) -> None:
    result = runner.invoke(app, ["start", "--fault-rate", "2", "--out", str(tmp_path)])
    assert result.exit_code == 1 and "--fault-rate must be in [0, 1)" in result.output
    result = runner.invoke(app, ["admin", "remove", "L000001", "--endpoints", str(tmp_path / "none.json")])
    assert result.exit_code == 1 and "not found" in result.output


def test_admin_commands_change_a_running_instance(simulator_factory: Callable[..., SimulatorServer]) -> None:
    sim = simulator_factory(listings=60)
    endpoints = ["--endpoints", str(sim.endpoints_path)]
    result = runner.invoke(app, ["admin", "remove", "L000003", "--mode", "404", *endpoints])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["removed_as"] == "404"
    result = runner.invoke(app, ["admin", "edit", "L000004", "--title", "新标题", "--labels", "", *endpoints])
    assert json.loads(result.output)["title"] == "新标题"
    result = runner.invoke(app, ["admin", "add", "services", "--title", "代写专利", "--text", "个人代写专利申请",
                                 "--labels", "unlicensed_agency", "--keywords", "专利申请", *endpoints])
    added = json.loads(result.output)
    assert added["platform"] == "services" and added["labels"] == ["unlicensed_agency"]
    result = runner.invoke(app, ["admin", "restore", "L999999", *endpoints])
    assert result.exit_code == 1 and "unknown listing id" in result.output
    truth = {r["id"]: r for r in sim.ground_truth()}
    assert truth["L000003"]["status"] == "removed" and truth["L000004"]["version"] == 2
