"""A re-check notices an edit: a listing still online but edited so that no label fires is resolved_by_edit with
both versions' evidence; the per-URL results go to a CSV and the console; an empty run says why nothing was due."""
from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import sync_playwright
from typer.testing import CliRunner

from casework import workflow
from core.labels import LABEL_NAMES_ZH
from core.lead import Lead
from lantian.cli import app
from tests.fixtures.casework import detection, listing, sign_in
from tests.fixtures.servers import local_http_server

OFFENDING = "国家知识产权局指定代理，内部渠道，包授权，30天下证。"
EDITED = "本店出售办公用品和打印纸，欢迎选购。"


def _page(title: str, text: str) -> bytes:
    return (f"<html><body><h1 class='item-title'>{title}</h1><div class='item-desc'>{text}</div>"
            "</body></html>").encode()


PAGES = {"L000001": _page("办公用品 打印纸", EDITED), "L000002": _page("商标注册 内部渠道 30天下证", OFFENDING)}


class Platform(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = PAGES.get(parse_qs(urlparse(self.path).query).get("id", [""])[0], b"")
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def platform_url() -> Iterator[str]:
    with local_http_server(Platform) as url:
        yield url


def _requested(store, n: int, base: str, deadline: str) -> Lead:
    item = listing(n, base=base, text=OFFENDING)
    lead = store.upsert(item, detection(item))
    for to in ("reviewing", "confirmed"):
        workflow.set_status(store, lead.id, to, by="alice")
    return workflow.set_status(store, lead.id, "takedown_requested", by="root",
                               extra={"takedown_deadline": deadline})


@pytest.mark.slow
def test_an_edited_listing_is_resolved_by_edit_with_both_versions(store, platform_url, tmp_path, console_url,
                                                                   chromium_launch_options):
    past = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    edited, still = _requested(store, 1, platform_url, past), _requested(store, 2, platform_url, past)
    out = tmp_path / "results.csv"
    result = CliRunner().invoke(app, ["recheck", "--no-render", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "persisting 1, resolved_by_edit 1" in result.output

    lead = store.get(edited.id)
    assert lead.status == "resolved_by_edit"
    versions = lead.recheck["edit"]
    assert versions["before"]["text"] == OFFENDING and versions["before"]["labels"] == edited.labels
    assert versions["before"]["raw_sha256"] == edited.raw_sha256
    assert versions["after"]["text"] == EDITED and versions["after"]["labels"] == []
    assert versions["after"]["raw_sha256"] and versions["after"]["raw_sha256"] != versions["before"]["raw_sha256"]
    assert lead.text == OFFENDING  # the lead keeps the version the request was about
    assert store.get(still.id).status == "persisting"
    assert store.get(still.id).recheck["edit"]["after"]["labels"]

    with open(out, encoding="utf-8-sig", newline="") as handle:
        rows = {row["线索编号"]: row for row in csv.DictReader(handle)}
    assert rows[edited.id]["复查结果"] == "resolved_by_edit" and rows[edited.id]["现违法情形"] == ""
    assert rows[still.id]["复查结果"] == "persisting" and rows[still.id]["网址"].startswith(platform_url)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**chromium_launch_options)
        page = browser.new_page()
        sign_in(page, console_url, next_path="/rechecks")
        page.wait_for_selector("#recheck-table")
        row = page.locator(f"tr.recheck-row[data-id='{edited.id}']")
        assert row.locator("td.outcome").inner_text() == "已修改整改"
        # Labels as staff read them (the CSV keeps the stored names for the case-handling system)
        assert row.locator("td.labels_before").inner_text() == "".join(LABEL_NAMES_ZH[label] for label in edited.labels)
        assert row.locator("td.labels_after").inner_text() == "无"
        assert rows[still.id]["原违法情形"] == "、".join(still.labels)
        row.locator("a").click()
        page.wait_for_selector("#edit-versions")
        assert EDITED in page.inner_text("#edit-versions") and OFFENDING in page.inner_text("#edit-versions")
        assert "HTTP 200 → 已修改整改" in page.inner_text("#evidence-hashes")  # not "→ resolved_by_edit"
        actions = page.locator("#audit tr.audit-event td:nth-child(3)").all_inner_texts()
        assert actions and set(actions) == {"变更状态"}, actions
        browser.close()


def test_a_run_with_nothing_due_shows_the_deadline_rule(store):
    # The deadline in Beijing time, as the letter that set it says it ("reply due 2026年12月13日"), not in UTC,
    # which read the evening before as another day.
    future = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    _requested(store, 3, "http://127.0.0.1:9", future.strftime("%Y-%m-%dT%H:%M:%SZ"))
    result = CliRunner().invoke(app, ["recheck", "--no-render"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "nothing due" in text and "deadline_days = 7 days" in text
    beijing = future.astimezone(timezone(timedelta(hours=8)))
    assert f"1 lead(s) wait, the next deadline is {beijing:%Y-%m-%d %H:%M:%S}（北京时间）" in text
    assert "--ignore-deadline" in text
    assert "re-checking" not in text  # no progress bar left in output that is not a terminal


def test_a_run_with_no_takedown_requested_says_how_one_is_made(store):
    result = CliRunner().invoke(app, ["recheck", "--no-render"])
    text = " ".join(result.output.split())
    assert result.exit_code == 0 and "nothing due" in text, result.output
    assert "no lead waits for one: `lantian takedown --platform P`" in text and "—" not in text
