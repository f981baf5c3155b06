"""A takedown letter read as the platform's counsel reads it, who gets a hundred a week and sends back any that is
incomplete or wrong: dates as official documents write them and in Beijing time, every listing's capture time with
its time zone."""
from __future__ import annotations

import csv
import hashlib
import io
import re
import subprocess
import sys
import zipfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.oxml.ns import qn
from PIL import Image
from pypdf import PdfReader
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from typer.testing import CliRunner

from casework import workflow
from casework.config import load_takedown_config
from casework.dates import date_zh, time_zh
from casework.export import case_row
from casework.paper import COMPLAINT_REPLY, TAKEDOWN_LETTER, PageLayout
from casework.takedown import PDF_FONT, QUOTE_CHARS, TakedownResult, request_follow_ups, request_takedowns
from core.lead import Lead
from crawler.evidence.archive import EvidenceArchive
from lantian.cli import app
from tests.fixtures.casework import detection, listing

# Every letter here is one the office sends: its own details are filled in.
pytestmark = pytest.mark.usefixtures("office")

# What a letter says of a publisher the registry check did not find, as the `office` fixture's register is named.
NOT_IN_REGISTER = "经查，截至2026年11月30日的《专利代理机构名录》（国家知识产权局专利代理管理系统）中无该发布者"

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


def test_each_listing_is_named_by_its_url_and_the_platforms_own_number(store: Any, tmp_path: Path) -> None:
    """A platform finds a listing by its own number (商品ID); the URL alone may carry tracking or change."""
    lead = _confirmed(store, 7)
    result = _letter(store, tmp_path)
    [row] = Document(str(result.files["docx"])).tables[0].rows[1:]
    assert row.cells[1].text == f"{lead.url}\n商品ID：L000007"
    assert "商品ID：L000007" in _pdf_text(result.files["pdf"])


def test_the_words_that_break_the_law_are_quoted_where_they_stand(store: Any, tmp_path: Path) -> None:
    """A label is a conclusion; counsel acts on the words. The sentence each evidence span stands in is quoted as
    fetched, with the field it stands in and the number of the violation it shows; the detector's note on a
    registry check goes with it."""
    item = listing(1, title="商标加急 国家知识产权局指定代理")
    spans = [{"label": "impersonation", "field": "title", "start": 5, "end": 16, "text": "国家知识产权局指定代理"},
             {"label": "insider_channel", "field": "text", "start": 12, "end": 16, "text": "内部渠道"},
             {"label": "unlicensed_agency", "field": "seller", "start": 0, "end": 6, "text": "某某知识产权",
              "note": "发布者不在专利代理机构名录中"}]
    labels = ["impersonation", "insider_channel", "unlicensed_agency"]
    lead = store.upsert(item, detection(item, labels).model_copy(update={"evidence": spans}))
    workflow.set_status(store, lead.id, "reviewing", by="alice")
    workflow.set_status(store, lead.id, "confirmed", by="alice", why="证据充分")
    result = _letter(store, tmp_path)
    [row] = Document(str(result.files["docx"])).tables[0].rows[1:]
    assert row.cells[4].text.splitlines() == [
        "（一）标题：“商标加急 国家知识产权局指定代理”", "（二）正文：“国家知识产权局指定代理，内部渠道，包授权。”",
        f"（三）发布者名称：“某某知识产权”（{NOT_IN_REGISTER}）"]
    assert row.cells[5].text.splitlines() == [
        "（一）冒用官方名义、标识招揽业务", "（二）声称有内部快速授权渠道、承诺授权结果",
        "（三）无资质擅自开展专利代理业务"]
    pdf = _pdf_text(result.files["pdf"])
    assert "（一）标题：“商标加急国家知识产权局指定代理”" in pdf
    assert "（二）正文：“国家知识产权局指定代理，内部渠道" in pdf


def test_the_legal_basis_is_given_once_per_violation_however_many_listings_show_it(store: Any,
                                                                                  tmp_path: Path) -> None:
    """Three hundred listings of one violation made three hundred copies of its citations; the letter now states each
    violation's basis once and each row names the violation by its number."""
    for n in range(1, 31):
        _confirmed(store, n)
    result = _letter(store, tmp_path)
    body = "\n".join(p.text for p in Document(str(result.files["docx"])).paragraphs)
    assert body.count("《中华人民共和国广告法》第九条第（二）项") == 1
    rows = Document(str(result.files["docx"])).tables[0].rows[1:]
    assert len(rows) == 30 and {row.cells[5].text for row in rows} == {
        "（一）冒用官方名义、标识招揽业务\n（二）声称有内部快速授权渠道、承诺授权结果"}
    assert _pdf_text(result.files["pdf"]).count("第九条第（二）项") == 1


