"""Who a letter is from: the office's address, contact and phone, which the recipient answers. The shipped
takedown.yaml holds placeholders (an address ending in `...`, phone 021-00000000); a letter or an answer printed with
them is useless to its reader and embarrassing to the office, so nothing is sent over them. A sample can still be
written, marked 样稿 on every page, and moves no lead."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer
from docx import Document
from pypdf import PdfReader
from typer.testing import CliRunner

from casework import workflow
from casework.cli import register
from casework.complaints import ComplaintRegister, answer, link_lead, load_complaints_config
from casework.config import load_takedown_config
from casework.takedown import request_follow_ups, request_takedowns
from core.config import ConfigError
from core.lead import Lead
from core.settings import project_root
from tests.fixtures.casework import detection, listing

SHIPPED = project_root() / "config" / "casework" / "takedown.yaml"


def _confirmed(store: Any, n: int) -> Lead:
    item = listing(n, platform="market")
    lead = store.upsert(item, detection(item))
    workflow.set_status(store, lead.id, "reviewing", by="alice")
    return workflow.set_status(store, lead.id, "confirmed", by="alice", why="证据充分")


def _with_sender(tmp_path: Path, **sender: str) -> Path:
    text = SHIPPED.read_text("utf-8")
    for field, value in sender.items():
        shipped = getattr(load_takedown_config(SHIPPED).complainant, field)
        text = text.replace(f"  {field}: {shipped}", f"  {field}: {value}", 1).replace(
            f'  {field}: "{shipped}"', f'  {field}: "{value}"', 1)
    path = tmp_path / "takedown.yaml"
    path.write_text(text, "utf-8")
    return path


def test_the_shipped_placeholders_are_named_and_nothing_is_sent_over_them(store: Any, tmp_path: Path) -> None:
    lead = _confirmed(store, 1)
    config = load_takedown_config(SHIPPED)
    assert set(config.complainant.unfilled()) == {"address", "phone"}
    with pytest.raises(ConfigError, match=r"takedown\.yaml: complainant\.address: '上海市黄浦区南苏州路 \.\.\.' is a "
                                          r"placeholder; complainant\.phone: '021-00000000' is a placeholder.*"
                                          r"`lantian takedown --sample` writes the letter marked 样稿"):
        request_takedowns(store, "market", config, tmp_path / "letters", by="root")
    assert store.get(lead.id).status == "confirmed" and not store.get(lead.id).takedown_notices
    assert not (tmp_path / "letters").exists(), "no letter is written to be sent"


def test_a_follow_up_and_an_answer_to_a_complainant_are_refused_too(store: Any, tmp_path: Path) -> None:
    config = load_takedown_config(SHIPPED)
    lead = _confirmed(store, 1)
    workflow.set_status(store, lead.id, "takedown_requested", by="root",
                        extra={"takedown_notices": [{"reference": "LT-market-1", "number": 1, "date": ""}]})
    workflow.set_status(store, lead.id, "persisting", by="recheck", role="system",
                        extra={"recheck": {"outcome": "persisting", "at": "2026-12-12T02:00:00Z"}})
    with pytest.raises(ConfigError, match=r"complainant\.phone"):
        request_follow_ups(store, "market", config, tmp_path, by="root")
    assert store.get(lead.id).status == "persisting"
    with ComplaintRegister() as complaints:
        complaint = complaints.add(report="冒充国知局", by="alice", complainant={}, config=load_complaints_config())
        link_lead(complaints, store, complaint.number, lead.id, by="alice", why="所附链接")
        workflow.set_status(store, lead.id, "removed", by="alice")
        with pytest.raises(ConfigError, match=r"complainant\.address") as refused:
            answer(complaints, store, complaint.number, load_complaints_config(), config, by="alice",
                   out_dir=tmp_path / "replies")
        assert "样稿" not in str(refused.value), "an answer to a complainant has no sample to offer"
        assert complaints.get(complaint.number).reply is None
    assert not (tmp_path / "replies").exists()


@pytest.mark.parametrize("field, value, message", [
    ("phone", "12345", r"complainant\.phone: '12345' is not a telephone number"),
    ("phone", "021-6321", r"complainant\.phone: '021-6321' is not a telephone number"),
    ("phone", "请致电", r"complainant\.phone: '请致电' is not a telephone number"),
    ("contact", '"  "', r"complainant\.contact: is blank"),
    ("address", '""', r"complainant\.address: String should have at least 1 character"),
])
def test_a_malformed_sender_detail_is_refused_at_load_naming_the_file_and_field(tmp_path: Path, field: str,
                                                                                value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=rf"takedown\.yaml: {message}"):
        load_takedown_config(_with_sender(tmp_path, **{field: value}))


@pytest.mark.parametrize("phone", ["021-63211234", "(021)63211234", "021 6321 1234", "021-63211234转801",
                                   "13812345678", "400-123-4567", "0571-87654321"])
def test_a_telephone_number_as_offices_write_it_is_taken(tmp_path: Path, phone: str) -> None:
    path = _with_sender(tmp_path, phone=phone, address="上海市黄浦区汉口路100号")
    config = load_takedown_config(path)
    assert config.complainant.phone == phone and config.complainant.unfilled() == {}
    config.check_sender()


def test_a_sample_is_marked_on_every_page_and_moves_no_lead(store: Any, tmp_path: Path) -> None:
    """Staff and the demo can still see a letter: as a sample, whose reference, footer, head of every page and file
    names say 样稿 and why it may not go out, and after which every lead is as it was."""
    leads = [_confirmed(store, n) for n in range(1, 31)]
    result = request_takedowns(store, "market", load_takedown_config(SHIPPED), tmp_path, by="root", sample=True)
    assert result is not None and result.letter is not None and result.moved == []
    assert result.letter.reference.endswith("-样稿")
    assert all(path.name.startswith(result.letter.reference) for path in result.files.values())
    assert all(store.get(lead.id).status == "confirmed" and not store.get(lead.id).takedown_notices
               for lead in leads)
    mark = "样稿不得发出（寄件人地址、电话仍为占位内容，须在config/casework/takedown.yaml中填写）"
    pages = PdfReader(str(result.files["pdf"])).pages
    assert len(pages) > 1
    assert all(mark in "".join(page.extract_text().split()) for page in pages)
    document = Document(str(result.files["docx"]))
    assert ["".join(section.header.paragraphs[0].text.split()) for section in document.sections] == [mark]


def test_a_letter_to_send_carries_no_sample_mark(store: Any, tmp_path: Path) -> None:
    _confirmed(store, 1)
    path = _with_sender(tmp_path, phone="021-63211234", address="上海市黄浦区汉口路100号")
    result = request_takedowns(store, "market", load_takedown_config(path), tmp_path / "out", by="root")
    assert result is not None and result.letter is not None and len(result.moved) == 1
    assert "样稿" not in result.letter.reference
    assert "样稿" not in "".join(page.extract_text() for page in PdfReader(str(result.files["pdf"])).pages)
    assert not Document(str(result.files["docx"])).sections[0].header.paragraphs[0].text


def test_the_command_refuses_with_the_file_and_fields_and_writes_a_sample_when_asked(store: Any,
                                                                                     tmp_path: Path) -> None:
    lead = _confirmed(store, 1)
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    refused = runner.invoke(app, ["takedown", "--platform", "market", "--out", str(tmp_path), "--by", "root"])
    assert refused.exit_code == 1
    assert "takedown.yaml: complainant.address" in "".join(refused.output.split("\n"))
    sample = runner.invoke(app, ["takedown", "--platform", "market", "--out", str(tmp_path), "--sample"])
    assert sample.exit_code == 0, sample.output
    assert "not sent, no lead moved" in " ".join(sample.output.split()) and store.get(lead.id).status == "confirmed"
    assert len(list(tmp_path.glob("*-样稿.pdf"))) == 1
