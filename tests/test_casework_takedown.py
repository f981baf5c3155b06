"""Takedown requests built from leads in a real store: DOCX and PDF read back, URL CSV, workflow moves."""
from __future__ import annotations

import csv
import re

import pytest
import typer
from docx import Document
from pypdf import PdfReader
from rich.console import Console
from typer.testing import CliRunner

from casework import workflow
from casework.cli import register
from casework.config import load_takedown_config
from casework.export import xml_safe
from casework.takedown import build_letter, operator_of, request_takedowns
from core.labels import LABELS
from crawler.platforms import display_names
from tests.fixtures.casework import detection, listing


def _confirm(store, lead):
    workflow.set_status(store, lead.id, "reviewing", by="alice")
    return workflow.set_status(store, lead.id, "confirmed", by="alice", why="证据充分")


def _squash(text: str) -> str:
    return "".join(text.split())


def _seed(store):
    confirmed = []
    titles = ("国家知识产权局指定代理 商标加急", "专业撤三 拿下别人的商标", "评职称专利 包下证 <b>&amp;\x0b\x00")
    for n, title in enumerate(titles, start=1):
        item = listing(n, platform="market", title=title, seller=f"卖家{n}")
        confirmed.append(_confirm(store, store.upsert(item, detection(item))))
    reviewing = listing(4, platform="market")
    reviewing_lead = store.upsert(reviewing, detection(reviewing))
    workflow.set_status(store, reviewing_lead.id, "reviewing", by="alice")
    elsewhere = listing(5, platform="services")
    elsewhere_lead = _confirm(store, store.upsert(elsewhere, detection(elsewhere)))
    return confirmed, reviewing_lead, elsewhere_lead


@pytest.mark.usefixtures("office")
def test_letter_lists_every_confirmed_listing_and_moves_them(store, tmp_path):
    confirmed, reviewing, elsewhere = _seed(store)
    config = load_takedown_config()
    result = request_takedowns(store, "market", config, tmp_path / "out", by="root")
    assert sorted(result.moved) == sorted(lead.id for lead in confirmed) and not result.refused

    document = Document(str(result.files["docx"]))
    body = "\n".join(p.text for p in document.paragraphs)
    assert config.letter.title in body and operator_of("market").legal_name in body
    rows = {row.cells[1].text.split("\n")[0]: [cell.text for cell in row.cells]
            for row in document.tables[0].rows[1:]}
    assert sorted(rows) == sorted(lead.url for lead in confirmed)
    for lead in confirmed:
        row = rows[lead.url]
        assert row[1] == f"{lead.url}\n商品ID：{lead.url.rsplit('=', 1)[1]}"
        assert row[2] == xml_safe(lead.title) and row[3] == lead.seller
        assert "（一）（二）正文：“国家知识产权局指定代理，内部渠道，包授权。”" in row[4]
        assert "（一）冒用官方名义" in row[5] and lead.raw_sha256 in row[6]
    assert "《中华人民共和国广告法》第九条第（二）项" in body, "the legal basis, once, in the letter's text"

    pdf_text = _squash("".join(page.extract_text() for page in PdfReader(str(result.files["pdf"])).pages))
    assert _squash(config.letter.title) in pdf_text
    for lead in confirmed:
        assert _squash(lead.url) in pdf_text
        assert _squash(xml_safe(lead.title)) in pdf_text
        assert lead.raw_sha256 in pdf_text

    with open(result.files["csv"], encoding="utf-8-sig") as handle:
        urls = [row["网址"] for row in csv.DictReader(handle)]
    assert sorted(urls) == sorted(lead.url for lead in confirmed)

    for lead in confirmed:
        stored = store.get(lead.id)
        assert stored.status == "takedown_requested"
        assert stored.takedown_deadline > stored.audit[-1]["at"]
        assert stored.audit[-1]["by"] == "root" and result.letter.reference in stored.audit[-1]["why"]
    assert store.get(reviewing.id).status == "reviewing"
    assert store.get(elsewhere.id).status == "confirmed"


def test_a_letter_names_the_platform_as_staff_know_it_never_by_our_code(store):
    item = listing(1, platform="market")
    lead = _confirm(store, store.upsert(item, detection(item)))
    config = load_takedown_config()
    config = config.model_copy(update={"letter": config.letter.model_copy(
        update={"opening": config.letter.opening + "涉及平台：{platform}\n"})})
    letter = build_letter("market", [store.get(lead.id)], config)
    assert f"涉及平台：{display_names()['market']}" in letter.paragraphs
    assert letter.reference.startswith("LT-market-")  # the code stays where it is an identifier


def casework_cli() -> typer.Typer:
    """Only casework's commands, registered the way `lantian.cli` registers them."""
    cli = typer.Typer()
    register(cli)
    return cli


def test_every_label_cites_the_law_and_its_article():
    """A letter names the article it relies on, never a law or rule by name only (issue 18)."""
    violations = load_takedown_config().violations
    assert set(violations) == set(LABELS)
    for label, violation in violations.items():
        assert violation.basis, label
        for citation in violation.basis:
            assert re.match(r"《[^》]+》第[一二三四五六七八九十百]+条", citation), (label, citation)


@pytest.mark.usefixtures("office")
def test_takedown_command(store, tmp_path):
    confirmed, _, _ = _seed(store)
    app = casework_cli()
    runner = CliRunner()
    result = runner.invoke(app, ["takedown", "--platform", "market", "--out", str(tmp_path), "--by", "root"])
    assert result.exit_code == 0, result.output
    assert "3 leads → takedown_requested" in result.output
    assert len(list(tmp_path.glob("*.docx"))) == 1 and len(list(tmp_path.glob("*.pdf"))) == 1
    again = runner.invoke(app, ["takedown", "--platform", "market", "--out", str(tmp_path)])
    assert again.exit_code == 0 and "nothing to request" in again.output
    # The message says how a lead becomes one to request: a new lead is reviewed before it is confirmed.
    hint = " ".join(again.output.split())
    assert "lantian cases status ID reviewing` and then `lantian cases status ID confirmed" in hint


@pytest.mark.usefixtures("office")
def test_the_register_names_each_platform_as_staff_know_it_and_is_filtered_by_its_code(store, tmp_path,
                                                                                      monkeypatch):
    from casework import cli

    monkeypatch.setattr(cli, "console", Console(width=250))
    for n, platform in ((1, "market"), (2, "services")):
        item = listing(n, platform=platform)
        _confirm(store, store.upsert(item, detection(item)))
        assert request_takedowns(store, platform, load_takedown_config(), tmp_path, by="root") is not None
    names = display_names()
    runner = CliRunner()

    listed = runner.invoke(casework_cli(), ["takedown", "register"])
    assert listed.exit_code == 0, listed.output
    rows = {line.split("│")[1].strip(): line.split("│")[3].strip() for line in listed.output.splitlines()
            if "LT-" in line}
    assert sorted(rows.values()) == sorted([names["market"], names["services"]]), listed.output
    assert "market" not in names.values() and "services" not in names.values()
    # -p takes the code, the identifier staff type back; references keep it too.
    only = runner.invoke(casework_cli(), ["takedown", "register", "-p", "market"])
    assert only.exit_code == 0, only.output
    [row] = [line for line in only.output.splitlines() if "LT-" in line]
    assert "LT-market-" in row and names["market"] in row and names["services"] not in row
