"""Takedown requests (删除链接通知): one letter per platform (DOCX and PDF, in Chinese, from the templates in
`config/casework/takedown.yaml`) listing each confirmed listing with its violation, legal basis and evidence hashes,
plus a CSV of URLs for the platform's bulk-complaint form.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from casework.config import LABEL_NAMES_ZH, TakedownConfig
from casework.export import safe_cell, xml_safe
from casework.leads import as_dict, labels

# The CID font built into reportlab that renders simplified Chinese without shipping a font file.
PDF_FONT = "STSong-Light"


@dataclass(frozen=True)
class TakedownRow:
    """One listing in a takedown letter."""

    lead_id: str
    url: str
    title: str
    seller: str
    violations: str
    basis: str
    raw_sha256: str
    screenshot_sha256: str
    fetched_at: str


@dataclass(frozen=True)
class Letter:
    """A takedown letter's text, filled in from config and lead data."""

    reference: str
    platform: str
    title: str
    paragraphs: list[str]
    closing: list[str]
    office: str
    date: str
    rows: list[TakedownRow]


def rows_for(leads: Iterable[Mapping[str, Any] | Any], config: TakedownConfig) -> list[TakedownRow]:
    rows = []
    for lead in leads:
        doc = as_dict(lead)
        names = labels(doc)
        violations = [config.violation(label) for label in names]
        rows.append(TakedownRow(
            lead_id=doc["id"],
            url=xml_safe(lead_url(doc)),
            title=xml_safe(str(doc.get("title") or "")),
            seller=xml_safe(str(doc.get("seller") or doc.get("agency_name") or "")),
            violations="；".join(v.name for v in violations) or "；".join(LABEL_NAMES_ZH.get(n, n) for n in names),
            basis="；".join(dict.fromkeys(part for v in violations for part in v.basis.split("；") if part)),
            raw_sha256=str(doc.get("raw_sha256") or ""),
            screenshot_sha256=str(doc.get("screenshot_sha256") or ""),
            fetched_at=str(doc.get("fetched_at") or ""),
        ))
    return rows


def reference_for(platform: str, when: datetime) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", platform).strip("-") or "platform"
    return f"LT-{slug}-{when:%Y%m%d-%H%M%S}"


def build_letter(platform: str, leads: Iterable[Mapping[str, Any] | Any], config: TakedownConfig,
                 when: datetime | None = None) -> Letter:
    when = when or datetime.now(timezone.utc)
    rows = rows_for(leads, config)
    c = config.complainant
    values = {
        "recipient": config.recipient(platform), "platform": platform, "office": c.office, "count": len(rows),
        "deadline_days": config.deadline_days, "date": f"{when:%Y年%m月%d日}",
        "reference": reference_for(platform, when), "contact": c.contact, "phone": c.phone,
    }

    def fill(template: str) -> list[str]:
        return [line.format(**values) for line in template.splitlines() if line.strip()]

    return Letter(reference=values["reference"], platform=platform, title=config.letter.title.format(**values),
                  paragraphs=fill(config.letter.opening), closing=fill(config.letter.closing), office=c.office,
                  date=values["date"], rows=rows)


_COLUMNS = ("序号", "网址", "标题", "发布者", "违法情形", "法律依据", "证据校验值（SHA-256）", "抓取时间")


def _evidence_text(row: TakedownRow) -> str:
    return f"网页原文：{row.raw_sha256 or '无'}\n截图：{row.screenshot_sha256 or '无'}"


def _cells(index: int, row: TakedownRow) -> list[str]:
    return [str(index), row.url, row.title, row.seller, row.violations, row.basis, _evidence_text(row),
            row.fetched_at]


def write_docx(letter: Letter, path: Path) -> Path:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    normal = document.styles["Normal"]
    normal.font.name = "SimSun"
    normal.font.size = Pt(10.5)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "SimSun")

    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(letter.title)
    run.bold = True
    run.font.size = Pt(16)
    document.add_paragraph(f"编号：{letter.reference}").alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for text in letter.paragraphs:
        document.add_paragraph(text)
    table = document.add_table(rows=1, cols=len(_COLUMNS))
    table.style = "Table Grid"
    for cell, name in zip(table.rows[0].cells, _COLUMNS):
        cell.text = name
    for i, row in enumerate(letter.rows, 1):
        for cell, value in zip(table.add_row().cells, _cells(i, row)):
            cell.text = value
    for text in letter.closing:
        document.add_paragraph(text)
    for text in (letter.office, letter.date):
        document.add_paragraph(text).alignment = WD_ALIGN_PARAGRAPH.RIGHT
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


