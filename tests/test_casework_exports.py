"""Case exports (CSV, XLSX, evidence ZIP), the weekly report (HTML, XLSX) and review examples (JSONL)."""
from __future__ import annotations

import csv
import hashlib
import json
import re
import zipfile
from datetime import UTC, date, datetime, timedelta, timezone

from openpyxl import load_workbook

from casework import workflow
from casework.config import load_risk_config, load_takedown_config
from casework.export import evidence_package, write_cases_csv, write_cases_xlsx
from casework.report import Period, bar_chart_svg, build_report, write_html, write_xlsx
from casework.reviews import export_reviews
from crawler.evidence.archive import EvidenceArchive
from crawler.evidence.warc import Exchange
from crawler.platforms import display_names
from detector.training.corpus import read_items
from tests.fixtures.casework import HOSTILE_TITLE, detection, listing


def _days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT08:00:00Z")


def _review(store, lead, to, why=""):
    workflow.set_status(store, lead.id, "reviewing", by="alice")
    return workflow.set_status(store, lead.id, to, by="alice", why=why)


def test_confirmed_leads_export_to_csv_and_xlsx(store, tmp_path):
    formula = listing(1, title="=HYPERLINK(\"http://evil\")\x00\x1b", platform="market")
    kept = _review(store, store.upsert(formula, detection(formula, phone="13800001111")), "confirmed")
    other = listing(2)
    _review(store, store.upsert(other, detection(other)), "dismissed", "合法")
    leads = [lead for lead in store.iter_leads() if lead.status == "confirmed"]
    assert write_cases_csv(leads, tmp_path / "cases.csv", load_takedown_config()) == 1
    with open(tmp_path / "cases.csv", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["线索编号"] == kept.id and rows[0]["确认人"] == "alice" and rows[0]["电话"] == "13800001111"
    assert rows[0]["平台"] == display_names()["market"] != "market"  # the name staff know it by
    # Two labels, told apart ("、" inside a name, "；" between names: joined by "、" they read as four)
    assert rows[0]["违法类型"] == "冒用官方名义、标识；声称内部渠道、快速授权"
    assert write_cases_xlsx(leads, tmp_path / "cases.xlsx", load_takedown_config()) == 1
    sheet = load_workbook(tmp_path / "cases.xlsx").active
    header = [c.value for c in sheet[1]]
    title = sheet.cell(row=2, column=header.index("标题") + 1).value
    assert title == "'=HYPERLINK(\"http://evil\")" and sheet.cell(row=2, column=1).value == kept.id


def test_a_case_handed_over_says_when_in_beijing_time_on_what_legal_basis_and_which_notices_were_sent(
        store, tmp_path):
    """线索移交: the officer taking a case over reads when it was captured and confirmed in the office's time zone
    (a bare UTC string read as local time is eight hours off), the law the letters cited for it, and the takedown
    notices already sent, besides the evidence hashes and who confirmed it."""
    item = listing(1, fetched_at="2026-11-20T17:30:00Z")
    lead = _review(store, store.upsert(item, detection(item)), "confirmed")
    notice = {"reference": "LT-market-20261121-020000", "number": 1, "date": "2026-11-20T18:00:00Z"}
    workflow.set_status(store, lead.id, "takedown_requested", by="root", extra={"takedown_notices": [notice]})
    write_cases_csv([store.get(lead.id)], tmp_path / "cases.csv", load_takedown_config())
    with open(tmp_path / "cases.csv", encoding="utf-8-sig") as handle:
        [row] = list(csv.DictReader(handle))
    assert row["抓取时间"] == "2026-11-21 01:30:00（北京时间）"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}（北京时间）", row["确认时间"])
    assert row["确认人"] == "alice"
    assert row["网页原文SHA-256"] == item["raw_sha256"]
    basis = row["法律依据"].splitlines()
    assert any(citation.startswith("《中华人民共和国广告法》第九条第（二）项") for citation in basis)
    assert len(basis) == len(set(basis)), "a citation two violations share is given once"
    assert row["删除通知"] == "LT-market-20261121-020000（第1次，2026年11月21日）"