def test_the_url_list_for_the_complaint_form_speaks_chinese_and_carries_no_internal_number(store: Any,
                                                                                          tmp_path: Path) -> None:
    lead = _confirmed(store, 3)
    result = _letter(store, tmp_path)
    with open(result.files["csv"], encoding="utf-8-sig") as handle:
        [header, row] = list(csv.reader(handle))
    assert header == ["网址", "标题", "商品ID", "发布者", "涉嫌违法内容（原文摘录）", "违法情形", "法律依据",
                      "网页原文SHA-256", "截图SHA-256", "抓取时间", "截图时间", "函件序号"]
    assert row[0] == lead.url and row[2] == "L000003" and "内部渠道，包授权。”" in row[4]
    assert row[-1] == f"{result.letter.reference} 第1条" and lead.id not in ",".join(row)


# Articles cited in takedown.yaml whose text is a list of numbered items (read in the reproductions its comment names):
# a citation of one of them names the item the conduct falls under, or counsel cannot tell which applies.
ARTICLES_WITH_ITEMS = (
    "《中华人民共和国广告法》第九条", "《中华人民共和国商标法》第六十八条", "《专利代理条例》第二十五条",
    "《专利代理条例》第二十六条", "《专利代理管理办法》第五十一条", "《专利代理管理办法》第五十二条",
    "《商标代理监督管理规定》第二十九条", "《商标代理监督管理规定》第三十一条",
)


def test_every_citation_of_an_article_with_numbered_items_names_the_item() -> None:
    for violation in load_takedown_config().violations.values():
        for citation in violation.basis:
            for article in ARTICLES_WITH_ITEMS:
                if citation.startswith(article):
                    rest = citation[len(article):]
                    assert rest.startswith(("第（", "第一款第（")), citation


# The words of each cited item whose wording the letter gives in brackets, as the reproductions named in
# takedown.yaml's comment read (专利代理条例: flk.npc.gov.cn; 专利代理管理办法, 商标代理监督管理规定: sjfg.samr.gov.cn).
ITEM_WORDS = {
    "《中华人民共和国广告法》第九条第（二）项": "使用或者变相使用国家机关、国家机关工作人员的名义或者形象",
    "《专利代理条例》第二十六条第一款第（三）项": "同时在两个以上专利代理机构从事专利代理业务",
    "《专利代理管理办法》第五十一条第（二）项": "从事非正常专利申请行为，严重扰乱专利工作秩序",
    "《专利代理管理办法》第五十一条第（三）项":
        "诋毁其他专利代理师、专利代理机构，以不正当手段招揽业务，存在弄虚作假行为，严重扰乱行业秩序，受到有关行政机关处罚",
    "《专利代理管理办法》第五十一条第（九）项": "涂改、倒卖、出租、出借专利代理机构执业许可证，严重扰乱行业秩序",
    "《专利代理管理办法》第五十二条第（一）项": "通过租用、借用等方式利用他人资质开展专利代理业务",
    "《商标代理监督管理规定》第二十九条第（六）项":
        "假冒国家机关官方网站、邮箱、电话等或者以国家机关工作人员的名义提供虚假信息误导公众",
}


def test_an_item_quoted_in_brackets_is_quoted_whole_with_the_conditions_it_sets() -> None:
    """办法 第五十一条第（三）项 reads "……严重扰乱行业秩序，受到有关行政机关处罚": a letter that quoted it
    without its last words told the platform the conduct alone met the item, and counsel who opens the text finds
    the office misquoting its own rules."""
    basis = [citation for violation in load_takedown_config().violations.values() for citation in violation.basis]
    for item, words in ITEM_WORDS.items():
        citations = [citation for citation in basis if citation.startswith(item)]
        assert citations, f"{item} is no longer cited: update ITEM_WORDS"
        assert all(citation.startswith(f"{item}（") and words in citation for citation in citations), citations


def test_a_lawful_procedure_is_not_cited_as_the_ground_of_a_violation() -> None:
    """商标法 第四十九条第二款 lets anyone ask to cancel a mark unused for three years: it is why 撤三 exists, not what
    makes offering it unlawful, and counsel reading it as the ground would refuse the letter."""
    basis = load_takedown_config().violation("malicious_cancellation").basis
    assert not [c for c in basis if "第四十九条" in c]
    assert any(c.startswith("《商标代理监督管理规定》第十条第一款") for c in basis)


def test_the_letter_says_under_what_authority_it_asks_and_where_to_answer(store: Any, tmp_path: Path) -> None:
    """Who asks, by what right, what duty the platform has, and where the answer goes (contact, phone, address)."""
    _confirmed(store, 1)
    result = _letter(store, tmp_path)
    complainant = load_takedown_config().complainant
    for text in (_pdf_text(result.files["pdf"]), "".join(_docx_text(result.files["docx"]).split())):
        assert "依据《专利代理条例》第五条第二款、《商标代理监督管理规定》第二十四条" in text
        assert "根据《中华人民共和国广告法》第四十五条" in text
        reply_to = f"（联系人：{complainant.contact}，电话：{complainant.phone}，地址：{complainant.address}）"
        assert "".join(reply_to.split()) in text


