"""Reading the text of many images once per picture, in worker processes, for a caller on an asyncio loop.

The caller's process only reads each file, hashes it and looks the hash up in the OCR cache (in one helper thread,
so the loop never waits on disk or SQLite). Pictures not seen before go to a pool of worker processes, each with
its own OCR engine on one thread at a lower CPU priority, so a crawl keeps fetching at full speed while they read.
A worker looks for a re-encoded copy in the cache, skips pictures the cheap test finds without text, reads the
rest with the engine and stores what it found. The same picture asked for twice while it is being read is read
once.
"""
from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections import Counter
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from detector.ocr import ImageError, ImageTextReader, load_bytes, looks_textless, open_image
from detector.ocr_cache import Fingerprint, OcrCache, content_sha256

logger = logging.getLogger(__name__)

HOW = ("cached", "copy", "no_text", "ocr", "failed")
"""How a picture's text was found: by its bytes in the cache, as a re-encoded copy of a cached picture, skipped by
the no-text test, read by the engine; or not at all (the error is returned)."""


@dataclass
class ImagesText:
    """The text of a listing's images (those with any, in the order given, one per line), the errors of the images
    that could not be read, and how many pictures were found each way (`HOW`)."""

    text: str
    errors: list[str] = field(default_factory=list)
    found: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class ReaderSettings:
    min_score: float = 0.5
    max_side: int = 1600

    def reader(self, threads: int | None = None) -> ImageTextReader:
        return ImageTextReader(self.min_score, self.max_side, threads=threads)


class _Worker:
    """The state of one worker process: its engine and its connection to the cache."""

    reader: ImageTextReader
    cache: OcrCache


_worker = _Worker()


def _start_worker(settings: ReaderSettings, cache_path: str, niceness: int) -> None:
    if niceness:
        os.nice(niceness)
    _worker.reader = settings.reader(threads=1)
    _worker.cache = OcrCache(Path(cache_path))


def _read_in_worker(path: str, sha256: str) -> tuple[str, str]:
    """(text, how) of one picture not found by its bytes; stores it in the cache."""
    image = open_image(load_bytes(path), path)
    fingerprint = Fingerprint.of(image)
    key = _worker.reader.settings_key
    text = _worker.cache.by_picture(fingerprint, key)
    if text is not None:
        how = "copy"
    elif looks_textless(image):
        text, how = "", "no_text"
    else:
        text, how = _worker.reader.read_image(image), "ocr"
    _worker.cache.put(sha256, key, text, how, fingerprint)
    return text, how


class ImageTextWorkers:
    """Text of local image files, each picture read at most once across calls and crawls (see the module)."""

    def __init__(self, settings: ReaderSettings, cache_path: Path, workers: int = 1, niceness: int = 5) -> None:
        self.settings = settings
        self.settings_key = settings.reader().settings_key
        self.cache_path = Path(cache_path)
        self.cache = OcrCache(self.cache_path)
        self.workers = workers
        self.niceness = niceness
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ocr-cache")
        self._pool = self._new_pool()
        self._reading: dict[str, asyncio.Future[tuple[str, str]]] = {}

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker, initargs=(self.settings, str(self.cache_path), self.niceness),
        )

    async def read(self, paths: list[str]) -> ImagesText:
        """The text of these images, read concurrently."""
        results = await asyncio.gather(*(self._read_one(path) for path in paths))
        texts = [text for text, _, _ in results if text]
        errors = [error for _, error, _ in results if error]
        return ImagesText("\n".join(texts), errors, Counter(how for _, _, how in results))

    async def _read_one(self, path: str) -> tuple[str, str | None, str]:
        """(text, error, how) of one picture."""
        loop = asyncio.get_running_loop()
        try:
            sha256, text = await loop.run_in_executor(self._io, self._look_up, path)
        except ImageError as exc:
            return "", str(exc), "failed"
        if text is not None:
            return text, None, "cached"
        reading = self._reading.get(sha256)
        first = reading is None
        if reading is None:
            reading = asyncio.wrap_future(self._submit(path, sha256))
            self._reading[sha256] = reading
            reading.add_done_callback(lambda _: self._reading.pop(sha256, None))
        try:
            read, how = await asyncio.shield(reading)
        except ImageError as exc:
            return "", str(exc), "failed"
        except BrokenProcessPool:
            return "", f"{path}: the OCR worker process died while reading it", "failed"
        return read, None, how if first else "cached"

    def _submit(self, path: str, sha256: str) -> Future[tuple[str, str]]:
        try:
            return self._pool.submit(_read_in_worker, path, sha256)
        except BrokenProcessPool:
            logger.warning("An OCR worker process died; starting a new pool")
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()
            return self._pool.submit(_read_in_worker, path, sha256)

    def _look_up(self, path: str) -> tuple[str, str | None]:
        sha256 = content_sha256(load_bytes(path))
        return sha256, self.cache.by_content(sha256, self.settings_key)

    def close(self) -> None:
        """Stop the workers (pictures still being read are abandoned) and close the cache."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._io.shutdown(wait=True)
        self.cache.close()