def test_evidence_package_hashes_every_file(store, casework_env, tmp_path):
    raw = casework_env / "raw" / "page.html"
    shot = casework_env / "shots" / "page.png"
    raw.parent.mkdir(parents=True)
    shot.parent.mkdir(parents=True)
    raw.write_bytes("<html>国家知识产权局指定代理</html>".encode())
    shot.write_bytes(b"\x89PNG fake screenshot bytes")
    item = listing(1, raw_path="raw/page.html", screenshot_path=str(shot))
    item["raw_sha256"] = hashlib.sha256(raw.read_bytes()).hexdigest()
    item["screenshot_sha256"] = "0" * 64  # recorded hash that does not match: the manifest must say so
    lead = store.upsert(item, detection(item))
    manifest = evidence_package(lead, tmp_path / "ev.zip")
    beijing_now = datetime.now(timezone(timedelta(hours=8))).replace(tzinfo=None)
    with zipfile.ZipFile(tmp_path / "ev.zip") as archive:
        names = set(archive.namelist())
        for entry in archive.infolist():  # a ZIP keeps a bare local time: Beijing's, as the exports' times are
            assert abs(datetime(*entry.date_time) - beijing_now) < timedelta(minutes=5), entry.date_time
        assert names == {"listing.txt", "raw.html", "screenshot.png", "lead.json", "manifest.json"}
        assert json.loads(archive.read("manifest.json")) == manifest
        for entry in manifest["files"]:
            assert hashlib.sha256(archive.read(entry["name"])).hexdigest() == entry["sha256"]
        assert archive.read("raw.html") == raw.read_bytes()
        assert lead.title in archive.read("listing.txt").decode()
    by_name = {f["name"]: f for f in manifest["files"]}
    assert by_name["raw.html"]["matches_recorded"] is True
    assert by_name["screenshot.png"]["matches_recorded"] is False
    assert manifest["fetched_at"] == lead.fetched_at and manifest["lead_id"] == lead.id


def test_a_case_package_ties_each_file_to_its_line_in_the_hash_chained_evidence_log(store, casework_env, tmp_path):
    """Chain of custody for the case file: each evidence file names the log line that recorded it (its sequence
    number and line hash, which `lantian evidence verify` and the signed checkpoints vouch for, when it was fetched
    or taken, and the WARC record of a fetch), and the screenshot's own time, which is not the page's."""
    archive = EvidenceArchive(casework_env / "evidence")
    url = "http://127.0.0.1:9/item.htm?id=L000001"
    page = "<html>国家知识产权局指定代理</html>".encode()
    fetch = archive.record_fetch(Exchange(final_url=url, status=200, body=page, fetched_at="2026-12-04T16:05:09Z"))
    shot = archive.record_screenshot(url, b"\x89PNG\r\n\x1a\n a screenshot", "scrapy-playwright",
                                     taken_at="2026-12-04T16:47:31Z")
    archive.close()
    item = {**listing(1, raw_path=fetch["raw_path"], screenshot_path=str(shot.path), fetched_at="2026-12-04T16:05:09Z"),
            "raw_sha256": fetch["raw_sha256"], "screenshot_sha256": shot.sha256}
    lead = store.upsert(item, detection(item))
    manifest = evidence_package(lead, tmp_path / "ev.zip")
    lines = {line["sha256"]: line for line in archive.log}
    by_name = {f["name"]: f for f in manifest["files"]}
    raw_line, shot_line = lines[fetch["raw_sha256"]], lines[shot.sha256]
    assert by_name["raw.html"]["evidence_log"] == {
        "seq": raw_line["seq"], "at": raw_line["at"], "kind": "raw", "hash": raw_line["hash"],
        "fetched_at": "2026-12-04T16:05:09Z", "warc_path": raw_line["warc_path"],
        "warc_offset": raw_line["warc_offset"], "warc_record_id": raw_line["warc_record_id"]}
    assert by_name["screenshot.png"]["evidence_log"] == {
        "seq": shot_line["seq"], "at": shot_line["at"], "kind": "screenshot", "hash": shot_line["hash"],
        "taken_at": "2026-12-04T16:47:31Z", "source": "scrapy-playwright"}
    assert manifest["screenshot_taken_at"] == "2026-12-04T16:47:31Z" != manifest["fetched_at"]
    assert by_name["listing.txt"].get("evidence_log") is None  # written for the package, logged nowhere


