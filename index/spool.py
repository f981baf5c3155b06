"""A durable, ordered spool of store operations for while Elasticsearch is unreachable.

Operations are appended as JSON lines (fsynced) to numbered segment files; replay hands them back oldest first
and deletes a segment only after every operation in it was applied. Applying an operation twice is harmless (lead
merges are idempotent), so a crash during replay loses nothing and duplicates nothing.
"""
from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from core.files import write_atomic

Operation = dict[str, Any]
SEGMENT_BYTES = 16 * 1024 * 1024


class Spool:
    """Operations waiting for the server, in `directory` (shared safely by several processes)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with open(self.directory / ".lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _segments(self) -> list[Path]:
        return sorted(self.directory.glob("*.jsonl"))

    def __len__(self) -> int:
        """Operations waiting (counts lines; for status displays and tests)."""
        with self._locked():
            return sum(sum(1 for line in open(p, encoding="utf-8") if line.strip()) for p in self._segments())

    def pending(self) -> bool:
        return bool(self._segments())

    def append(self, operations: list[Operation]) -> None:
        """Add operations after everything already spooled, durably."""
        if not operations:
            return
        with self._locked():
            segments = self._segments()
            path = segments[-1] if segments else self.directory / f"{1:09d}.jsonl"
            if path.exists() and path.stat().st_size > SEGMENT_BYTES:
                path = self.directory / f"{int(path.stem) + 1:09d}.jsonl"
            with open(path, "a", encoding="utf-8") as out:
                for op in operations:
                    out.write(json.dumps(op, ensure_ascii=False) + "\n")
                out.flush()
                os.fsync(out.fileno())

    def replay(self, apply: Callable[[list[Operation]], None], batch: int = 500) -> int:
        """Apply spooled operations in order, `batch` at a time; returns how many were applied.

        Stops at the first batch `apply` raises on (the exception propagates) and keeps that segment.
        """
        applied = 0
        with self._locked():
            for path in self._segments():
                with open(path, encoding="utf-8") as handle:
                    operations = [json.loads(line) for line in handle if line.strip()]
                for start in range(0, len(operations), batch):
                    try:
                        apply(operations[start:start + batch])
                    except BaseException:
                        self._rewrite(path, operations[start:])
                        raise
                    applied += len(operations[start:start + batch])
                path.unlink()
        return applied

    @staticmethod
    def _rewrite(path: Path, operations: list[Operation]) -> None:
        """Keep only the operations not yet applied (atomic replace, so a crash keeps one full copy)."""
        write_atomic(path, "".join(json.dumps(op, ensure_ascii=False) + "\n" for op in operations).encode("utf-8"))
