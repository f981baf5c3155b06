"""Text inside images: OCR (RapidOCR, offline) of generated images, detected as the field `image_text`."""
from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from detector.detector import Detector

FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"

pytestmark = pytest.mark.slow


def render(path: Path, lines: list[str]) -> Path:
    font = ImageFont.truetype(FONT, 40)
    image = Image.new("RGB", (900, 40 + 70 * len(lines)), "white")
    draw = ImageDraw.Draw(image)
    for number, line in enumerate(lines):
        draw.text((30, 25 + 70 * number), line, font=font, fill="black")
    image.save(path)
    return path


@pytest.fixture(scope="module")
def claim_image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(tmp_path_factory.mktemp("images") / "claim.png", ["国家知识产权局指定代理", "内部渠道 包授权"])


def test_text_in_an_image_is_detected(rules_detector: Detector, claim_image: Path) -> None:
    result = rules_detector.detect({"id": "img", "title": "企业服务 详情见图", "text": "详情见图，图片内容为准。",
                                    "images": [str(claim_image)]})
    assert "国家知识产权局指定代理" in result.image_text
    assert {"impersonation", "insider_channel"} <= set(result.labels)
    image_spans = [e for e in result.evidence if e["field"] == "image_text"]
    assert {e["label"] for e in image_spans} == {"impersonation", "insider_channel"}
    for span in image_spans:
        assert result.image_text[span["start"]:span["end"]] == span["text"]


def test_unreadable_images_are_counted_and_reported_beside_the_readable_one(
        rules_detector: Detector, claim_image: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG not really")
    before = dict(rules_detector.stats)
    result = rules_detector.detect({"id": "files", "title": "看图", "images": [
        f"file://{claim_image}", str(broken), str(tmp_path / "nowhere.png")]})
    assert "impersonation" in result.labels
    assert len(result.image_errors) == 2
    assert any("not a readable image" in e for e in result.image_errors)
    assert any("nowhere.png" in e and "cannot read" in e for e in result.image_errors)
    assert rules_detector.stats["images_failed"] - before.get("images_failed", 0) == 2
    assert rules_detector.stats["images_read"] - before.get("images_read", 0) == 1


def picture_as(kind: str) -> bytes:
    """A small picture saved in the image format `kind` (Pillow's name)."""
    import io

    buffer = io.BytesIO()
    Image.new("RGB", (64, 32), (200, 30, 30)).save(buffer, kind)
    return buffer.getvalue()


@pytest.mark.parametrize("kind", ["TIFF", "TGA", "PCX", "SGI", "EPS", "IM"])
def test_a_picture_in_a_format_no_web_page_shows_is_refused_before_a_decoder_runs(kind: str) -> None:
    """A listing's pictures and a complaint's attachments are the sellers' and the public's bytes, and Pillow picks
    its decoder from the bytes, not the name: a file called a.png that holds TIFF, TGA, PCX, SGI or IM was decoded
    by that format's decoder (the ones Pillow's security fixes are about), and EPS is handed to Ghostscript where
    it is installed. Only the formats web pages show are opened (`WEB_IMAGE_FORMATS`); the rest are refused, as
    other unreadable pictures are, with a message naming the formats read."""
    from detector.ocr import WEB_IMAGE_FORMATS, ImageError, open_image

    assert kind not in WEB_IMAGE_FORMATS
    with pytest.raises(ImageError, match="not a readable image .* a format web pages do not show"):
        open_image(picture_as(kind), "a.png")
    for web in ("PNG", "JPEG", "GIF", "WEBP", "BMP"):
        assert open_image(picture_as(web), f"a.{web.lower()}").size == (64, 32)
