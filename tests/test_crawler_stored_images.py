"""A lead's screenshot shows the listing's images the crawl stored, handed to Chromium from the files store (small
ones read at once on the event loop, larger ones by Playwright from their path), without asking the platform for
them again."""
from __future__ import annotations

import asyncio
import hashlib
import io
import random
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from PIL import Image
from scrapy import Request

from crawler.browser import IMAGES_SETTLED, STORED_IMAGE_READ_INLINE, STORED_IMAGES, show_as_crawled, stored_image
from crawler.evidence.screenshot import SCREENSHOT_VIEWPORT, full_page_png
from tests.fixtures.browser import chromium
from tests.fixtures.servers import local_http_server

PAGE = ('<!DOCTYPE html><html><body style="margin:0;background:#fff">'
        '<img src="/img/small.png" style="display:block"><img src="/img/large.png" style="display:block">'
        '</body></html>')


def test_small_stored_images_are_read_at_once_larger_ones_are_left_to_playwright(tmp_path: Path) -> None:
    small, large = tmp_path / "small.png", tmp_path / "large.png"
    small.write_bytes(b"\x89PNG" + b"s" * 1000)
    large.write_bytes(b"\x89PNG" + b"l" * STORED_IMAGE_READ_INLINE)
    assert stored_image(str(small)) == small.read_bytes()
    assert stored_image(str(large)) is None
    assert stored_image(str(tmp_path / "gone.png")) is None


@pytest.fixture()
def platform() -> Iterator[tuple[str, list[str]]]:
    """A page with two images on a local server, and the paths it was asked for."""
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            body = PAGE.encode() if self.path == "/item" else b""
            self.send_response(200 if self.path == "/item" else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    with local_http_server(Handler) as url:
        yield url, asked


def stored(directory: Path, url: str, colour: tuple[int, int, int], size: tuple[int, int], noisy: bool) -> str:
    """An image stored as the files pipeline names it (the SHA-1 of its URL); `noisy` makes its PNG large."""
    image = Image.new("RGB", size, colour)
    if noisy:
        image = Image.frombytes("RGB", size, random.Random(7).randbytes(size[0] * size[1] * 3))
    path = directory / f"{hashlib.sha1(url.encode()).hexdigest()}.png"
    image.save(path)
    return str(path)


def test_the_screenshot_shows_the_stored_images_and_the_platform_is_not_asked_for_them(
        platform: tuple[str, list[str]], tmp_path: Path) -> None:
    base, asked = platform
    small = stored(tmp_path, f"{base}/img/small.png", (200, 30, 40), (120, 80), noisy=False)
    large = stored(tmp_path, f"{base}/img/large.png", (0, 0, 0), (400, 300), noisy=True)
    assert Path(small).stat().st_size <= STORED_IMAGE_READ_INLINE < Path(large).stat().st_size

    async def shoot() -> bytes:
        async with chromium() as browser:
            tab = await (await browser.new_context(viewport=SCREENSHOT_VIEWPORT)).new_page()
            await show_as_crawled(tab, Request(f"{base}/item", meta={STORED_IMAGES: [small, large]}))
            await tab.goto(f"{base}/item", wait_until="domcontentloaded")
            assert await tab.evaluate(IMAGES_SETTLED, 8000)
            shot = await full_page_png(tab)
            assert shot.png is not None
            return shot.png

    picture = Image.open(io.BytesIO(asyncio.run(shoot()))).convert("RGB")
    assert picture.crop((0, 0, 120, 80)).getcolors() == [(120 * 80, (200, 30, 40))]
    assert picture.crop((0, 80, 400, 380)).tobytes() == Image.open(large).convert("RGB").tobytes()
    assert asked == ["/item"], "the images came from the files store, not from the platform"
