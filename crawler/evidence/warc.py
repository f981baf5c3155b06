"""Rotating, gzip-compressed WARC files holding one request + response record pair per detail-page fetch.

WARC (ISO 28500) is the archiving format courts and web archives know; warcio writes and reads it. Digests are
SHA-256 (`WARC-Payload-Digest: sha256:<base32>`), so the payload digest of a response names the same bytes as the
raw blob. A file is appended to while it is open (never rewritten), then sealed: fsynced, made read-only and handed
to `on_seal` (which logs its hash). The open file holds an exclusive `flock`; a file left unsealed by a crashed
process has no lock and is sealed by the next writer that starts in the same directory.
"""
from __future__ import annotations

import base64
import fcntl
import hashlib
import io
import os
import socket
import threading
import zlib
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from crawler.evidence.store import READ_ONLY
from crawler.settings import EVIDENCE_WARC_MAX_BYTES

WARC_SUFFIX = ".warc.gz"
# The stored body is already de-chunked (and decompressed by Scrapy, which drops Content-Encoding): these headers
# would make WARC readers decode it a second time.
_STALE_RESPONSE_HEADERS = frozenset({"transfer-encoding"})


class Sha256WARCWriter(WARCWriter):
    """warcio's writer with SHA-256 block and payload digests instead of SHA-1."""

    @staticmethod
    def _create_digester() -> Digester:
        return Digester("sha256")


def sha256_base32(hex_digest: str) -> str:
    """A hex SHA-256 in the `sha256:<base32>` form WARC digest headers use."""
    return "sha256:" + base64.b32encode(bytes.fromhex(hex_digest)).decode("ascii")


@dataclass(frozen=True)
class Exchange:
    """One HTTP fetch as the crawler saw it: the request sent and the final response received."""

    final_url: str
    status: int
    body: bytes
    fetched_at: str  # ISO-8601 UTC
    method: str = "GET"
    request_headers: Iterable[tuple[str, str]] = ()
    request_body: bytes = b""
    response_headers: Iterable[tuple[str, str]] = ()
    reason: str = ""
    protocol: str = "HTTP/1.1"


@dataclass(frozen=True)
class WarcLocation:
    path: Path
    offset: int  # where the response record's gzip member starts
    record_id: str


@dataclass
class _OpenFile:
    path: Path
    handle: BinaryIO
    writer: Sha256WARCWriter = field(repr=False)


def _software() -> str:
    try:
        return f"lantian/{version('lantian')} (warcio)"
    except PackageNotFoundError:
        return "lantian (warcio)"


