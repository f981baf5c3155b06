"""OCR once per picture: a persistent cache by content hash and by verified perceptual hash, a cheap no-text test,
and worker processes that read while the caller's event loop goes on."""
from __future__ import annotations

import asyncio
import dataclasses
import io
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from detector.detector import Detector
from detector.ocr import looks_textless
from detector.ocr_cache import Fingerprint, OcrCache
from detector.ocr_pool import ImageTextWorkers, ReaderSettings

FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
SETTINGS = ReaderSettings().reader().settings_key


def banner(text: str, size: int = 40, width: int = 720, background: tuple[int, int, int] = (250, 240, 230),
           ) -> Image.Image:
    image = Image.new("RGB", (width, 60 + size * 3 // 2), background)
    ImageDraw.Draw(image).text((30, 30), text, font=ImageFont.truetype(FONT, size), fill=(20, 20, 20))
    return image


def save(image: Image.Image, path: Path, **options: object) -> str:
    image.save(path, **options)
    return str(path)


def reencoded(image: Image.Image, quality: int = 40) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


# the no-text test ---------------------------------------------------------------------------------------------------

def test_pictures_without_sharp_strokes_are_found_textless() -> None:
    flat = Image.new("RGB", (800, 600), (200, 100, 50))
    gradient = Image.fromarray(np.tile(np.linspace(0, 255, 800, dtype=np.uint8), (600, 1)))
    soft_photo = Image.fromarray((np.random.RandomState(0).rand(600, 800) * 255).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(6))
    assert looks_textless(flat) and looks_textless(gradient) and looks_textless(soft_photo)


def test_any_legible_text_is_left_to_the_engine() -> None:
    watermark = Image.new("RGB", (1200, 1200), (230, 230, 240))
    ImageDraw.Draw(watermark).text((1000, 1170), "微信 ab12", font=ImageFont.truetype(FONT, 12), fill=(90, 90, 90))
    one_character = Image.new("RGB", (800, 600), (250, 250, 250))
    ImageDraw.Draw(one_character).text((300, 300), "新", font=ImageFont.truetype(FONT, 20), fill=(0, 0, 0))
    assert not looks_textless(watermark)
    assert not looks_textless(one_character)
    assert not looks_textless(banner("国家知识产权局指定代理"))


# the cache ----------------------------------------------------------------------------------------------------------

def test_a_reencoded_copy_is_found_but_a_picture_one_character_apart_is_not(tmp_path: Path) -> None:
    cache = OcrCache(tmp_path / "cache.sqlite3")
    original = banner("专利包授权！内部渠道15天下证")
    cache.put("a" * 64, SETTINGS, "专利包授权！内部渠道15天下证", "ocr", Fingerprint.of(original))

    assert cache.by_picture(Fingerprint.of(reencoded(original)), SETTINGS) == "专利包授权！内部渠道15天下证"
    other = Fingerprint.of(banner("专利包授权！内部渠道60天下证"))
    same_hash = dataclasses.replace(other, phash=Fingerprint.of(original).phash)
    assert cache.by_picture(same_hash, SETTINGS) is None, "a pHash match alone is not the same picture"
    assert cache.by_picture(Fingerprint.of(original.resize((648, 108))), SETTINGS) is None
    assert cache.by_picture(Fingerprint.of(original), "another engine") is None
    assert cache.by_content("a" * 64, SETTINGS) == "专利包授权！内部渠道15天下证"
    cache.close()


# the workers --------------------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_each_picture_is_read_once_across_listings_and_crawls(tmp_path: Path) -> None:
    claim = banner("国家知识产权局指定代理")
    pictures = {
        "claim": save(claim, tmp_path / "claim.png"),
        "claim-again": str(shutil.copy(tmp_path / "claim.png", tmp_path / "claim-under-another-url.png")),
        "claim-as-jpeg": save(claim, tmp_path / "claim.jpg", quality=50),
        "blank": save(Image.new("RGB", (640, 480), (240, 240, 240)), tmp_path / "blank.png"),
        "other": save(banner("内部渠道 包授权", background=(230, 244, 255)), tmp_path / "other.png"),
        "broken": str(tmp_path / "broken.png"),
    }
    Path(pictures["broken"]).write_bytes(b"\x89PNG not really")
    cache_path = tmp_path / "ocr.sqlite3"

    async def first_crawl() -> tuple[list, Counter, int]:
        workers = ImageTextWorkers(ReaderSettings(), cache_path)
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.ensure_future(tick())
        try:
            listings = [await workers.read([pictures["claim"], pictures["blank"], pictures["broken"]]),
                        await workers.read([pictures["claim-again"], pictures["other"]]),
                        await workers.read([pictures["claim-as-jpeg"]])]
        finally:
            ticker.cancel()
            await asyncio.to_thread(workers.close)
        return listings, sum((listing.found for listing in listings), Counter()), ticks

    listings, counts, ticks = asyncio.run(first_crawl())
    assert "国家知识产权局指定代理" in listings[0].text
    assert len(listings[0].errors) == 1 and "not a readable image" in listings[0].errors[0]
    assert listings[1].text.splitlines()[0] == listings[0].text
    assert "包授权" in listings[1].text
    assert listings[2].text == listings[0].text
    assert counts == {"ocr": 2, "no_text": 1, "cached": 1, "copy": 1, "failed": 1}
    assert ticks >= 3, "the event loop kept running while the workers read"

    async def second_crawl() -> Counter:
        workers = ImageTextWorkers(ReaderSettings(), cache_path)
        try:
            found = await workers.read([pictures["claim"], pictures["other"], pictures["blank"],
                                        pictures["claim-as-jpeg"]])
        finally:
            await asyncio.to_thread(workers.close)
        return found.found

    assert asyncio.run(second_crawl()) == {"cached": 4}


def test_the_detector_reads_image_text_given_instead_of_the_images(rules_detector: Detector,
                                                                   tmp_path: Path) -> None:
    result = rules_detector.detect({"id": "x", "title": "企业服务 详情见图", "images": [str(tmp_path / "gone.png")],
                                    "image_text": "国家知识产权局指定代理"})
    assert "impersonation" in result.labels
    assert result.image_text == "国家知识产权局指定代理"
    assert "image_errors" not in result.document(), "the images were not opened again"
