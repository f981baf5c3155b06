"""Screenshots are taken by scrapy-playwright on evidence requests: the screenshot page method goes last, once, and
captures the whole page, pixel for pixel as Playwright's own full-page screenshot, down to `MAX_CAPTURE_HEIGHT`."""
from __future__ import annotations

import asyncio
import io
import logging
import shutil
import time
from pathlib import Path

import pytest
import yaml
from PIL import Image, ImageChops
from scrapy_playwright.page import PageMethod

from core.browser import HEADLESS_SHELL, chromium_path, launch_options
from core.settings import config_dir
from crawler.browser import ANSWER_GRACE_S, PageHung, render_detail
from crawler.evidence.screenshot import (
    MAX_CAPTURE_HEIGHT,
    MAX_CAPTURE_WIDTH,
    SCREENSHOT_VIEWPORT,
    PageShot,
    ensure_screenshot_method,
    full_page_png,
    page_session,
    screenshot_page_method,
)
from tests.fixtures.browser import chromium

TALL_LISTING = """<!doctype html><meta charset="utf-8"><body style="margin:0;font:16px sans-serif">
<h1 style="background:#c33;color:#fff">代理专利申请 包过 内部渠道</h1>
<div style="height:2400px;background:linear-gradient(#fff,#36c)"></div>
<p id="end" style="background:#ff0">页底：联系微信 abc123</p></body>"""
LISTING = TALL_LISTING.replace("height:2400px", "height:{height}px")


def test_screenshot_method_is_added_once_and_last():
    meta = {"playwright_page_methods": [PageMethod("wait_for_selector", "#x")]}
    ensure_screenshot_method(meta)
    ensure_screenshot_method(meta)
    assert [m.method for m in meta["playwright_page_methods"]] == ["wait_for_selector", full_page_png]
    own = {"playwright_page_methods": {"shot": PageMethod("screenshot", full_page=True)}}
    ensure_screenshot_method(own)
    assert list(own["playwright_page_methods"]) == ["shot"]
    evidence = {"playwright_page_methods": {"shot": screenshot_page_method()}}
    ensure_screenshot_method(evidence)
    assert list(evidence["playwright_page_methods"]) == ["shot"]


def full_page_captures(content: str, viewport: dict[str, int] | None = None) -> tuple[Image.Image, Image.Image]:
    """`full_page_png` of `content` in a tab of `viewport` (a visitor's window when None), and Playwright's own
    full-page screenshot of it in a visitor's window."""

    async def both() -> tuple[PageShot, bytes]:
        async with chromium() as browser:
            tab = await browser.new_page(viewport=viewport) if viewport else await browser.new_page()
            await tab.set_content(content)
            visitor = await browser.new_page()
            await visitor.set_content(content)
            return await full_page_png(tab), await visitor.screenshot(full_page=True, type="png")

    ours, playwrights = asyncio.run(both())
    assert ours.png is not None and ours.page_height is None, ours.error
    return Image.open(io.BytesIO(ours.png)), Image.open(io.BytesIO(playwrights))


@pytest.mark.browser
def test_the_evidence_png_is_the_whole_page_as_playwright_shows_it():
    evidence, reference = full_page_captures(TALL_LISTING)
    assert evidence.format == "PNG"
    assert evidence.size == reference.size and evidence.size[1] > 2400, "the whole page, beyond the viewport"
    assert evidence.convert("RGBA").tobytes() == reference.convert("RGBA").tobytes()


@pytest.mark.browser
@pytest.mark.parametrize("height", [300, 1100])
def test_a_page_drawn_whole_in_the_screenshot_tab_gives_the_full_page_a_visitor_would_get(height: int):
    """The screenshot tab is taller than a visitor's window; its capture is still the page's own height (at least
    a visitor's window), pixel for pixel as Playwright's full-page screenshot in a visitor's window."""
    evidence, reference = full_page_captures(LISTING.format(height=height), SCREENSHOT_VIEWPORT)
    assert evidence.size == reference.size and evidence.size[1] < SCREENSHOT_VIEWPORT["height"]
    assert evidence.convert("RGBA").tobytes() == reference.convert("RGBA").tobytes()


