"""Characters that draw nothing yet change what is read (bidi overrides and isolates, zero-width characters, the
BOM) are shown as their code points in everything staff read or send, counted, and kept as fetched in the lead."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from casework.export import clipped, safe_cell, write_csv
from core.terminal import as_text
from core.visible import invisible_count, shown, shown_in_template
from tests.fixtures.casework import detection, listing

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


def test_templates_printing_crawled_text_show_the_characters_and_leave_markup_alone() -> None:
    """The console and the weekly report print every value through `shown_in_template`: a macro's output (markup)
    is not escaped a second time."""
    from jinja2 import Environment

    env = Environment(autoescape=True, finalize=shown_in_template)
    page = env.from_string("{% macro m(s) %}<b>{{ s }}</b>{% endmacro %}{{ x }}|{{ m(x) }}").render(x='<i>\u202e"')
    assert page == "&lt;i&gt;〈U+202E〉&#34;|<b>&lt;i&gt;〈U+202E〉&#34;</b>"


@pytest.mark.usefixtures("office")
def test_a_complaint_answer_shows_the_override_in_a_lead_url(casework_env: Path, store: Any, tmp_path: Path) -> None:
    """The answer to a complainant names each lead's URL: a seller's override in it is shown, not obeyed."""
    from casework import workflow
    from casework.complaints import ComplaintRegister, answer, link_lead, load_complaints_config
    from casework.config import load_takedown_config

    item = listing(1, base="http://shop.example/\u202egpj.exe")
    lead = store.upsert(item, detection(item))
    config = load_complaints_config()
    with ComplaintRegister() as register:
        register.add(report="淘宝上的代理广告", by="alice", complainant={"name": "李女士"}, config=config)
        link_lead(register, store, 1, lead.id, by="alice", why="所附链接")
        workflow.set_status(store, lead.id, "reviewing", by="alice")
        workflow.set_status(store, lead.id, "dismissed", by="alice", why="持证机构陈述事实")
        _, files = answer(register, store, 1, config, load_takedown_config(), by="alice", out_dir=tmp_path)
    text = files["txt"].read_text("utf-8")
    assert "http://shop.example/〈U+202E〉gpj.exe/item.htm" in text and "\u202e" not in text
    assert store.get(lead.id).url == item["url"], "the lead keeps its URL as fetched"
