"""Characters that draw nothing yet change what is read (bidi overrides and isolates, zero-width characters, the
BOM) are shown as their code points in everything staff read or send, counted, and kept as fetched in the lead."""
from __future__ import annotations

import csv
from pathlib import Path

from casework.export import clipped, safe_cell, write_csv
from core.terminal import as_text
from core.visible import invisible_count, shown

HIDDEN = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u200c\u200d\u200e\u200f\ufeff\u2060\U000e0041"


def test_every_invisible_format_character_is_shown_by_its_code_point_and_counted() -> None:
    assert shown("a" + HIDDEN + "中") == "a" + "".join(f"〈U+{ord(c):04X}〉" for c in HIDDEN) + "中"
    assert invisible_count("a" + HIDDEN + "中") == len(HIDDEN)
    assert shown("代理 RTL עברית العربية\t\n") == "代理 RTL עברית العربية\t\n", "visible text, RTL or not, is kept"
    assert invisible_count(shown(HIDDEN)) == 0


def test_a_reversed_url_reads_as_what_it_is_in_the_terminal_exports_and_clipped_fields(tmp_path: Path) -> None:
    url = "http://shop.example/item/\u202egpj.exe"
    assert as_text(url).plain == "http://shop.example/item/〈U+202E〉gpj.exe"
    assert safe_cell("=\u202e1+1") == "'=〈U+202E〉1+1"
    assert clipped("\u202e" + "标" * 20, 5) == "〈U+202E〉标标标标…（以下略，全文共 21 字）"
    write_csv(tmp_path / "out.csv", ["url"], [[url]])
    with open(tmp_path / "out.csv", encoding="utf-8-sig", newline="") as handle:
        assert list(csv.reader(handle)) == [["url"], ["http://shop.example/item/〈U+202E〉gpj.exe"]]
