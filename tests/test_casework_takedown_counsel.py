"""A takedown letter read as the platform's counsel reads it, who gets a hundred a week and sends back any that is
incomplete or wrong: dates as official documents write them and in Beijing time, every listing's capture time with
its time zone."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from docx import Document
from pypdf import PdfReader

from casework import workflow
from casework.config import load_takedown_config
from casework.dates import date_zh, time_zh
from casework.takedown import TakedownResult, request_takedowns
from core.lead import Lead
from tests.fixtures.casework import casework_env, detection, listing, store  # noqa: F401  (fixtures)

# 01:30 in Beijing on 5 December is still 4 December in UTC.
LATE_EVENING_UTC = datetime(2026, 12, 4, 17, 30, tzinfo=UTC)


def _confirmed(store: Any, n: int, **fields: Any) -> Lead:
    item = {**listing(n, platform="market"), **fields}
    lead = store.upsert(item, detection(item))
    workflow.set_status(store, lead.id, "reviewing", by="alice")
    return workflow.set_status(store, lead.id, "confirmed", by="alice", why="证据充分")


def _letter(store: Any, tmp_path: Path, when: datetime = LATE_EVENING_UTC) -> TakedownResult:
    result = request_takedowns(store, "market", load_takedown_config(), tmp_path / "letters", by="root", when=when)
    assert result is not None and result.letter is not None
    return result


def _pdf_text(path: Path) -> str:
    return "".join("".join(page.extract_text().split()) for page in PdfReader(str(path)).pages)


def _docx_text(path: Path) -> str:
    document = Document(str(path))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_dates_are_beijing_days_written_as_official_documents_write_them() -> None:
    """GB/T 9704: 2026年12月5日, never 2026年12月05日; the office works in Beijing, so 17:30 UTC is the next day."""
    assert date_zh(LATE_EVENING_UTC) == "2026年12月5日"
    assert date_zh("2026-03-09T02:00:00Z") == "2026年3月9日"
    assert time_zh("2026-12-04T17:30:05Z") == "2026年12月5日 01:30:05（北京时间）"
    assert time_zh("2026-12-04T17:30:05+00:00") == time_zh("2026-12-05T01:30:05+08:00")
    assert time_zh(None) == "不详" and time_zh("yesterday") == "不详"


def test_the_letter_is_dated_in_beijing_and_every_capture_time_names_its_time_zone(store: Any,
                                                                                  tmp_path: Path) -> None:
    _confirmed(store, 1, fetched_at="2026-12-04T16:05:09Z")
    result = _letter(store, tmp_path)
    letter = result.letter
    assert letter is not None
    assert (letter.date, letter.reply_by) == ("2026年12月5日", "2026年12月12日")
    for text in (_pdf_text(result.files["pdf"]), "".join(_docx_text(result.files["docx"]).split())):
        assert "2026年12月5日00:05:09（北京时间）" in text
        assert "2026年12月12日前" in text and "2026-12-04T16:05:09Z" not in text
        assert "年12月04日" not in text
