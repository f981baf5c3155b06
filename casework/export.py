"""Exports for the case-handling system: confirmed leads as CSV/XLSX, and one evidence package (ZIP) per lead.

The package holds the listing text, the raw HTML and the screenshot exactly as stored, the lead document, and a
manifest with the SHA-256 of every file next to the hash recorded at fetch time, and the evidence log's line that
recorded it (sequence number, line hash, when it was fetched or taken, its WARC record), so a case handler can show
the evidence was not altered and where it stands in the hash-chained log.
"""
from __future__ import annotations

import csv
import hashlib
import json
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from casework.config import TakedownConfig
from casework.contacts import contacts
from casework.dates import date_zh, zip_entry
from casework.evidence_files import evidence_log_lines, resolve_path
from casework.pictures import quoted_pictures
from casework.workflow import CONFIRMED_STATUSES, last_status_event, now_iso
from core.beijing import stamp_zh
from core.labels import label_names_zh
from core.lead import STATUS_NAMES_ZH, Lead, screenshot_shows_zh
from core.visible import shown
from crawler.platforms import display_names

CASE_STATUSES: tuple[str, ...] = CONFIRMED_STATUSES

COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "线索编号"), ("status", "状态"), ("platform", "平台"), ("url", "网址"), ("title", "标题"),
    ("seller", "发布者"), ("location", "所在地"), ("agency_name", "机构名称"), ("agency_code", "机构代码"),
    ("phone", "电话"),
    ("wechat", "微信"), ("qq", "QQ"), ("district", "所属区"), ("labels", "违法类型"), ("risk", "风险分"),
    ("assignee", "承办人"), ("first_seen", "首次发现"), ("last_seen", "最近发现"), ("fetched_at", "抓取时间"),
    ("raw_sha256", "网页原文SHA-256"), ("screenshot_sha256", "截图SHA-256"), ("confirmed_by", "确认人"),
    ("confirmed_at", "确认时间"), ("basis", "法律依据"), ("notices", "删除通知"),
)


def outside_shanghai(lead: Lead) -> bool:
    """Whether the lead's seller is located outside Shanghai (for transfer to another region, 案件移送).

    Only a stated location counts: a lead with no district and no location is not assumed to be elsewhere.
    """
    location = lead.location or ""
    return not lead.district and bool(location.strip()) and not any(w in location for w in ("上海", "沪"))


def case_row(lead: Lead, config: TakedownConfig, platform_names: Mapping[str, str]) -> dict[str, Any]:
    """One lead as a flat row for the case-handling system (Chinese label names, the platform by the name staff know
    it by, `platform_names` of `crawler.platforms.display_names`, contacts joined), in the order of `COLUMNS`: times
    in Beijing with the zone named, the legal basis of its violations as the takedown letters cite them (`config`,
    takedown.yaml), and the takedown notices sent for it, so a case officer taking it over (线索移交) has what the
    letters said."""
    found = contacts(lead)
    violations = lead.confirmed_violations()
    basis = dict.fromkeys(citation for label in violations for citation in config.violation(label).basis)
    notices = [f"{notice.get('reference')}（第{notice.get('number') or 1}次，{date_zh(notice['date'])}）"
               if notice.get("date") else str(notice.get("reference")) for notice in lead.takedown_notices]
    confirmed = last_status_event(lead, "confirmed")
    row = {
        "id": lead.id, "status": STATUS_NAMES_ZH.get(lead.status, lead.status), "url": lead.url,
        "platform": platform_names.get(lead.platform or "", lead.platform), "title": lead.title,
        "seller": lead.seller, "location": lead.location,
        "agency_name": lead.agency_name, "agency_code": lead.agency_code, "phone": "、".join(found.get("phone", [])),
        "wechat": "、".join(found.get("wechat", [])), "qq": "、".join(found.get("qq", [])), "district": lead.district,
        "labels": label_names_zh(violations), "risk": round(lead.risk, 3),
        "assignee": lead.assignee, "first_seen": stamp_zh(lead.first_seen), "last_seen": stamp_zh(lead.last_seen),
        "fetched_at": stamp_zh(lead.fetched_at), "raw_sha256": lead.raw_sha256,
        "screenshot_sha256": lead.screenshot_sha256, "confirmed_by": confirmed.get("by"),
        "confirmed_at": stamp_zh(confirmed.get("at")), "basis": "\n".join(basis), "notices": "\n".join(notices),
    }
    return {key: ("" if value is None else value) for key, value in row.items()}


def _case_cells(lead: Lead, config: TakedownConfig, platform_names: Mapping[str, str]) -> list[Any]:
    row = case_row(lead, config, platform_names)
    return [row[key] for key, _ in COLUMNS]


def write_cases_csv(leads: Iterable[Lead], path: Path, config: TakedownConfig) -> int:
    """Write the rows with Chinese headers; returns the row count."""
    names = display_names()
    return write_csv(path, [title for _, title in COLUMNS], (_case_cells(lead, config, names) for lead in leads))


# Characters XML 1.0 (hence DOCX and XLSX) cannot hold; crawled text sometimes carries them.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """`text` without the control characters office formats refuse."""
    return _XML_ILLEGAL.sub("", text)


def clipped(text: str, limit: int, more: str = "…（以下略，全文共 {total} 字）") -> str:
    """`text` for people to read: its first `limit` characters and `more` (which may name the `{total}` length) when
    it is longer, with invisible format characters shown (`core.visible.shown`: a right-to-left override would make
    a title or URL read as something else). A crawled field may be megabytes long; the lead and its stored page
    keep it whole, and as fetched."""
    return shown(text) if len(text) <= limit else shown(text[:limit]) + more.format(total=len(text))


