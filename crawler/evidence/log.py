"""The append-only, hash-chained evidence log.

One JSON line per stored evidence file (`kind` raw, warc or screenshot). Each line carries `prev`, the hash of the
line before it, and `hash`, the SHA-256 of its own canonical JSON (every field but `hash`, `prev` included). Editing,
inserting or deleting any line breaks the chain at that point, and re-hashing the files named by the lines shows
any altered evidence file. Appends take an exclusive `flock`, so several processes may share one log. Lines
deleted from the end, or a log rewritten with its chain recomputed, are found against signed checkpoints of the
chain head (`crawler.evidence.anchor`). Every field is read as untrusted: a field of the wrong type is a problem
in the report, never an exception.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeGuard

from crawler.evidence.store import sha256_file
from crawler.evidence.warc import read_response_record

GENESIS = "0" * 64
KINDS = ("raw", "warc", "screenshot")


class EvidenceLogError(RuntimeError):
    """The log cannot be appended to safely (for example its last line is incomplete)."""


def utc_now() -> str:
    """An ISO-8601 UTC timestamp with milliseconds, the format of every evidence time."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def line_hash(record: dict[str, Any]) -> str:
    """SHA-256 of a record's canonical JSON without its own `hash` field."""
    body = {key: value for key, value in record.items() if key != "hash"}
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _tail(handle: Any) -> tuple[bytes, bool]:
    """The last line of a binary file (without its newline) and whether it is complete, reading only the end."""
    end = handle.seek(0, os.SEEK_END)
    if end == 0:
        return b"", True
    position, data = end, b""
    while position > 0 and data.count(b"\n") < 2:
        step = min(4096, position)
        position -= step
        handle.seek(position)
        data = handle.read(step) + data
    complete = data.endswith(b"\n")
    return data.rstrip(b"\n").rsplit(b"\n", 1)[-1], complete


@dataclass(frozen=True)
class Problem:
    """One thing `verify()` found wrong; `line` is the 1-based line number in the log."""

    # unreadable_line, altered_line, broken_chain, corrupt_field, missing_file, unreadable_file, altered_file,
    # warc_record_mismatch; against checkpoints: checkpoint_mismatch, truncated, bad_checkpoint, unanchored
    kind: str
    line: int
    detail: str
    path: str | None = None


@dataclass
class VerifyReport:
    lines: int = 0
    files_checked: int = 0
    head_seq: int | None = None
    head_hash: str = GENESIS
    anchored_seq: int | None = None  # the last line a valid signed checkpoint covers
    problems: list[Problem] = field(default_factory=list)
    unlogged: list[str] = field(default_factory=list)  # files present but named by no line (e.g. an open WARC)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> Problem | None:
        return self.problems[0] if self.problems else None


