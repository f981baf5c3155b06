"""Content-addressed, write-once storage for evidence bytes (raw bodies, screenshots).

A blob lives at `<root>/ab/cdef…` where `abcdef…` is the SHA-256 of its bytes, so its name proves its content and
storing the same bytes twice is a no-op. Files are written to a temporary name, fsynced, renamed into place
atomically and made read-only: a crash never leaves a half-written blob under a valid name.
"""
from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from core.files import write_atomic

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
READ_ONLY = 0o444


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes, read in chunks so large WARC files do not fill memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def fsync_directory(path: Path) -> None:
    """Make a rename in `path` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    path: Path
    size: int
    created: bool  # False when the blob was already stored


class BlobStore:
    """Write-once blobs named by their SHA-256 under one root directory."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        if not _SHA256.match(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:]

    def put(self, data: bytes) -> StoredBlob:
        """Store `data` unless a blob with the same hash exists; return where it lives."""
        sha256 = sha256_hex(data)
        path = self.path_for(sha256)
        if path.exists():
            return StoredBlob(sha256, path, len(data), created=False)
        write_atomic(path, data, mode=READ_ONLY)
        fsync_directory(path.parent)
        return StoredBlob(sha256, path, len(data), created=True)

    def get(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()

    def __contains__(self, sha256: str) -> bool:
        return self.path_for(sha256).exists()

    def iter_hashes(self) -> Iterator[str]:
        """Every stored blob's hash as named by its path (temporary files are skipped)."""
        if not self.root.is_dir():
            return
        for shard in sorted(self.root.iterdir()):
            if not shard.is_dir() or len(shard.name) != 2:
                continue
            for blob in sorted(shard.iterdir()):
                name = shard.name + blob.name
                if _SHA256.match(name):
                    yield name
