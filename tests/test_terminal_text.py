"""Crawled text on the terminal is shown as text: never read as Rich markup, never passed on as control sequences.

Every command is run against a console that behaves like a colour terminal, so a planted Rich `[link=…]` would come
out as an OSC 8 hyperlink (`ESC ]8;…`) and a raw escape sequence in a field would reach the terminal."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from core.terminal import as_text, highlighted
from lantian.cli import app
from tests.fixtures.casework import detection, listing

TITLE = "[/] 内部渠道 [link=https://evil.example/]点我[/link]"
TEXT = ("国家知识产权局指定代理，内部渠道。[bold]加急[/bold] \x1b]0;pwned\x07 "
        "\x1b]8;;https://evil.example/\x1b\\点我\x1b]8;;\x1b\\ \u202e理代定指")
SELLER = "[/red]某某[link=https://evil.example/]知识产权[/link]"


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """Every CLI module's consoles write to one buffer as a colour terminal would receive it."""
    from casework import cli as casework_cli
    from casework import leads_cli
    from crawler.evidence import cli as evidence_cli
    from lantian import demo

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, color_system="standard", width=240)
    for module, name in ((leads_cli, "console"), (demo, "console"), (casework_cli, "console"),
                         (casework_cli, "err"), (evidence_cli, "console")):
        monkeypatch.setattr(module, name, console)
    return buffer


def assert_shown_as_text(output: str) -> None:
    assert "\x1b]" not in output  # no operating-system command: no hyperlink, no window title
    assert "\x07" not in output and "\u202e" not in output
    assert "[link=https://evil.example/]" in output


@pytest.fixture
def hostile_lead(store: Any) -> dict[str, Any]:
    item = listing(1, title=TITLE, text=TEXT, seller=SELLER)
    found = detection(item, phone="13600000000")
    lead = store.upsert(item, found)
    store.add_note(lead.id, {"by": "chen", "text": "[/] 已取证"})
    for n in (2, 3):
        other = listing(n, seller=SELLER)
        store.upsert(other, detection(other, phone="13600000000"))
    store.flush()
    return lead


def test_as_text_keeps_markup_literal_and_shows_control_characters() -> None:
    text = as_text("[/] [link=x]a[/link] \x1b[2J\x07\x9b\u202e\u200b")
    assert text.plain == "[/] [link=x]a[/link] ␛[2J␇\ufffd〈U+202E〉〈U+200B〉" and not text.spans
    marked = highlighted("&lt;b&gt; [/] <em>内部渠道</em> \x1b")
    assert marked.plain == "<b> [/] 内部渠道 ␛"
    assert [(marked.plain[s.start:s.end], s.style) for s in marked.spans] == [("内部渠道", "bold yellow")]


def test_leads_list_show_and_stats(hostile_lead: dict[str, Any], terminal: io.StringIO) -> None:
    runner = CliRunner()
    for args in (["leads", "list"], ["leads", "list", "--text", "点我"], ["leads", "show", hostile_lead.id],
                 ["leads", "stats", "--by", "platform"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output, result.exception)
    output = terminal.getvalue()
    assert_shown_as_text(output)
    assert "[/] 内部渠道" in output and "␛]0;pwned␇" in output and "[/] 已取证" in output


def test_demo_tables(hostile_lead: dict[str, Any], store: Any, terminal: io.StringIO) -> None:
    from lantian import demo

    demo.console.print(demo._leads_table(store, 5))
    demo.console.print(demo._counts_table("Leads by platform", {TITLE: 1}))
    output = terminal.getvalue()
    assert_shown_as_text(output)
    assert SELLER[:20] in output


def test_agencies_and_the_weekly_report(hostile_lead: dict[str, Any], terminal: io.StringIO,
                                        tmp_path: Path) -> None:
    runner = CliRunner()
    for args in (["agencies", "score", "--no-images"], ["agencies", "list"],
                 ["report", "--week", "--out", str(tmp_path), "--no-images"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output, result.exception)
    output = terminal.getvalue()
    assert_shown_as_text(output)
    assert SELLER in output


def test_evidence_show(casework_env: Path, terminal: io.StringIO) -> None:
    from crawler.evidence.archive import EvidenceArchive

    url = "http://127.0.0.1:9/item?id=[/]&q=[link=https://evil.example/]x[/link]\x1b]0;pwned\x07"
    archive = EvidenceArchive(casework_env / "evidence")
    archive.record_screenshot(url, b"\x89PNG\r\n\x1a\n not really", source="test")
    archive.close()
    result = CliRunner().invoke(app, ["evidence", "show", url])
    assert result.exit_code == 0, (result.output, result.exception)
    output = terminal.getvalue()
    assert_shown_as_text(output)
    assert "id=[/]&q=[link=https://evil.example/]x[/link]␛]0;pwned␇" in output
