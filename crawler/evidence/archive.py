"""The evidence directory: raw bodies and screenshots as blobs, fetches in WARC files, everything in the log.

Layout under the root (default `data_dir()/evidence`):
    blobs/ab/cdef…          content-addressed raw bodies and PNG screenshots (read-only)
    warc/lantian-….warc.gz  request + response records, one pair per detail-page fetch (read-only once sealed)
    evidence-log.jsonl      append-only, hash-chained log of every file above
    checkpoints.jsonl       signed checkpoints of the log's chain head (`crawler.evidence.anchor`)
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.settings import data_dir
from crawler.evidence.anchor import CHECKPOINTS_NAME, Checkpoint, Checkpoints, verify_key
from crawler.evidence.log import EvidenceLog, Problem, VerifyReport, utc_now
from crawler.evidence.store import BlobStore, sha256_file
from crawler.evidence.warc import WARC_SUFFIX, Exchange, RotatingWarcWriter
from crawler.settings import EVIDENCE_WARC_MAX_BYTES

LOG_NAME = "evidence-log.jsonl"


def default_root() -> Path:
    return data_dir() / "evidence"


@dataclass(frozen=True)
class Screenshot:
    path: Path
    sha256: str
    taken_at: str

    def as_item_fields(self) -> dict[str, str]:
        return {"screenshot_path": str(self.path), "screenshot_sha256": self.sha256}


class EvidenceArchive:
    """Writes and verifies the evidence of one data directory; safe to share between threads."""

    def __init__(self, root: Path | None = None, warc_max_bytes: int = EVIDENCE_WARC_MAX_BYTES) -> None:
        self.root = Path(root) if root else default_root()
        self.blobs = BlobStore(self.root / "blobs")
        self.log = EvidenceLog(self.root / LOG_NAME, self.root)
        self.warcs = RotatingWarcWriter(self.root / "warc", max_bytes=warc_max_bytes, on_seal=self._log_warc)

    def record_fetch(self, exchange: Exchange, request_url: str | None = None) -> dict[str, Any]:
        """Store one detail-page fetch (raw blob + WARC records + log line); return its `evidence_record`.

        `request_url` is the URL first requested when redirects led to `exchange.final_url`.
        """
        blob = self.blobs.put(exchange.body)
        location = self.warcs.write(exchange)
        self.log.append(
            "raw", exchange.final_url, blob.path, blob.sha256,
            final_url=exchange.final_url,
            request_url=request_url or exchange.final_url,
            status=exchange.status,
            size=blob.size,
            fetched_at=exchange.fetched_at,
            warc_path=self.log.relative(location.path),
            warc_offset=location.offset,
            warc_record_id=location.record_id,
        )
        return {
            "raw_path": str(blob.path),
            "raw_sha256": blob.sha256,
            "warc_path": str(location.path),
            "warc_offset": location.offset,
            "warc_record_id": location.record_id,
            "fetched_at": exchange.fetched_at,
            "final_url": exchange.final_url,
            "status": exchange.status,
        }

    def record_screenshot(self, url: str, png: bytes, source: str, taken_at: str | None = None,
                          cut: Mapping[str, int | str] | None = None) -> Screenshot:
        """Store a full-page PNG of `url` and log it; `source` says what rendered it (for the record). A PNG of
        part of its page has `cut` logged with it (`PageShot.cut`: the pixels kept, the page's, and why)."""
        if not png.startswith(b"\x89PNG\r\n\x1a\n"):
            raise ValueError(f"screenshot of {url} is not a PNG")
        taken_at = taken_at or utc_now()
        blob = self.blobs.put(png)
        self.log.append("screenshot", url, blob.path, blob.sha256, taken_at=taken_at, source=source, size=blob.size,
                        **(cut or {}))
        return Screenshot(blob.path, blob.sha256, taken_at)

    def seal_orphans(self) -> list[Path]:
        """Seal and log WARC files a crashed crawl left open."""
        logged = [self.log.resolve(record["path"]) for record in self.log
                  if record.get("kind") == "warc" and isinstance(record.get("path"), str)]
        return self.warcs.seal_orphans(logged)

    def close(self) -> None:
        self.warcs.close()

    def find(self, key: str) -> list[dict[str, Any]]:
        return self.log.find(key)

    def verify(self, on_line: Callable[[int], None] | None = None, *, key_path: Path | None = None,
               files: bool = True) -> VerifyReport:
        """Check the log chain and (with `files`) every logged file, and list files no log line names (such as an
        open WARC). With `key_path` (the signing key, or its public key), also check the log against the signed
        checkpoints: each line a checkpoint names keeps its hash, the log still reaches the last one, and a log
        with lines has one. An unreadable key file raises ConfigError."""
        checkpoints: list[Checkpoint] = []
        bad: list[Problem] = []
        if key_path is not None and key_path.exists():
            checkpoints, bad = Checkpoints(self.log).read(verify_key(key_path))
        elif key_path is not None and Checkpoints(self.log).path.exists():
            bad = [Problem("bad_checkpoint", 0, f"no key at {key_path} to check the signed checkpoints with",
                           CHECKPOINTS_NAME)]
        report = self.log.verify(on_line, {c.seq: c.hash for c in checkpoints}, files=files)
        report.problems += bad
        if key_path is not None and report.lines and not checkpoints:
            report.problems.append(Problem(
                "unanchored", report.lines, "no signed checkpoint: lines removed from the end of the log could "
                "not be found (`lantian evidence anchor` signs the head)",
            ))
        if not files:
            return report
        logged = {record.get("path") for record in self.log if isinstance(record.get("path"), str)}
        present = [self.log.relative(self.blobs.path_for(sha)) for sha in self.blobs.iter_hashes()]
        warc_dir = self.root / "warc"
        if warc_dir.is_dir():
            present += [self.log.relative(path) for path in sorted(warc_dir.glob(f"*{WARC_SUFFIX}"))]
        report.unlogged = [path for path in present if path not in logged]
        return report

    def _log_warc(self, path: Path) -> None:
        self.log.append("warc", None, path, sha256_file(path), size=path.stat().st_size)
