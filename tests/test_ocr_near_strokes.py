"""The OCR engine's text finder looks for lines only in the bands of rows near sharp-edged strokes, and what it
reads there is what the engine reads searching the whole picture: the same lines, the same text."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from detector.ocr import ImageTextReader, _normalized, stroke_bands

FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"

pytestmark = pytest.mark.slow


def write(image: Image.Image, place: tuple[int, int], text: str, size: int, colour: tuple[int, int, int]) -> None:
    ImageDraw.Draw(image).text(place, text, font=ImageFont.truetype(FONT, size), fill=colour)


def product_card(caption: str) -> Image.Image:
    """A product photo stand-in with the shop's name in a white strip at its foot (as listings' pictures have)."""
    image = Image.new("RGB", (480, 360), (170, 200, 140))
    draw = ImageDraw.Draw(image)
    draw.ellipse((40, 30, 150, 140), fill=(90, 60, 160))
    draw.ellipse((260, 150, 380, 260), fill=(200, 90, 40))
    draw.rectangle((0, 300, 480, 360), fill=(255, 255, 255))
    write(image, (16, 312), caption, 28, (40, 40, 40))
    return image


def banner(lines: list[str], size: int = 40) -> Image.Image:
    image = Image.new("RGB", (720, 60 + 58 * len(lines)), (230, 244, 255))
    for number, line in enumerate(lines):
        write(image, (30, 30 + 58 * number), line, size, (20, 20, 20))
    return image


def photo_with_watermark() -> Image.Image:
    """A soft photo with a claim at its foot and a faint small watermark near its top."""
    image = Image.new("RGB", (640, 480), (150, 150, 150))
    draw = ImageDraw.Draw(image)
    for box, colour in (((60, 40, 260, 240), (90, 120, 200)), ((330, 200, 560, 420), (220, 180, 90))):
        draw.ellipse(box, fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(3))
    write(image, (30, 400), "商标注册 三天下证", 32, (255, 255, 255))
    write(image, (300, 30), "微信 tm8899", 14, (225, 225, 225))
    return image


def headline_and_small_print() -> Image.Image:
    image = Image.new("RGB", (900, 240), "white")
    write(image, (20, 20), "商标注册 包过", 64, (0, 0, 0))
    write(image, (520, 40), "加微信 zl8899", 14, (60, 60, 60))
    write(image, (600, 210), "联系电话 138 0013 8000", 14, (60, 60, 60))
    return image


@pytest.fixture(scope="module")
def reader() -> ImageTextReader:
    return ImageTextReader(threads=1)


def whole_picture_text(reader: ImageTextReader, image: Image.Image) -> str:
    """The text as the engine reads it searching the whole picture (lines ordered as `read_image` orders them)."""
    result, _ = reader._load_engine()(np.asarray(image)[:, :, ::-1].copy())
    lines = sorted(result or [], key=lambda item: (round(item[0][0][1] / 20), item[0][0][0]))
    return "\n".join(str(text) for _, text, score in lines if float(score) >= reader.min_score)


@pytest.mark.parametrize("picture", [
    lambda: product_card("华夏知识产权代理事务所"),
    lambda: banner(["专业代办商标注册，包过！15天下", "证，加微信abc123详谈"]),
    lambda: banner(["高新技术企业认定代写专利包授", "权"]),
    photo_with_watermark,
    headline_and_small_print,
], ids=["card", "banner", "banner-short-line", "watermark", "small-print"])
def test_the_text_read_near_strokes_is_the_text_of_the_whole_picture(
        reader: ImageTextReader, picture: object) -> None:
    image = picture()  # type: ignore[operator]
    assert reader.read_image(image) == whole_picture_text(reader, image)


def test_a_faint_small_watermark_and_small_print_beside_large_text_are_read(reader: ImageTextReader) -> None:
    assert "tm8899" in reader.read_image(photo_with_watermark())
    text = reader.read_image(headline_and_small_print())
    assert "zl8899" in text and "8000" in text


def test_a_lone_shape_far_from_any_stroke_is_not_taken_for_a_letter(reader: ImageTextReader) -> None:
    card = product_card("北京某某科技")
    assert whole_picture_text(reader, card) == "O\n北京某某科技"  # the engine reads the top ellipse as an O
    assert reader.read_image(card) == "北京某某科技"


def test_a_card_is_searched_only_near_its_caption() -> None:
    pixels = np.asarray(product_card("华夏知识产权代理事务所"))[:, :, ::-1].copy()
    bands = stroke_bands(pixels, 352)
    searched = sum(bottom - top for top, bottom in bands)
    assert bands[-1][1] == 352 and searched < 352 * 0.6
    assert all(top % 32 == 0 and bottom % 32 == 0 for top, bottom in bands)


def test_a_picture_full_of_text_is_searched_whole() -> None:
    pixels = np.asarray(banner(["国家知识产权局指定代理机构", "内部渠道 包授权 加急办理"]))[:, :, ::-1].copy()
    assert stroke_bands(pixels, 160) == [(0, 160)]


def test_a_blank_picture_has_nothing_to_search() -> None:
    pixels = np.full((360, 480, 3), 200, dtype=np.uint8)
    assert stroke_bands(pixels, 352) == []


def test_the_finders_input_is_its_own_normalisation_bit_for_bit(reader: ImageTextReader) -> None:
    preprocess = reader._load_engine().text_det.get_preprocess(480)
    pixels = np.random.default_rng(7).integers(0, 256, size=(64, 96, 3), dtype=np.uint8)
    own = preprocess.permute(preprocess.normalize(pixels)).astype(np.float32)
    assert np.array_equal(_normalized(preprocess, pixels), own)