# A cell starting with one of these is read as a formula by spreadsheet programs opening a CSV (OWASP, CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# The most characters a spreadsheet cell holds (Excel's limit: a longer one makes it call the file damaged).
CELL_CHARS = 32_767


def safe_cell(value: Any) -> Any:
    """A spreadsheet cell (CSV or XLSX) from crawled data: no illegal characters, invisible format characters shown
    (`core.visible.shown`), never a formula (a leading apostrophe keeps it text), and no more than a cell holds
    (`CELL_CHARS`, said at the cut). Every CSV and XLSX writer passes its cells through here."""
    if isinstance(value, str):
        value = shown(xml_safe(value))
        if value.startswith(FORMULA_START):
            value = "'" + value
        if len(value) > CELL_CHARS:
            value = clipped(value, CELL_CHARS - 40)
    return value


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Iterable[Any]]) -> int:
    """A table for spreadsheet users as CSV: UTF-8 with a BOM (so Excel opens it right), the header, then the rows,
    every cell through `safe_cell`; returns the row count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow([safe_cell(value) for value in row])
            count += 1
    return count


def write_xlsx(path: Path, sheet_name: str, header: Sequence[str], rows: Iterable[Iterable[Any]]) -> int:
    """The same table as an XLSX workbook of one sheet; returns the row count."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_name)
    sheet.append(list(header))
    count = 0
    for row in rows:
        sheet.append([safe_cell(value) for value in row])
        count += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(str(path))
    return count


def write_cases_xlsx(leads: Iterable[Lead], path: Path, config: TakedownConfig) -> int:
    names = display_names()
    return write_xlsx(path, "线索", [title for _, title in COLUMNS],
                      (_case_cells(lead, config, names) for lead in leads))


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# How the quotes a package's pictures hold were read (`casework.pictures`).
PICTURE_QUOTES_READ_BY = "machine OCR of the picture (detector/ocr.py), checked by the reviewer who confirmed the lead"


def _log_fields(line: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """What a package says of a file's line in the evidence log."""
    return None if line is None else {
        key: line[key] for key in ("seq", "at", "kind", "hash", "fetched_at", "taken_at", "warc_path", "warc_offset",
                                   "warc_record_id", "source") if line.get(key) is not None}


def evidence_package(lead: Lead, path: Path) -> dict[str, Any]:
    """Write the lead's evidence ZIP to `path`; returns the manifest (also stored in the ZIP as manifest.json).
    Each picture a quote of a confirmed violation was read from goes in too (`picture-N.ext`, with its address,
    fetch time and log line: `casework.pictures`).

    Missing evidence files are listed in the manifest as missing rather than failing the whole package.
    """
    listing_text = f"{lead.title or ''}\n\n{lead.text or ''}\n".encode()
    files: list[dict[str, Any]] = []
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        def add(name: str, data: bytes, source: str | None, recorded: str | None) -> None:
            archive.writestr(zip_entry(name), data)
            digest = sha256_of(data)
            files.append({"name": name, "sha256": digest, "bytes": len(data), "source": source,
                          "recorded_sha256": recorded,
                          "matches_recorded": None if not recorded else digest == recorded})

        add("listing.txt", listing_text, None, None)
        logged = evidence_log_lines([lead.raw_sha256, lead.screenshot_sha256])
        for kind, suffix, stored, recorded in (("raw", ".html", lead.raw_path, lead.raw_sha256),
                                               ("screenshot", ".png", lead.screenshot_path, lead.screenshot_sha256)):
            source = resolve_path(stored)
            if source is None:
                files.append({"name": None, "kind": kind, "missing": True, "source": stored,
                              "recorded_sha256": recorded})
                continue
            name = f"{kind}{''.join(source.suffixes) or suffix}"
            add(name, source.read_bytes(), str(stored), recorded)
            files[-1]["evidence_log"] = _log_fields(logged.get(recorded or ""))
        for picture in quoted_pictures(lead):
            add(f"picture-{picture.name.removeprefix('图片')}", picture.file.read_bytes(), str(picture.file),
                picture.sha256 if picture.log_line else None)
            files[-1].update({"kind": "picture", "url": picture.url or None, "fetched_at": picture.fetched_at or None,
                              "quotes": list(picture.quotes), "quotes_read_by": PICTURE_QUOTES_READ_BY,
                              "evidence_log": _log_fields(picture.log_line)})
        add("lead.json", json.dumps(lead.document(), ensure_ascii=False, indent=2, default=str).encode("utf-8"), None,
            None)
        manifest: dict[str, Any] = {
            "lead_id": lead.id, "url": lead.url, "canonical_url": lead.canonical_url, "platform": lead.platform,
            "fetched_at": lead.fetched_at, "first_seen": lead.first_seen, "last_seen": lead.last_seen,
            "content_sha256": lead.content_sha256, "warc_path": lead.warc_path,
            "screenshot_taken_at": (logged.get(lead.screenshot_sha256 or "") or {}).get("taken_at"),
            "packaged_at": now_iso(), "files": files,
        }
        if lead.screenshot_shows:  # a screenshot of a page that changed for the browser says so
            manifest["screenshot_shows"] = {**lead.screenshot_shows, "said": screenshot_shows_zh(lead.screenshot_shows)}
        archive.writestr(zip_entry("manifest.json"), json.dumps(manifest, ensure_ascii=False, indent=2))
    return manifest
