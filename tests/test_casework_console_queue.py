"""The review console's queue in Chromium: ranked by triage priority by default, "uncertain first" on request,
and each row says why it ranks where it does."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, sync_playwright

from casework.triage import label_thresholds
from tests.fixtures.casework import detection, listing, sign_in

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def _row_ids(page: Page) -> list[str]:
    return [row.get_attribute("data-id") for row in page.locator("tr.lead-row").all()]


def test_queue_ranks_by_priority_and_by_uncertainty_and_explains_why(store, console_url, chromium_launch_options):
    serious = listing(1, title="国知局指定 内部渠道 商标加急")
    plain = listing(2, title="商标代理 内部渠道")
    unsure = listing(3, title="专利 咨询")
    found = {
        "serious": detection(serious, ["impersonation", "insider_channel"], risk=0.96, phone="13900000009"),
        "plain": detection(plain, ["insider_channel"], risk=1.0),
        "unsure": detection(unsure, [], risk=0.4),
    }
    found["unsure"].scores = {"insider_channel": label_thresholds()["insider_channel"] - 0.01}
    found["plain"].scores = {"insider_channel": 1.0}
    found["serious"].scores = {"impersonation": 0.99, "insider_channel": 0.98}
    leads = {name: store.upsert(item, found[name]) for name, item in
             (("serious", serious), ("plain", plain), ("unsure", unsure))}
    store.flush()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**chromium_launch_options)
        page = browser.new_page()
        sign_in(page, console_url)
        assert _row_ids(page) == [leads["serious"].id, leads["plain"].id, leads["unsure"].id]
        first = page.locator("tr.lead-row").first
        first.locator("td.priority summary").click()
        assert "违法情形：冒用官方名义、标识 +40" in first.locator("td.priority ul.why").inner_text()

        page.select_option("#sort", "uncertain")
        page.click("#apply-filters")
        page.wait_for_selector("#lead-table")
        assert _row_ids(page)[0] == leads["unsure"].id
        assert "离阈值 0.01" in page.locator("tr.lead-row").first.locator("td.priority summary").inner_text()

        page.goto(f"{console_url}/leads/{leads['serious'].id}")
        page.click("#priority summary")
        assert "一条信息同时涉及 2 种违法情形" in page.inner_text("#priority")
        browser.close()
