"""The review console in a real browser (Debian's Chromium through Playwright): log in, filter, open a lead,
confirm it, see the audit event; hostile listing markup never runs."""
from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from tests.fixtures.casework import HOSTILE_TITLE, detection, listing

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_reviewer_confirms_a_lead_in_the_browser(store, console_url, chromium_launch_options):
    target = listing(1, platform="market", title="国知局直属服务中心 商标加急 内部渠道")
    hostile = listing(2, platform="market", title=HOSTILE_TITLE)
    other = listing(3, platform="services", title="专利代理 服务")
    for item in (target, hostile, other):
        store.upsert(item, detection(item))
    dialogs: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**chromium_launch_options)
        page = browser.new_page()
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(f"{console_url}/leads")
        assert "/login" in page.url
        page.fill("#username", "alice")
        page.fill("#password", "reviewer-pass-1")
        page.click("#login")
        page.wait_for_selector("#lead-table")
        assert "alice" in page.inner_text("#whoami")

        # Hostile markup in a listing title is shown as text and never executes.
        assert HOSTILE_TITLE in page.inner_text("#lead-table")
        assert page.title() != "pwned" and not dialogs

        page.select_option("select[name=platform]", "market")
        page.fill("input[name=q]", "国知局直属")
        page.click("#apply-filters")
        page.wait_for_selector("#total")
        rows = page.locator("tr.lead-row")
        assert rows.count() == 1
        assert rows.first.get_attribute("data-id") == target["id"]
        rows.first.locator("a.lead-link").click()

        page.wait_for_selector("#listing-text")
        meaning = page.inner_text("#score-meaning")  # the page's two numbers said without their meaning
        assert "风险：各违法类型得分中最高的一个" in meaning and "招揽意图：这条信息在为发布者招揽业务" in meaning
        assert page.locator("#listing-text mark.ev-impersonation").first.inner_text() == "国家知识产权局指定代理"
        page.click("#to-reviewing")
        page.wait_for_selector("#to-confirmed")
        page.fill("form.status-form:has(#to-confirmed) input[name=why]", "冒用国知局名义，证据清楚")
        page.click("#to-confirmed")
        page.wait_for_selector("#lead-status:has-text('已确认')")
        events = page.locator("#audit tr.audit-event")
        assert events.count() == 2
        last = events.nth(1).inner_text()
        assert "alice" in last and "已确认" in last and "冒用国知局名义，证据清楚" in last
        browser.close()
    assert store.get(target["id"]).status == "confirmed"
    assert store.get(target["id"]).audit[-1]["by"] == "alice"