def test_weekly_report_counts_and_outputs(store, tmp_path):
    old = listing(1, platform="market", fetched_at=_days_ago(20), location="上海 徐汇区")
    store.upsert(old, detection(old, phone="13900000001"))
    fresh = [listing(2, platform="market", fetched_at=_days_ago(1), location="上海 徐汇区"),
             listing(3, platform="services", fetched_at=_days_ago(2), location="北京", seller="新卖家甲"),
             listing(4, platform="services", fetched_at=_days_ago(3), title=HOSTILE_TITLE, seller="新卖家乙")]
    leads = [store.upsert(fresh[0], detection(fresh[0], phone="13900000001")),
             store.upsert(fresh[1], detection(fresh[1], ["abnormal_filing"])),
             store.upsert(fresh[2], detection(fresh[2], ["insider_channel"], phone="13700000009"))]
    _review(store, leads[0], "confirmed")
    workflow.set_status(store, leads[0].id, "takedown_requested", by="root")
    workflow.set_status(store, leads[0].id, "removed", by="recheck")

    report = build_report(store, Period.week(), load_risk_config(), use_images=False)
    assert report.new_leads == 3
    assert report.by_platform == {"services": 2, "market": 1}
    assert report.by_district == {"徐汇区": 1, "浦东新区": 1, "未知": 1}
    assert report.by_label["impersonation"] == 1 and report.by_label["abnormal_filing"] == 1
    assert (report.agencies_active, report.agencies_new, report.agencies_repeat) == (3, 2, 1)
    assert report.outcomes_in_period == {"takedown_requested": 1, "removed": 1, "persisting": 0,
                                         "resolved_by_edit": 0}

    html = write_html(report, tmp_path / "r.html").read_text(encoding="utf-8")
    assert re.search(r"生成时间：\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d:\d\d（北京时间）", html)  # Shanghai's time
    assert html.count("<svg") == 8 and "<script" not in html  # one chart per section, sources and complaints too
    assert "<script" not in str(bar_chart_svg({"<script>x</script>": 2}))
    book = load_workbook(write_xlsx(report, tmp_path / "r.xlsx"))
    assert {"概况", "按违法类型", "按平台", "按所属区", "按处理状态", "高风险机构"} <= set(book.sheetnames)
    platform_rows = {row[0]: row[1] for row in book["按平台"].iter_rows(min_row=2, values_only=True)}
    names = display_names()  # platforms by the names staff know them by, not our codes
    assert platform_rows == {names["services"]: 2, names["market"]: 1} and "market" not in names.values()
    assert f"<td>{names['services']}</td><td>2</td>" in html