@pytest.mark.browser
def test_a_page_taller_than_the_capture_limit_is_captured_from_its_top_and_the_cut_is_told():
    """Hostile pages can be as tall as they like (the simulator's listing with 12,000 reviews is 856,892 px, which
    Chromium refuses to capture at all): the PNG is the page's top `MAX_CAPTURE_HEIGHT` pixels, the same pixels as
    Playwright's full-page screenshot there, and the page's own height comes with it."""
    page_height = MAX_CAPTURE_HEIGHT + 2000
    content = LISTING.format(height=page_height)

    async def capture() -> tuple[PageShot, bytes]:
        async with chromium() as browser:
            tab = await browser.new_page()
            await tab.set_content(content)
            top = {"x": 0, "y": 0, "width": 1280, "height": MAX_CAPTURE_HEIGHT}
            return await full_page_png(tab), await tab.screenshot(clip=top, full_page=True, type="png")

    shot, reference = asyncio.run(capture())
    assert shot.png is not None and shot.page_height is not None and shot.page_height > page_height
    evidence = Image.open(io.BytesIO(shot.png))
    assert evidence.size == (1280, MAX_CAPTURE_HEIGHT)
    assert evidence.convert("RGBA").tobytes() == Image.open(io.BytesIO(reference)).convert("RGBA").tobytes()


def test_headless_crawls_launch_the_headless_shell_when_it_is_installed(tmp_path, monkeypatch):
    for name in ("chromium", HEADLESS_SHELL):
        (tmp_path / name).write_text("#!/bin/sh\n")
        (tmp_path / name).chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("LANTIAN_CHROMIUM", raising=False)
    assert launch_options()["executable_path"] == str(tmp_path / HEADLESS_SHELL)
    assert launch_options(headless=False)["executable_path"] == str(tmp_path / "chromium")
    monkeypatch.setenv("LANTIAN_CHROMIUM", "/opt/chromium/chrome")
    assert launch_options()["executable_path"] == "/opt/chromium/chrome"
    (tmp_path / HEADLESS_SHELL).unlink()
    monkeypatch.delenv("LANTIAN_CHROMIUM")
    assert launch_options()["executable_path"] == str(tmp_path / "chromium")


@pytest.mark.browser
@pytest.mark.skipif(not shutil.which(HEADLESS_SHELL), reason=f"{HEADLESS_SHELL} is not installed")
def test_the_headless_shell_draws_the_evidence_png_as_the_full_browser_does():
    """The same page, the same size, the same pixels but for the anti-aliasing of glyph edges (the two draw text
    with slightly different smoothing: under 1% of the pixels differ, all of them on text)."""

    async def capture(executable: str) -> PageShot:
        async with chromium(executable) as browser:
            tab = await browser.new_page(viewport=SCREENSHOT_VIEWPORT)
            await tab.set_content(LISTING.format(height=1100))
            return await full_page_png(tab)

    shell, full = (asyncio.run(capture(chromium_path(headless))) for headless in (True, False))
    assert shell.png is not None and full.png is not None
    shell_image, full_image = (Image.open(io.BytesIO(png)).convert("RGB") for png in (shell.png, full.png))
    assert shell_image.size == full_image.size
    differing = ImageChops.difference(shell_image, full_image).convert("L").point(lambda value: 255 if value else 0)
    box = differing.getbbox()
    assert box is not None and differing.histogram()[255] < 0.01 * shell_image.width * shell_image.height
    page_text_rows = [(0, 60), (1160, 1232)]  # the heading and the last paragraph; the gradient between has no text
    rows_with_differences = {y for y in range(box[1], box[3])
                             if differing.crop((0, y, shell_image.width, y + 1)).getbbox()}
    assert all(any(top <= y < bottom for top, bottom in page_text_rows) for y in rows_with_differences)


DRAWN_LATE = """<!doctype html><meta charset="utf-8"><body><script>
setTimeout(() => { const h = document.createElement("h1"); h.className = "title"; h.textContent = "代理商标 包过";
                   document.body.appendChild(h); }, 300);
</script></body>"""


@pytest.mark.browser
@pytest.mark.parametrize("wait_for", [("h1.title, div.removed-notice",), ("//h1[@class='title']",),
                                      ("text=代理商标 包过",), ("div.removed-notice", "text=代理商标 包过"),
                                      ("//h1[@class='title']/text()", "text=下架"), ("h1.title ::text", "text=下架"),
                                      ("xpath://h1/@class", "text=下架")])
def test_a_listing_drawn_after_its_document_is_waited_for(wait_for: tuple[str, ...], caplog: pytest.LogCaptureFixture):
    """The screenshot of a listing whose script draws it after the document arrived shows it drawn: the wait for its
    fields (CSS, XPath, or a selector only Playwright's engine reads, alone or among others; with one of the last,
    Playwright waits for all, each field's `::text`, `/text()` or `@x` as the element holding it) ends when they are
    there, not before."""

    async def drawn() -> int:
        async with chromium() as browser:
            tab = await browser.new_page()
            await tab.set_content(DRAWN_LATE)
            await render_detail(tab, wait_for, 8000)
            return int(await tab.evaluate("document.querySelectorAll('h1.title').length"))

    caplog.set_level(logging.DEBUG, logger="crawler.browser")
    assert asyncio.run(drawn()) == 1
    assert not [record for record in caplog.records if record.msg.startswith("none of")], "found, not timed out"


