"""The crawler's paths under the data dir (images, seen-store, OCR cache, evidence), filled in when a crawl starts.

The data dir is known only then (`LANTIAN_DATA_DIR`), so crawler/settings.py leaves these settings `None` and
creates nothing at import; the `DataPaths` add-on fills them in for every crawl, `lantian crawl` and `scrapy crawl`
alike, before any component reads them. A path given in the settings is kept.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from scrapy.settings import BaseSettings

from core.settings import data_dir
from crawler import seen
from crawler.evidence import archive
from detector import ocr_cache

DATA_PATHS: dict[str, Callable[[], Path]] = {
    "FILES_STORE": lambda: data_dir() / "images",
    "LANTIAN_SEEN_DB": seen.default_path,
    "LANTIAN_OCR_CACHE": ocr_cache.default_path,
    "EVIDENCE_DIR": archive.default_root,
}


def fill_data_paths(settings: BaseSettings) -> None:
    """Each path setting left `None`, set to its place under the data dir (at the priority it had).

    The images store is created here: Scrapy's files store checks and then creates its folder, which fails when
    two crawl processes (distributed workers) start at the same moment on one data dir.
    """
    for name, default_path in DATA_PATHS.items():
        if settings.get(name) is None:
            settings.set(name, str(default_path()), priority=settings.getpriority(name) or "project")
    files_store = str(settings.get("FILES_STORE"))
    if "://" not in files_store:
        Path(files_store).mkdir(parents=True, exist_ok=True)


class DataPaths:
    """Scrapy add-on (`ADDONS` in crawler/settings.py) running `fill_data_paths` as the crawler is set up."""

    def update_settings(self, settings: BaseSettings) -> None:
        fill_data_paths(settings)
