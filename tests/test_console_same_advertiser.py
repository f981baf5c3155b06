"""The lead page lists the advertiser's other leads before agencies are scored: the leads sharing its agency code
or a contact, which its priority already counts (real browser, Debian's Chromium through Playwright)."""
from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from crawler.platforms import display_names
from tests.fixtures.casework import detection, listing, sign_in

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_the_leads_sharing_a_phone_are_listed_as_the_priority_counts_them(
        store: Any, console_url: str, chromium_launch_options: dict) -> None:
    items = [listing(n, title=f"商标注册 内部渠道 30天下证 第{n}家") for n in (1, 2, 3)]
    first, second = (store.upsert(item, detection(item, phone="13900000001")) for item in items[:2])
    store.upsert(items[2], detection(items[2], phone="13700000002"))
    store.flush()
    assert not store.search_agencies(limit=10)  # nobody has scored the agencies yet
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**chromium_launch_options)
        page = browser.new_page()
        sign_in(page, console_url, next_path=f"/leads/{first.id}")
        page.wait_for_selector("#agency-leads")
        assert "另有 1 条线索" in (page.text_content("body") or "")  # what the priority counts …
        listed = page.locator("#agency-leads li").all_inner_texts()
        market = display_names()["market"]
        assert listed == [f"{second.title}（{market}）"], listed  # … and the page lists (it said 无)
        assert "尚未计算" in page.inner_text("#sharing-note")
        browser.close()
