"""A bulk action the workflow refuses for some leads says which leads and why, each by its title (real browser,
Debian's Chromium through Playwright): it said "已处理 0 条" in green, then the same refusal once per lead."""
from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from tests.fixtures.casework import detection, listing, sign_in

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_a_refused_bulk_confirmation_names_each_lead_and_the_way_forward(
        store: Any, console_url: str, chromium_launch_options: dict) -> None:
    items = [listing(n, title=f"商标注册 内部渠道 30天下证 第{n}家") for n in (1, 2)]
    for item in items:
        store.upsert(item, detection(item))
    store.flush()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**chromium_launch_options)
        page = browser.new_page()
        sign_in(page, console_url)
        page.wait_for_selector("#lead-table")
        for box in page.locator("input[name=ids]").all():
            box.check()
        page.select_option("#bulk-action", "status:confirmed")
        page.click("button[form=bulk], form#bulk button")
        page.wait_for_selector(".flash.error")
        flashes = page.locator(".flash").all_inner_texts()
        assert flashes[0] == "已处理 0 条，2 条未处理，原因如下", flashes
        for item in items:  # new → confirmed is not a move: each refusal names its lead and the allowed moves
            assert any(f"“{item['title']}”：" in text and "可改为：审核中" in text for text in flashes[1:]), flashes
        browser.close()
