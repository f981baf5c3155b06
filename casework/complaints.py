"""Complaints from the public (举报投诉): numbered, linked to the leads they name, answered once those are closed.

A complaint keeps what the complainant reported, their contact, the links they gave (captured as leads with
`source: complaint`) and the screenshots they attached (kept byte for byte in the evidence archive, hashed, OCR'd
and detected as leads of their own, since such posts are often out of a crawler's reach). The register is a
SQLite file under the data dir, apart from the lead store: the complainant's contact never reaches the lead
documents, Kibana, case exports or letters to platforms.
"""
from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import threading
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from casework.config import TakedownConfig, known_keys, load_casework_file
from casework.dates import date_zh
from casework.paper import COMPLAINT_REPLY
from casework.workflow import now_iso
from core.beijing import stamp_zh
from core.config import StrictModel
from core.lead import STATUSES, Lead, Listing, instant, iso_utc
from core.lead import lead_id as lead_id_of
from core.settings import data_dir
from core.sqlite import open_database, transaction
from core.visible import shown
from index.store import LeadStore

if TYPE_CHECKING:
    from crawler.capture import CaptureOutcome
    from detector.detector import Detector
    from detector.ocr import ImageTextReader

COMPLAINT_STATUSES: tuple[str, ...] = ("open", "ready", "answered")
"""`open`: some lead it names is still being worked on; `ready` (待答复): every one is closed; `answered`."""
COMPLAINT_STATUS_NAMES_ZH: dict[str, str] = {"open": "核查中", "ready": "待答复", "answered": "已答复"}
SCREENSHOT_PLATFORM = "screenshot"
"""Platform of the leads made from complainants' screenshots (no URL: the post was out of a crawler's reach)."""
MAX_SCREENSHOT_BYTES = 15_000_000


class ComplaintError(ValueError):
    """A complaint operation refused; the message says why (English for the CLI, `zh` for the console)."""

    def __init__(self, message: str, zh: str | None = None) -> None:
        super().__init__(message)
        self.zh = zh or message


class ReplyTemplate(StrictModel):
    title: str
    opening: str
    closing: str = ""
    no_findings: str


class ComplaintsConfig(StrictModel):
    """`config/casework/complaints.yaml`."""

    answer_days: int = Field(15, ge=1, le=365)
    closed_statuses: dict[str, str]
    reply: ReplyTemplate

    @field_validator("closed_statuses")
    @classmethod
    def _known_statuses(cls, value: dict[str, str]) -> dict[str, str]:
        known_keys(value, STATUSES, "lead statuses")
        if not value:
            raise ValueError("at least one status must close a lead")
        return value


def load_complaints_config(path: Path | None = None) -> ComplaintsConfig:
    return load_casework_file(ComplaintsConfig, "complaints.yaml", path)


@dataclass
class Complaint:
    """One complaint. `complainant` ({name, phone, email, address}) is private: it goes into the answer to the
    complainant and nowhere else."""

    number: int
    received_at: str
    received_by: str
    report: str
    complainant: dict[str, str] = field(default_factory=dict)
    channel: str = ""
    urls: list[str] = field(default_factory=list)
    screenshots: list[dict[str, Any]] = field(default_factory=list)
    captures: list[dict[str, Any]] = field(default_factory=list)
    lead_ids: list[str] = field(default_factory=list)
    answer_deadline: str = ""
    reply: dict[str, Any] | None = None
    audit: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def age_days(self, now: datetime | None = None) -> int:
        received = instant(self.received_at)
        return ((now or datetime.now(UTC)) - received).days

    def overdue(self, now: datetime | None = None) -> bool:
        moment = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return self.reply is None and moment > self.answer_deadline


def status_of(complaint: Complaint, store: LeadStore, config: ComplaintsConfig) -> str:
    """`answered` once replied to; else `ready` when every lead it names is closed, `open` while one is not."""
    if complaint.reply is not None:
        return "answered"
    return "ready" if not open_leads(complaint, store, config) else "open"


