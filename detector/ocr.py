"""Text inside a listing's images, read offline with RapidOCR (its ONNX models ship in the wheel).

Sellers put claims into pictures to dodge text filters; the recognised text is detected like any other field
(`image_text`). The OCR engine is loaded on the first image, so text-only runs never pay for it.

Images are read from local files only (`load_bytes`): a listing's images on the web are fetched by a crawl
(`lantian crawl`, `lantian capture`) through Scrapy's files pipeline, with the platform's download slot, delay,
robots rule and evidence log, and the detector reads the files the crawl stored. An http(s) URL given to the
detector run on its own (`lantian detect`, `Detector.detect`) is not downloaded, so the detector is never a
visitor of its own to a platform; it is reported as an image that could not be read.

`looks_textless` is the cheap test run before the engine: a picture in which no few rows of pixels cross several
sharp edges (a blank banner, a gradient, a soft photo) cannot show legible text, so the engine is not run on it.
The same test, row by row, spares the engine's text finder (about half of a picture's OCR time, in proportion to
its pixels) the rows far from any sharp-edged stroke: it looks for lines of text only in the bands of rows around
strokes (`stroke_bands`), with as much context above and below as `BAND_MARGIN_PX`, and reads what it finds there as
the engine does; a picture whose strokes fill most of it is searched whole, bit for bit as the engine would. What the
bands leave out is what the engine found far from any stroke: a lone shape it took for a letter (an ellipse read as
"O"), not text.
"""
from __future__ import annotations

import io
import threading
import warnings
from importlib.metadata import version
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

MAX_IMAGE_BYTES = 15_000_000
MAX_PIXELS = 40_000_000
WEB_IMAGE_FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "BMP", "AVIF")
"""The picture formats web pages show, the only ones opened: Pillow picks its decoder from the bytes, and a
seller's `a.png` holding TIFF, TGA, PCX, SGI or IM ran that format's decoder, EPS Ghostscript where installed."""
WEB_SCHEMES = frozenset({"http", "https"})
# The cheap no-text test: a row "crosses strokes" when it has at least STROKE_EDGES_PER_ROW sharp steps in
# brightness (more than EDGE_STEP of 255 between neighbours); text needs at least STROKE_ROWS such rows. A 12-px
# grey watermark of five characters has 11, a single 20-px character 18; a flat or softly blurred picture has none.
EDGE_STEP = 48
STROKE_EDGES_PER_ROW = 6
STROKE_ROWS = 4
# The text finder works on pictures whose sides it has scaled to multiples of FINDER_BLOCK pixels; it is run on the
# bands of those rows within BAND_MARGIN_PX (of the scaled picture) of a row crossing strokes (the context above and
# below a line that it sees in the whole picture), and on the whole picture when the bands would cover more than
# WHOLE_SEARCH_SHARE of it.
FINDER_BLOCK = 32
BAND_MARGIN_PX = 96
WHOLE_SEARCH_SHARE = 0.7
# A row near which lines are looked for crosses BAND_EDGES_PER_ROW steps of more than BAND_EDGE_STEP: half the
# no-text test's step and fewer steps, so that faint small print (a light watermark on a photo) is searched too.
BAND_EDGE_STEP = 24
BAND_EDGES_PER_ROW = 4


class ImageError(ValueError):
    """An image could not be read (missing file, a web address the detector does not fetch, not an image, too
    big)."""


def engine_version() -> str:
    """The OCR engine and its version: what a cached text was read with."""
    return f"rapidocr-onnxruntime {version('rapidocr-onnxruntime')}"


