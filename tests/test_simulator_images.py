"""Claims hidden in images are drawn large and clear enough for OCR to read them back."""
from __future__ import annotations

import io

import httpx
import numpy as np
import pytest
from PIL import Image
from rapidocr_onnxruntime import RapidOCR

from simulator import SimulatorServer

pytestmark = pytest.mark.slow


def test_image_evasion_claim_is_readable_by_ocr(simulator: SimulatorServer) -> None:
    record = next(r for r in simulator.ground_truth() if r["evasion"] == "image" and r["kind"] == "violation")
    listing = simulator.world.by_id(record["id"])
    page_text = httpx.get(record["url"]).content.decode("gbk" if record["platform"] == "services" else "utf-8")
    assert listing.image_text.splitlines()[0] not in page_text
    png = httpx.get(f"{simulator.endpoints[record['platform']]}/img/{record['id']}/0.png")
    assert png.headers["content-type"] == "image/png"
    result, _ = RapidOCR()(np.array(Image.open(io.BytesIO(png.content)).convert("RGB")))
    read = "".join(line[1] for line in result or [])
    expected = listing.image_text.replace("\n", "")
    matched = sum(1 for char in expected if char in read)
    assert matched / len(expected) > 0.9, (read, expected)