def open_leads(complaint: Complaint, store: LeadStore, config: ComplaintsConfig) -> list[Lead]:
    """The leads the complaint names that are not closed yet (a lead missing from the store counts as open, with
    the status `missing`)."""
    waiting: list[Lead] = []
    for lead_id in complaint.lead_ids:
        lead = store.get(lead_id)
        if lead is None or lead.status not in config.closed_statuses:
            waiting.append(lead or Lead(id=lead_id, status="missing"))
    return waiting


class ComplaintRegister:
    """Complaints in `<data dir>/casework/complaints.sqlite3`, numbered 1, 2, 3 ... in order of receipt."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or data_dir() / "casework" / "complaints.sqlite3"
        self._db = open_database(self.path)
        self._db.execute("CREATE TABLE IF NOT EXISTS complaints (number INTEGER PRIMARY KEY AUTOINCREMENT, "
                         "received_at TEXT NOT NULL, answered INTEGER NOT NULL DEFAULT 0, doc TEXT NOT NULL)")
        self._lock = threading.RLock()

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ComplaintRegister:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return transaction(self._db, self._lock)

    def add(self, *, report: str, by: str, complainant: Mapping[str, str], config: ComplaintsConfig,
            channel: str = "", urls: list[str] | None = None, received_at: str | None = None) -> Complaint:
        """Record a new complaint and give it the next number."""
        if not (report or "").strip():
            raise ComplaintError("a complaint needs what the complainant reports", "请填写举报内容")
        if not by:
            raise ComplaintError("every complaint needs the staff member who records it", "缺少登记人")
        received = iso_utc(received_at)
        deadline = iso_utc(instant(received) + timedelta(days=config.answer_days))
        complaint = Complaint(number=0, received_at=received, received_by=by, report=report.strip(),
                              complainant={k: str(v).strip() for k, v in complainant.items() if str(v or "").strip()},
                              channel=channel.strip(), urls=list(dict.fromkeys(urls or [])),
                              answer_deadline=deadline,
                              audit=[{"at": now_iso(), "by": by, "action": "received", "why": ""}])
        with self._transaction() as db:
            cursor = db.execute("INSERT INTO complaints (received_at, doc) VALUES (?, '{}')", (received,))
            assert cursor.lastrowid is not None, "an INSERT gives its row id"
            complaint.number = cursor.lastrowid
            db.execute("UPDATE complaints SET doc = ? WHERE number = ?", (self._encode(complaint), complaint.number))
        return complaint

    def get(self, number: int) -> Complaint | None:
        with self._lock:
            row = self._db.execute("SELECT doc FROM complaints WHERE number = ?", (number,)).fetchone()
        return Complaint(**json.loads(row[0])) if row else None

    def all(self, answered: bool | None = None) -> list[Complaint]:
        """Complaints oldest first; `answered` False = not answered yet, True = answered, None = all."""
        where = "" if answered is None else f" WHERE answered = {int(answered)}"
        with self._lock:
            rows = self._db.execute(f"SELECT doc FROM complaints{where} ORDER BY number").fetchall()
        return [Complaint(**json.loads(row[0])) for row in rows]

    def update(self, number: int, change: Any, event: Mapping[str, Any]) -> Complaint:
        """Apply `change(complaint)` and append `event` to its audit trail in one transaction."""
        with self._transaction() as db:
            row = db.execute("SELECT doc FROM complaints WHERE number = ?", (number,)).fetchone()
            if row is None:
                raise ComplaintError(f"no complaint {number}", f"没有第{number}号举报投诉")
            complaint = Complaint(**json.loads(row[0]))
            change(complaint)
            complaint.audit.append({"at": now_iso(), "why": "", **event})
            db.execute("UPDATE complaints SET doc = ?, answered = ? WHERE number = ?",
                       (self._encode(complaint), int(complaint.reply is not None), number))
        return complaint

    @staticmethod
    def _encode(complaint: Complaint) -> str:
        return json.dumps(complaint.as_dict(), ensure_ascii=False)


# --- linking leads ------------------------------------------------------------------------------------------------

def link_lead(register: ComplaintRegister, store: LeadStore, number: int, lead_id: str, *, by: str, why: str) -> None:
    """Name the lead in the complaint and the complaint on the lead (both audited); nothing when already linked."""
    lead = store.get(lead_id)
    if lead is None:
        raise ComplaintError(f"no lead {lead_id}", f"没有线索 {lead_id}")
    complaint = register.get(number)
    if complaint is None:
        raise ComplaintError(f"no complaint {number}", f"没有第{number}号举报投诉")
    if lead_id not in complaint.lead_ids:
        register.update(number, lambda c: c.lead_ids.append(lead_id),
                        {"by": by, "action": "lead", "to": lead_id, "why": why})
    named = lead.complaints
    if number not in named:
        store.update_workflow(lead_id, {"complaints": [*named, number]},
                              {"by": by, "action": "complaint", "from": None, "to": number, "why": why})


def record_captures(register: ComplaintRegister, store: LeadStore, number: int, outcomes: list[CaptureOutcome], *,
                    by: str) -> None:
    """Keep each capture's outcome on the complaint and link the leads the captured pages became."""
    for outcome in outcomes:
        entry = {"url": outcome.url, "outcome": outcome.outcome, "message": outcome.message,
                 "lead_id": outcome.lead_id, "at": outcome.at}
        register.update(number, lambda c, entry=entry: c.captures.append(entry),
                        {"by": by, "action": "capture", "to": outcome.outcome, "why": outcome.url})
        if outcome.lead_id:
            link_lead(register, store, number, outcome.lead_id, by=by, why=f"举报投诉第{number}号所附链接")


