"""The review console prints every time in Beijing, with the zone named, as the letters and exports do: the store
keeps UTC, and a bare `2026-11-20T23:30:00Z` read by staff in Shanghai is eight hours and a day off (checked in a
real browser, Debian's Chromium through Playwright)."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from casework.complaints import ComplaintRegister, load_complaints_config
from tests.fixtures.casework import detection, listing, sign_in

pytestmark = [pytest.mark.slow, pytest.mark.browser]
LATE_EVENING_UTC = "2026-11-20T23:30:00Z"  # 07:30 the next morning in Shanghai


def test_times_in_the_console_are_beijing_times_with_the_zone_named(
        store: Any, console_url: str, chromium_launch_options: dict, casework_env: Path) -> None:
    item = listing(1, fetched_at=LATE_EVENING_UTC)
    store.upsert(item, detection(item))
    store.flush()
    with ComplaintRegister(casework_env / "casework" / "complaints.sqlite3") as register:
        register.add(report="有人冒充国知局招揽商标注册", by="alice", complainant={}, config=load_complaints_config(),
                     received_at=LATE_EVENING_UTC)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**chromium_launch_options)
        page = browser.new_page()
        sign_in(page, console_url)
        page.wait_for_selector("#lead-table")
        table = page.inner_text("#lead-table")
        assert "最近发现（北京时间）" in table and "2026-11-21 07:30" in table
        assert "2026-11-20" not in table

        page.click("a.lead-link")
        page.wait_for_selector("#evidence-hashes")
        page.click("#to-reviewing")
        page.wait_for_selector("#audit tr.audit-event")
        hashes = page.inner_text("#evidence-hashes")
        assert "2026-11-21 07:30:00（北京时间）" in hashes and "T23:30:00Z" not in hashes
        assert "（北京时间）" in page.inner_text("#audit tr.audit-event")

        page.goto(f"{console_url}/complaints")
        row = page.inner_text("tr.complaint-row")
        due = datetime(2026, 11, 21, 7, 30) + timedelta(days=load_complaints_config().answer_days)
        assert "2026-11-21 07:30" in row and f"{due:%Y-%m-%d %H:%M}" in row
        assert "2026-11-20" not in row
        page.click("tr.complaint-row a")
        page.wait_for_selector("#complaint-title")
        assert "受理：2026-11-21 07:30:00（北京时间）" in page.inner_text("body")
        assert page.locator("#complaint-audit td:nth-child(3)").all_inner_texts() == ["受理"]  # not "received"
        browser.close()