class EvidenceLog:
    """An append-only JSONL log; file paths in it are relative to `root` (the evidence directory)."""

    def __init__(self, path: Path, root: Path) -> None:
        self.path = Path(path)
        self.root = Path(root)

    def append(self, kind: str, url: str | None, path: Path, sha256: str, **extra: Any) -> dict[str, Any]:
        """Add one line for an evidence file (already written and hashed) and return it."""
        if kind not in KINDS:
            raise ValueError(f"unknown evidence kind {kind!r}; expected one of {', '.join(KINDS)}")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                last, complete = _tail(handle)
                if not complete:
                    raise EvidenceLogError(
                        f"{self.path}: the last line is incomplete; run `lantian evidence verify` before appending"
                    )
                if last:
                    try:
                        previous = json.loads(last)
                        seq, prev = previous["seq"] + 1, previous["hash"]
                    except (ValueError, KeyError, TypeError, RecursionError) as exc:
                        raise EvidenceLogError(
                            f"{self.path}: the last line is not a valid record; run `lantian evidence verify`"
                        ) from exc
                else:
                    seq, prev = 1, GENESIS
                record: dict[str, Any] = {
                    "seq": seq,
                    "at": utc_now(),
                    "kind": kind,
                    "url": url,
                    "path": self.relative(path),
                    "sha256": sha256,
                    **extra,
                    "prev": prev,
                }
                record["hash"] = line_hash(record)
                handle.seek(0, os.SEEK_END)
                handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n")
                handle.flush()
                os.fsync(handle.fileno())
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return record

    def head(self) -> tuple[int, str] | None:
        """`seq` and `hash` of the last line (None for an empty log), read under the append lock so no append is
        half-way; an incomplete or unreadable last line raises EvidenceLogError."""
        if not self.path.exists():
            return None
        with open(self.path, "rb") as handle:
            fcntl.flock(handle, fcntl.LOCK_SH)
            try:
                last, complete = _tail(handle)
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        if not last:
            return None
        try:
            record = json.loads(last) if complete else {}
            seq, digest = record["seq"], record["hash"]
        except (ValueError, KeyError, TypeError, RecursionError):
            seq = digest = None
        if not isinstance(seq, int) or not isinstance(digest, str):
            raise EvidenceLogError(f"{self.path}: the last line is not a valid record; run `lantian evidence verify`")
        return seq, digest

    def relative(self, path: Path) -> str:
        path = Path(path)
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError as exc:
            raise ValueError(f"{path} is outside the evidence directory {self.root}") from exc

    def resolve(self, relative_path: str) -> Path:
        return self.root / relative_path

    def line_count(self) -> int:
        if not self.path.exists():
            return 0
        with open(self.path, "rb") as handle:
            return sum(1 for _ in handle)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """Every readable record, in order (unreadable lines are skipped: `verify()` reports them)."""
        if not self.path.exists():
            return
        with open(self.path, "rb") as handle:
            for raw in handle:
                try:
                    record = json.loads(raw)
                except (ValueError, RecursionError):
                    continue
                if isinstance(record, dict):
                    yield record

    def lines_for(self, sha256s: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The first line that logged each of these files, by SHA-256, in one pass over the log: who the file is in
        the chain of custody (`seq`, `hash`, and when it was fetched or taken). A file no line names is left out."""
        wanted: set[str] = set(sha256s)
        lines: dict[str, dict[str, Any]] = {}
        for record in self:
            sha = record.get("sha256")
            if isinstance(sha, str) and sha in wanted and sha not in lines:
                lines[sha] = record
        return lines

    def screenshot_times(self, sha256s: Iterable[str]) -> dict[str, str]:
        """When each of these screenshots was taken, by SHA-256, as its line says (`taken_at`, UTC). A screenshot is
        often a visit of its own, after its page was fetched (the ScreenshotPipeline's second visit waits its turn
        in the platform's download slot), so its time is not the raw page's. A screenshot no line names is left
        out."""
        return {sha: line["taken_at"] for sha, line in self.lines_for(sha256s).items()
                if line.get("kind") == "screenshot" and isinstance(line.get("taken_at"), str)}

    def find(self, key: str) -> list[dict[str, Any]]:
        """Records whose url or final URL equals `key`, or whose SHA-256 starts with it (at least 8 hex digits)."""
        key = key.strip()
        digest_prefix = key.lower() if len(key) >= 8 and all(c in "0123456789abcdefABCDEF" for c in key) else None
        found = []
        for record in self:
            if key in (record.get("url"), record.get("final_url"), record.get("request_url")):
                found.append(record)
            elif digest_prefix and str(record.get("sha256", "")).startswith(digest_prefix):
                found.append(record)
        return found

    def verify(self, on_line: Callable[[int], None] | None = None, anchors: Mapping[int, str] | None = None,
               files: bool = True) -> VerifyReport:
        """Re-hash every line and (with `files`) every file the lines name; report every broken link and altered
        file, and every line that differs from the hash a signed checkpoint gives for its `seq` (`anchors`).

        Checking goes on past a problem (using the hash a line claims as the next `prev`), so one edited line is
        reported once and the rest of the log is still checked.
        """
        anchors = anchors or {}
        report = VerifyReport()
        file_hashes: dict[str, str | None] = {}
        expected_prev, expected_seq = GENESIS, 1
        if not self.path.exists():
            return report
        with open(self.path, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                report.lines = number
                try:
                    record = json.loads(raw)
                    if not isinstance(record, dict):
                        raise ValueError("not a JSON object")
                    claimed = str(record["hash"])
                except RecursionError:
                    report.problems.append(Problem("unreadable_line", number, "not a log record: nested too deeply"))
                    continue
                except (ValueError, KeyError) as exc:
                    report.problems.append(Problem("unreadable_line", number, f"not a log record: {exc}"))
                    continue
                seq = record.get("seq")
                if _is_int(seq) and seq in anchors and anchors[seq] != claimed:
                    report.problems.append(Problem(
                        "checkpoint_mismatch", number,
                        f"a signed checkpoint gives seq {seq} the hash {anchors[seq][:12]}…, the log {claimed[:12]}…: "
                        "the log was rewritten after it was signed",
                    ))
                if line_hash(record) != claimed:
                    report.problems.append(Problem("altered_line", number, "line content does not match its hash"))
                if record.get("prev") != expected_prev or record.get("seq") != expected_seq:
                    report.problems.append(Problem(
                        "broken_chain", number,
                        f"expected seq {expected_seq} after hash {expected_prev[:12]}…, found seq {record.get('seq')} "
                        f"after {str(record.get('prev'))[:12]}…",
                    ))
                expected_prev = claimed
                expected_seq = seq + 1 if _is_int(seq) else expected_seq + 1
                report.head_seq, report.head_hash = seq if _is_int(seq) else None, claimed
                if files:
                    self._check_file(record, number, file_hashes, report)
                    if record.get("kind") == "raw" and record.get("warc_path") is not None:
                        self._check_warc_record(record, number, report)
                if on_line:
                    on_line(number)
        report.files_checked = len(file_hashes)
        reached = [s for s in anchors if report.head_seq is not None and s <= report.head_seq]
        report.anchored_seq = max(reached, default=None)
        if anchors and max(anchors) > (report.head_seq or 0):
            report.problems.append(Problem(
                "truncated", report.lines,
                f"the log ends at seq {report.head_seq or 0}, but a signed checkpoint covers seq {max(anchors)}: "
                "lines were removed from its end",
            ))
        return report

    def _evidence_path(self, record: dict[str, Any], name: str, number: int, report: VerifyReport) -> Path | None:
        """The file a record's field names, inside the evidence directory; otherwise a problem and None."""
        relative = record.get(name)
        if not isinstance(relative, str) or not relative:
            report.problems.append(Problem("corrupt_field", number, f"field {name!r} is not a file path: "
                                                                   f"{json.dumps(relative)[:80]}"))
            return None
        path = self.resolve(relative)
        try:
            inside = path.resolve().is_relative_to(self.root.resolve())
        except (OSError, ValueError):  # a NUL byte, a symlink loop
            inside = False
        if not inside:
            report.problems.append(Problem("corrupt_field", number, f"field {name!r} points outside the evidence "
                                                                   "directory", relative))
            return None
        return path

    def _check_file(
        self, record: dict[str, Any], number: int, file_hashes: dict[str, str | None], report: VerifyReport
    ) -> None:
        path = self._evidence_path(record, "path", number, report)
        if path is None:
            return
        relative = record["path"]
        if relative not in file_hashes:
            try:
                file_hashes[relative] = sha256_file(path) if path.is_file() else None
            except OSError as exc:
                report.problems.append(Problem("unreadable_file", number, exc.strerror or str(exc), relative))
                return
        actual = file_hashes[relative]
        if actual is None:
            report.problems.append(Problem("missing_file", number, "file named by the log is missing", relative))
        elif actual != record.get("sha256"):
            report.problems.append(Problem(
                "altered_file", number, f"SHA-256 is {actual}, the log says {record.get('sha256')}", relative
            ))

    def _check_warc_record(self, record: dict[str, Any], number: int, report: VerifyReport) -> None:
        path = self._evidence_path(record, "warc_path", number, report)
        if path is None:
            return
        relative = record["warc_path"]
        if not path.is_file():
            report.problems.append(Problem("missing_file", number, "WARC file named by the log is missing", relative))
            return
        offset = record.get("warc_offset")
        if not _is_int(offset) or offset < 0:
            report.problems.append(Problem("corrupt_field", number, f"field 'warc_offset' is not a file offset: "
                                                                   f"{json.dumps(offset)[:80]}", relative))
            return
        try:
            target_uri, payload_sha256 = read_response_record(path, offset)
        except (OSError, ValueError) as exc:
            report.problems.append(Problem("warc_record_mismatch", number, f"unreadable WARC record: {exc}", relative))
            return
        if payload_sha256 != record.get("sha256") or target_uri != record.get("final_url", record.get("url")):
            report.problems.append(Problem(
                "warc_record_mismatch", number,
                f"WARC record at offset {record.get('warc_offset')} holds {target_uri} with payload {payload_sha256}",
                relative,
            ))


def _is_int(value: object) -> TypeGuard[int]:
    """A JSON whole number (not a boolean, which Python counts as an int)."""
    return isinstance(value, int) and not isinstance(value, bool)
