"""`lantian leads ...` against the embedded store: tables, filters, JSON output, clear errors."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from casework import leads_cli
from index.sqlite_store import SqliteLeadStore
from lantian.cli import app
from tests.test_index_store import IMPERSONATION_AD, detection, listing

runner = CliRunner()


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LANTIAN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("LANTIAN_ES_URL", raising=False)
    monkeypatch.setattr(leads_cli, "console", Console(width=200))
    store = SqliteLeadStore(tmp_path / "index" / "leads.sqlite3")
    store.upsert(listing(1, title=IMPERSONATION_AD[0], text=IMPERSONATION_AD[1], location="上海市浦东新区"),
                 detection(("impersonation", "insider_channel"), risk=0.93, solicitation=0.88))
    store.upsert(listing(2, title="高价收专利代理师证", text="资质挂靠 不用坐班", location="上海市静安区"),
                 detection(("qualification_lending",), risk=0.75))
    store.upsert(listing(3), detection((), risk=0.02))
    store.add_note(listing(1)["id"], {"by": "chen", "text": "已取证"})
    store.close()
    return tmp_path


def test_list_filters_and_highlights(data_dir: Path) -> None:
    result = runner.invoke(app, ["leads", "list", "--label", "impersonation", "--text", "内部渠道"])
    assert result.exit_code == 0, result.output
    assert "1 lead(s)" in result.output and listing(1)["id"][:12] in result.output
    assert "内部渠道" in result.output and listing(2)["id"][:12] not in result.output
    lines = runner.invoke(app, ["leads", "list", "--min-risk", "0.5", "--json"]).output.splitlines()
    assert [json.loads(line)["risk"] for line in lines] == [0.93, 0.75]


def test_show_accepts_a_prefix_and_prints_evidence_and_notes(data_dir: Path) -> None:
    result = runner.invoke(app, ["leads", "show", listing(1)["id"][:10]])
    assert result.exit_code == 0, result.output
    assert "国家知识产权局指定代理" in result.output and "浦东新区" in result.output
    assert "已取证" in result.output and "impersonation" in result.output and "93%" in result.output
    assert re.search(r"solicitation\s+88%", result.output)
    unscored = runner.invoke(app, ["leads", "show", listing(2)["id"][:10]])
    assert re.search(r"solicitation\s+—", unscored.output)  # a lead detected before the score existed
    missing = runner.invoke(app, ["leads", "show", "0" * 40])
    assert missing.exit_code == 1 and "no lead" in missing.output


def test_a_lead_read_without_rendering_is_shown_and_listed_as_such(data_dir: Path) -> None:
    why = "浏览器渲染时页面卡死，已按网页原文读取，未经渲染"
    store = SqliteLeadStore(data_dir / "index" / "leads.sqlite3")
    store.upsert(listing(4, read_without_rendering=why), detection((), risk=0.3))
    store.close()
    shown = runner.invoke(app, ["leads", "show", listing(4)["id"][:10]])
    assert shown.exit_code == 0, shown.output
    assert re.search(r"read without rendering\s+" + why, shown.output)
    assert re.search(r"read without rendering\s+—", runner.invoke(app, ["leads", "show", listing(3)["id"][:10]]).output)
    listed = runner.invoke(app, ["leads", "list", "--read-without-rendering"])
    assert "1 lead(s)" in listed.output and listing(4)["id"][:12] in listed.output
    assert "1 lead(s) match" in runner.invoke(app, ["leads", "stats", "--read-without-rendering"]).output


def test_stats_counts_by_dimension(data_dir: Path) -> None:
    result = runner.invoke(app, ["leads", "stats", "--by", "label", "--by", "district"])
    assert result.exit_code == 0, result.output
    assert "3 lead(s) match" in result.output
    assert "qualification_lending" in result.output and "静安区" in result.output
    bad = runner.invoke(app, ["leads", "stats", "--by", "colour"])
    assert bad.exit_code == 2 and "cannot count by colour" in bad.output
    bad_date = runner.invoke(app, ["leads", "list", "--since", "yesterday"])
    assert bad_date.exit_code == 2 and "not an ISO-8601 date" in bad_date.output


def test_leads_commands_report_errors_as_every_casework_command_does(data_dir: Path) -> None:
    """One red line on standard error (casework.cli_base.fail), never on the standard output a script reads, with
    exit status 2 for a command used wrongly and 1 for a lead that is not there."""
    bad = runner.invoke(app, ["leads", "stats", "--by", "colour"])
    assert bad.exit_code == 2 and bad.stdout == "" and bad.stderr.startswith("error: cannot count by colour")
    missing = runner.invoke(app, ["leads", "show", "ffffffffffff"])
    assert missing.exit_code == 1 and missing.stdout == "" and missing.stderr.startswith("error: no lead ffffffffffff")


def test_a_misspelt_label_or_status_is_refused_not_answered_with_no_leads(data_dir: Path) -> None:
    """`--label impersonaton` or `--status open` matched nothing and printed an empty table: staff read "no such
    leads". Labels and statuses are a fixed vocabulary, so a name outside it is an error naming the right ones."""
    for args, wrong, right in (
            (["--label", "impersonaton"], "label 'impersonaton'", "impersonation (冒用官方名义、标识)"),
            (["--status", "open"], "status 'open'", "confirmed (已确认)")):
        for command in ("list", "stats"):
            result = runner.invoke(app, ["leads", command, *args])
            assert result.exit_code == 2 and result.stdout == "", result.output
            assert f"unknown {wrong}" in result.stderr and right in result.stderr


def test_a_status_may_be_named_as_staff_read_it(data_dir: Path) -> None:
    store = SqliteLeadStore(data_dir / "index" / "leads.sqlite3")
    store.set_status(listing(2)["id"], "reviewing", by="chen")
    store.close()
    by_name_zh = runner.invoke(app, ["leads", "list", "--status", "审核中", "--json"])
    assert [json.loads(line)["id"] for line in by_name_zh.stdout.splitlines()] == [listing(2)["id"]]


def test_a_platform_or_district_no_lead_has_is_named_with_the_ones_leads_have(data_dir: Path) -> None:
    result = runner.invoke(app, ["leads", "list", "--district", "浦东", "--platform", "douyin"])
    assert result.exit_code == 0 and "0 lead(s)" in result.stdout
    assert "no lead has platform 'douyin'; leads have" in result.stderr and "taobao" in result.stderr
    assert "no lead has district '浦东'" in result.stderr and "浦东新区" in result.stderr
    counted = runner.invoke(app, ["leads", "stats", "--district", "浦东"])
    assert "0 lead(s) match" in counted.stdout and "浦东新区" in counted.stderr
    found = runner.invoke(app, ["leads", "list", "--district", "浦东新区"])
    assert found.stderr == ""


def test_show_says_what_risk_and_solicitation_are(data_dir: Path) -> None:
    """Two percentages with no meaning beside them: risk is the highest label score, solicitation how far the text
    offers a service (a report or an explainer scores low), neither a label of its own."""
    shown = " ".join(runner.invoke(app, ["leads", "show", listing(1)["id"][:10]]).output.split())
    assert "risk 93% (the highest label score below)" in shown
    assert "solicitation 88% (how far the text offers the seller's services, rather than reporting" in shown
