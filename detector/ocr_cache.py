"""The OCR cache: text read from an image, kept across crawls so each picture is read once.

Agencies reuse the same badge, QR code and banner across hundreds of listings, and platforms serve the same picture
re-encoded under other URLs. An image is found again by the SHA-256 of its bytes, or, for a re-encoded copy, by its
perceptual hash (pHash, within 3 of its 64 bits). A perceptual hash alone cannot tell two banners of one template
apart ("15天下证" and "60天下证" differ by 2 of its 64 bits, less than a re-encoded copy of either may), so a pHash
match is only taken when the two pictures have the same size and agree pixel by pixel: every 8×8 block of their
half-size grey copies within `SAME_PICTURE_TOLERANCE` (a JPEG copy at quality 30 stays within 11 of 255; a
one-character change, even a comma to a full stop, differs by more than 60). A copy at another size is read again:
at another scale, the rescaling differs from the original more than one changed character does.

Entries are keyed by the engine and its settings too (`ImageTextReader.settings_key`), so a new engine or new
settings read every picture afresh. SQLite in WAL mode: one writer, any number of readers (worker processes).
"""
from __future__ import annotations

import hashlib
import io
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import imagehash
import numpy as np
from PIL import Image

from core.settings import data_dir
from core.sqlite import open_database

SAME_PICTURE_TOLERANCE = 24.0
MAX_HASH_DISTANCE = 3  # of 64 bits: a re-encoded copy at the same size moves its pHash by 0 to 2
BLOCK = 4  # pixels of the half-size copy: 8×8 of the original
MAX_COMPARED_PIXELS = 2_000_000  # larger pictures are cached by their bytes only (a half-size copy would be big)

SCHEMA = """
CREATE TABLE IF NOT EXISTS image_text (
    sha256 TEXT NOT NULL,
    settings TEXT NOT NULL,
    phash TEXT,
    band0 INTEGER, band1 INTEGER, band2 INTEGER, band3 INTEGER,
    width INTEGER,
    height INTEGER,
    grey BLOB,
    text TEXT NOT NULL,
    how TEXT NOT NULL,
    read_at TEXT NOT NULL,
    PRIMARY KEY (sha256, settings)
);
CREATE INDEX IF NOT EXISTS image_text_band0 ON image_text (band0, width, height);
CREATE INDEX IF NOT EXISTS image_text_band1 ON image_text (band1, width, height);
CREATE INDEX IF NOT EXISTS image_text_band2 ON image_text (band2, width, height);
CREATE INDEX IF NOT EXISTS image_text_band3 ON image_text (band3, width, height);
"""


def default_path() -> Path:
    return data_dir() / "ocr" / "image-text.sqlite3"


def content_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What finds a re-encoded copy of a picture: its pHash, its size and its half-size grey pixels (PNG), or
    no pixels for a picture too large to compare."""

    phash: str
    width: int
    height: int
    grey_png: bytes | None

    @classmethod
    def of(cls, image: Image.Image) -> Fingerprint:
        grey = None
        if image.width * image.height <= MAX_COMPARED_PIXELS:
            buffer = io.BytesIO()
            _half_grey(image).save(buffer, format="PNG")
            grey = buffer.getvalue()
        return cls(str(imagehash.phash(image)), image.width, image.height, grey)

    def bands(self) -> tuple[int, int, int, int]:
        """The pHash's four 16-bit quarters: a copy within 3 bits has at least one of them unchanged."""
        value = int(self.phash, 16)
        return tuple((value >> shift) & 0xFFFF for shift in (48, 32, 16, 0))  # type: ignore[return-value]

    def same_picture(self, other_grey_png: bytes) -> bool:
        """True when every 8×8 block of the two pictures agrees within SAME_PICTURE_TOLERANCE."""
        if self.grey_png is None:
            return False
        mine = _pixels(self.grey_png)
        theirs = _pixels(other_grey_png)
        if mine.shape != theirs.shape:
            return False
        height, width = (mine.shape[0] // BLOCK) * BLOCK, (mine.shape[1] // BLOCK) * BLOCK
        if not height or not width:
            return bool(np.abs(mine - theirs).max(initial=0) <= SAME_PICTURE_TOLERANCE)
        difference = np.abs(mine - theirs)[:height, :width]
        blocks = difference.reshape(height // BLOCK, BLOCK, width // BLOCK, BLOCK).mean(axis=(1, 3))
        return bool(blocks.max() <= SAME_PICTURE_TOLERANCE)


def _half_grey(image: Image.Image) -> Image.Image:
    grey = image.convert("L")
    return grey.resize((max(1, grey.width // 2), max(1, grey.height // 2)), Image.Resampling.BOX)


def _pixels(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("L"), dtype=np.int16)


class OcrCache:
    """Text of pictures already read, by content hash and by (verified) perceptual hash; thread-safe."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path or default_path())
        self._lock = threading.Lock()
        self._db = open_database(self.path)
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    def by_content(self, sha256: str, settings: str) -> str | None:
        """The text of the picture with these bytes, if it was read with these settings."""
        with self._lock:
            row = self._db.execute("SELECT text FROM image_text WHERE sha256 = ? AND settings = ?",
                                   (sha256, settings)).fetchone()
        return None if row is None else row[0]

    def by_picture(self, fingerprint: Fingerprint, settings: str) -> str | None:
        """The text of a re-encoded copy of this picture (same size, pHash within MAX_HASH_DISTANCE bits, same
        pixels within the tolerance)."""
        if fingerprint.grey_png is None:
            return None
        bands = fingerprint.bands()
        with self._lock:
            rows = self._db.execute(
                "SELECT phash, grey, text FROM image_text WHERE settings = ? AND width = ? AND height = ? "
                "AND grey IS NOT NULL AND (band0 = ? OR band1 = ? OR band2 = ? OR band3 = ?)",
                (settings, fingerprint.width, fingerprint.height, *bands)).fetchall()
        mine = int(fingerprint.phash, 16)
        near = sorted((bin(mine ^ int(phash, 16)).count("1"), grey, text) for phash, grey, text in rows)
        for distance, grey, text in near[:16]:
            if distance <= MAX_HASH_DISTANCE and fingerprint.same_picture(grey):
                return text
        return None

    def put(self, sha256: str, settings: str, text: str, how: str, fingerprint: Fingerprint | None) -> None:
        """Remember the text of a picture; `how` says how it was found (ocr, no_text, copy)."""
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        if fingerprint is None:
            picture: tuple = (None,) * 8
        else:
            picture = (fingerprint.phash, *fingerprint.bands(), fingerprint.width, fingerprint.height,
                       fingerprint.grey_png)
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO image_text VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             (sha256, settings, *picture, text, how, stamp))

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM image_text").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