def test_the_letter_says_a_person_confirmed_every_listing_and_who_keeps_the_capture_records(store: Any,
                                                                                            tmp_path: Path) -> None:
    """Counsel sends back what reads as a machine's list: the letter says each listing was reviewed and confirmed by
    the office's staff (only confirmed leads go in it), that the files were captured by the office's monitoring
    system, and that the capture records (WARC, the hash-chained evidence log) are kept by the office."""
    confirmed = _confirmed(store, 1)
    item = listing(2)
    unreviewed = store.upsert(item, detection(item))
    result = _letter(store, tmp_path)
    assert result.moved == [confirmed.id] and unreviewed.id not in ",".join(result.refused)
    for text in (_pdf_text(result.files["pdf"]), "".join(_docx_text(result.files["docx"]).split())):
        assert "下表所列信息及其违法情形均经我局工作人员审核确认" in text
        assert "抓取记录（WARC存档及哈希链证据日志）由我局留存备查" in text
        assert unreviewed.url not in text


def test_every_page_carries_the_letters_reference_and_its_number_of_all(store: Any, tmp_path: Path) -> None:
    """A printed letter of many pages is checked for completeness, and a loose page is put back, by its footer."""
    for n in range(1, 41):
        _confirmed(store, n)
    result = _letter(store, tmp_path)
    reference = result.letter.reference
    pages = PdfReader(str(result.files["pdf"])).pages
    assert len(pages) > 2
    for number, page in enumerate(pages, 1):
        assert "".join(page.extract_text().split()).endswith(f"{reference}第{number}页共{len(pages)}页")
    footer = Document(str(result.files["docx"])).sections[0].footer.paragraphs[0]
    instructions = [f.get(qn("w:instr")) for f in footer._p.iter(qn("w:fldSimple"))]
    assert instructions == ["PAGE", "NUMPAGES"] and footer.text == f"{reference}　第页　共页"