def _http_request_line(exchange: Exchange) -> str:
    parts = urlsplit(exchange.final_url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return f"{exchange.method} {target} {exchange.protocol}"


def _reason(status: int, reason: str) -> str:
    if reason:
        return reason
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class RotatingWarcWriter:
    """Thread-safe WARC writer that starts a new file once the current one reaches `max_bytes`."""

    def __init__(
        self,
        directory: Path,
        max_bytes: int = EVIDENCE_WARC_MAX_BYTES,
        prefix: str = "lantian",
        on_seal: Callable[[Path], None] | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.prefix = prefix
        self.on_seal = on_seal
        self._lock = threading.Lock()
        self._current: _OpenFile | None = None
        self._serial = 0

    def write(self, exchange: Exchange) -> WarcLocation:
        """Append the response and request records of one fetch; return where the response record starts."""
        response = self._response_record(exchange)
        request = self._request_record(exchange, response.rec_headers.get_header("WARC-Record-ID"))
        with self._lock:
            current = self._current or self._open_new()
            offset = current.handle.tell()
            current.writer.write_record(response)
            current.writer.write_record(request)
            current.handle.flush()
            location = WarcLocation(current.path, offset, response.rec_headers.get_header("WARC-Record-ID"))
            if current.handle.tell() >= self.max_bytes:
                self._seal_current()
        return location

    def close(self) -> None:
        """Seal the open file, if any."""
        with self._lock:
            self._seal_current()

    def seal_orphans(self, logged: Collection[Path] = ()) -> list[Path]:
        """Seal WARC files a process left unsealed when it died: no process holds their lock and either they are
        still writable or `logged` (paths whose seal is in the log) does not name them."""
        sealed: list[Path] = []
        if not self.directory.is_dir():
            return sealed
        logged_names = {Path(path).name for path in logged}
        for path in sorted(self.directory.glob(f"*{WARC_SUFFIX}")):
            if not path.stat().st_mode & 0o222 and path.name in logged_names:
                continue
            with open(path, "rb") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # a live writer's open file
                os.chmod(path, READ_ONLY)
            if self.on_seal:
                self.on_seal(path)
            sealed.append(path)
        return sealed

    def _open_new(self) -> _OpenFile:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._serial += 1
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")[:17]
        path = self.directory / f"{self.prefix}-{stamp}-{os.getpid()}-{self._serial:05d}{WARC_SUFFIX}"
        # Locked under a name `seal_orphans` ignores, then renamed: no other process can take a new file for an orphan.
        opening = path.with_name(path.name + ".opening")
        handle = open(opening, "xb")
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.rename(opening, path)
        writer = Sha256WARCWriter(handle, gzip=True, warc_version="1.1")
        writer.write_record(writer.create_warcinfo_record(path.name, {
            "software": _software(),
            "hostname": socket.gethostname(),
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        }))
        self._current = _OpenFile(path, handle, writer)
        return self._current

    def _seal_current(self) -> None:
        current, self._current = self._current, None
        if current is None:
            return
        current.handle.flush()
        os.fsync(current.handle.fileno())
        os.chmod(current.path, READ_ONLY)
        current.handle.close()  # releases the flock
        if self.on_seal:
            self.on_seal(current.path)

    def _response_record(self, exchange: Exchange):
        headers = [(k, v) for k, v in exchange.response_headers if k.lower() not in _STALE_RESPONSE_HEADERS]
        http_headers = StatusAndHeaders(
            f"{exchange.status} {_reason(exchange.status, exchange.reason)}".strip(), headers,
            protocol=exchange.protocol,
        )
        return Sha256WARCWriter(None, warc_version="1.1").create_warc_record(
            exchange.final_url, "response",
            payload=io.BytesIO(exchange.body), length=len(exchange.body), http_headers=http_headers,
            warc_headers_dict={"WARC-Date": exchange.fetched_at},
        )

    def _request_record(self, exchange: Exchange, concurrent_to: str):
        headers = list(exchange.request_headers)
        if not any(name.lower() == "host" for name, _ in headers):
            headers.insert(0, ("Host", urlsplit(exchange.final_url).netloc))
        http_headers = StatusAndHeaders(_http_request_line(exchange), headers, is_http_request=True)
        return Sha256WARCWriter(None, warc_version="1.1").create_warc_record(
            exchange.final_url, "request",
            payload=io.BytesIO(exchange.request_body), length=len(exchange.request_body), http_headers=http_headers,
            warc_headers_dict={"WARC-Date": exchange.fetched_at, "WARC-Concurrent-To": concurrent_to},
        )


def read_response_record(path: Path, offset: int) -> tuple[str, str]:
    """The target URI and payload SHA-256 (hex) of the response record starting at `offset` in a WARC file."""
    if offset < 0:
        raise ValueError("no record offset")
    with open(path, "rb") as handle:
        handle.seek(offset)
        try:
            for record in ArchiveIterator(handle):
                if record.rec_type != "response":
                    raise ValueError(f"record at offset {offset} is a {record.rec_type} record, not a response")
                digest = hashlib.sha256()
                while chunk := record.raw_stream.read(1 << 16):
                    digest.update(chunk)
                return record.rec_headers.get_header("WARC-Target-URI"), digest.hexdigest()
        except (ArchiveLoadFailed, zlib.error, EOFError) as exc:
            raise ValueError(f"no readable WARC record at offset {offset}: {str(exc)[:120]}") from exc
    raise ValueError(f"no WARC record at offset {offset}")


@dataclass(frozen=True)
class RecordHeaders:
    """The headers of one stored response: the WARC record's and the HTTP response's (status line first)."""

    warc: list[tuple[str, str]]
    status_line: str
    http: list[tuple[str, str]]


def find_response_headers(path: Path, target_uri: str, payload_sha256: str | None = None) -> RecordHeaders | None:
    """The headers of the response record for `target_uri` in a WARC file (the one whose payload has SHA-256
    `payload_sha256`, when given); None when the file holds no such record or cannot be read."""
    try:
        with open(path, "rb") as handle:
            for record in ArchiveIterator(handle):
                if record.rec_type != "response" or record.rec_headers.get_header("WARC-Target-URI") != target_uri:
                    continue
                if payload_sha256:
                    digest = hashlib.sha256()
                    while chunk := record.raw_stream.read(1 << 16):
                        digest.update(chunk)
                    if digest.hexdigest() != payload_sha256:
                        continue
                http = record.http_headers
                return RecordHeaders(list(record.rec_headers.headers), http.statusline if http else "",
                                     list(http.headers) if http else [])
    except (OSError, ArchiveLoadFailed, zlib.error, EOFError):
        return None
    return None
