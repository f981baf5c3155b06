"""Listing pictures, drawn on request with Pillow: product-style cards, or the hidden claim in large clear text."""
from __future__ import annotations

import hashlib
import io
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
WIDTH = 720
CHARS_PER_LINE = 16
PALETTE = ((250, 240, 230), (230, 244, 255), (240, 255, 240), (255, 248, 220), (245, 235, 255))


@lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT_PATH, size)


def _wrap(text: str) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        paragraph = paragraph.strip()
        while paragraph:
            lines.append(paragraph[:CHARS_PER_LINE])
            paragraph = paragraph[CHARS_PER_LINE:]
    return lines or [""]


def render_text_image(text: str, seed_text: str = "") -> bytes:
    """A PNG with `text` in 40 px black on a light background, wrapped to fit: what OCR is expected to read."""
    font = _font(40)
    lines = _wrap(text)
    line_height = 58
    height = 60 + line_height * len(lines)
    colour = PALETTE[int(hashlib.sha1(seed_text.encode()).hexdigest(), 16) % len(PALETTE)]
    image = Image.new("RGB", (WIDTH, height), colour)
    draw = ImageDraw.Draw(image)
    for number, line in enumerate(lines):
        draw.text((30, 30 + number * line_height), line, font=font, fill=(20, 20, 20))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def render_product_image(caption: str, number: int) -> bytes:
    """A plain product photo stand-in: a coloured card with shapes and a short caption."""
    digest = hashlib.sha1(f"{caption}/{number}".encode()).digest()
    colour = tuple(120 + b % 120 for b in digest[:3])
    image = Image.new("RGB", (480, 360), colour)
    draw = ImageDraw.Draw(image)
    for k in range(3):
        x, y = digest[3 + k] * 2 % 400, digest[6 + k] % 260
        draw.ellipse((x, y, x + 60 + digest[9 + k] % 60, y + 60 + digest[9 + k] % 60), fill=tuple(digest[k:k + 3]))
    draw.rectangle((0, 300, 480, 360), fill=(255, 255, 255))
    draw.text((16, 312), caption[:18], font=_font(28), fill=(40, 40, 40))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
