"""The complaint form in a real browser (Debian's Chromium through Playwright): a reviewer records a complaint with
a link and a screenshot, sees it among the open complaints with its age, its link captured in the background and
its screenshot read; an admin exports the 快速预审 watch list; hostile text in the report never runs."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from casework.complaints import ComplaintRegister
from core.lead import lead_id
from simulator.images import render_text_image
from tests.fixtures.casework import ADMIN, sign_in

pytestmark = [pytest.mark.slow, pytest.mark.browser]
HOSTILE_REPORT = '朋友圈有人冒充国知局<script>document.title="pwned"</script>'


@pytest.fixture
def console_endpoints(simulator: Any, tmp_path: Path) -> Path:
    """The console is started with the simulator's endpoints (`lantian console --endpoints`), as a demo's is: the
    complaint's link is on a platform there, so it is captured although it is on this machine."""
    path = tmp_path / "endpoints.json"
    path.write_text(json.dumps(simulator.endpoints), encoding="utf-8")
    return path


def test_reviewer_records_a_complaint_and_admin_exports_the_watch_list(
        store: Any, console_url: str, chromium_launch_options: dict, simulator: Any, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, casework_env: Path) -> None:
    monkeypatch.setenv("LANTIAN_REGISTRY_PATH", str(simulator.registry_path))
    item = next(t for t in simulator.ground_truth() if t["platform"] == "market" and t["kind"] == "violation"
                and t["status"] == "active" and t["quirk"] is None)
    shot = tmp_path / "moments.png"
    shot.write_bytes(render_text_image("国家知识产权局指定代理 内部渠道 30天下证"))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**chromium_launch_options)
        page = browser.new_page()
        sign_in(page, console_url)
        page.click("#complaints-link")
        page.click("#new-complaint")
        page.fill("textarea[name=report]", HOSTILE_REPORT)
        page.select_option("select[name=channel]", "网上")
        page.fill("input[name=name]", "王女士")
        page.fill("input[name=phone]", "13700001111")
        page.fill("textarea[name=urls]", item["url"])
        page.set_input_files("input[name=screenshots]", str(shot))
        page.click("#submit-complaint")

        page.wait_for_selector("#complaint-title", timeout=120_000)
        assert "第1号" in page.inner_text("#complaint-title")
        assert page.inner_text("#complaint-report") == HOSTILE_REPORT and page.title() != "pwned"
        assert "内部渠道" in page.inner_text("#screenshots .ocr-text")
        # The link is captured by a crawl of its own; the page refreshes itself until it is done.
        page.wait_for_selector("td.capture-outcome[data-outcome=captured]", timeout=300_000)
        assert page.locator("tr.complaint-lead").count() == 2
        page.click(f"tr.complaint-lead a[href='/leads/{lead_id(item['url'])}']")
        source = page.inner_text("#lead-source")
        assert "群众举报" in source and "举报投诉第1号" in source and "alice" in source

        page.click("#complaints-link")
        row = page.locator("tr.complaint-row[data-number='1']")
        assert row.locator(".age").inner_text() == "0 天" and "核查中" in row.locator(".status").inner_text()
        assert page.locator("#watchlist-link").count() == 0, "the watch list is for admins"

        admin = browser.new_page()
        sign_in(admin, console_url, ADMIN)
        with admin.expect_download() as download:
            admin.click("#watchlist-link")
        assert download.value.suggested_filename.endswith("-12m.xlsx")
        browser.close()

    with ComplaintRegister(casework_env / "casework" / "complaints.sqlite3") as register:
        complaint = register.get(1)
    assert complaint.complainant == {"name": "王女士", "phone": "13700001111"} and complaint.channel == "网上"
    assert lead_id(item["url"]) in complaint.lead_ids
    lead = store.get(lead_id(item["url"]))
    assert lead.source == "complaint" and lead.complaints == [1]
    assert "王女士" not in str(lead) and "13700001111" not in str(lead)