class ImageTextReader:
    """Reads the text of one image; lines are joined with newlines top to bottom.

    `threads` caps the engine's threads per inference (None: onnxruntime's default, every core); a worker process
    of a pool runs with 1, so N workers use N cores and never spin against each other.
    """

    def __init__(self, min_score: float = 0.5, max_side: int = 1600, threads: int | None = None) -> None:
        self.min_score = min_score
        self.max_side = max_side
        self.threads = threads
        self._engine: Any = None
        self._lock = threading.Lock()

    @property
    def settings_key(self) -> str:
        """Everything the recognised text depends on besides the pixels (the OCR cache's key with the hash)."""
        return f"{engine_version()}; min_score={self.min_score}; max_side={self.max_side}; lines near strokes"

    def _load_engine(self) -> Any:
        with self._lock:
            if self._engine is None:
                from rapidocr_onnxruntime import RapidOCR

                threads = {"intra_op_num_threads": self.threads, "inter_op_num_threads": 1} if self.threads else {}
                # "max" keeps banners at their size; the default ("min") upscales a 140-px strip 5×.
                self._engine = RapidOCR(det_limit_type="max", det_limit_side_len=self.max_side,
                                        use_cls=False, text_score=self.min_score, **threads)
            return self._engine

    def read(self, source: str | Path) -> str:
        """Recognised text of an image given as a local path or a file:// URL (see `load_bytes`)."""
        return self.read_image(open_image(load_bytes(str(source)), str(source)))

    def read_image(self, image: Image.Image) -> str:
        """Recognised text of an opened image; lines are searched for only near strokes (module doc)."""
        pixels = np.asarray(image.convert("RGB"))[:, :, ::-1].copy()
        engine = self._load_engine()
        if _engine_keeps_size(engine, pixels):
            result = self._read_near_strokes(engine, pixels)
        else:
            result, _ = engine(pixels)
        if not result:
            return ""
        boxes = sorted(result, key=lambda item: (round(item[0][0][1] / 20), item[0][0][0]))
        return "\n".join(str(text) for _, text, score in boxes if float(score) >= self.min_score)

    def _read_near_strokes(self, engine: Any, pixels: np.ndarray) -> list[tuple[list, str, float]]:
        """What `engine(pixels)` returns (lines with their text and score), its text finder run on the bands of
        rows near strokes only: the finder's map of where text is stays 0 in the rows it skipped."""
        finder = engine.text_det
        height, width = pixels.shape[:2]
        preprocess = finder.get_preprocess(max(height, width))
        scaled = preprocess.resize(pixels)
        text_map = np.zeros((1, 1, *scaled.shape[:2]), dtype=np.float32)
        for top, bottom in stroke_bands(pixels, scaled.shape[0]):
            text_map[:, :, top:bottom] = finder.infer(_normalized(preprocess, scaled[top:bottom])[np.newaxis])[0]
        lines, _ = finder.postprocess_op(text_map, (height, width))
        lines = finder.filter_tag_det_res(lines, (height, width))
        if len(lines) == 0:
            return []
        lines = engine.sorted_boxes(lines)
        texts, _ = engine.text_rec(engine.get_crop_img_list(pixels, lines))
        return [(line.tolist(), str(text), float(score)) for line, (text, score) in zip(lines, texts)
                if float(score) >= engine.text_score]


def _normalized(preprocess: Any, pixels: np.ndarray) -> np.ndarray:
    """The finder's input for these pixels (channels first), bit for bit what its own normalisation gives, by a
    table of its result for each of the 256 values of each channel (its arithmetic in double precision over every
    pixel was ~7% of a picture's OCR)."""
    table = preprocess.normalize(np.arange(256, dtype=np.uint8).reshape(256, 1, 1).repeat(3, axis=2))
    table = table.reshape(256, 3).astype(np.float32)
    normalized = np.empty((3, *pixels.shape[:2]), dtype=np.float32)
    for channel in range(3):
        np.take(table[:, channel], pixels[:, :, channel], out=normalized[channel])
    return normalized


def _engine_keeps_size(engine: Any, pixels: np.ndarray) -> bool:
    """True when the engine would search the picture as it is (neither scaled to its side limits nor padded as a
    thin strip), so that `_read_near_strokes` finds what it would."""
    height, width = pixels.shape[:2]
    return (max(height, width) <= engine.max_side_len and min(height, width) >= engine.min_side_len
            and height > engine.min_height and width / height <= engine.width_height_ratio)


