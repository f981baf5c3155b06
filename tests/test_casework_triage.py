"""Triage: the review queue ranks by an explainable, configurable priority, and "uncertain first" ranks by the
distance of the label scores to the detector's thresholds."""
from __future__ import annotations

import json
from datetime import UTC, datetime

from rich.console import Console
from typer.testing import CliRunner

from casework import leads_cli
from casework.config import load_triage_config
from casework.triage import Triage, label_thresholds, priority
from core.config import read_yaml
from core.lead import Lead
from core.settings import config_dir
from crawler.platforms import display_names
from index import LeadQuery
from lantian.cli import app
from tests.fixtures.casework import detection, listing

NOW = datetime(2026, 11, 21, tzinfo=UTC)


def _lead(store, n, labels, *, risk, phone=None, platform="market", scores=None, fetched_at="2026-11-20T08:00:00Z"):
    item = listing(n, platform=platform, fetched_at=fetched_at)
    found = detection(item, labels, phone=phone, risk=risk)
    if scores is not None:
        found.scores = scores
    return store.upsert(item, found)


def _listed(*args: str) -> list[dict]:
    result = CliRunner().invoke(app, ["leads", "list", *args, "--json"])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines()]


def test_leads_list_ranks_by_priority_by_default_not_by_risk(store):
    # Nearly every lead has risk ~1.0 after a crawl; a serious repeat offender must still come first.
    lone = _lead(store, 1, ["insider_channel"], risk=1.0, fetched_at="2026-09-01T08:00:00Z")
    repeat = _lead(store, 2, ["impersonation", "insider_channel"], risk=0.97, phone="13900000001")
    _lead(store, 3, ["insider_channel"], risk=0.99, phone="13900000001", platform="services")
    store.flush()
    listed = _listed()
    assert [lead["id"] for lead in listed][0] == repeat.id
    assert listed[-1]["id"] == lone.id
    why = {r["what"]: r["points"] for r in listed[0]["priority_reasons"]}
    assert why["违法情形：冒用官方名义、标识"] == 40
    assert why["同一机构代码或联系方式另有 1 条线索"] == 4
    assert listed[0]["priority"] == round(sum(why.values()), 1)
    by_risk = _listed("--sort", "risk")
    assert by_risk[0]["id"] == lone.id


def test_the_table_shows_why_each_lead_ranks_where_it_does(store, monkeypatch):
    monkeypatch.setattr(leads_cli, "console", Console(width=250))
    _lead(store, 1, ["impersonation"], risk=0.9)
    store.flush()
    result = CliRunner().invoke(app, ["leads", "list"])
    assert result.exit_code == 0, result.output
    assert "why it ranks here" in result.output and "违法情形：冒用官方名义、标识 +40" in result.output


def test_on_an_80_column_terminal_each_lead_reads_as_lines_not_as_two_character_strips(store, monkeypatch):
    # An 80-column terminal (and any output piped to a file) folded ten table columns into strips of two characters:
    # neither a title nor a reason could be read. There each lead now takes a few lines, whole words on each.
    monkeypatch.setattr(leads_cli, "console", Console(width=80))
    title = "上海商标注册官方窗口 静安区可上门 个人公司均可注册"
    item = listing(1, title=title)
    store.upsert(item, detection(item, ["impersonation", "insider_channel", "unlicensed_agency"],
                                 phone="13900000001", risk=0.98))
    _lead(store, 2, ["insider_channel"], risk=0.9, phone="13900000001")
    store.flush()
    result = CliRunner().invoke(app, ["leads", "list", "--label", "impersonation"])
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.output.splitlines()]
    assert max(len(line) for line in result.output.splitlines()) <= 80
    assert any(line.endswith(title) for line in lines), result.output
    listed = _listed("--label", "impersonation")[0]
    assert any(line.startswith(listed["id"][:12]) and f"priority {listed['priority']:g}" in line for line in lines)
    for reason in listed["priority_reasons"]:  # every reason whole on one line, its points with it
        assert any(f"{reason['what']} +{reason['points']:g}" in line for line in lines), (reason, result.output)


def test_every_item_of_the_priority_comes_from_the_config_and_says_why():
    config = load_triage_config()
    lead = Lead(id="x", labels=["impersonation", "insider_channel"], platform="market",
                last_seen="2026-11-14T00:00:00Z", source="complaint")
    ranked = priority(lead, config, others=12, agency_class="D", now=NOW)
    points = {r.what: r.points for r in ranked.reasons}
    assert points == {
        "违法情形：冒用官方名义、标识": config.label_severity["impersonation"],
        "违法情形：声称内部渠道、快速授权": config.label_severity["insider_channel"],
        "一条信息同时涉及 2 种违法情形": config.extra_labels.points,
        "同一机构代码或联系方式另有 12 条线索": config.repeat_offender.per_other_lead.cap
        * config.repeat_offender.per_other_lead.points,
        "所属机构风险分类 D 类": config.repeat_offender.agency_class["D"],
        "平台影响面（market）": config.platform_reach["market"],
        "最近发现于 7 天前": round(config.recency.points / 2, 1),  # one half-life ago
        "有群众投诉指向该信息": config.complaint,
    }
    tuned = config.model_copy(update={"complaint": 0.0})
    assert priority(lead, tuned, others=12, agency_class="D", now=NOW).score == ranked.score - config.complaint


def test_the_queue_names_the_platform_as_staff_know_it_in_its_reasons(store):
    item = listing(1, platform="market")
    lead = store.upsert(item, detection(item))
    reasons = [r.what for r in Triage(store).priority(lead).reasons]
    assert f"平台影响面（{display_names()['market']}）" in reasons and "平台影响面（market）" not in reasons


def test_uncertain_first_orders_by_distance_to_the_threshold(store):
    thresholds = {"impersonation": 0.6, "insider_channel": 0.4}
    far = _lead(store, 1, ["impersonation"], risk=0.9, scores={"impersonation": 0.98, "insider_channel": 0.01})
    near = _lead(store, 2, [], risk=0.3, scores={"impersonation": 0.58, "insider_channel": 0.1})
    middle = _lead(store, 3, ["insider_channel"], risk=0.5, scores={"impersonation": 0.2, "insider_channel": 0.55})
    store.flush()
    page = Triage(store, thresholds=thresholds).rank(LeadQuery(limit=10), "uncertain", now=NOW)
    assert [lead.id for lead in page.leads] == [near.id, middle.id, far.id]
    assert [lead.uncertainty for lead in page.leads] == [0.02, 0.15, 0.38]


def test_leads_list_order_uncertain_uses_the_trained_models_thresholds(store):
    thresholds = label_thresholds()
    scores = [{label: min(max(value + offset, 0.0), 1.0) for label, value in thresholds.items()}
              for offset in (0.3, -0.01, 0.12)]
    leads = [_lead(store, n, [], risk=0.5, scores=s) for n, s in enumerate(scores, 1)]
    store.flush()
    listed = _listed("--order", "uncertain")
    assert [lead["id"] for lead in listed] == [leads[1].id, leads[2].id, leads[0].id]


def test_thresholds_come_from_detector_yaml_in_rules_only_mode(tmp_path):
    rules_only = label_thresholds(model_meta=tmp_path / "no-model.json")
    assert rules_only == {k: float(v) for k, v in read_yaml(config_dir() / "detector" / "detector.yaml")
                          ["thresholds"].items()}
    meta = tmp_path / "model.json"
    meta.write_text(json.dumps({"thresholds": {"impersonation": 0.77}}))
    assert label_thresholds(model_meta=meta)["impersonation"] == 0.77