def test_the_evidence_files_go_with_the_letter_and_their_hashes_can_be_checked_by_the_platform(
        store: Any, casework_env: Path, tmp_path: Path) -> None:
    """A hash is proof only to someone who has the file and knows how to hash it: the letter sends the raw page and
    the screenshot as stored, names them by the listing's number, lists their SHA-256 in `sha256sum -c` format, and
    says how to check them. Nothing internal goes with them."""
    blobs = casework_env / "evidence" / "blobs"
    blobs.mkdir(parents=True)
    raw, shot = b"<html><body>\xe5\x86\x85\xe9\x83\xa8\xe6\xb8\xa0\xe9\x81\x93</body></html>", b"\x89PNG not decoded"
    (blobs / "raw").write_bytes(raw)
    (blobs / "shot").write_bytes(shot)
    lead = _confirmed(store, 1, raw_path=str(blobs / "raw"), raw_sha256=hashlib.sha256(raw).hexdigest(),
                      screenshot_path=str(blobs / "shot"), screenshot_sha256=hashlib.sha256(shot).hexdigest())
    _confirmed(store, 2, raw_path=str(blobs / "gone"))
    result = _letter(store, tmp_path)
    evidence = result.files["evidence"]
    assert evidence.name == f"{result.letter.reference}-证据.zip"
    n = [row.lead_id for row in result.letter.rows].index(lead.id) + 1
    beijing_now = datetime.now(timezone(timedelta(hours=8))).replace(tzinfo=None)
    with zipfile.ZipFile(evidence) as archive:
        assert sorted(archive.namelist()) == ["SHA256SUMS.txt", f"第00{n}条-截图.png", f"第00{n}条-网页原文.html"]
        assert archive.read(f"第00{n}条-网页原文.html") == raw and archive.read(f"第00{n}条-截图.png") == shot
        # A ZIP keeps a bare local time: the entries' is Beijing's, as the letter's times are (in UTC a package
        # packed at 03:14 read as packed at 19:14 the day before, earlier than the fetch the letter names)
        for entry in archive.infolist():
            assert abs(datetime(*entry.date_time) - beijing_now) < timedelta(minutes=5), entry.date_time
            assert entry.compress_type == zipfile.ZIP_DEFLATED
        archive.extractall(tmp_path / "unpacked")
    check = subprocess.run(["sha256sum", "-c", "SHA256SUMS.txt"], cwd=tmp_path / "unpacked", capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    sums = (tmp_path / "unpacked" / "SHA256SUMS.txt").read_text()
    assert lead.raw_sha256 in sums and lead.screenshot_sha256 in sums
    for text in (_pdf_text(result.files["pdf"]), "".join(_docx_text(result.files["docx"]).split())):
        assert f"压缩包“{evidence.name}”" in text and "sha256sum-cSHA256SUMS.txt" in text
        assert "certutil-hashfile文件名SHA256" in text and lead.raw_sha256 in text
        # The raw page is the seller's: opened in a browser its scripts run and its links call the seller's server
        assert "可能含有发布者的脚本和外部链接，请用文本编辑器查看" in "".join(text.split())


def test_a_letter_of_many_tall_screenshots_is_written_in_bounded_memory(tmp_path: Path) -> None:
    """reportlab kept every screenshot it drew decoded (thumbnail and attachment: twice per listing), so a letter
    of 300 listings with 1280×2400 screenshots peaked at 6.3 GB and a longer page or letter ran out of memory. The
    PDF now reads each image when it draws it and lets it go."""
    shot = tmp_path / "tall.png"
    Image.new("RGB", (1000, 4000), "white").save(shot)
    script = f"""
import resource, shutil
from pathlib import Path
from casework.takedown import Letter, TakedownRow, write_pdf
shots = []
for n in range(40):
    shots.append(Path({str(tmp_path)!r}) / f"{{n}}.png")
    shutil.copy({str(shot)!r}, shots[-1])
rows = [TakedownRow(lead_id=str(n), url=f"http://x.example/{{n}}", item_id="", title="t", seller="s", quotes="q",
                    violations="v", basis="b", raw_sha256="", screenshot_sha256="", fetched_at="f", screenshot=path)
        for n, path in enumerate(shots)]
letter = Letter(reference="LT-x", platform="market", recipient="r", title="t", paragraphs=[], closing=[],
                office="o", date="d", reply_by="r", rows=rows)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
write_pdf(letter, Path({str(tmp_path / "letter.pdf")!r}))
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=Path(__file__).parents[1])
    assert run.returncode == 0, run.stderr
    assert int(run.stdout) < 300, f"writing the PDF took {run.stdout.strip()} MiB more"  # was 1,085 MiB more
    assert len(PdfReader(str(tmp_path / "letter.pdf")).pages) > 40  # the table, then one page per screenshot


def test_a_follow_up_shows_the_recheck_that_found_the_listing_still_online(store: Any, casework_env: Path,
                                                                          tmp_path: Path) -> None:
    """A second notice says the listing is still online: it gives when the re-check saw it and the hashes of what it
    fetched, and sends those files too, or the claim rests on nothing the platform can check."""
    lead = _confirmed(store, 1, fetched_at="2026-12-01T02:00:00Z")
    _letter(store, tmp_path, when=datetime(2026, 12, 1, 3, 0, tzinfo=UTC))
    blobs = casework_env / "evidence" / "blobs"
    blobs.mkdir(parents=True)
    page = b"<html>still here</html>"
    (blobs / "again").write_bytes(page)
    recheck = {"outcome": "persisting", "at": "2026-12-09T01:02:03Z", "raw_path": str(blobs / "again"),
               "raw_sha256": hashlib.sha256(page).hexdigest(), "http_status": 200, "reason": "页面仍在线 (HTTP 200)"}
    workflow.set_status(store, lead.id, "persisting", by="recheck", role="system", extra={"recheck": recheck})
    # It says when the office saw the listing online: the re-check's day, not the day the notice was written.
    later = request_follow_ups(store, "market", load_takedown_config(), tmp_path / "sample", by="root",
                               when=datetime(2026, 12, 11, 2, 0, tzinfo=UTC), sample=True)[0].letter
    assert later is not None and "经2026年12月9日复查，以下1条信息仍可访问" in later.paragraphs[1]
    assert "截至2026年12月11日" not in "".join(later.paragraphs)
    [result] = request_follow_ups(store, "market", load_takedown_config(), tmp_path / "letters", by="root",
                                  when=datetime(2026, 12, 9, 2, 0, tzinfo=UTC))
    [row] = Document(str(result.files["docx"])).tables[0].rows[1:]
    assert f"复查网页原文：{recheck['raw_sha256']}" in row.cells[6].text
    assert row.cells[7].text == "抓取：2026年12月1日 10:00:00（北京时间）\n复查：2026年12月9日 09:02:03（北京时间）"
    with zipfile.ZipFile(result.files["evidence"]) as archive:
        assert archive.read("第001条-复查网页原文.html") == page
        assert f"{recheck['raw_sha256']}  第001条-复查网页原文.html" in archive.read("SHA256SUMS.txt").decode()


def test_numbers_stand_next_to_chinese_as_in_official_documents(store: Any, casework_env: Path,
                                                                tmp_path: Path) -> None:
    """以下3条信息, 于2026年12月12日前, 附件1, 第1页: an official letter puts no space between a number and Chinese."""
    shot = casework_env / "shot.png"
    Image.new("RGB", (200, 300), "white").save(shot)
    for n in (1, 2, 3):
        _confirmed(store, n, screenshot_path=str(shot))
    result = _letter(store, tmp_path)
    document = Document(str(result.files["docx"]))
    ours = [p.text for p in document.paragraphs] + [row.cells[-1].text for row in document.tables[0].rows[1:]]
    # a count or an ordinal between Chinese words (not "SHA-256 校验值", nor a time after its date)
    number = re.compile(r"[\u4e00-\u9fff] \d+ ?[\u4e00-\u9fff：]|[\u4e00-\u9fff]\d+ [\u4e00-\u9fff]")
    spaced = [text for text in ours if number.search(text)]
    assert not spaced
    assert "以下3条信息" in "".join(ours) and "并于2026年12月12日前" in "".join(ours)
    assert any(text.startswith("附件1：第1条信息的网页截图") for text in ours)


def test_quotes_of_one_violation_follow_the_page_title_text_image_then_seller(store: Any, tmp_path: Path) -> None:
    item = listing(1, title="国知局内部渠道")
    spans = [{"label": "insider_channel", "field": "seller", "start": 0, "end": 2, "text": "某某"},
             {"label": "insider_channel", "field": "text", "start": 12, "end": 16, "text": "内部渠道"},
             {"label": "insider_channel", "field": "image_text", "start": 0, "end": 4, "text": "包过下证"},
             {"label": "insider_channel", "field": "title", "start": 3, "end": 7, "text": "内部渠道"}]
    lead = store.upsert(item, detection(item, ["insider_channel"]).model_copy(update={"evidence": spans}))
    workflow.set_status(store, lead.id, "reviewing", by="alice")
    workflow.set_status(store, lead.id, "confirmed", by="alice", why="证据充分")
    [row] = Document(str(_letter(store, tmp_path).files["docx"])).tables[0].rows[1:]
    assert row.cells[4].text.splitlines() == [
        "（一）标题：“国知局内部渠道”", "（一）正文：“国家知识产权局指定代理，内部渠道，包授权。”",
        "（一）图片中的文字：“包过下证”（系机器识别的图片文字，经我局工作人员核对；原图片未留存，见网页截图）",
        "（一）发布者名称：“某某知识产权”"]


def test_the_column_headings_repeat_on_every_page_of_a_long_list(store: Any, tmp_path: Path) -> None:
    """The PDF repeats its table's first row on each page; the DOCX marks it as a header row, which Word repeats."""
    for n in range(1, 31):
        _confirmed(store, n)
    result = _letter(store, tmp_path)
    rows = Document(str(result.files["docx"])).tables[0].rows
    marked = [row for row in rows if row._tr.trPr is not None and row._tr.trPr.find(qn("w:tblHeader")) is not None]
    assert [row._tr for row in marked] == [rows[0]._tr] and rows[0].cells[4].text == "涉嫌违法内容（原文摘录）"
    pages = PdfReader(str(result.files["pdf"])).pages
    tables = [page for page in pages if "证据校验值" in page.extract_text()]
    assert len(tables) > 1 and all("涉嫌违法内容" in page.extract_text() for page in tables)


def test_a_listing_without_a_seller_is_not_given_one(store: Any, tmp_path: Path) -> None:
    """发布者 is the seller as the page shows it; an agency named in the text is said to be that, not the seller."""
    item = {**listing(1, platform="market"), "seller": ""}
    agency = {"type": "agency_name", "text": "卓越知识产权", "value": "卓越知识产权", "field": "text",
              "start": 0, "end": 6}
    found = detection(item).model_copy(update={"entities": [agency]})
    lead = store.upsert(item, found)
    workflow.set_status(store, lead.id, "reviewing", by="alice")
    workflow.set_status(store, lead.id, "confirmed", by="alice", why="证据充分")
    _confirmed(store, 2, seller="")
    rows = Document(str(_letter(store, tmp_path).files["docx"])).tables[0].rows[1:]
    assert sorted(row.cells[3].text for row in rows) == ["页面未显示", "页面未显示（正文所称机构：卓越知识产权）"]


def _end_of_letter(paragraphs: list[str]) -> list[str]:
    return paragraphs[next(i for i, text in enumerate(paragraphs) if text.startswith("特此")):]


def test_the_letter_ends_as_an_official_letter_with_a_place_for_the_seal(store: Any, casework_env: Path,
                                                                         tmp_path: Path) -> None:
    """GB/T 9704-2012 7.3.4-7.3.6: the closing words, the list of attachments, the seal's place above the office's
    name and the date, then the contact line in brackets (附注); in the DOCX and the PDF alike."""
    shot = casework_env / "shot.png"
    Image.new("RGB", (200, 300), "white").save(shot)
    for n in (1, 2):
        _confirmed(store, n, screenshot_path=str(shot))
    result = _letter(store, tmp_path)
    complainant = load_takedown_config().complainant
    contact = f"（联系人：{complainant.contact}，电话：{complainant.phone}，地址：{complainant.address}）"
    end = ["特此函告。", "附件：网页截图2份（附件1至附件2）", "", "", "", "（盖章）", "上海市知识产权局",
           "2026年12月5日", contact]
    document = Document(str(result.files["docx"]))
    paragraphs = [p.text for p in document.paragraphs]
    assert _end_of_letter(paragraphs)[:len(end)] == end
    assert _end_of_letter(paragraphs)[len(end)].startswith("附件1：第1条信息的网页截图")
    page = next(page for page in PdfReader(str(result.files["pdf"])).pages if "盖章" in page.extract_text())
    text = "".join(page.extract_text().split())
    assert "".join("".join(end).split()) in text and text.index("特此函告。") < text.index("（盖章）")


def test_the_office_name_is_centred_over_the_date_four_characters_from_the_right(store: Any,
                                                                                 tmp_path: Path) -> None:
    _confirmed(store, 1)
    result = _letter(store, tmp_path)
    paragraphs = {p.text: p for p in Document(str(result.files["docx"])).paragraphs}
    office, date = paragraphs["上海市知识产权局"], paragraphs["2026年12月5日"]
    assert date.paragraph_format.right_indent.pt == 4 * 10.5
    # 上海市知识产权局: 8 characters; 2026年12月5日: 7 half-width digits and 3 characters, 6.5 characters
    assert office.paragraph_format.right_indent.pt == pytest.approx(4 * 10.5 - (8 - 6.5) * 10.5 / 2, abs=0.1)
    page = PdfReader(str(result.files["pdf"])).pages[-1]
    starts: dict[float, tuple[float, str]] = {}

    def line(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if text.strip():
            x, text_so_far = starts.get(cm[5], (cm[4] + tm[4], ""))
            starts[cm[5]] = (x, text_so_far + text.strip())

    page.extract_text(visitor_text=line)
    where = {text: x for x, text in starts.values()}
    office_x, date_x = where["上海市知识产权局"], where["2026年12月5日"]
    office_w, date_w = (stringWidth(text, PDF_FONT, 10.5) for text in ("上海市知识产权局", "2026年12月5日"))
    text_right = (297 - 12) * mm - 6  # the right margin, and the 6 pt reportlab's frame keeps inside it
    assert date_x + date_w == pytest.approx(text_right - 4 * 10.5, abs=0.5)
    assert office_x + office_w / 2 == pytest.approx(date_x + date_w / 2, abs=0.5)


@pytest.mark.parametrize("count", range(1, 13))
def test_the_seal_is_never_on_a_page_without_the_letters_words(store: Any, tmp_path: Path, count: int) -> None:
    """A seal alone on a page could be put under any text: the closing words, the office, the date and the seal's
    place stay together on one page, in the PDF and (keep with next) in the DOCX, however long the table."""
    for n in range(1, count + 1):
        _confirmed(store, n, title="商标注册 内部渠道 30天下证 " + "加急" * (n * 7 % 40))
    result = _letter(store, tmp_path)
    pages = ["".join(page.extract_text().split()) for page in PdfReader(str(result.files["pdf"])).pages]
    [sealed] = [text for text in pages if "（盖章）" in text]
    assert "特此函告。" in sealed and "2026年12月5日（联系人" in sealed
    paragraphs = Document(str(result.files["docx"])).paragraphs
    texts = [p.text for p in paragraphs]
    held = paragraphs[texts.index("特此函告。"):texts.index("2026年12月5日") + 1]
    assert len(held) == 7 and all(p.paragraph_format.keep_with_next for p in held)


@pytest.mark.parametrize("layout", [TAKEDOWN_LETTER, COMPLAINT_REPLY], ids=["takedown", "complaint_reply"])
def test_a_letters_file_properties_name_the_office_and_the_day_it_was_written(layout: PageLayout,
                                                                              tmp_path: Path) -> None:
    """Counsel who opens File > Properties of an official letter dated today read what python-docx's template
    says of every file made from it: author "python-docx", "generated by python-docx", created on 2013-12-23 by
    Microsoft Macintosh Word, with a blank page as its preview. A letter's file says what the letter says."""
    before = datetime.now(UTC).replace(microsecond=0)
    document = layout.new_document(10.5, title="关于删除涉嫌违法知识产权代理网络信息的函", author="上海市知识产权局")
    document.save(str(tmp_path / "letter.docx"))
    properties = Document(str(tmp_path / "letter.docx")).core_properties
    assert (properties.title, properties.author, properties.last_modified_by) == (
        "关于删除涉嫌违法知识产权代理网络信息的函", "上海市知识产权局", "上海市知识产权局")
    assert properties.comments == "" and properties.created is not None and properties.modified is not None
    assert before <= properties.created.replace(tzinfo=UTC) == properties.modified.replace(tzinfo=UTC)
    with zipfile.ZipFile(tmp_path / "letter.docx") as package:
        names = package.namelist()
        meta = b"".join(package.read(name) for name in names if name.startswith(("docProps/", "_rels/")))
    assert b"python-docx" not in meta and b"Macintosh" not in meta
    assert not any("thumbnail" in name for name in names)


def test_the_letter_file_itself_is_the_offices(store: Any, tmp_path: Path) -> None:
    _confirmed(store, 1)
    result = _letter(store, tmp_path)
    properties = Document(str(result.files["docx"])).core_properties
    assert (properties.title, properties.author) == ("关于删除涉嫌违法知识产权代理网络信息的函",
                                                     load_takedown_config().complainant.office)


def test_a_screenshot_taken_after_the_page_was_fetched_is_dated_by_its_own_capture(store: Any, casework_env: Path,
                                                                                  tmp_path: Path) -> None:
    """The screenshot of a static page is a second visit, in its turn in the platform's download slot, minutes or
    hours after the raw page was fetched. A letter that captioned it with the raw page's time stated a time the
    office cannot stand behind when the platform compares it with its own logs: each file goes with its own time,
    as the evidence log records it."""
    archive = EvidenceArchive(casework_env / "evidence")
    buffer = io.BytesIO()
    Image.new("RGB", (320, 480), "white").save(buffer, format="PNG")
    shot = archive.record_screenshot("http://127.0.0.1:9/item.htm?id=L000001", buffer.getvalue(), "scrapy-playwright",
                                     taken_at="2026-12-04T16:47:31Z")
    lead = _confirmed(store, 1, fetched_at="2026-12-04T16:05:09Z", screenshot_path=str(shot.path),
                      screenshot_sha256=shot.sha256)
    _confirmed(store, 2, fetched_at="2026-12-04T16:06:00Z")  # no screenshot: one time, the page's
    result = _letter(store, tmp_path)
    rows = Document(str(result.files["docx"])).tables[0].rows[1:]
    times = {row.cells[1].text.splitlines()[0]: row.cells[7].text for row in rows}
    assert times[lead.url] == "网页原文：2026年12月5日 00:05:09（北京时间）\n截图：2026年12月5日 00:47:31（北京时间）"
    assert times["http://127.0.0.1:9/item.htm?id=L000002"] == "2026年12月5日 00:06:00（北京时间）"
    caption = f"附件1：第1条信息的网页截图（{lead.url}，截图时间：2026年12月5日 00:47:31（北京时间））"
    assert caption in [p.text for p in Document(str(result.files["docx"])).paragraphs]
    assert "".join(caption.split()) in _pdf_text(result.files["pdf"])
    with open(result.files["csv"], encoding="utf-8-sig") as handle:
        [header, *lines] = list(csv.reader(handle))
    assert lines[0][header.index("截图时间")] == "2026年12月5日 00:47:31（北京时间）"


def test_a_claim_is_quoted_as_the_sentence_it_stands_in_never_as_the_detectors_fragment(store: Any,
                                                                                      tmp_path: Path) -> None:
    """The detector's spans are fragments ("带办处，专利", "办理专利"): quoted bare, they read as a machine's guess,
    and counsel cannot tell the claim from them. The letter quotes the sentence each stands in, once however many
    spans and violations it holds (each violation's number before it); a sentence longer than a cell can show is
    cut around the span, marked …; text read from images, which the lead does not keep, is quoted as read."""
    text = ("专门收购快到期未续展的商标。国家知识产全局专利句授权的专利带办处，专利申请观方受理，不经过中介。\n"
            + "可办理专利年费代缴、著录项目变更、专利权转让。" + "甲" * 200 + "内部名额" + "乙" * 200 + "。")
    item = listing(1, title="商标彻三 成功率高 1280元起", text=text)

    def span(label: str, field: str, words: str, note: str = "") -> dict[str, Any]:
        source = {"title": item["title"], "text": text, "seller": item["seller"]}.get(field, words)
        start = source.index(words)
        return {"label": label, "field": field, "start": start, "end": start + len(words), "text": words,
                **({"note": note} if note else {})}

    spans = [span("impersonation", "text", "国家知识产全局专利句授权的"),
             span("unlicensed_agency", "text", "带办处，专利"), span("unlicensed_agency", "text", "办理专利"),
             span("insider_channel", "text", "内部名额"), span("insider_channel", "image_text", "特殊渠道"),
             span("unlicensed_agency", "seller", "知识产权", "发布者不在专利代理机构名录中")]
    labels = ["impersonation", "insider_channel", "unlicensed_agency"]
    lead = store.upsert(item, detection(item, labels).model_copy(update={"evidence": spans}))
    workflow.set_status(store, lead.id, "reviewing", by="alice")
    workflow.set_status(store, lead.id, "confirmed", by="alice", why="证据充分")
    [row] = Document(str(_letter(store, tmp_path).files["docx"])).tables[0].rows[1:]
    lines = row.cells[4].text.splitlines()
    assert lines[0] == "（一）（三）正文：“国家知识产全局专利句授权的专利带办处，专利申请观方受理，不经过中介。”"
    long_one = next(line for line in lines if "内部名额" in line)
    assert long_one.startswith("（二）正文：“…甲") and long_one.endswith("乙…”")
    assert len(long_one) <= len("（二）正文：“”") + QUOTE_CHARS
    assert "（二）图片中的文字：“特殊渠道”（系机器识别的图片文字，经我局工作人员核对；原图片未留存，见网页截图）" \
        in lines
    assert "（三）正文：“可办理专利年费代缴、著录项目变更、专利权转让。”" in lines
    assert f"（三）发布者名称：“某某知识产权”（{NOT_IN_REGISTER}）" in lines
    assert len(lines) == 5


def test_a_follow_up_names_only_listings_a_re_check_found_online_after_the_last_notice(store: Any,
                                                                                     tmp_path: Path) -> None:
    """A follow-up tells the platform "经复查……仍可访问" and shows the re-check's time and files. A listing marked
    persisting by hand (a member of staff saw it), or whose only re-check came before the last notice, has no such
    re-check: naming it, the notice asserted a re-check it could not show. It is left out, saying why."""
    by_hand, rechecked, stale = (_confirmed(store, n) for n in (1, 2, 3))
    _letter(store, tmp_path)
    sent = store.get(by_hand.id).takedown_notices[-1]["date"]
    before = "2026-12-01T00:00:00Z"
    assert before < sent
    workflow.set_status(store, by_hand.id, "persisting", by="alice", why="人工查看仍在线")
    workflow.set_status(store, rechecked.id, "persisting", by="recheck", role="system",
                        extra={"recheck": {"outcome": "persisting", "at": "2026-12-12T02:00:00Z"}})
    workflow.set_status(store, stale.id, "persisting", by="alice", why="人工查看仍在线",
                        extra={"recheck": {"outcome": "persisting", "at": before}})
    results = request_follow_ups(store, "market", load_takedown_config(), tmp_path / "follow-ups", by="root",
                                 when=datetime(2026, 12, 12, 3, 0, tzinfo=UTC))
    letters = [result.letter for result in results if result.letter is not None]
    assert [[row.lead_id for row in letter.rows] for letter in letters] == [[rechecked.id]]
    refused = "\n".join(reason for result in results for reason in result.refused)
    assert f"{by_hand.id}: no re-check found it still online" in refused
    assert f"{stale.id}: its last re-check ({before}) is not after its last notice" in refused
    assert store.get(by_hand.id).status == store.get(stale.id).status == "persisting"
    assert store.get(rechecked.id).status == "takedown_requested"


def test_a_letter_states_only_the_violations_the_reviewer_confirmed(store: Any, tmp_path: Path) -> None:
    """A label the reviewer did not confirm is the machine's guess: the letter neither cites its law nor quotes its
    words, and the case file handed to a colleague says the same; `lantian cases status ID confirmed --label`."""
    item = listing(1, text="国家知识产权局指定代理，内部渠道，包授权。专利申请量大从优。")
    spans = [{"label": "impersonation", "field": "text", "start": 0, "end": 11, "text": "国家知识产权局指定代理"},
             {"label": "abnormal_filing", "field": "text", "start": 21, "end": 28, "text": "专利申请量大从"}]
    lead = store.upsert(item, detection(item, ["impersonation", "abnormal_filing"]).model_copy(
        update={"evidence": spans}))
    workflow.set_status(store, lead.id, "reviewing", by="alice")
    result = CliRunner().invoke(app, ["cases", "status", lead.id, "confirmed", "--by", "alice",
                                      "--label", "impersonation"])
    assert result.exit_code == 0, result.output
    letter = _letter(store, tmp_path)
    [row] = Document(str(letter.files["docx"])).tables[0].rows[1:]
    assert row.cells[4].text == "（一）正文：“国家知识产权局指定代理，内部渠道，包授权。”"
    assert row.cells[5].text == "（一）冒用官方名义、标识招揽业务"
    for text in (_pdf_text(letter.files["pdf"]), "".join(_docx_text(letter.files["docx"]).split())):
        assert "规范申请专利行为的规定" not in text and "专利申请量大从优" not in text
    [case] = [case_row(store.get(lead.id), load_takedown_config(), {})]
    assert case["labels"] == "冒用官方名义、标识" and "规范申请专利行为的规定" not in case["basis"]


@pytest.mark.parametrize("count", [9, 17, 25])
def test_a_row_of_the_table_is_never_cut_in_two_by_a_page_break(store: Any, tmp_path: Path, count: int) -> None:
    """Counsel compares each listing's SHA-256 with the file's: a hash whose first half ends one page and whose
    second half starts the next is read wrong. Each row, its URL and both hashes, stands on one page of the PDF,
    and Word is told not to break a row of the DOCX."""
    leads = [_confirmed(store, n, screenshot_sha256=hashlib.sha256(f"shot {n}".encode()).hexdigest())
             for n in range(1, count + 1)]
    result = _letter(store, tmp_path)
    pages = ["".join(page.extract_text().split()) for page in PdfReader(str(result.files["pdf"])).pages]
    for lead in leads:
        [page] = [text for text in pages if lead.raw_sha256 in text] or [""]
        assert lead.url in page and str(lead.screenshot_sha256) in page, lead.url
    rows = Document(str(result.files["docx"])).tables[0].rows[1:]
    assert all(row._tr.trPr is not None and row._tr.trPr.find(qn("w:cantSplit")) is not None for row in rows)


def test_a_row_taller_than_a_page_still_prints(store: Any, tmp_path: Path) -> None:
    """Eight quotes of a hundred and twenty characters make a row taller than a page: that letter lets its rows
    break across pages rather than fail."""
    sentences = [f"第{n}句" + "内部渠道包过" * 25 + "。" for n in range(1, 10)]
    item = listing(1, text="".join(sentences))
    spans, at = [], 0
    for sentence in sentences:
        start = at + sentence.index("内部渠道")
        spans.append({"label": "insider_channel", "field": "text", "start": start, "end": start + 4,
                      "text": "内部渠道"})
        at += len(sentence)
    lead = store.upsert(item, detection(item, ["insider_channel"]).model_copy(update={"evidence": spans}))
    workflow.set_status(store, lead.id, "reviewing", by="alice")
    workflow.set_status(store, lead.id, "confirmed", by="alice", why="证据充分")
    result = _letter(store, tmp_path)
    text = _pdf_text(result.files["pdf"])
    assert "另有1处，见网页原文及截图" in text and len(PdfReader(str(result.files["pdf"])).pages) >= 2
