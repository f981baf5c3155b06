"""The complaint register: numbers, the status a complaint takes from its leads' workflow, its age against the
answer deadline, when it may be answered, the answer on A4, and what the reports count."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from openpyxl import load_workbook

from casework import workflow
from casework.complaints import (
    ComplaintError,
    ComplaintRegister,
    answer,
    complaint_counts,
    link_lead,
    load_complaints_config,
    status_of,
)
from casework.config import load_risk_config, load_takedown_config
from casework.report import Period, build_report, write_html, write_xlsx
from tests.fixtures.casework import detection, listing


@pytest.fixture
def register(casework_env: Path) -> Any:
    with ComplaintRegister() as opened:
        yield opened


def test_complaints_are_numbered_in_order_and_need_a_report(register: ComplaintRegister) -> None:
    config = load_complaints_config()
    first = register.add(report="有人冒充国知局", by="alice", complainant={"name": "张先生", "phone": ""},
                         config=config, received_at="2026-11-01T08:00:00Z")
    second = register.add(report="撤三广告", by="alice", complainant={}, config=config)
    assert (first.number, second.number) == (1, 2)
    assert first.complainant == {"name": "张先生"}, "empty contact fields are not kept"
    assert first.answer_deadline == "2026-11-16T08:00:00Z"  # answer_days: 15
    with pytest.raises(ComplaintError, match="needs what the complainant reports"):
        register.add(report="  ", by="alice", complainant={}, config=config)


@pytest.mark.usefixtures("office")
def test_status_follows_the_leads_and_the_answer_waits_for_them(register: ComplaintRegister, store: Any,
                                                                tmp_path: Path) -> None:
    config = load_complaints_config()
    complaint = register.add(report="淘宝上的代理广告", by="alice", complainant={"name": "李女士"}, config=config)
    item = listing(1)
    lead = store.upsert(item, detection(item))
    link_lead(register, store, complaint.number, lead.id, by="alice", why="所附链接")
    link_lead(register, store, complaint.number, lead.id, by="alice", why="所附链接")  # once is enough
    complaint = register.get(complaint.number)
    assert complaint.lead_ids == [lead.id] and store.get(lead.id).complaints == [1]
    assert status_of(complaint, store, config) == "open"
    with pytest.raises(ComplaintError, match="leads still open"):
        answer(register, store, 1, config, load_takedown_config(), by="alice", out_dir=tmp_path)

    workflow.set_status(store, lead.id, "reviewing", by="alice")
    workflow.set_status(store, lead.id, "dismissed", by="alice", why="持证机构陈述事实")
    assert status_of(register.get(1), store, config) == "ready"
    reply, files = answer(register, store, 1, config, load_takedown_config(), by="alice", out_dir=tmp_path)
    assert "持证机构陈述事实" in files["txt"].read_text("utf-8") and "李女士" in files["txt"].read_text("utf-8")
    assert status_of(register.get(1), store, config) == "answered"
    assert register.get(1).reply["sha256"]["docx"]
    document = Document(str(files["docx"]))
    [section] = document.sections
    normal = document.styles["Normal"]
    assert (normal.font.name, normal.font.size.pt) == ("SimSun", 12)
    assert normal.element.rPr.rFonts.get(qn("w:eastAsia")) == "SimSun", "Chinese text in SimSun too"
    assert section.orientation == WD_ORIENT.PORTRAIT
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)  # A4, not US Letter
    assert [round(m.mm) for m in (section.top_margin, section.bottom_margin, section.left_margin,
                                  section.right_margin)] == [37, 35, 28, 26]  # GB/T 9704's margins
    assert [e["action"] for e in store.get(lead.id).audit][-1] == "complaint_reply"


def test_counts_by_status_and_age_and_the_report_by_source(register: ComplaintRegister, store: Any,
                                                            tmp_path: Path) -> None:
    config = load_complaints_config()
    now = datetime.now(UTC)
    for days in (2, 10, 40):
        register.add(report=f"{days}天前的举报", by="alice", complainant={}, config=config,
                     received_at=now - timedelta(days=days))
    item = listing(5)
    linked = store.upsert(item, detection(item))
    link_lead(register, store, 2, linked.id, by="alice", why="")
    counts = complaint_counts(register.all(), store, config, now=now)
    assert counts["status"] == {"open": 1, "ready": 2, "answered": 0}
    assert counts["age"] == {"7天以内": 1, "8–14天": 1, "15–30天": 0, "30天以上": 1, "其中已超过答复期限": 1}

    fetched = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    for n, source in ((6, "capture"), (7, "complaint")):
        extra = listing(n, fetched_at=fetched)
        store.upsert({**extra, "source": source, "capture": {"by": "alice"}}, detection(extra))
    swept = listing(8, fetched_at=fetched)
    store.upsert(swept, detection(swept))
    report = build_report(store, Period.week(), load_risk_config(), use_images=False)
    assert report.by_source == {"capture": 1, "complaint": 1, "sweep": 1}
    assert report.complaints_by_status == counts["status"]
    html = write_html(report, tmp_path / "r.html").read_text("utf-8")
    assert "按线索来源" in html and "人工取证" in html and "待答复" in html and "其中已超过答复期限" in html
    assert "按线索来源" in load_workbook(write_xlsx(report, tmp_path / "r.xlsx")).sheetnames


def test_a_complaint_recorded_without_the_agency_registry_says_so_and_how_to_get_one(
        casework_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its screenshot is detected (and its links captured) without deciding unlicensed_agency: `complaints add`
    says so before it starts, as detect, crawl and capture do."""
    from typer.testing import CliRunner

    from lantian.cli import app
    from simulator.images import render_text_image

    monkeypatch.setenv("LANTIAN_REGISTRY_PATH", str(tmp_path / "no-registry.csv"))
    shot = tmp_path / "shot.png"
    shot.write_bytes(render_text_image("专利代理 包授权 微信 abc123"))
    result = CliRunner().invoke(app, ["complaints", "add", "--report", "朋友圈有人代理专利", "--screenshot", str(shot)])
    assert result.exit_code == 0, result.output
    warning = " ".join(result.stderr.split())
    assert f"warning: no agency registry, unlicensed_agency is not decided: {tmp_path / 'no-registry.csv'}" in warning
    assert "`lantian simulator export`" in warning
    quiet = CliRunner().invoke(app, ["complaints", "add", "--report", "电话举报，无链接"])
    assert quiet.exit_code == 0 and "warning" not in quiet.stderr, "nothing is detected, nothing to warn of"


