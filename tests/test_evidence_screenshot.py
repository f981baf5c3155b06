"""Full-page screenshots come from Debian's Chromium, and a crashed browser is replaced."""
from __future__ import annotations

import asyncio
from io import BytesIO

import psutil
import pytest
from PIL import Image

from crawler.evidence.screenshot import PageRenderer, ScreenshotError
from tests.fixtures.evidence import evidence_site  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser


def _chromium_children() -> list[psutil.Process]:
    found = []
    for process in psutil.Process().children(recursive=True):
        try:
            if "chrom" in process.name().lower():
                found.append(process)
        except psutil.NoSuchProcess:
            pass
    return found


def _kill_browser_main_process() -> None:
    """Simulate a crash: kill Chromium's main process (the one started by Playwright's driver, by this test)."""
    for process in _chromium_children():
        try:
            parent = process.parent()
            if parent is not None and "chrom" not in parent.name().lower():
                process.kill()
        except psutil.NoSuchProcess:
            pass


def test_full_page_png_and_relaunch_after_a_crash(evidence_site, chromium_launch_options):  # noqa: F811
    async def scenario() -> tuple[bytes, bytes, int, list[psutil.Process]]:
        renderer = PageRenderer(chromium_launch_options, viewport=(800, 600), timeout_ms=20_000)
        try:
            first = await renderer.screenshot(f"{evidence_site}/tall")
            _kill_browser_main_process()
            await asyncio.sleep(0.5)
            second = await renderer.screenshot(f"{evidence_site}/item/1")
            browsers = _chromium_children()
            return first, second, renderer.launches, browsers
        finally:
            await renderer.close()

    first, second, launches, browsers = asyncio.run(scenario())
    image = Image.open(BytesIO(first))
    assert image.format == "PNG"
    assert image.width == 800 and image.height >= 3000  # the whole page, not just the viewport
    assert Image.open(BytesIO(second)).format == "PNG"
    assert launches == 2
    _, alive = psutil.wait_procs(browsers, timeout=15)
    assert not alive  # close() leaves no browser behind


def test_page_whose_load_never_finishes_is_still_captured(evidence_site, chromium_launch_options):  # noqa: F811
    async def scenario() -> bytes:
        renderer = PageRenderer(chromium_launch_options, timeout_ms=2_000)
        try:
            return await renderer.screenshot(f"{evidence_site}/stalled")
        finally:
            await renderer.close()

    assert Image.open(BytesIO(asyncio.run(scenario()))).format == "PNG"


def test_unreachable_page_is_a_screenshot_error(chromium_launch_options):
    async def scenario() -> None:
        renderer = PageRenderer(chromium_launch_options, timeout_ms=10_000)
        try:
            await renderer.screenshot("http://127.0.0.1:9/nothing-listens-here")
        finally:
            await renderer.close()

    with pytest.raises(ScreenshotError, match="could not screenshot"):
        asyncio.run(scenario())


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