# --- screenshots --------------------------------------------------------------------------------------------------

def screenshot_url(number: int, sha256: str) -> str:
    """The address a screenshot lead is filed under (it has no web address of its own)."""
    return f"complaint:{number}/screenshot/{sha256}"


def add_screenshot(register: ComplaintRegister, store: LeadStore, detector: Detector, reader: ImageTextReader,
                   number: int, data: bytes, *, name: str, by: str,
                   platform: str = SCREENSHOT_PLATFORM) -> dict[str, Any]:
    """Keep an attached screenshot as evidence (byte for byte, hashed, in the evidence log), read its text, detect
    it and store it as a lead with `source: complaint`, linked to the complaint; returns the complaint's entry.

    `reader` reads an image's text (`detector.ocr.ImageTextReader`); `detector` is `detector.Detector`."""
    from PIL import Image, UnidentifiedImageError

    from crawler.evidence.archive import EvidenceArchive
    from detector.ocr import MAX_PIXELS, WEB_IMAGE_FORMATS, ImageError, open_web_image

    if len(data) > MAX_SCREENSHOT_BYTES:
        raise ComplaintError(f"{name}: larger than {MAX_SCREENSHOT_BYTES // 1_000_000} MB",
                             f"{name}：图片超过 {MAX_SCREENSHOT_BYTES // 1_000_000} MB")
    try:
        with open_web_image(io.BytesIO(data), name) as image:
            width, height = image.size
            image.verify()
    except Image.DecompressionBombError as exc:
        raise ComplaintError(f"{name}: too many pixels to read ({exc})", f"{name}：图片像素过多，无法读取") from exc
    except ImageError as exc:
        raise ComplaintError(str(exc), f"{name}：不是网页常见格式的图片（{'、'.join(WEB_IMAGE_FORMATS)}）") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ComplaintError(f"{name}: not an image ({exc})", f"{name}：不是图片文件") from exc
    if width * height > MAX_PIXELS:
        raise ComplaintError(f"{name}: {width}×{height} pixels, more than the {MAX_PIXELS} a screenshot's text is "
                             "read from", f"{name}：图片像素过多（{width}×{height}），无法读取")
    sha256 = hashlib.sha256(data).hexdigest()
    url = screenshot_url(number, sha256)
    archive = EvidenceArchive()
    try:
        blob = archive.blobs.put(data)
        archive.log.append("screenshot", url, blob.path, blob.sha256, taken_at=now_iso(), source="complaint",
                           size=blob.size, original_name=name)
    finally:
        archive.close()
    text = reader.read(blob.path)
    received = now_iso()
    listing: Listing = {
        "id": lead_id_of(url), "platform": platform, "url": url, "canonical_url": url,
        "title": f"举报投诉第{number}号所附截图", "text": text, "images": [], "image_urls": [],
        "fetched_at": received, "screenshot_path": str(blob.path), "screenshot_sha256": sha256,
        "content_sha256": sha256, "status": "active", "source": "complaint",
        "capture": {"at": received, "by": by, "note": f"举报投诉第{number}号所附截图", "complaint": number},
    }
    # The detector reads the screenshot's own words: the caption is ours, not the poster's.
    lead = store.upsert(listing, detector.detect({**listing, "title": ""}))
    entry = {"name": name, "sha256": sha256, "path": str(blob.path), "ocr_text": text, "lead_id": lead.id,
             "labels": list(lead.labels)}
    register.update(number, lambda c: c.screenshots.append(entry),
                    {"by": by, "action": "screenshot", "to": sha256, "why": name})
    link_lead(register, store, number, lead.id, by=by, why=f"举报投诉第{number}号所附截图")
    return entry