def test_the_complaint_commands_give_times_in_beijing(register: ComplaintRegister, monkeypatch: pytest.MonkeyPatch,
                                                      casework_env: Path) -> None:
    """Received at 23:30 UTC is 07:30 the next morning in Shanghai: the answer is due 15 days after that day, and
    a bare UTC date (2026-11-20, due 2026-12-05) named the day before each."""
    from rich.console import Console
    from typer.testing import CliRunner

    from casework import cli_base, complaints_cli
    from lantian.cli import app

    monkeypatch.setattr(complaints_cli, "console", Console(width=200))
    monkeypatch.setattr(cli_base, "console", Console(width=200))
    register.add(report="有人冒充国知局", by="alice", complainant={}, config=load_complaints_config(),
                 received_at="2026-11-20T23:30:00Z")
    listed = CliRunner().invoke(app, ["complaints", "list"])
    assert listed.exit_code == 0, listed.output
    assert "2026-11-21 07:30" in listed.output and "2026-12-06 07:30" in listed.output and "北京时间" in listed.output
    assert "2026-11-20" not in listed.output and "2026-12-05" not in listed.output
    shown = " ".join(CliRunner().invoke(app, ["complaints", "show", "1"]).output.split())
    assert "received 2026-11-21 07:30:00（北京时间）" in shown and "due 2026-12-06 07:30:00（北京时间）" in shown


@pytest.mark.parametrize(("side", "said"), [(20_000, "400000000 pixels"), (10_000, "10000×10000 pixels")])
def test_a_picture_bomb_attached_to_a_complaint_is_refused_with_a_clear_message(register: ComplaintRegister,
                                                                                store: Any, side: int,
                                                                                said: str) -> None:
    """A complaint's attachment is sent by anyone, an agency that knows it is watched included: a PNG of a few KB
    saying 20,000 × 20,000 pixels raised Pillow's DecompressionBombError out of `add_screenshot` (the console's
    answer a server error, the complaint's links never captured), one of 10,000 × 10,000 was archived and then
    failed the OCR the same way. Both are refused as the other unreadable attachments are, before anything is
    kept, so the console says why and goes on with the complaint."""
    from casework.complaints import add_screenshot
    from detector.ocr import ImageTextReader
    from simulator.web.hostile import pixel_bomb

    complaint = register.add(report="冒充国知局的广告", by="alice", complainant={}, config=load_complaints_config())
    with pytest.raises(ComplaintError, match=said) as refused:
        add_screenshot(register, store, None, ImageTextReader(), complaint.number, pixel_bomb(side),  # type: ignore[arg-type]
                       name="bomb.png", by="alice")
    assert refused.value.zh.startswith("bomb.png：图片像素过多"), refused.value.zh
    assert not register.get(complaint.number).screenshots and not list(store.iter_leads())


def test_an_attachment_in_a_format_no_web_page_shows_is_refused(register: ComplaintRegister, store: Any) -> None:
    """A complaint's attachment named `moments.png` holding a TIFF was decoded by Pillow's TIFF decoder, read and
    stored: only the picture formats web pages show are opened (`detector.ocr.WEB_IMAGE_FORMATS`)."""
    from casework.complaints import add_screenshot
    from detector.ocr import ImageTextReader
    from tests.test_detector_ocr import picture_as

    complaint = register.add(report="冒充国知局的广告", by="alice", complainant={}, config=load_complaints_config())
    with pytest.raises(ComplaintError, match="not a readable image .* a format web pages do not show") as refused:
        add_screenshot(register, store, None, ImageTextReader(), complaint.number, picture_as("TIFF"),  # type: ignore[arg-type]
                       name="moments.png", by="alice")
    assert refused.value.zh.startswith("moments.png：不是网页常见格式的图片（PNG、JPEG"), refused.value.zh
    assert not register.get(complaint.number).screenshots and not list(store.iter_leads())