def write_pdf(letter: Letter, path: Path) -> Path:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    body = ParagraphStyle("body", fontName=PDF_FONT, fontSize=10.5, leading=16, wordWrap="CJK")
    cell = ParagraphStyle("cell", parent=body, fontSize=7.5, leading=10)
    title = ParagraphStyle("title", parent=body, fontSize=16, leading=22, alignment=TA_CENTER)
    right = ParagraphStyle("right", parent=body, alignment=TA_RIGHT)

    def para(text: str, style: ParagraphStyle) -> Paragraph:
        # Listing text is hostile input: escape it so it cannot inject reportlab markup.
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    story: list[Any] = [para(letter.title, title), para(f"编号：{letter.reference}", right), Spacer(1, 4 * mm)]
    story += [para(text, body) for text in letter.paragraphs]
    story.append(Spacer(1, 3 * mm))
    data = [[para(name, cell) for name in _COLUMNS]]
    data += [[para(value, cell) for value in _cells(i, row)] for i, row in enumerate(letter.rows, 1)]
    widths = [x * mm for x in (10, 55, 40, 28, 30, 45, 50, 24)]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    story += [table, Spacer(1, 4 * mm)]
    story += [para(text, body) for text in letter.closing]
    story += [para(letter.office, right), para(letter.date, right)]
    path.parent.mkdir(parents=True, exist_ok=True)
    SimpleDocTemplate(str(path), pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
                      topMargin=14 * mm, bottomMargin=14 * mm, title=letter.title,
                      author=letter.office).build(story)
    return path


def write_url_csv(letter: Letter, path: Path) -> Path:
    """The platform's bulk-complaint upload: one row per URL with the violation and evidence hash."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["url", "title", "violation", "legal_basis", "raw_sha256", "fetched_at", "lead_id"])
        for row in letter.rows:
            writer.writerow([safe_cell(cell) for cell in (row.url, row.title, row.violations, row.basis,
                                                          row.raw_sha256, row.fetched_at, row.lead_id)])
    return path


def deadline(config: TakedownConfig, when: datetime | None = None) -> str:
    when = when or datetime.now(timezone.utc)
    return (when + timedelta(days=config.deadline_days)).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_package(letter: Letter, out_dir: Path) -> dict[str, Path]:
    """Write the DOCX, PDF and URL CSV for one letter; returns their paths by kind."""
    stem = out_dir / letter.reference
    return {"docx": write_docx(letter, stem.with_suffix(".docx")),
            "pdf": write_pdf(letter, stem.with_suffix(".pdf")),
            "csv": write_url_csv(letter, out_dir / f"{letter.reference}-urls.csv")}


@dataclass(frozen=True)
class TakedownResult:
    """The letter and its files (None and empty when no lead could go in it), the leads moved to
    takedown_requested, and why others were left out."""

    letter: Letter | None
    files: dict[str, Path]
    moved: list[str]
    refused: list[str]


def lead_url(lead: Mapping[str, Any]) -> str:
    """The address a takedown request names for a lead: its final URL, else its canonical one."""
    return str(lead.get("url") or lead.get("canonical_url") or "")


def web_url(url: str) -> bool:
    """Whether a platform can act on `url`: an http or https address with a host (not `javascript:`, `data:` …)."""
    try:
        parts = urlsplit(url)
    except ValueError:  # a malformed IPv6 host
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and url == url.strip()


def request_takedowns(store: Any, platform: str, config: TakedownConfig, out_dir: Path, *, by: str,
                      when: datetime | None = None) -> TakedownResult | None:
    """Build the letter for the platform's confirmed leads and move them to takedown_requested (audited).

    Returns None when the platform has no confirmed leads. The documents are written before any status changes,
    so a failure while writing leaves every lead confirmed.
    """
    from casework import workflow
    from index import LeadQuery

    when = when or datetime.now(timezone.utc)
    leads = list(store.iter_leads(LeadQuery(statuses=["confirmed"], platforms=[platform], sort="first_seen",
                                            descending=False)))
    if not leads:
        return None
    refused = [f"{lead['id']}: {lead_url(lead)!r} is not an http(s) URL, so it is not put in a takedown request"
               for lead in leads if not web_url(lead_url(lead))]
    leads = [lead for lead in leads if web_url(lead_url(lead))]
    if not leads:
        return TakedownResult(None, {}, [], refused)
    letter = build_letter(platform, leads, config, when)
    files = write_package(letter, out_dir)
    extra = {"takedown_deadline": deadline(config, when), "takedown_reference": letter.reference}
    moved = []
    for lead in leads:
        try:
            workflow.set_status(store, lead["id"], "takedown_requested", by=by,
                                why=f"删除链接通知 {letter.reference}", extra=extra)
            moved.append(lead["id"])
        except workflow.WorkflowError as exc:
            refused.append(f"{lead['id']}: {exc}")
    store.flush()
    return TakedownResult(letter, files, moved, refused)
