"""Takedown requests (删除链接通知): one letter per platform (DOCX and PDF, in Chinese, from the templates in
`config/casework/takedown.yaml`) listing each confirmed listing with its violation, legal basis, evidence hashes
and screenshot (a thumbnail in its row, the full page as an attachment), plus a CSV of URLs for the platform's
bulk-complaint form. Listings still online after the deadline get a numbered follow-up notice citing the first
request; every notice is recorded on its leads (`takedown_notices`), which the register of requests reads.

The PDF embeds a subset of a CJK TrueType font from Debian's packages (fonts-wqy-microhei), so it prints the same
anywhere; characters that font lacks (emoji, rare symbols) are printed as a visible □ instead of vanishing.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from casework import workflow
from casework.config import Letter as LetterTemplate
from casework.config import TakedownConfig
from casework.contacts import PLACE_NAMES_ZH
from casework.dates import date_zh, time_zh, zip_entry
from casework.evidence_files import evidence_log, resolve_path
from casework.export import clipped, safe_cell, sha256_of, write_csv, xml_safe
from casework.paper import TAKEDOWN_LETTER, mark_docx_pages, number_docx_pages, page_footer
from casework.pictures import Picture, picture_reader, pictures_of_quote, quoted_pictures
from core.config import ConfigError
from core.labels import LABELS
from core.lead import Lead, screenshot_shows_zh
from core.settings import config_dir, main_settings
from core.visible import shown
from crawler.platforms import Operator, display_names, load_platform
from index.query import LeadQuery
from index.store import LeadStore

# A CJK TrueType font from Debian's fonts-wqy-microhei (scripts/install-system-deps.sh); reportlab embeds the
# glyphs a letter uses (a subset), which `pdffonts` reports as embedded.
PDF_FONT = "WenQuanYiMicroHei"
PDF_FONT_FILE = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
MISSING_GLYPH = "□"


@dataclass(frozen=True)
class Ground:
    """One violation a letter names, numbered as the letter numbers them (（一）, （二）, …), with its legal basis."""

    number: str
    name: str
    basis: list[str]


@dataclass(frozen=True)
class Recheck:
    """The re-check that found a listing still online, as a follow-up notice shows it: when, and the evidence."""

    at: str
    raw_sha256: str
    screenshot_sha256: str
    raw_file: Path | None
    screenshot_file: Path | None


@dataclass(frozen=True)
class TakedownRow:
    """One listing in a takedown letter."""

    lead_id: str
    url: str
    item_id: str
    title: str
    seller: str
    quotes: str
    violations: str
    basis: str
    raw_sha256: str
    screenshot_sha256: str
    fetched_at: str
    screenshot: Path | None = None
    raw_file: Path | None = None
    screenshot_file: Path | None = None
    recheck: Recheck | None = None
    screenshot_note: str = ""
    screenshot_at: str = ""
    pictures: tuple[Picture, ...] = ()
    """The listing's pictures a quote was read from by OCR (`casework.pictures`): in the evidence ZIP, with their
    SHA-256 and fetch time in the table."""
    """When the screenshot was taken, in Beijing time, from the evidence log (often a visit of its own, after the raw
    page was fetched); empty when there is no screenshot, "不详" when the log does not name it."""
    """What the letter says of a screenshot that does not show the quoted passages (`core.lead.ScreenshotShows`);
    one that shows none of them is not printed or attached (`screenshot` None), its file stays in the ZIP."""


@dataclass(frozen=True)
class Notice:
    """Which request a letter is: the first (number 1) or a follow-up citing the first."""

    number: int = 1
    first_reference: str | None = None
    first_date: str | None = None
    first_title: str | None = None


@dataclass(frozen=True)
class Letter:
    """A takedown letter's text, filled in from config and lead data."""

    reference: str
    platform: str
    recipient: str
    title: str
    paragraphs: list[str]
    closing: list[str]
    office: str
    date: str
    reply_by: str
    rows: list[TakedownRow]
    grounds: list[Ground] = field(default_factory=list)
    item_id_name: str = ""
    notice: Notice = field(default_factory=Notice)
    # 附注 below the date: who to call and where to write (GB/T 9704-2012 7.3.6).
    note: list[str] = field(default_factory=list)
    # A sample's mark (样稿, not to be sent: on every page, and in its reference); empty for a letter to send.
    sample: str = ""


def operator_of(platform: str) -> Operator:
    """The platform's operator from `config/platforms/<platform>.yaml` (letters go to its legal name)."""
    path = config_dir() / "platforms" / f"{platform}.yaml"
    if not path.is_file():
        raise ConfigError(f"{path}: no such platform config, so no operator to address a takedown letter to")
    operator = load_platform(path).operator
    if operator is None:
        raise ConfigError(f"{path}: operator: needed for takedown letters (legal_name, complaint_channel)")
    return operator


# The most characters of a listing's title or seller a letter shows (the URL names the listing; a title of a
# hundred thousand characters made a table cell taller than a page, and the PDF, for every listing, failed).
LETTER_FIELD_CHARS = 300


# The most characters of one quoted evidence span, and the most spans quoted for one listing (the stored page and the
# screenshot hold the rest).
QUOTE_CHARS = 120
QUOTES_PER_LISTING = 8
# Where on the page a quoted span stands (the detector's `field` of an evidence span), in the order a reader meets them.
FIELD_NAMES_ZH = PLACE_NAMES_ZH
CHINESE_NUMERALS = "一二三四五六七八九十"


def grounds_for(leads: Iterable[Lead], config: TakedownConfig) -> dict[str, Ground]:
    """The violations the leads carry, by label, numbered in the order of `core.labels.LABELS`."""
    present = {label for lead in leads for label in lead.confirmed_violations()}
    ordered = [label for label in LABELS if label in present] + sorted(present - set(LABELS))
    grounds = {}
    for n, label in enumerate(ordered):
        violation = config.violation(label)
        numeral = CHINESE_NUMERALS[n] if n < len(CHINESE_NUMERALS) else str(n + 1)
        grounds[label] = Ground(number=f"（{numeral}）", name=violation.name, basis=list(violation.basis))
    return grounds


