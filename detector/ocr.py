"""Text inside a listing's images, read offline with RapidOCR (its ONNX models ship in the wheel).

Sellers put claims into pictures to dodge text filters; the recognised text is detected like any other field
(`image_text`). The OCR engine is loaded on the first image, so text-only runs never pay for it.
"""
from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import Any

import httpx
from PIL import Image, UnidentifiedImageError

MAX_IMAGE_BYTES = 15_000_000
MAX_PIXELS = 40_000_000
FETCH_TIMEOUT = 15.0


class ImageError(ValueError):
    """An image could not be read (missing file, download failed, not an image, too big)."""


class ImageTextReader:
    """Reads the text of one image; lines are joined with newlines top to bottom."""

    def __init__(self, min_score: float = 0.5, max_side: int = 1600) -> None:
        self.min_score = min_score
        self.max_side = max_side
        self._engine: Any = None
        self._lock = threading.Lock()

    def _load_engine(self) -> Any:
        with self._lock:
            if self._engine is None:
                from rapidocr_onnxruntime import RapidOCR

                # "max" keeps banners at their size; the default ("min") upscales a 140-px strip 5×.
                self._engine = RapidOCR(det_limit_type="max", det_limit_side_len=self.max_side,
                                        use_cls=False, text_score=self.min_score)
            return self._engine

    def read(self, source: str | Path) -> str:
        """Recognised text of an image given as a local path, a file:// URL or an http(s) URL."""
        image = _open_image(_load_bytes(str(source)), str(source))
        result, _ = self._load_engine()(image)
        if not result:
            return ""
        boxes = sorted(result, key=lambda item: (round(item[0][0][1] / 20), item[0][0][0]))
        return "\n".join(str(text) for _, text, score in boxes if float(score) >= self.min_score)


def _load_bytes(source: str) -> bytes:
    if source.startswith(("http://", "https://")):
        try:
            with httpx.stream("GET", source, timeout=FETCH_TIMEOUT, follow_redirects=True) as response:
                response.raise_for_status()
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > MAX_IMAGE_BYTES:
                        raise ImageError(f"{source}: larger than {MAX_IMAGE_BYTES} bytes")
                    chunks.append(chunk)
                return b"".join(chunks)
        except httpx.HTTPError as exc:
            raise ImageError(f"{source}: download failed ({exc})") from exc
    path = Path(source.removeprefix("file://"))
    try:
        if path.stat().st_size > MAX_IMAGE_BYTES:
            raise ImageError(f"{source}: larger than {MAX_IMAGE_BYTES} bytes")
        return path.read_bytes()
    except OSError as exc:
        raise ImageError(f"{source}: cannot read ({exc.strerror or exc})") from exc


def _open_image(data: bytes, source: str) -> Any:
    import numpy as np

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise ImageError(f"{source}: image too large ({image.width}×{image.height})")
            return np.asarray(image.convert("RGB"))[:, :, ::-1].copy()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ImageError(f"{source}: not a readable image ({exc})") from exc
