"""What staff read on the console's lead page and lead list, in a real browser (Debian's Chromium through
Playwright): each agency and phone the page names once, with where it stands; platforms by the names staff know them
by (config/platforms `display_name`), their codes only in forms and addresses; and a demo lead's link saying that it
opens nothing once the demo has ended."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, sync_playwright

from casework import agencies as agency_risk
from casework.config import load_risk_config
from casework.local_links import LOCAL_LINK_ZH
from crawler.platforms import display_names
from tests.fixtures.casework import detection, listing, sign_in

pytestmark = [pytest.mark.slow, pytest.mark.browser]
AGENCY = "上海某某专利代理有限公司"


@pytest.fixture
def signed_in(console_url: str, chromium_launch_options: dict) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**chromium_launch_options)
        page = browser.new_page()
        sign_in(page, console_url)
        page.wait_for_selector("#lead-table")
        yield page
        browser.close()


def test_the_lead_page_names_each_agency_and_phone_once_with_where_it_stands(
        store: Any, console_url: str, signed_in: Page) -> None:
    text = f"{AGENCY}，国家知识产权局指定代理，内部渠道。电话 138 0013 0001，微信同号 13800130001。"
    item = listing(1, seller=AGENCY, text=text)
    found = detection(item)
    # As the detector reports them: one entity per place it found one (the seller, twice in an image, the text).
    entities = [{"type": "agency", "text": AGENCY, "value": AGENCY, "field": field, "start": start,
                 "end": start + len(AGENCY)} for field, start in (("seller", 0), ("image_text", 0),
                                                                  ("image_text", 14), ("text", 0))]
    entities += [{"type": "phone", "text": "138 0013 0001", "value": "13800130001", "field": "text", "start": 33,
                  "end": 46},
                 {"type": "phone", "text": "13800130001", "value": "13800130001", "field": "text", "start": 52,
                  "end": 63},
                 {"type": "wechat", "text": "13800130001", "value": "13800130001", "field": "text", "start": 52,
                  "end": 63}]
    lead = store.upsert(item, found.model_copy(update={"entities": entities}))
    store.flush()

    signed_in.goto(f"{console_url}/leads/{lead.id}")
    assert signed_in.inner_text("#lead-seller").count(AGENCY) == 1  # the seller is the agency: named once
    listed = signed_in.locator("#entities li").all_inner_texts()
    assert listed == [f"机构：{AGENCY}（发布者名称、图片中的文字、正文）", "电话：13800130001（正文）",
                      "微信：13800130001（正文）"], listed
    spans = signed_in.locator("#evidence-spans li").all_inner_texts()
    assert spans and all("正文[" in span for span in spans), spans  # where each quote stands, in Chinese


def test_platforms_are_shown_by_the_names_staff_know_them_by(
        store: Any, console_url: str, signed_in: Page) -> None:
    name = display_names()["market"]
    assert name != "market"  # the shipped config names it
    lead = store.upsert(listing(1), detection(listing(1)))
    store.flush()

    signed_in.goto(f"{console_url}/leads")
    assert signed_in.inner_text("#lead-table tbody td:nth-child(5)") == name, signed_in.inner_text("#lead-table")
    option = signed_in.locator("select[name=platform] option[value=market]")
    assert option.inner_text() == name  # the filter still sends the code
    signed_in.goto(f"{console_url}/leads/{lead.id}")
    assert f"平台 {name} ·" in signed_in.inner_text("section")
    assert "平台 market" not in signed_in.inner_text("body")


def test_the_agency_list_names_platforms_and_contact_kinds_as_staff_read_them(
        store: Any, console_url: str, signed_in: Page) -> None:
    for n, platform in ((1, "market"), (2, "services")):
        item = listing(n, platform=platform)
        store.upsert(item, detection(item, phone="13900000001"))
    agency_risk.refresh(store, load_risk_config(), use_images=False)

    signed_in.goto(f"{console_url}/agencies")
    row = signed_in.inner_text("tr.agency-row")
    names = display_names()
    assert f"{names['market']}、{names['services']}" in row and "电话：13900000001" in row, row
    assert "phone" not in row and "market" not in row


def test_a_demo_leads_link_says_it_opens_nothing_once_the_demo_has_ended(
        store: Any, console_url: str, signed_in: Page) -> None:
    demo = store.upsert(listing(1, base="http://127.0.0.1:40525"), detection(listing(1, base="http://127.0.0.1:40525")))
    real = listing(2, base="https://item.taobao.com")
    elsewhere = store.upsert(real, detection(real))
    store.flush()

    signed_in.goto(f"{console_url}/leads/{demo.id}")
    assert signed_in.inner_text("#local-link") == LOCAL_LINK_ZH
    assert "演示结束时模拟平台已停止" in LOCAL_LINK_ZH and "存档的网页原文和截图" in LOCAL_LINK_ZH
    signed_in.goto(f"{console_url}/leads/{elsewhere.id}")
    assert signed_in.locator("#local-link").count() == 0