def test_the_weekly_report_counts_calendar_days_in_beijing_and_says_so(store, tmp_path):
    # 2026-12-01 in Shanghai begins at 2026-11-30T16:00Z and 2026-12-07 ends at 2026-12-07T15:59:59Z.
    for n, first_seen in enumerate(("2026-11-30T15:59:59Z", "2026-11-30T16:00:00Z", "2026-12-07T15:59:59Z",
                                    "2026-12-07T16:00:00Z"), 1):
        item = listing(n, fetched_at=first_seen)
        store.upsert(item, detection(item))
    period = Period.week(date(2026, 12, 7))
    assert (period.since, period.until) == ("2026-11-30T16:00:00Z", "2026-12-07T15:59:59Z")
    report = build_report(store, period, load_risk_config(), use_images=False)
    assert report.new_leads == 2  # the second and the third: seen on the 1st and the 7th in Beijing
    html = write_html(report, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "统计周期：2026-12-01 — 2026-12-07（北京时间）" in html
    summary = {row[0]: row[1] for row in load_workbook(write_xlsx(report, tmp_path / "r.xlsx"))["概况"].iter_rows(
        values_only=True)}
    assert summary["统计周期"] == "2026-12-01 — 2026-12-07（北京时间）"


def test_the_report_says_how_many_of_a_high_risk_agencys_leads_were_confirmed_and_what_a_class_means(
        store, tmp_path, monkeypatch):
    """An agency's class may rest mostly on leads nobody has reviewed: "D 60.25, 15 leads" read as fifteen confirmed
    violations. The report splits the count and says what the classes and the score are."""
    from typer.testing import CliRunner

    from lantian.cli import app

    items = [listing(n, platform="market", fetched_at=_days_ago(1)) for n in range(1, 5)]
    leads = [store.upsert(item, detection(item, phone="13900000001")) for item in items]
    _review(store, leads[0], "confirmed")
    _review(store, leads[1], "dismissed", "持证机构陈述事实")
    risk = load_risk_config().model_copy(update={"classes": {"A": 0, "B": 1, "C": 2, "D": 3}, "trigger_class": "C"})
    monkeypatch.setattr("casework.config.load_risk_config", lambda: risk)
    report = build_report(store, Period.week(), risk, use_images=False)
    [agency] = report.triggered
    rule = (f"A（0 分起）、B（1 分起）、C（2 分起）、D（3 分起）；分数为各项指标按权重相加，"
            f"已确认的线索全额计入，未审核的线索按 {risk.unreviewed_factor:g} 倍计入，已排除的线索不计")

    html = write_html(report, tmp_path / "r.html").read_text(encoding="utf-8")
    assert rule in html
    row = re.search(r'<td class="confirmed">(\d+)</td><td class="unreviewed">(\d+)</td>', html)
    assert row and row.groups() == ("1", "2")
    sheet = load_workbook(write_xlsx(report, tmp_path / "r.xlsx"))["高风险机构"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][-3:] == ("线索数", "其中已确认", "其中未审核")
    assert rows[1][-3:] == (agency.lead_count, 1, 2) and rule in rows[2][0]

    printed = " ".join(CliRunner().invoke(app, ["report", "--no-images", "--out", str(tmp_path)]).output.split())
    assert re.search(r"leads ┃ confirmed ┃ unreviewed", printed)
    assert "A from 0, B from 1, C from 2, D from 3; confirmed leads count in full" in printed


def test_review_decisions_export_as_labelled_examples(store, tmp_path):
    items = [listing(n) for n in range(1, 4)]
    leads = [store.upsert(item, detection(item)) for item in items]
    _review(store, leads[0], "confirmed")
    _review(store, leads[1], "dismissed", "持证机构陈述事实")
    counts = export_reviews(store.iter_leads(), tmp_path / "reviews.jsonl")
    assert counts == {"positive": 1, "negative": 1}
    rows = {row["id"]: row for row in map(json.loads, (tmp_path / "reviews.jsonl").read_text().splitlines())}
    positive, negative = rows[f"review-{leads[0].id}"], rows[f"review-{leads[1].id}"]
    assert positive["labels"] == ["impersonation", "insider_channel"] and positive["text"] == items[0]["text"]
    assert positive["kind"] == "violation" and positive["split"] == "train"
    assert negative["labels"] == [] and negative["kind"] == "hard_negative"
    # The detector's own reader accepts the file as corpus items.
    assert {item.id for item in read_items(tmp_path / "reviews.jsonl")} == set(rows)
    # A label the reviewer unticked when confirming is not taught as one the listing shows.
    workflow.set_status(store, leads[2].id, "reviewing", by="alice")
    workflow.set_status(store, leads[2].id, "confirmed", by="alice", labels=["insider_channel"])
    export_reviews(store.iter_leads(), tmp_path / "reviews.jsonl")
    rows = {row["id"]: row for row in map(json.loads, (tmp_path / "reviews.jsonl").read_text().splitlines())}
    assert rows[f"review-{leads[2].id}"]["labels"] == ["insider_channel"]


def test_transfer_export_keeps_only_sellers_outside_shanghai(store, tmp_path):
    from casework.export import outside_shanghai

    leads = [store.upsert(item, detection(item)) for item in (
        listing(1, location="浙江 杭州"), listing(2, location="上海 徐汇区"), listing(3, location="上海"),
        listing(4, location=""))]
    assert [outside_shanghai(lead) for lead in leads] == [True, False, False, False]