def stroke_bands(pixels: np.ndarray, scaled_height: int) -> list[tuple[int, int]]:
    """The bands of rows (top, bottom) of the picture scaled to `scaled_height` rows in which the text finder
    looks for lines: rows within BAND_MARGIN_PX of a row crossing sharp steps, bounded on
    FINDER_BLOCK rows (BAND_EDGE_STEP, BAND_EDGES_PER_ROW); the whole height when that would be most of it."""
    gray = cv2.cvtColor(pixels, cv2.COLOR_BGR2GRAY).astype(np.int16)
    crossing = np.flatnonzero((np.abs(np.diff(gray, axis=1)) > BAND_EDGE_STEP).sum(axis=1) >= BAND_EDGES_PER_ROW)
    blocks = scaled_height // FINDER_BLOCK
    wanted = np.zeros(blocks, dtype=bool)
    scale = scaled_height / pixels.shape[0]
    for row in crossing:
        first = int((row * scale - BAND_MARGIN_PX) // FINDER_BLOCK)
        last = int((row * scale + BAND_MARGIN_PX) // FINDER_BLOCK)
        wanted[max(first, 0):last + 1] = True
    if wanted.sum() > WHOLE_SEARCH_SHARE * blocks:
        return [(0, scaled_height)]
    bands: list[tuple[int, int]] = []
    for block in np.flatnonzero(wanted):
        top = int(block) * FINDER_BLOCK
        if bands and bands[-1][1] == top:
            bands[-1] = (bands[-1][0], top + FINDER_BLOCK)
        else:
            bands.append((top, top + FINDER_BLOCK))
    return bands


def looks_textless(image: Image.Image) -> bool:
    """True when the picture has too few rows crossing sharp edges to hold any legible text (see the constants)."""
    gray = np.asarray(image.convert("L"), dtype=np.int16)
    steps = np.abs(np.diff(gray, axis=1)) > EDGE_STEP
    rows_crossing_strokes = int((steps.sum(axis=1) >= STROKE_EDGES_PER_ROW).sum())
    return rows_crossing_strokes < STROKE_ROWS


def load_bytes(source: str) -> bytes:
    """The bytes of a local image, a path or a file:// URL (at most MAX_IMAGE_BYTES). An http(s) URL is refused
    without a request: images on the web come to the detector through a crawl, which stores them (module doc)."""
    if urlsplit(source).scheme.lower() in WEB_SCHEMES:
        raise ImageError(f"{source}: not fetched (the detector reads local image files; images on the web are "
                         "fetched by a crawl, `lantian crawl` or `lantian capture`, which stores them for it)")
    path = Path(source.removeprefix("file://"))
    try:
        if path.stat().st_size > MAX_IMAGE_BYTES:
            raise ImageError(f"{source}: larger than {MAX_IMAGE_BYTES} bytes")
        return path.read_bytes()
    except OSError as exc:
        raise ImageError(f"{source}: cannot read ({exc.strerror or exc})") from exc


def open_image(data: bytes, source: str) -> Image.Image:
    """The decoded image (RGB), refusing what is not a picture in a format web pages show (`WEB_IMAGE_FORMATS`) or
    has more than MAX_PIXELS pixels."""
    try:
        image = open_web_image(io.BytesIO(data), source)
        with image:
            if image.width * image.height > MAX_PIXELS:
                raise ImageError(f"{source}: image too large ({image.width}×{image.height})")
            return image.convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ImageError(f"{source}: not a readable image ({exc})") from exc


def open_web_image(file: str | Path | IO[bytes], source: str) -> Image.Image:
    """`file` opened lazily by Pillow (its header read, no pixel decoded) if it is a picture in one of the
    `WEB_IMAGE_FORMATS`, else ImageError. Pillow's warning of a picture over its own pixel limit is not given: the
    callers refuse one over MAX_PIXELS and say so (over twice its limit, Pillow raises DecompressionBombError)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(file, formats=WEB_IMAGE_FORMATS)
    except UnidentifiedImageError as exc:
        raise ImageError(f"{source}: not a readable image (not a picture, or in a format web pages do not show: "
                         f"{', '.join(WEB_IMAGE_FORMATS)} are read)") from exc