# --- capture of the complaint's links -------------------------------------------------------------------------------

def capture_links(urls: list[str], number: int, *, by: str, endpoints: Path | None = None) -> list[CaptureOutcome]:
    """Capture the complaint's links with `lantian capture` in a process of its own (the crawler's reactor starts
    once per process, and the console must not wait on it in its own); returns their outcomes in order."""
    import subprocess
    import sys

    from crawler.capture import CaptureOutcome

    if not urls:
        return []
    command = [sys.executable, "-m", "lantian", "capture", "--json", "--by", by, "--complaint", str(number),
               "--note", f"举报投诉第{number}号所附链接", *(["--endpoints", str(endpoints)] if endpoints else []),
               "--", *urls]
    result = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    outcomes = [CaptureOutcome(**json.loads(line)) for line in result.stdout.splitlines() if line.startswith("{")]
    if len(outcomes) != len(urls):
        raise ComplaintError(f"the capture of complaint {number}'s links failed: {result.stderr.strip()[-500:]}",
                             "链接取证失败，请稍后重试")
    return outcomes


# --- the answer -------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reply:
    reference: str
    title: str
    paragraphs: list[str]
    findings: list[str]
    closing: list[str]
    office: str
    date: str


def build_reply(complaint: Complaint, store: LeadStore, config: ComplaintsConfig, takedown: TakedownConfig,
                when: datetime | None = None) -> Reply:
    """The answer's text; ComplaintError naming the open leads while any lead of the complaint is not closed."""
    waiting = open_leads(complaint, store, config)
    if waiting:
        listed = ", ".join(f"{lead.id[:12]} ({lead.status})" for lead in waiting)
        raise ComplaintError(f"complaint {complaint.number} cannot be answered yet: leads still open: {listed}",
                             f"第{complaint.number}号举报投诉尚有线索未办结：{listed}")
    if complaint.reply is not None:
        answered = stamp_zh(complaint.reply.get("at"), "（时间不详）")
        raise ComplaintError(f"complaint {complaint.number} was answered on {answered}",
                             f"第{complaint.number}号举报投诉已于 {answered} 答复")
    when = when or datetime.now(UTC)
    office = takedown.complainant
    date = date_zh(when)
    values = {"complainant": complaint.complainant.get("name") or "举报人", "number": complaint.number,
              "received": date_zh(complaint.received_at), "office": office.office,
              "date": date, "count": len(complaint.lead_ids), "contact": office.contact,
              "phone": office.phone}

    def fill(template: str) -> list[str]:
        return [line.format(**values) for line in template.splitlines() if line.strip()]

    findings = []
    for number, lead_id in enumerate(complaint.lead_ids, 1):
        lead = store.get(lead_id) or Lead(id=lead_id)
        where = "所附截图" if lead.platform == SCREENSHOT_PLATFORM else shown(lead.url or "")
        sentence = config.closed_statuses[lead.status].format(url=where,
                                                              reason=lead.dismissal_reason or "未发现违法情形")
        findings.append(f"{number}. {where}：{sentence}")
    if not findings:
        findings.append(config.reply.no_findings)
    return Reply(reference=f"TS-{complaint.number:05d}-{when:%Y%m%d}", title=config.reply.title.format(**values),
                 paragraphs=fill(config.reply.opening), findings=findings, closing=fill(config.reply.closing),
                 office=office.office, date=date)