# What ends a sentence of a listing's text: a letter quotes the whole sentence an evidence span stands in, so
# counsel reads the claim ("国家知识产全局专利句授权的专利带办处，专利申请观方受理，不经过中介。"), not the
# detector's fragment of it ("带办处，专利").
SENTENCE_ENDS = frozenset("。！？!?；;\n")


@dataclass(frozen=True)
class Passage:
    """The sentence of one field an evidence span stands in, as a letter quotes it."""

    field: str
    start: int
    end: int
    text: str


def passage_of(lead: Lead, span: Mapping[str, Any]) -> Passage:
    """The sentence of its field that `span` stands in (the field's text as fetched, cut at `SENTENCE_ENDS`), no longer
    than `QUOTE_CHARS` around the span (a cut end marked …); the span alone when the lead does not keep the field's
    text (text read from images) or the span is not where it says it is."""
    where = str(span.get("field") or "text")
    text, start, end = str(span.get("text") or "").strip(), int(span.get("start") or 0), int(span.get("end") or 0)
    source = {"title": lead.title, "text": lead.text, "seller": lead.seller}.get(where) or ""
    if not text or not 0 <= start < end <= len(source) or text not in source[start:end]:
        return Passage(where, start, end, text)
    head, tail = start, end
    while head > 0 and source[head - 1] not in SENTENCE_ENDS:
        head -= 1
    while tail < len(source) and source[tail] not in SENTENCE_ENDS:
        tail += 1
    if tail < len(source) and source[tail] != "\n":
        tail += 1  # the sentence's own full stop
    room = QUOTE_CHARS - 2  # for the … of a cut at each end
    first = max(head, start - max(room - (end - start), 0) // 2)
    last = min(tail, max(end, first + room))
    cut = source[first:last]
    lead_space = len(cut) - len(cut.lstrip())
    quoted = ("…" if first > head else "") + cut.strip() + ("…" if last < tail else "")
    return Passage(where, first + lead_space, first + lead_space + len(cut.strip()), quoted)


def _quotes(lead: Lead, grounds: Mapping[str, Ground], pictures: Iterable[Picture] = ()) -> str:
    """The words that make the listing unlawful, quoted as fetched: each sentence an evidence span stands in, once,
    with where it stands and the number of every violation it shows (a registry check's note after it), so the
    platform sees what to judge without opening the page. Words read from a picture say which one (its file in the
    evidence ZIP), and that a machine read them and staff checked them."""
    pictures = list(pictures)
    fields, labels = list(FIELD_NAMES_ZH), list(grounds)
    passages: dict[tuple[str, int, int], tuple[Passage, list[str], list[str]]] = {}
    confirmed = lead.confirmed_violations()
    for span in lead.evidence:
        label = str(span.get("label"))
        if label not in grounds or label not in confirmed or not str(span.get("text") or "").strip():
            continue
        passage = passage_of(lead, span)
        _, shows, notes = passages.setdefault((passage.field, passage.start, passage.end), (passage, [], []))
        shows += [label] if label not in shows else []
        note = str(span.get("note") or "")
        if label == "unlicensed_agency" and registry_note(note):
            note = register_finding(note)
        notes += [note] if note and note not in notes else []

    def reading_order(entry: tuple[Passage, list[str], list[str]]) -> tuple[int, int, int]:
        passage, shows, _ = entry
        return (min(labels.index(label) for label in shows),
                fields.index(passage.field) if passage.field in fields else len(fields), passage.start)

    lines = []
    for passage, shows, notes in sorted(passages.values(), key=reading_order):
        numbers = "".join(grounds[label].number for label in labels if label in shows)
        where = FIELD_NAMES_ZH.get(passage.field, "页面")
        if passage.field == "image_text":
            notes = [*notes, _read_from(pictures_of_quote(pictures, passage.text))]
        lines.append(f"{numbers}{where}：“{clipped(xml_safe(passage.text), QUOTE_CHARS)}”"
                     + "".join(f"（{note}）" for note in notes))
    if len(lines) > QUOTES_PER_LISTING:
        lines = lines[:QUOTES_PER_LISTING] + [f"另有{len(lines) - QUOTES_PER_LISTING}处，见网页原文及截图"]
    return "\n".join(lines) or "见网页原文及截图"


# The notes a registry check leaves on an unlicensed_agency span (`detector.registry.RegistryCheck.note`).
_NOT_IN_REGISTER = "发布者不在专利代理机构名录中"
_CODE_NOT_IN_REGISTER = re.compile(r"^机构代码 (\S+) 不在专利代理机构名录中$")
_CODE_OF_ANOTHER = re.compile(r"^机构代码 \S+ 属于 .+，与发布者不符$")
REGISTER_UNDATED = "（名录日期未配置）"


def registry_note(note: str) -> bool:
    """Whether a span's note is what a check against the licensed-agency register found."""
    return note == _NOT_IN_REGISTER or bool(_CODE_NOT_IN_REGISTER.match(note) or _CODE_OF_ANOTHER.match(note))


def register_cited() -> str:
    """The register a registry check was made against, as a letter cites it: `截至2026年11月30日的《专利代理机构名录》
    （国家知识产权局专利代理管理系统）` (registry.name, registry.source and registry.as_of in config/lantian.yaml);
    without as_of, the title marked 名录日期未配置 (only a sample says that: `check_register` refuses to send it)."""
    registry = main_settings().registry
    source = f"（{registry.source}）" if registry.source else ""
    if registry.as_of is None:
        return f"《{registry.name}》{source}{REGISTER_UNDATED}"
    day = registry.as_of
    return f"截至{day.year}年{day.month}月{day.day}日的《{registry.name}》{source}"


def register_finding(note: str) -> str:
    """A registry check's note as a letter states it, naming the register and the day it was taken."""
    register = register_cited()
    if note == _NOT_IN_REGISTER:
        return f"经查，{register}中无该发布者"
    code = _CODE_NOT_IN_REGISTER.match(note)
    if code:
        return f"经查，{register}中无机构代码 {code.group(1)}"
    return f"经查{register}：{note}"


def check_register(leads: Iterable[Lead]) -> None:
    """ConfigError when a letter to send would say a publisher is not in the register without saying as of which
    day the register was taken (registry.as_of): the file's own date is when it was copied here, not the register's
    state, and a statement counsel cannot date is one they cannot check."""
    if main_settings().registry.as_of is not None:
        return
    for lead in leads:
        confirmed = lead.confirmed_violations()
        if any(span.get("label") == "unlicensed_agency" and "unlicensed_agency" in confirmed
               and registry_note(str(span.get("note") or "")) for span in lead.evidence):
            raise ConfigError(
                f"{config_dir() / 'lantian.yaml'}: field 'registry.as_of' is not set, and the letter would say that "
                f"a publisher is not in the register ({lead.id[:12]}…): set it to the day the register in "
                "registry.path was taken (YYYY-MM-DD), with registry.name and registry.source as the letter should "
                "cite it (`lantian takedown --sample` writes the letter marked 样稿 meanwhile)")


def _read_from(pictures: list[Picture]) -> str:
    """What a quote read from pictures says of its source."""
    if not pictures:
        return "系机器识别的图片文字，经我局工作人员核对；原图片未留存，见网页截图"
    names = "、".join(f"图片{picture.number}" for picture in pictures)
    return f"系机器识别自{names}的文字，经我局工作人员对照原图片核对；原图片见证据包"


def _recheck_of(lead: Lead) -> Recheck | None:
    """The lead's last re-check, when it found the listing still online."""
    check = lead.recheck or {}
    if check.get("outcome") != "persisting":
        return None
    return Recheck(at=time_zh(check.get("at")), raw_sha256=str(check.get("raw_sha256") or ""),
                   screenshot_sha256=str(check.get("screenshot_sha256") or ""),
                   raw_file=resolve_path(check.get("raw_path")),
                   screenshot_file=resolve_path(check.get("screenshot_path")))


def _seller_shown(lead: Lead) -> str:
    """The seller as the page names it; a page that names none says so, with the agency its text names (a name
    found in the text is not the seller, and the letter does not present it as one)."""
    if lead.seller:
        return clipped(xml_safe(lead.seller), LETTER_FIELD_CHARS)
    if lead.agency_name:
        return f"页面未显示（正文所称机构：{clipped(xml_safe(lead.agency_name), LETTER_FIELD_CHARS)}）"
    return "页面未显示"


def rows_for(leads: Iterable[Lead], config: TakedownConfig, operator: Operator | None = None,
             grounds: Mapping[str, Ground] | None = None, with_recheck: bool = False) -> list[TakedownRow]:
    """The letter's rows; `with_recheck` (a follow-up) adds the re-check that found each listing still online."""
    leads = list(leads)
    grounds = grounds if grounds is not None else grounds_for(leads, config)
    shot_times = screenshot_times(leads)
    read_picture = picture_reader()
    rows = []
    for lead in leads:
        url = lead_url(lead)
        pictures = tuple(quoted_pictures(lead, read_picture))
        violations = [grounds[label] for label in grounds if label in lead.confirmed_violations()]
        rows.append(TakedownRow(
            lead_id=lead.id,
            url=shown(xml_safe(url)),
            item_id=shown(xml_safe(operator.item_id_of(url) or "")) if operator is not None else "",
            title=clipped(xml_safe(lead.title or ""), LETTER_FIELD_CHARS),
            seller=_seller_shown(lead),
            quotes=_quotes(lead, grounds, pictures),
            violations="\n".join(f"{g.number}{g.name}" for g in violations),
            basis="\n".join(dict.fromkeys(citation for g in violations for citation in g.basis)),
            raw_sha256=lead.raw_sha256 or "",
            screenshot_sha256=lead.screenshot_sha256 or "",
            fetched_at=time_zh(lead.fetched_at),
            screenshot=None if shows_nothing(lead) else _readable_image(resolve_path(lead.screenshot_path)),
            raw_file=resolve_path(lead.raw_path),
            screenshot_file=resolve_path(lead.screenshot_path),
            recheck=_recheck_of(lead) if with_recheck else None,
            screenshot_note=_screenshot_note(lead),
            screenshot_at=time_zh(shot_times.get(lead.screenshot_sha256 or "")) if lead.screenshot_sha256 else "",
            pictures=pictures,
        ))
    return rows


def screenshot_times(leads: Iterable[Lead]) -> dict[str, str]:
    """When each lead's screenshot was taken (UTC), by SHA-256, from the data dir's evidence log."""
    return evidence_log().screenshot_times(lead.screenshot_sha256 for lead in leads if lead.screenshot_sha256)


def shows_nothing(lead: Lead) -> bool:
    """Whether the lead's screenshot shows none of the passages the detector quoted from the page as fetched (the
    page changed for the browser): a letter does not hand counsel such a picture as evidence of the violation."""
    shows = lead.screenshot_shows
    return bool(shows and shows["passages"] and not shows["shown"])


def _screenshot_note(lead: Lead) -> str:
    shows = lead.screenshot_shows
    if not shows or not shows["missing"]:
        return ""
    return screenshot_shows_zh(shows) + ("；该截图不作为附件" if shows_nothing(lead) else "")


def _readable_image(path: Path | None) -> Path | None:
    """The screenshot if it is an image we can open (a stored file can be damaged): else no image."""
    if path is None:
        return None
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.verify()
    except (OSError, UnidentifiedImageError, ValueError):
        return None
    return path


def reference_for(platform: str, when: datetime, notice: int = 1, sample: bool = False) -> str:
    """A letter's reference; a sample's ends in 样稿, so its footer on every page and its files' names say so."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", platform).strip("-") or "platform"
    return (f"LT-{slug}-{when:%Y%m%d-%H%M%S}" + (f"-{notice}" if notice > 1 else "")
            + (f"-{SAMPLE}" if sample else ""))


SAMPLE = "样稿"
# The sender's details by the names a member of staff reads on the sample's mark.
SENDER_FIELDS_ZH = {"office": "机关名称", "department": "处室", "address": "地址", "contact": "联系人", "phone": "电话"}


def sample_mark(config: TakedownConfig) -> str:
    """What a sample says on every page: that it is not to be sent, and which sender details are still placeholders
    in config/casework/takedown.yaml."""
    unfilled = "、".join(SENDER_FIELDS_ZH[name] for name in config.complainant.unfilled())
    why = f"寄件人{unfilled}仍为占位内容，须在 config/casework/takedown.yaml 中填写" if unfilled else "仅供核对"
    return f"{SAMPLE}　不得发出（{why}）"


def build_letter(platform: str, leads: Iterable[Lead], config: TakedownConfig,
                 when: datetime | None = None, notice: Notice | None = None, sample: bool = False) -> Letter:
    """The letter for `leads`: a first request, or with `notice` a numbered follow-up citing the first; with
    `sample`, marked 样稿 on every page and in its reference."""
    when = when or datetime.now(UTC)
    notice = notice or Notice()
    leads = list(leads)
    operator = operator_of(platform)
    grounds = grounds_for(leads, config)
    rows = rows_for(leads, config, operator, grounds, with_recheck=notice.number > 1)
    c = config.complainant
    template: LetterTemplate = config.letter if notice.number == 1 else config.follow_up
    reference, date = reference_for(platform, when, notice.number, sample), date_zh(when)
    checked = sorted(instant for lead in leads if (instant := _instant((lead.recheck or {}).get("at"))) is not None)
    rechecked = "" if not checked else (date_zh(checked[0]) if date_zh(checked[0]) == date_zh(checked[-1])
                                        else f"{date_zh(checked[0])}至{date_zh(checked[-1])}")
    reply_by = date_zh(when + timedelta(days=config.deadline_days))
    values = {
        "recipient": operator.legal_name, "complaint_channel": operator.complaint_channel,
        "platform": display_names().get(platform, platform),
        "office": c.office, "department": c.department, "count": len(rows), "deadline_days": config.deadline_days,
        "date": date, "rechecked": rechecked,
        "reply_by": reply_by, "reference": reference, "contact": c.contact, "phone": c.phone,
        "address": c.address, "evidence_file": evidence_file_name(reference), "sums_file": SUMS_FILE,
        "number": notice.number, "first_reference": notice.first_reference or "", "first_date":
            notice.first_date or "", "first_title": notice.first_title or "",
    }

    def fill(text: str) -> list[str]:
        return [line.format(**values) for line in text.splitlines() if line.strip()]

    return Letter(reference=reference, platform=platform, recipient=operator.legal_name,
                  title=template.title.format(**values), paragraphs=fill(template.opening),
                  closing=fill(template.closing), note=fill(template.note), office=c.office, date=date,
                  reply_by=reply_by, rows=rows,
                  grounds=list(grounds.values()), item_id_name=operator.item_id.name if operator.item_id else "",
                  notice=notice, sample=sample_mark(config) if sample else "")


_COLUMNS = ("序号", "网址", "标题", "发布者", "涉嫌违法内容（原文摘录）", "违法情形（依据见正文）",
            "证据校验值（SHA-256）", "抓取时间", "截图")
GROUNDS_HEADING = "违法情形及法律依据"


def _ground_lines(letter: Letter) -> list[str]:
    """The letter's grounds, each violation once (the table refers to them by number), one citation a line."""
    lines = []
    for ground in letter.grounds:
        lines.append(f"{ground.number}{ground.name}")
        lines += [f"{citation}；" if i < len(ground.basis) - 1 else f"{citation}。"
                  for i, citation in enumerate(ground.basis)]
    return lines


def _address_text(row: TakedownRow, item_id_name: str) -> str:
    return row.url + (f"\n{item_id_name}：{row.item_id}" if row.item_id else "")


def _evidence_text(row: TakedownRow) -> str:
    text = f"网页原文：{row.raw_sha256 or '无'}\n截图：{row.screenshot_sha256 or '无'}"
    if row.screenshot_note:
        text += f"（{row.screenshot_note}）"
    if row.recheck is not None:
        text += f"\n复查网页原文：{row.recheck.raw_sha256 or '无'}\n复查截图：{row.recheck.screenshot_sha256 or '无'}"
    text += "".join(f"\n图片{picture.number}：{picture.sha256}" for picture in row.pictures)
    return text


def _times_text(row: TakedownRow) -> str:
    """When the raw page was fetched and, when another time, when its screenshot was taken (and re-checked)."""
    text = row.fetched_at if row.recheck is None else f"抓取：{row.fetched_at}"
    if row.screenshot_at and row.screenshot_at != row.fetched_at:
        text = f"网页原文：{row.fetched_at}\n截图：{row.screenshot_at}"
    if row.pictures:
        text = text if text.startswith(("网页原文", "抓取")) else f"网页原文：{text}"
        text += "".join(f"\n图片{picture.number}：{time_zh(picture.fetched_at) if picture.fetched_at else '不详'}"
                        for picture in row.pictures)
    return text if row.recheck is None else f"{text}\n复查：{row.recheck.at}"


def _cells(index: int, row: TakedownRow, item_id_name: str) -> list[str]:
    return [str(index), _address_text(row, item_id_name), row.title, row.seller, row.quotes, row.violations,
            _evidence_text(row), _times_text(row)]


def _attachments(rows: list[TakedownRow]) -> dict[int, int]:
    """Row number → attachment number, for the rows that have a screenshot (attachments are numbered 1, 2, …)."""
    numbered = [i for i, row in enumerate(rows, 1) if row.screenshot is not None]
    return {row: n for n, row in enumerate(numbered, 1)}


def _attachment_caption(attachment: int, index: int, row: TakedownRow) -> str:
    return f"附件{attachment}：第{index}条信息的网页截图（{row.url}，截图时间：{row.screenshot_at or row.fetched_at}）"


def write_docx(letter: Letter, path: Path) -> Path:
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.shared import Cm, Mm, Pt

    document = TAKEDOWN_LETTER.new_document(font_pt=10.5, title=letter.title, author=letter.office)
    number_docx_pages(document, letter.reference)
    if letter.sample:
        mark_docx_pages(document, letter.sample)

    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(letter.title)
    run.bold = True
    run.font.size = Pt(16)
    document.add_paragraph(f"编号：{letter.reference}").alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for text in letter.paragraphs:
        document.add_paragraph(text)
    document.add_paragraph().add_run(GROUNDS_HEADING).bold = True
    for text in _ground_lines(letter):
        document.add_paragraph(text)
    attachments = _attachments(letter.rows)
    table = document.add_table(rows=1, cols=len(_COLUMNS))
    table.style = "Table Grid"
    for cell, name in zip(table.rows[0].cells, _COLUMNS):
        cell.text = name
    _repeat_on_every_page(table.rows[0])
    for i, row in enumerate(letter.rows, 1):
        added = table.add_row()
        _keep_on_one_page(added)
        cells = added.cells
        for cell, value in zip(cells, _cells(i, row, letter.item_id_name)):
            cell.text = value
        if row.screenshot is not None:
            cells[-1].paragraphs[0].add_run().add_picture(str(row.screenshot), width=Cm(2.6))
            cells[-1].add_paragraph(f"见附件{attachments[i]}")
        else:
            cells[-1].text = "无截图"
    _docx_end(document, letter, attachments)
    width = Mm(TAKEDOWN_LETTER.text_width_mm)
    height = Mm(TAKEDOWN_LETTER.text_height_mm) - Cm(2)
    for i, row in enumerate(letter.rows, 1):
        if row.screenshot is None:
            continue
        caption = document.add_paragraph()
        caption.add_run().add_break(WD_BREAK.PAGE)
        caption.add_run(_attachment_caption(attachments[i], i, row)).bold = True
        w, h = _image_size(row.screenshot)
        scale = min(width / w, height / h)
        document.add_paragraph().add_run().add_picture(str(row.screenshot), width=int(w * scale),
                                                       height=int(h * scale))
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


def _repeat_on_every_page(row: Any) -> None:
    """Mark a DOCX table row as the table's header, which Word repeats at the top of every page the table runs
    onto (as the PDF's table repeats its first row), so page 9 of a long list still says what its columns are."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(header)


def _keep_on_one_page(row: Any) -> None:
    """Mark a DOCX table row as one Word does not break across pages (a row taller than a page still breaks), as the
    PDF keeps its rows whole: a hash cut in two by a page break is hard to compare."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    whole = OxmlElement("w:cantSplit")
    whole.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(whole)


def _image_size(path: Path) -> tuple[int, int]:
    from PIL import Image

    with Image.open(path) as image:
        return image.size


def _register_pdf_font() -> Any:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        if not PDF_FONT_FILE.is_file():
            raise ConfigError(f"{PDF_FONT_FILE}: the CJK font for takedown PDFs is missing; install Debian's "
                              "fonts-wqy-microhei (scripts/install-system-deps.sh)")
        pdfmetrics.registerFont(TTFont(PDF_FONT, str(PDF_FONT_FILE), subfontIndex=0))
    return pdfmetrics.getFont(PDF_FONT)


def printable(text: str, glyphs: Mapping[int, Any]) -> str:
    """`text` with every character the font cannot draw made visible as □ (joiners and variation selectors,
    which draw nothing, are dropped), so emoji and rare symbols never turn into blanks or break a cell."""
    out = []
    for ch in xml_safe(text):
        if ch in "\n\t" or ord(ch) in glyphs:
            out.append(ch)
        elif unicodedata.category(ch) not in ("Mn", "Me", "Cf"):
            out.append(MISSING_GLYPH)
    return "".join(out)


def write_pdf(letter: Letter, path: Path) -> Path:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        Image,
        KeepTogether,
        LayoutError,
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    glyphs = _register_pdf_font().face.charToGlyph
    body = ParagraphStyle("body", fontName=PDF_FONT, fontSize=10.5, leading=16, wordWrap="CJK")
    cell = ParagraphStyle("cell", parent=body, fontSize=7.5, leading=10)
    title = ParagraphStyle("title", parent=body, fontSize=16, leading=22, alignment=TA_CENTER)
    right = ParagraphStyle("right", parent=body, alignment=TA_RIGHT)
    heading = ParagraphStyle("heading", parent=body, fontSize=12, leading=18, spaceBefore=2 * mm)

    def para(text: str, style: ParagraphStyle) -> Paragraph:
        # Listing text is hostile input: escape it so it cannot inject reportlab markup.
        return Paragraph(escape(printable(text, glyphs)).replace("\n", "<br/>"), style)

    page = TAKEDOWN_LETTER
    thumb_w = 26 * mm

    def image(source: Path, max_w: float, max_h: float) -> Image:
        w, h = _image_size(source)
        scale = min(max_w / w, max_h / h)
        # lazy=2: read the file when the image is drawn and let it go after; reportlab otherwise keeps every image it
        # drew decoded until the document is done (6.3 GB for 300 listings of 1280×2400 screenshots).
        return Image(str(source), width=w * scale, height=h * scale, lazy=2)

    def story(split_in_row: int) -> list[Any]:
        """The letter's flowables; `split_in_row` lets a row of the table break across pages."""
        story: list[Any] = [para(letter.title, title), para(f"编号：{letter.reference}", right), Spacer(1, 4 * mm)]
        story += [para(text, body) for text in letter.paragraphs]
        story += [para(GROUNDS_HEADING, heading)] + [para(text, body) for text in _ground_lines(letter)]
        story.append(Spacer(1, 3 * mm))
        attachments = _attachments(letter.rows)
        data: list[list[Any]] = [[para(name, cell) for name in _COLUMNS]]
        for i, row in enumerate(letter.rows, 1):
            shot = [image(row.screenshot, thumb_w, 40 * mm), para(f"见附件{attachments[i]}", cell)] if row.screenshot \
                else para("无截图", cell)
            data.append([para(value, cell) for value in _cells(i, row, letter.item_id_name)] + [shot])
        widths = [x * mm for x in (8, 42, 30, 22, 46, 32, 42, 22, 29)]
        table = Table(data, colWidths=widths, repeatRows=1, splitInRow=split_in_row)
        table.setStyle(TableStyle([
            ("FONTNAME", (0, 0), (-1, -1), PDF_FONT),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]))
        story += [table, Spacer(1, 4 * mm)]
        closing = [para(text, body) for text in letter.closing]
        annex = [para(line, body) for line in _annex_lines(attachments)]
        note = ParagraphStyle("note", parent=body, firstLineIndent=2 * body.fontSize)
        # The seal goes on a page with the letter's own words, never alone on a page (GB/T 9704-2012 7.3.5.1).
        story += closing[:-1] + [KeepTogether(closing[-1:] + annex + [Spacer(1, SEAL_SPACE_MM * mm),
                                                                       _pdf_signature(letter, body)]
                                              + [para(text, note) for text in letter.note])]
        for i, row in enumerate(letter.rows, 1):
            if row.screenshot is not None:
                story += [PageBreak(), para(_attachment_caption(attachments[i], i, row), body), Spacer(1, 2 * mm),
                          image(row.screenshot, page.text_width_mm * mm - 1 * mm, page.text_height_mm * mm - 14 * mm)]
        return story

    path.parent.mkdir(parents=True, exist_ok=True)

    def build(split_in_row: int) -> None:
        SimpleDocTemplate(str(path), pagesize=(page.width_mm * mm, page.height_mm * mm), leftMargin=page.left_mm * mm,
                          rightMargin=page.right_mm * mm, topMargin=page.top_mm * mm,
                          bottomMargin=page.bottom_mm * mm, title=printable(letter.title, glyphs),
                          author=letter.office, initialFontName=PDF_FONT).build(
            story(split_in_row), canvasmaker=_numbered_canvas(letter.reference, page.width_mm * mm,
                                                              page.height_mm * mm, page.bottom_mm * mm / 2,
                                                              printable(letter.sample, glyphs)))

    # A row stays on one page, so a SHA-256 or a quote is never cut in two by a page break and counsel compares a
    # hash on one page; only a letter with a row taller than a page (eight long quotes) lets its rows break.
    try:
        build(0)
    except LayoutError:
        build(1)
    return path


# The end of a letter as an official 函 ends (GB/T 9704-2012 7.3.4-7.3.6): the closing words, the list of attachments
# (附件说明), a place for the office's seal, marked （盖章）, above the office's name centred over the date, the date
# four characters from the right, the seal pressing both; then the contact line in brackets (附注).
SEAL_PLACE = "（盖章）"
SEAL_SPACE_MM = 16
DATE_RIGHT_CHARS = 4


def _annex_lines(attachments: Mapping[int, int]) -> list[str]:
    """附件说明: the screenshots printed after the letter, by their attachment numbers."""
    count = len(attachments)
    if not count:
        return []
    return [f"附件：网页截图{count}份（附件1）" if count == 1 else f"附件：网页截图{count}份（附件1至附件{count}）"]


def _signature_offsets(office: float, date: float, char: float) -> tuple[float, float]:
    """How far from the right margin the office's name and the date end: the date four characters in, the name
    centred over it (a name longer than the date reaches further both ways)."""
    date_right = DATE_RIGHT_CHARS * char
    return max(0.0, date_right - (office - date) / 2), date_right


def _pdf_signature(letter: Letter, body: Any) -> Any:
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import Paragraph, Table, TableStyle

    size = body.fontSize
    office, date = (stringWidth(text, PDF_FONT, size) for text in (letter.office, letter.date))
    office_right, date_right = _signature_offsets(office, date, size)
    column = max(office, date) + 2
    # The column is centred on the date, so the date ends `date_right` from the margin.
    right_space = date_right - (column - date) / 2
    centred = ParagraphStyle("signature", parent=body, alignment=TA_CENTER)
    rows = [[Paragraph(escape(text), centred), ""] for text in (SEAL_PLACE, letter.office, letter.date)]
    table = Table(rows, colWidths=[column, max(right_space, 0.01)], hAlign="RIGHT")
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), PDF_FONT),  # the empty cells too: no unembedded font
                               ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                               ("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _docx_end(document: Any, letter: Letter, attachments: Mapping[int, int]) -> None:
    """The DOCX's closing words, 附件说明, seal place, office, date and contact line, kept on one page."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    size = 10.5
    held = [document.add_paragraph(text) for text in letter.closing]
    held += [document.add_paragraph(text) for text in _annex_lines(attachments)]
    held += [document.add_paragraph() for _ in range(3)]
    office_right, date_right = _signature_offsets(_docx_width(letter.office, size), _docx_width(letter.date, size),
                                                  size)
    for text, right in ((SEAL_PLACE, office_right + (_docx_width(letter.office, size) -
                                                      _docx_width(SEAL_PLACE, size)) / 2),
                        (letter.office, office_right), (letter.date, date_right)):
        paragraph = document.add_paragraph(text)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        paragraph.paragraph_format.right_indent = Pt(max(right, 0))
        held.append(paragraph)
    for paragraph in held:
        paragraph.paragraph_format.keep_with_next = True
    for text in letter.note:
        document.add_paragraph(text).paragraph_format.first_line_indent = Pt(2 * size)


def _docx_width(text: str, size: float) -> float:
    """Points `text` takes in Word's SimSun: a full-width (CJK) character one em, any other half."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size / 2 for ch in text)


def _numbered_canvas(reference: str, width: float, height: float, baseline: float, sample: str = "") -> Any:
    """A reportlab canvas that writes `page_footer` at the foot of every page once it knows how many pages there
    are (it keeps each page until the document is complete, then draws the footers and writes them); a sample's
    mark goes at the head of every page, and 样稿 across it."""
    from reportlab.pdfgen.canvas import Canvas

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._kept: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._kept.append(dict(self.__dict__))
            self._startPage()  # type: ignore[attr-defined]  # reportlab's own way to begin a page, not in its stubs

        def save(self) -> None:
            for number, state in enumerate(self._kept, 1):
                self.__dict__.update(state)
                self.setFont(PDF_FONT, 8)
                self.drawCentredString(width / 2, baseline, page_footer(reference, number, len(self._kept)))
                if sample:
                    self._mark(sample)
                super().showPage()
            super().save()

        def _mark(self, text: str) -> None:
            self.saveState()
            self.setFillColorRGB(0.8, 0, 0)
            self.setFont(PDF_FONT, 10)
            self.drawCentredString(width / 2, height - baseline, text)
            self.setFillColorRGB(0.8, 0, 0, alpha=0.12)
            self.setFont(PDF_FONT, 120)
            self.translate(width / 2, height / 2)
            self.rotate(30)
            self.drawCentredString(0, -40, SAMPLE)
            self.restoreState()

    return NumberedCanvas


def write_url_csv(letter: Letter, path: Path) -> Path:
    """The platform's bulk-complaint upload: one row per URL, with what the letter says of it (column names in
    Chinese, as the letter's; the row's number in the letter last, so a reply can name it)."""
    write_csv(path, ["网址", "标题", letter.item_id_name or "平台商品编号", "发布者", "涉嫌违法内容（原文摘录）",
                     "违法情形", "法律依据", "网页原文SHA-256", "截图SHA-256", "抓取时间", "截图时间", "函件序号"],
              ((row.url, row.title, row.item_id, row.seller, row.quotes.replace("\n", "；"),
                row.violations.replace("\n", "；"), row.basis.replace("\n", "；"), row.raw_sha256,
                row.screenshot_sha256, row.fetched_at, row.screenshot_at, f"{letter.reference} 第{i}条")
               for i, row in enumerate(letter.rows, 1)))
    return path


def deadline(config: TakedownConfig, when: datetime | None = None) -> str:
    when = when or datetime.now(UTC)
    return (when + timedelta(days=config.deadline_days)).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def evidence_file_name(reference: str) -> str:
    """The name of the ZIP of a letter's evidence files, as the letter names it."""
    return f"{reference}-证据.zip"


# The checksum list inside the evidence ZIP, in the format `sha256sum -c` reads.
SUMS_FILE = "SHA256SUMS.txt"


def write_evidence_zip(letter: Letter, path: Path) -> Path:
    """The raw page and the screenshot of every listing, byte for byte as the evidence archive keeps them (their
    SHA-256 is the one the letter prints), named by the listing's number in the letter, with a checksum list, so
    the platform can check the hashes itself. Nothing else of ours goes in (no lead document, no notes)."""
    import zipfile

    sums: list[str] = []
    sources: list[list[str]] = []
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for i, row in enumerate(letter.rows, 1):
            files = [(row.raw_file, f"第{i:03d}条-网页原文.html"), (row.screenshot_file, f"第{i:03d}条-截图.png")]
            if row.recheck is not None:
                files += [(row.recheck.raw_file, f"第{i:03d}条-复查网页原文.html"),
                          (row.recheck.screenshot_file, f"第{i:03d}条-复查截图.png")]
            files += [(picture.file, f"第{i:03d}条-{picture.name}") for picture in row.pictures]
            sources += [[f"第{i:03d}条-{picture.name}", picture.url, picture.sha256,
                         time_zh(picture.fetched_at) if picture.fetched_at else "不详（证据日志无此图片的记录）",
                         str((picture.log_line or {}).get("seq") or ""), "；".join(picture.quotes)]
                        for picture in row.pictures]
            for source, name in files:
                if source is None:
                    continue
                data = source.read_bytes()
                archive.writestr(zip_entry(name), data)
                sums.append(f"{sha256_of(data)}  {name}\n")
        archive.writestr(zip_entry(SUMS_FILE), "".join(sums))
        if sources:
            archive.writestr(zip_entry(PICTURES_FILE), _csv_text(PICTURE_COLUMNS, sources))
    return path


# Where each picture in a letter's evidence ZIP came from, and which quotes were read from it.
PICTURES_FILE = "图片来源.csv"
PICTURE_COLUMNS = ("文件", "图片网址", "SHA-256", "抓取时间（北京时间）", "证据日志序号", "识别出的引文")


def _csv_text(header: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([safe_cell(value) for value in row] for row in rows)
    return "\ufeff" + out.getvalue()


def write_package(letter: Letter, out_dir: Path) -> dict[str, Path]:
    """Write the DOCX, PDF, URL CSV and evidence ZIP for one letter; returns their paths by kind."""
    stem = out_dir / letter.reference
    return {"docx": write_docx(letter, stem.with_suffix(".docx")),
            "pdf": write_pdf(letter, stem.with_suffix(".pdf")),
            "csv": write_url_csv(letter, out_dir / f"{letter.reference}-urls.csv"),
            "evidence": write_evidence_zip(letter, out_dir / evidence_file_name(letter.reference))}


@dataclass(frozen=True)
class TakedownResult:
    """The letter and its files (None and empty when no lead could go in it), the leads moved to
    takedown_requested, and why others were left out."""

    letter: Letter | None
    files: dict[str, Path]
    moved: list[str]
    refused: list[str]


def lead_url(lead: Lead) -> str:
    """The address a takedown request names for a lead: its final URL, else its canonical one."""
    return lead.url or lead.canonical_url or ""


def web_url(url: str) -> bool:
    """Whether a platform can act on `url`: an http or https address with a host (not `javascript:`, `data:` …)."""
    try:
        parts = urlsplit(url)
    except ValueError:  # a malformed IPv6 host
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and url == url.strip()


def _send(store: LeadStore, letter: Letter, leads: list[Lead], config: TakedownConfig, out_dir: Path, *,
          by: str, when: datetime) -> TakedownResult:
    """Write the letter's documents, then move its leads to takedown_requested with the notice recorded (the
    documents come first, so a failure while writing changes no lead). A sample is written and nothing else: it is
    not sent, so no lead moves and no notice is recorded. A letter to send needs the sender's own details."""
    if not letter.sample:
        config.check_sender(instead="`lantian takedown --sample` writes the letter marked 样稿, moving no lead")
        check_register(leads)
    files = write_package(letter, out_dir)
    if letter.sample:
        return TakedownResult(letter, files, [], [])
    stamp = when.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    record = {"reference": letter.reference, "number": letter.notice.number, "title": letter.title, "date": stamp,
              "reply_by": deadline(config, when), "platform": letter.platform, "recipient": letter.recipient,
              "cites": letter.notice.first_reference}
    moved, refused = [], []
    for lead in leads:
        extra = {"takedown_deadline": record["reply_by"], "takedown_reference": letter.reference,
                 "takedown_notices": [*lead.takedown_notices, record]}
        why = f"删除链接通知 {letter.reference}" + (f"（第{letter.notice.number}次通知，引用 "
                                                   f"{letter.notice.first_reference}）"
                                                   if letter.notice.number > 1 else "")
        try:
            workflow.set_status(store, lead.id, "takedown_requested", by=by, why=why, extra=extra)
            moved.append(lead.id)
        except workflow.WorkflowError as exc:
            refused.append(f"{lead.id}: {exc}")
    store.flush()
    return TakedownResult(letter, files, moved, refused)


def request_takedowns(store: LeadStore, platform: str, config: TakedownConfig, out_dir: Path, *, by: str,
                      when: datetime | None = None, sample: bool = False) -> TakedownResult | None:
    """Build the letter for the platform's confirmed leads and move them to takedown_requested (audited); with
    `sample`, only write it, marked 样稿.

    Returns None when the platform has no confirmed leads; ConfigError when the sender's details in the config are
    still placeholders and it is not a sample.
    """
    when = when or datetime.now(UTC)
    leads = list(store.iter_leads(LeadQuery(statuses=["confirmed"], platforms=[platform], sort="first_seen",
                                            descending=False)))
    if not leads:
        return None
    refused = [f"{lead.id}: {lead_url(lead)!r} is not an http(s) URL, so it is not put in a takedown request"
               for lead in leads if not web_url(lead_url(lead))]
    leads = [lead for lead in leads if web_url(lead_url(lead))]
    if not leads:
        return TakedownResult(None, {}, [], refused)
    sent = _send(store, build_letter(platform, leads, config, when, sample=sample), leads, config, out_dir, by=by,
                 when=when)
    return TakedownResult(sent.letter, sent.files, sent.moved, [*refused, *sent.refused])


def first_notice(lead: Lead) -> dict[str, Any] | None:
    """The first request a lead was in (older leads carry only `takedown_reference`)."""
    if lead.takedown_notices:
        return lead.takedown_notices[0]
    if lead.takedown_reference:
        return {"reference": lead.takedown_reference, "number": 1, "title": "", "date": ""}
    return None


def request_follow_ups(store: LeadStore, platform: str, config: TakedownConfig, out_dir: Path, *, by: str,
                       when: datetime | None = None, sample: bool = False) -> list[TakedownResult]:
    """A numbered follow-up notice for the platform's `persisting` leads, one per first request they were in,
    citing it; the leads move back to takedown_requested with a new deadline (with `sample`, only written, marked
    样稿)."""
    when = when or datetime.now(UTC)
    groups: dict[str, list[Lead]] = {}
    firsts: dict[str, dict[str, Any]] = {}
    refused: list[str] = []
    for lead in store.iter_leads(LeadQuery(statuses=["persisting"], platforms=[platform], sort="first_seen",
                                           descending=False)):
        first = first_notice(lead)
        if first is None:
            continue
        unchecked = _not_rechecked_since_last_notice(lead)
        if unchecked:
            refused.append(f"{lead.id}: {unchecked}")
            continue
        groups.setdefault(first["reference"], []).append(lead)
        firsts[first["reference"]] = first
    results = [TakedownResult(None, {}, [], refused)] if refused else []
    for reference, leads in groups.items():
        first = firsts[reference]
        number = max(len(lead.takedown_notices or [first]) for lead in leads) + 1
        first_date = first.get("date") or ""
        notice = Notice(number=number, first_reference=reference,
                        first_date=date_zh(first_date) if first_date else "（见原函）",
                        first_title=first.get("title") or config.letter.title)
        letter = build_letter(platform, leads, config, when, notice, sample)
        results.append(_send(store, letter, leads, config, out_dir, by=by, when=when))
    return results


def _instant(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _not_rechecked_since_last_notice(lead: Lead) -> str:
    """Why a follow-up cannot name the lead ("" when it can): a follow-up tells the platform the office re-checked
    the listing after its last notice and found it online, and shows that re-check's time and files. A lead marked
    persisting by hand, or whose only re-check came before its last notice, has no such re-check to show."""
    check = lead.recheck or {}
    if check.get("outcome") != "persisting":
        return ("no re-check found it still online (`lantian recheck` re-fetches it and keeps what it finds): a "
                "follow-up states that re-check, with its time and evidence")
    last = (lead.takedown_notices or [{}])[-1].get("date")
    checked, noticed = _instant(check.get("at")), _instant(last) if last else None
    if checked is None or (noticed is not None and checked < noticed):
        return (f"its last re-check ({check.get('at') or 'undated'}) is not after its last notice ({last}): "
                "`lantian recheck --include-persisting` re-checks it")
    return ""


def register(store: LeadStore, platform: str | None = None) -> list[dict[str, Any]]:
    """The register of requests: every notice sent (first requests and follow-ups), oldest first, with how many
    listings it named and which request a follow-up cites."""
    entries: dict[str, dict[str, Any]] = {}
    query = LeadQuery(statuses=list(workflow.NOTICED_STATUSES), platforms=[platform] if platform else [])
    for lead in store.iter_leads(query):
        for notice in lead.takedown_notices:
            entry = entries.setdefault(notice["reference"], {**notice, "lead_ids": []})
            entry["lead_ids"].append(lead.id)
    return sorted(entries.values(), key=lambda e: (e.get("date") or "", e.get("number") or 1, e["reference"]))
