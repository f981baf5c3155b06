"""The pictures of a listing whose text a letter or a case package quotes.

A quote read by OCR from a picture (an evidence span of `image_text`) can be checked only against the picture: the
raw page holds no such words, and the screenshot shows the picture among everything else. So the letter's evidence
ZIP and the case's evidence package carry each picture a quote was read from, byte for byte as the crawl stored it,
with its SHA-256, its address and when it was fetched (the evidence log's line: the crawl logs each listing picture
as it logs a page), and the letter says the quote was read from that picture by machine and checked by its staff.

Which picture holds a quote: the detector read `image_text`, the text of the listing's pictures joined; each
picture's own text is found in the OCR cache by its bytes (what the crawl read) or read again with the detector's
OCR settings, and a quote is that picture's when its text holds it (spaces and line breaks aside). A quote no single
picture holds (it runs across two, or the pictures were replaced) is attributed to every picture of the listing.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from casework.evidence_files import evidence_log_lines, resolve_path
from core.lead import Lead

IMAGE_FIELD = "image_text"
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Picture:
    """One picture of a listing that a quote was read from; `number` is its place among the listing's pictures."""

    number: int
    file: Path
    sha256: str
    url: str
    fetched_at: str
    """When the crawl fetched it (UTC, from the evidence log); empty when no line of the log names it."""
    log_line: dict[str, Any] | None
    quotes: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"图片{self.number}{self.file.suffix.lower() or '.img'}"


def image_quotes(lead: Lead) -> list[str]:
    """The words of the confirmed violations' evidence spans that were read from the listing's pictures."""
    confirmed = lead.confirmed_violations()
    return list(dict.fromkeys(str(span.get("text") or "").strip() for span in lead.evidence
                              if span.get("field") == IMAGE_FIELD and span.get("label") in confirmed
                              and str(span.get("text") or "").strip()))


def _squeezed(text: str) -> str:
    return _SPACE.sub("", text)


def picture_reader() -> Callable[[Path, str], str]:
    """Text of a picture (path, SHA-256) as the crawl read it: from the OCR cache when it holds that picture, else
    read with the detector's OCR settings (`config/detector/detector.yaml` ocr); "" for a picture it cannot open.
    One reader serves a whole letter: the settings, the OCR engine and the cache are taken once, at the first
    picture (a letter with no picture quote takes none of them)."""
    from detector.ocr import ImageError, ImageTextReader

    taken: dict[str, Any] = {}

    def read(path: Path, sha256: str) -> str:
        if not taken:
            from detector.config import load_detector_file
            from detector.ocr_cache import OcrCache, default_path

            settings = load_detector_file()[0].ocr
            taken["reader"] = ImageTextReader(settings.min_score, settings.max_side)
            taken["cache"] = OcrCache(default_path()) if default_path().is_file() else None
        reader: ImageTextReader = taken["reader"]
        cache = taken["cache"]
        cached = cache.by_content(sha256, reader.settings_key) if cache is not None else None
        if cached is not None:
            return cached
        try:
            return reader.read(path)
        except ImageError:
            return ""

    return read


def _image_urls_by_name(urls: Iterable[str]) -> dict[str, str]:
    """A picture's address by the name Scrapy's files pipeline stores it under (the SHA-1 of its URL)."""
    return {hashlib.sha1(url.encode("utf-8")).hexdigest(): url for url in urls}


def quoted_pictures(lead: Lead, read: Callable[[Path, str], str] | None = None) -> list[Picture]:
    """The lead's pictures that the quotes of its confirmed violations were read from (none when no quote was)."""
    quotes = image_quotes(lead)
    if not quotes:
        return []
    files = [(n, path) for n, path in enumerate((resolve_path(p) for p in lead.images), 1)
             if path is not None and path.is_file()]
    if not files:
        return []
    read = read or picture_reader()
    hashes = {n: hashlib.sha256(path.read_bytes()).hexdigest() for n, path in files}
    texts = {n: _squeezed(read(path, hashes[n])) for n, path in files}
    holders: dict[int, list[str]] = {}
    for quote in quotes:
        holding = [n for n, _ in files if _squeezed(quote) in texts[n]] or [n for n, _ in files]
        for n in holding:
            holders.setdefault(n, []).append(quote)
    logged = evidence_log_lines(hashes.values())
    by_name = _image_urls_by_name(lead.image_urls)
    pictures = []
    for n, path in files:
        if n not in holders:
            continue
        line = logged.get(hashes[n])
        url = str((line or {}).get("url") or by_name.get(path.stem) or "")
        pictures.append(Picture(number=n, file=path, sha256=hashes[n], url=url,
                                fetched_at=str((line or {}).get("fetched_at") or ""), log_line=line,
                                quotes=tuple(holders[n])))
    return pictures


def pictures_of_quote(pictures: Iterable[Picture], quote: str) -> list[Picture]:
    """The pictures a quote was read from."""
    return [picture for picture in pictures if quote.strip() in picture.quotes]