@pytest.mark.browser
def test_a_tab_reused_for_several_listings_captures_each_as_drawn_even_after_its_devtools_session_ended():
    """A tab renders listing after listing; each screenshot is the listing it shows, whole, including the one taken
    after the tab's DevTools session ended (a new one is opened)."""

    async def shots() -> list[tuple[int, int]]:
        async with chromium() as browser:
            tab = await browser.new_page(viewport=SCREENSHOT_VIEWPORT)
            sizes = []
            for number, height in enumerate([300, 1100, 5000]):
                await tab.set_content(LISTING.format(height=height))
                if number == 2:
                    await (await page_session(tab)).detach()
                shot = await full_page_png(tab)
                assert shot.png is not None, shot.error
                sizes.append(Image.open(io.BytesIO(shot.png)).size)
            return sizes

    first, second, third = asyncio.run(shots())
    assert first[1] < second[1] < third[1] and third[1] > 5000, "each capture is its own page, whole"


FIELDS = ('<h1 class="item-title">代理商标注册 包过</h1>'
          '<div class="item-desc"><p>内部渠道，三天下证，不成功全额退款。</p></div>')
FIELDS_DRAWN_LATE = f"""<!doctype html><meta charset="utf-8"><body style="margin:0;font:16px sans-serif"><script>
setTimeout(() => {{ document.body.innerHTML = '{FIELDS}'; }}, 300);
</script></body>"""
FIELDS_DRAWN = f'<!doctype html><meta charset="utf-8"><body style="margin:0;font:16px sans-serif">{FIELDS}</body>'


@pytest.mark.browser
@pytest.mark.parametrize("title, text", [
    ("//h1[@class='item-title']/text()", "//div[@class='item-desc']//text()"),
    ("h1.item-title::text", "div.item-desc ::text"),
    ("xpath://h1/@class", "div.item-desc p::text"),
    ("//h1[has-class('item-title')]/text()", '//div[has-class("item-desc")]//text()'),  # lxml's, translated
    ("//h1[re:test(@class, '^item-t')]/text()", "div.item-desc ::text"),  # the browser has no re:test: text waited
])
def test_the_screenshot_of_a_listing_drawn_late_waits_for_its_fields_as_staff_wrote_them(
        tmp_path: Path, title: str, text: str, caplog: pytest.LogCaptureFixture):
    """Staff may write a platform's fields as XPath (with lxml's `has-class()` or `re:test()` too) or with parsel's
    `::text` / `::attr(x)`, which the browser does not read: the evidence screenshot of a listing whose script draws
    its fields after the document still waits for them (each selector is read as the crawler reads it, a field the
    browser cannot read left out), and shows the listing drawn."""
    from crawler.spiders.sweep import SweepSpider

    config = tmp_path / "config"
    shutil.copytree(config_dir(), config)
    market = config / "platforms" / "market.yaml"
    data = yaml.safe_load(market.read_text("utf-8"))
    data["detail"].update(title=title, text=text)
    market.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    request = SweepSpider(platforms="market", config_dir=str(config)).screenshot_request(
        {"platform": "market", "url": "http://127.0.0.1:8600/item/1"})
    [wait] = request.meta["playwright_page_methods"]

    async def shots() -> tuple[PageShot, PageShot]:
        async with chromium() as browser:
            tab = await browser.new_page(viewport=SCREENSHOT_VIEWPORT)
            await tab.set_content(FIELDS_DRAWN_LATE)
            await wait.method(tab, *wait.args, **wait.kwargs)
            late = await full_page_png(tab)
            await tab.set_content(FIELDS_DRAWN)
            return late, await full_page_png(tab)

    caplog.set_level(logging.DEBUG, logger="crawler.browser")
    late, drawn = asyncio.run(shots())
    assert not [record for record in caplog.records if record.msg.startswith("none of")], "found, not timed out"
    assert late.png is not None and drawn.png is not None
    late_image, drawn_image = (Image.open(io.BytesIO(png)).convert("RGB") for png in (late.png, drawn.png))
    assert ImageChops.difference(late_image, drawn_image).getbbox() is None, "the screenshot shows the fields"


