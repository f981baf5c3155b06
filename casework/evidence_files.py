"""Where a lead's evidence files are and what the evidence log says of them: shared by the case packages
(`casework.export`), the letters (`casework.takedown`) and the pictures a quote was read from (`casework.pictures`)."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.settings import data_dir

if TYPE_CHECKING:
    from crawler.evidence.log import EvidenceLog


def resolve_path(value: str | None) -> Path | None:
    """An evidence path as stored (absolute, or relative to the data dir) as an existing file, else None."""
    if not value:
        return None
    path = Path(value)
    for candidate in (path, data_dir() / path, data_dir().parent / path):
        if candidate.is_file():
            return candidate
    return None


def evidence_log() -> EvidenceLog:
    """The data dir's evidence log (the crawl's hash-chained record of every file it kept)."""
    from crawler.evidence.archive import LOG_NAME, default_root  # warcio and the WARC writer: only when packaging
    from crawler.evidence.log import EvidenceLog

    root = default_root()
    return EvidenceLog(root / LOG_NAME, root)


def evidence_log_lines(sha256s: Iterable[str | None]) -> dict[str, dict[str, Any]]:
    """The evidence log's line for each of these files (by SHA-256), from the data dir's evidence archive."""
    return evidence_log().lines_for(sha for sha in sha256s if sha)
