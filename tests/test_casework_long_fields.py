"""A crawled field is as long as the people we monitor make it: a takedown letter, a spreadsheet and the terminal
show a readable part of it and say how long it is, the lead keeps it whole."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from docx import Document
from pypdf import PdfReader
from rich.console import Console
from typer.testing import CliRunner

from casework import leads_cli
from casework.config import load_takedown_config
from casework.export import CELL_CHARS, safe_cell
from casework.takedown import LETTER_FIELD_CHARS, request_takedowns
from lantian.cli import app
from tests.test_csv_formulas import _confirmed

LONG_TITLE = "商标注册 内部渠道 " + "标" * 200_000
LONG_SELLER = "某某知产" + "卖" * 50_000


@pytest.mark.usefixtures("office")
def test_a_takedown_letter_names_a_listing_with_a_title_longer_than_a_page(store: Any, tmp_path: Path) -> None:
    """A title of 200,000 characters made its table cell taller than a page: the PDF failed, and with it the letter
    for every listing of the platform. The letter shows the first characters and says how many there are, and a
    row still taller than a page (a long URL, which is never cut) goes on over the next."""
    long = _confirmed(store, 1, title=LONG_TITLE, seller=LONG_SELLER)
    plain = _confirmed(store, 2)
    result = request_takedowns(store, "market", load_takedown_config(), tmp_path, by="root")
    assert result is not None and sorted(result.moved) == sorted([long.id, plain.id])
    cells = [cell.text for table in Document(str(result.files["docx"])).tables for row in table.rows
             for cell in row.cells]
    shown = LONG_TITLE[:LETTER_FIELD_CHARS] + "…（以下略，全文共 200010 字）"
    assert shown in cells and LONG_SELLER[:LETTER_FIELD_CHARS] + "…（以下略，全文共 50004 字）" in cells
    pdf = "".join("".join(page.extract_text().split()) for page in PdfReader(result.files["pdf"]).pages)
    assert "全文共200010字" in pdf and "".join(plain.title.split()) in pdf
    assert store.get(long.id).title == LONG_TITLE, "the lead keeps the whole title"


def test_a_spreadsheet_cell_holds_at_most_what_excel_opens(store: Any, tmp_path: Path) -> None:
    """Excel holds 32,767 characters in a cell and calls a workbook with a longer one damaged."""
    assert len(safe_cell(LONG_TITLE)) <= CELL_CHARS and safe_cell(LONG_TITLE).endswith("…（以下略，全文共 200010 字）")
    assert len(safe_cell("=" + LONG_TITLE)) <= CELL_CHARS and safe_cell("=" + LONG_TITLE).startswith("'=")
    _confirmed(store, 1, title=LONG_TITLE)
    out = tmp_path / "cases.xlsx"
    result = CliRunner().invoke(app, ["cases", "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    cells = [str(cell.value or "") for row in openpyxl.load_workbook(out).active.iter_rows() for cell in row]
    assert max(map(len, cells)) <= CELL_CHARS and any(c.startswith(LONG_TITLE[:100]) for c in cells)


def test_the_terminal_shows_a_readable_part_of_a_long_lead(store: Any, monkeypatch: Any) -> None:
    """`lantian leads show` printed a megabyte of text (13 s of scrolling), `leads list` a title of any length."""
    lead = _confirmed(store, 1, title=LONG_TITLE, text="国家知识产权局指定代理 内部渠道 " + "长" * 1_000_000)
    terminal = io.StringIO()
    monkeypatch.setattr(leads_cli, "console", Console(file=terminal, width=120))
    for args in (["leads", "list"], ["leads", "show", lead.id]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, (args, result.output, result.exception)
        if args[1] == "list":
            listed = terminal.getvalue()
    shown = terminal.getvalue()[len(listed):]
    assert listed.count("标") < 250 and len(listed) < 20_000
    unwrapped = "".join(shown.replace("│", "").split())
    assert "(1000017charactersinall:`lantianleadsshowID--json`printsthem)" in unwrapped
    assert len(shown) < 100_000