@pytest.mark.browser
def test_a_page_wider_than_the_capture_limit_is_captured_from_its_left_edge_in_seconds_and_the_cut_is_logged(
        tmp_path: Path) -> None:
    """A seller's unbroken line of 5 MB lays its page out 33,554,432 px wide: Chromium spent 89 s on capturing it
    whole and then refused. The PNG is the page's left `MAX_CAPTURE_WIDTH` pixels, taken in seconds, and the
    evidence log says what was cut and why."""
    from crawler.evidence.archive import EvidenceArchive

    async def capture() -> tuple[PageShot, float]:
        async with chromium() as browser:
            tab = await browser.new_page(viewport=SCREENSHOT_VIEWPORT)
            await tab.set_content(f'<meta charset="utf-8"><p>微信abc123{"a" * 5_000_000}</p>')
            started = time.monotonic()
            shot = await full_page_png(tab)
            return shot, time.monotonic() - started

    shot, seconds = asyncio.run(capture())
    assert shot.png is not None, shot.error
    assert seconds < 30, f"the capture took {seconds:.0f} s"
    assert Image.open(io.BytesIO(shot.png)).width == MAX_CAPTURE_WIDTH
    assert shot.page_width is not None and shot.page_width > 1000 * MAX_CAPTURE_WIDTH and shot.page_height is None
    archive = EvidenceArchive(tmp_path)
    archive.record_screenshot("http://market.test/item/wide", shot.png, source="test", cut=shot.cut())
    archive.close()
    [line] = archive.find("http://market.test/item/wide")
    assert line["cut_width_at"] == MAX_CAPTURE_WIDTH and line["page_width"] == shot.page_width
    assert "cut_at" not in line and "Chromium stalls" in line["cut_why"]


BUSY_FOR = "(ms) => setTimeout(() => { const end = Date.now() + ms; while (Date.now() < end); }, 0)"


@pytest.mark.browser
def test_a_screenshot_the_page_keeps_from_finishing_is_given_up_after_its_timeout_and_said_why():
    """A page busy for longer than the screenshot may take (its layout or a script) gets no screenshot, and says so;
    the page still answers afterwards, so its request goes on (the old capture waited for as long as the page was
    busy, which a hostile page makes for ever)."""

    async def capture() -> tuple[PageShot, float]:
        async with chromium() as browser:
            tab = await browser.new_page(viewport=SCREENSHOT_VIEWPORT)
            await tab.set_content(LISTING.format(height=300))
            await tab.evaluate(BUSY_FOR, 4000)
            started = time.monotonic()
            shot = await full_page_png(tab, 1)
            return shot, time.monotonic() - started

    shot, seconds = asyncio.run(capture())
    assert shot.png is None and shot.timed_out and "within 1 s (EVIDENCE_SCREENSHOT_TIMEOUT)" in shot.error
    assert seconds < 1 + ANSWER_GRACE_S


@pytest.mark.browser
@pytest.mark.parametrize("step", ["fields", "screenshot"])
def test_a_page_whose_script_never_yields_is_a_hung_page_within_its_bounds(step: str):
    """A script that never yields holds a tab for ever: every wait inside the page (for its fields, its images, the
    screenshot) ends with `PageHung` within its timeout and `ANSWER_GRACE_S`, so its request ends and its tab is
    closed."""

    async def hang() -> float:
        async with chromium() as browser:
            tab = await browser.new_page(viewport=SCREENSHOT_VIEWPORT)
            await tab.set_content(LISTING.format(height=300))
            await tab.evaluate("() => setTimeout(() => { for (;;); }, 0)")
            started = time.monotonic()
            with pytest.raises(PageHung, match="did not answer|no longer answers"):
                if step == "fields":
                    await render_detail(tab, ("#never",), 1000)
                else:
                    await full_page_png(tab, 1)
            return time.monotonic() - started

    assert asyncio.run(hang()) < 2 + ANSWER_GRACE_S + 5


SCRIPTED_LISTING = """<!doctype html><html><head><meta charset="utf-8"><title>专利代理</title></head>
<body><h1>代理专利申请 包过</h1><ul id="added"></ul>
<script>
document.getElementById("added").innerHTML = "<li>脚本加的：联系微信 abc123</li>";
Object.defineProperty(Element.prototype, "outerHTML", {get() { return "<html>nothing to see</html>"; }});
</script></body></html>"""


@pytest.mark.browser
def test_an_evidence_tab_reads_its_rendered_html_as_playwright_does_out_of_the_pages_reach():
    """After its first screenshot a tab's `content()` is DevTools' serialization of the DOM: the same HTML as
    Playwright's `page.content()`, with what the page's script added, and not what the page's script makes its own
    `outerHTML` say."""

    async def read() -> tuple[str, str, str]:
        async with chromium() as browser:
            tab = await browser.new_page(viewport=SCREENSHOT_VIEWPORT)
            await tab.set_content(SCRIPTED_LISTING)
            before = await tab.content()
            assert (await full_page_png(tab)).png is not None
            return before, await tab.content(), await tab.evaluate("document.documentElement.outerHTML")

    playwrights, ours, in_page = asyncio.run(read())
    assert "脚本加的：联系微信 abc123" in ours
    assert ours == playwrights
    assert in_page == "<html>nothing to see</html>", "the page did override its own outerHTML"
