"""Screenshots are taken by scrapy-playwright on evidence requests: the screenshot page method goes last, once."""
from __future__ import annotations


def test_screenshot_method_is_added_once_and_last():
    from scrapy_playwright.page import PageMethod

    from crawler.evidence.screenshot import ensure_screenshot_method, screenshot_page_method

    meta = {"playwright_page_methods": [PageMethod("wait_for_selector", "#x")]}
    ensure_screenshot_method(meta)
    ensure_screenshot_method(meta)
    assert [m.method for m in meta["playwright_page_methods"]] == ["wait_for_selector", "screenshot"]
    own = {"playwright_page_methods": {"shot": screenshot_page_method()}}
    ensure_screenshot_method(own)
    assert list(own["playwright_page_methods"]) == ["shot"]
