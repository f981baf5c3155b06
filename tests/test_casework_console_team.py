"""The console for a team, in Chromium: triage by keyboard, escalation to the supervisor's queue, an audited
hand-over to a colleague, the stored page in a sandboxed frame with its scripts off, the WARC record's headers,
messages in Chinese and emoji drawn in colour."""
from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import Page, sync_playwright

from casework.users import save_user
from crawler.evidence import EvidenceArchive
from crawler.evidence.warc import Exchange
from tests.fixtures.casework import ADMIN, detection, listing, sign_in

pytestmark = [pytest.mark.slow, pytest.mark.browser]

EMOJI_TITLE = "商标加急 😀🎉"
RAW_PAGE = ("<html><head><meta charset='utf-8'></head><body><h1 id='t'>原页面：国家知识产权局指定代理</h1>"
            "<script>document.getElementById('t').textContent='PWNED'; parent.document.title='pwned';</script>"
            "</body></html>").encode()


def _alt(page: Page, key: str) -> None:
    """Alt+key as a keyboard sends it to Chromium (key down, the character, key up), through CDP: Playwright's
    `keyboard.press("Alt+r")` sends no character event, and accesskeys answer only to that."""
    cdp = page.context.new_cdp_session(page)
    event = {"modifiers": 1, "key": key, "code": f"Key{key.upper()}", "windowsVirtualKeyCode": ord(key.upper())}
    cdp.send("Input.dispatchKeyEvent", {"type": "rawKeyDown", **event})
    cdp.send("Input.dispatchKeyEvent", {"type": "char", "text": key, "unmodifiedText": key, **event})
    cdp.send("Input.dispatchKeyEvent", {"type": "keyUp", **event})
    cdp.detach()


def _colourful_pixels(png: bytes) -> int:
    image = Image.open(io.BytesIO(png)).convert("HSV")
    return sum(1 for _, saturation, value in image.get_flattened_data() if saturation > 120 and value > 120)


@pytest.fixture
def bob(users_file):
    """A second reviewer, added before the console starts."""
    save_user("bob", "reviewer", "reviewer-pass-2", users_file)


def test_a_team_triages_escalates_hands_over_and_decides(store, users_file, casework_env, bob, console_url,
                                                         chromium_launch_options):
    item = listing(1, title=EMOJI_TITLE)
    archive = EvidenceArchive(casework_env / "evidence")
    fetched = archive.record_fetch(Exchange(final_url=item["url"], status=200, body=RAW_PAGE,
                                            fetched_at=item["fetched_at"],
                                            response_headers=[("Content-Type", "text/html; charset=utf-8"),
                                                              ("Server", "platform-sim")]))
    archive.close()
    item.update(raw_path=fetched["raw_path"], raw_sha256=fetched["raw_sha256"], warc_path=fetched["warc_path"])
    lead = store.upsert(item, detection(item))
    store.update_workflow(lead.id, {"assignee": "alice"}, {"at": "2026-11-20T09:00:00Z", "by": "root",
                                                               "action": "assignee", "from": None, "to": "alice",
                                                               "why": "本周值班"})
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**chromium_launch_options)
        page = browser.new_page()
        sign_in(page, console_url, next_path=f"/leads/{lead.id}")
        page.wait_for_selector("#lead-title")
        assert _colourful_pixels(page.locator("#lead-title").screenshot()) > 30  # 😀🎉 in colour, not tofu

        raw = page.frame_locator("#raw-page").locator("#t")
        assert raw.inner_text() == "原页面：国家知识产权局指定代理"  # the page's script never ran
        assert page.title() != "pwned"
        headers = page.inner_text("#warc-headers")
        assert "WARC-Target-URI" in headers and item["url"] in headers and "platform-sim" in headers

        _alt(page, "r")
        page.wait_for_selector("#lead-status:has-text('审核中')")
        _alt(page, "e")
        page.wait_for_selector(".flash.error")
        assert "提交主管必须说明原因" in page.inner_text(".flash.error")
        page.fill("#why-escalated", "像是代理机构自己在宣传，拿不准")
        _alt(page, "e")
        page.wait_for_selector("#lead-status:has-text('已提交主管')")

        page.select_option("#assignee", "bob")
        page.click("#assign")
        assert "转交同事必须说明原因" in page.inner_text(".flash.error")
        page.select_option("#assignee", "bob")
        page.fill("#assign-why", "本人休假，转交 bob")
        page.click("#assign")
        last = page.locator("#audit tr.audit-event").last.inner_text()
        assert "alice" in last and "bob" in last and "本人休假，转交 bob" in last

        supervisor = browser.new_page()
        sign_in(supervisor, console_url, ADMIN, "/supervisor")
        row = supervisor.locator(f"tr.escalated-row[data-id='{lead.id}']")
        assert row.locator(".asked-by").inner_text() == "alice"
        assert row.locator(".asked-why").inner_text() == "像是代理机构自己在宣传，拿不准"
        row.locator("a.lead-link").click()
        supervisor.wait_for_selector("#to-confirmed")
        supervisor.fill("#why-confirmed", "冒用官方名义，确认")
        _alt(supervisor, "c")
        supervisor.wait_for_selector("#lead-status:has-text('已确认')")
        browser.close()
    stored = store.get(lead.id)
    assert stored.status == "confirmed" and stored.assignee == "bob"
    assert [(e["action"], e["by"], e.get("to")) for e in stored.audit][1:] == [
        ("status", "alice", "reviewing"), ("status", "alice", "escalated"), ("assignee", "alice", "bob"),
        ("status", "root", "confirmed")]
