"""Bulk confirmation on the lead list confirms every label of each lead it is applied to (the lead page's form is
where a reviewer unticks a label that does not hold). The console says so before (the action's name) and after (a
message), so a reviewer never believes a label was left out that letters will state (real browser, Debian's
Chromium through Playwright)."""
from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from casework import workflow
from casework.console.routes.leads import BULK_CONFIRMS_ALL
from tests.fixtures.casework import detection, listing, sign_in

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_bulk_confirm_says_it_confirms_every_label_of_each_lead(store: Any, console_url: str,
                                                                  chromium_launch_options: dict) -> None:
    labels = ["impersonation", "insider_channel"]
    ids = []
    for n in (1, 2):
        item = listing(n, title=f"国知局授权 内部渠道 第{n}家")
        lead = store.upsert(item, detection(item, labels))
        workflow.set_status(store, lead.id, "reviewing", by="alice")
        ids.append(lead.id)
    store.flush()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**chromium_launch_options)
        page = browser.new_page()
        sign_in(page, console_url)
        page.wait_for_selector("#lead-table")
        option = page.locator("#bulk-action option[value='status:confirmed']").inner_text()
        assert "全部违法类型" in option, option
        for box in page.locator("input[name=ids]").all():
            box.check()
        page.select_option("#bulk-action", "status:confirmed")
        page.click("form#bulk button")
        page.wait_for_selector(".flash")
        flashes = page.locator(".flash").all_inner_texts()
        assert flashes == ["已处理 2 条", BULK_CONFIRMS_ALL], flashes
        browser.close()
    for lead_id in ids:
        lead = store.get(lead_id)
        assert lead.status == "confirmed" and sorted(lead.confirmed_violations()) == labels