def reply_text(reply: Reply) -> str:
    lines = [reply.title, f"编号：{reply.reference}", "", *reply.paragraphs, *reply.findings, *reply.closing, "",
             reply.office, reply.date]
    return "\n".join(lines) + "\n"


def write_reply(reply: Reply, out_dir: Path) -> dict[str, Path]:
    """The answer as DOCX and plain text (UTF-8); returns their paths by kind."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    from casework.export import xml_safe

    out_dir.mkdir(parents=True, exist_ok=True)
    document = COMPLAINT_REPLY.new_document(font_pt=12, title=xml_safe(reply.title), author=reply.office)
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(xml_safe(reply.title))
    run.bold = True
    run.font.size = Pt(16)
    document.add_paragraph(f"编号：{reply.reference}").alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for text in (*reply.paragraphs, *reply.findings, *reply.closing):
        document.add_paragraph(xml_safe(text))
    for text in (reply.office, reply.date):
        document.add_paragraph(xml_safe(text)).alignment = WD_ALIGN_PARAGRAPH.RIGHT
    paths = {"docx": out_dir / f"{reply.reference}.docx", "txt": out_dir / f"{reply.reference}.txt"}
    document.save(str(paths["docx"]))
    paths["txt"].write_text(reply_text(reply), encoding="utf-8")
    return paths


def answer(register: ComplaintRegister, store: LeadStore, number: int, config: ComplaintsConfig,
           takedown: TakedownConfig, *, by: str, out_dir: Path) -> tuple[Reply, dict[str, Path]]:
    """Write the answer to complaint `number` and record it on the complaint and on each of its leads (audited);
    ConfigError while the office's contact details in takedown.yaml are placeholders (the answer gives them)."""
    complaint = register.get(number)
    if complaint is None:
        raise ComplaintError(f"no complaint {number}", f"没有第{number}号举报投诉")
    takedown.check_sender()
    reply = build_reply(complaint, store, config, takedown)
    files = write_reply(reply, out_dir)
    record = {"at": now_iso(), "by": by, "reference": reply.reference,
              "files": {kind: str(path) for kind, path in files.items()},
              "sha256": {kind: hashlib.sha256(path.read_bytes()).hexdigest() for kind, path in files.items()}}

    def answered(c: Complaint) -> None:
        c.reply = record

    register.update(number, answered, {"by": by, "action": "reply", "to": reply.reference, "why": ""})
    for lead_id in complaint.lead_ids:
        store.update_workflow(lead_id, {}, {"by": by, "action": "complaint_reply", "from": None, "to": number,
                                            "why": f"答复 {reply.reference}"})
    store.flush()
    return reply, files


AGE_BANDS: tuple[tuple[int, str], ...] = ((7, "7天以内"), (14, "8–14天"), (30, "15–30天"))
OLDER_BAND = "30天以上"


def complaint_counts(complaints: list[Complaint], store: LeadStore, config: ComplaintsConfig,
                     now: datetime | None = None) -> dict[str, dict[str, int]]:
    """Complaints by status (every one), and the unanswered ones by age in days and past the answer deadline."""
    by_status = dict.fromkeys(COMPLAINT_STATUSES, 0)
    by_age = {name: 0 for _, name in AGE_BANDS} | {OLDER_BAND: 0, "其中已超过答复期限": 0}
    for complaint in complaints:
        by_status[status_of(complaint, store, config)] += 1
        if complaint.reply is not None:
            continue
        age = complaint.age_days(now)
        by_age[next((name for days, name in AGE_BANDS if age <= days), OLDER_BAND)] += 1
        by_age["其中已超过答复期限"] += int(complaint.overdue(now))
    return {"status": by_status, "age": by_age}
