"""The evidence log is anchored by signed checkpoints of its chain head: lines deleted from its end, or a file
replaced and the chain recomputed, are found; corrupt fields are reported, never a traceback."""
from __future__ import annotations

import json
import stat
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from scrapy.statscollectors import MemoryStatsCollector
from typer.testing import CliRunner

from crawler.evidence.archive import EvidenceArchive
from crawler.evidence.log import line_hash
from crawler.evidence.middleware import EvidenceMiddleware
from crawler.run import crawler_settings
from lantian.cli import app
from tests.test_evidence_archive import _png, exchange

runner = CliRunner()


def crawl(data: Path, fetches: int = 3) -> EvidenceArchive:
    """What a crawl leaves: fetches and a screenshot in the evidence log, then the crawl's end (the middleware's
    spider_closed)."""
    archive = EvidenceArchive(data / "evidence")
    for n in range(fetches):
        archive.record_fetch(exchange(n))
    archive.record_screenshot("http://market.test/item/0?from=list", _png(), source="test")
    crawler = SimpleNamespace(settings=crawler_settings())
    crawler.stats = MemoryStatsCollector(crawler)
    EvidenceMiddleware(archive, crawler).spider_closed()  # type: ignore[arg-type]
    return archive


def verify(data: Path) -> Any:
    result = runner.invoke(app, ["evidence", "verify", "--data-dir", str(data)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def problems(data: Path) -> set[str]:
    """The kinds of problem `lantian evidence verify` reports (the printed paths hold the test's name)."""
    from crawler.evidence.anchor import signing_key_path

    return {problem.kind for problem in EvidenceArchive(data / "evidence").verify(key_path=signing_key_path()).problems}


def log_lines(archive: EvidenceArchive) -> list[dict[str, Any]]:
    return [json.loads(line) for line in archive.log.path.read_text().splitlines()]


def write_lines(archive: EvidenceArchive, records: list[dict[str, Any]]) -> None:
    archive.log.path.write_text("".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n"
                                        for r in records))


def test_a_crawl_ends_with_a_signed_checkpoint_and_verifies(tmp_path: Path) -> None:
    archive = crawl(tmp_path)
    result = verify(tmp_path)
    assert result.exit_code == 0, result.output
    head = log_lines(archive)[-1]
    assert f"up to seq {head['seq']}" in result.output and "OK" in result.output


def test_lines_deleted_from_the_end_are_found(tmp_path: Path) -> None:
    archive = crawl(tmp_path)
    lines = archive.log.path.read_text().splitlines(keepends=True)
    archive.log.path.write_text("".join(lines[:-2]))
    result = verify(tmp_path)
    assert result.exit_code == 1 and "TAMPERED" in result.output
    assert problems(tmp_path) == {"truncated"}


def test_a_replaced_screenshot_with_the_chain_recomputed_is_found(tmp_path: Path) -> None:
    archive = crawl(tmp_path)
    forged = archive.blobs.put(_png() + b"retouched")
    records = log_lines(archive)
    prev = "0" * 64
    for record in records:
        if record["kind"] == "screenshot":
            record.update(path=archive.log.relative(forged.path), sha256=forged.sha256)
        record["prev"] = prev
        record["hash"] = prev = line_hash(record)
    write_lines(archive, records)
    assert archive.verify().ok, "the forgery holds against the chain and the files alone"
    result = verify(tmp_path)
    assert result.exit_code == 1 and problems(tmp_path) == {"checkpoint_mismatch"}


def test_a_checkpoint_signed_with_another_key_is_refused(tmp_path: Path) -> None:
    from crawler.evidence.anchor import Checkpoints

    archive = crawl(tmp_path)
    lines = archive.log.path.read_text().splitlines(keepends=True)
    archive.log.path.write_text("".join(lines[:-2]))
    (archive.root / "checkpoints.jsonl").unlink()
    Checkpoints(archive.log).sign_head(Ed25519PrivateKey.generate())  # the intruder's own key
    result = verify(tmp_path)
    assert result.exit_code == 1 and problems(tmp_path) == {"bad_checkpoint", "unanchored"}


def test_anchor_signs_the_head_and_prints_it_for_the_case_file(tmp_path: Path) -> None:
    archive = EvidenceArchive(tmp_path / "evidence")
    archive.record_fetch(exchange(1))
    archive.close()
    unanchored = verify(tmp_path)
    assert unanchored.exit_code == 1 and "NOT ANCHORED" in unanchored.output
    result = runner.invoke(app, ["evidence", "anchor", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    head = log_lines(archive)[-1]
    assert head["hash"] in result.output and f"第 {head['seq']} 条" in result.output
    assert verify(tmp_path).exit_code == 0


def test_anchor_refuses_to_sign_a_broken_log(tmp_path: Path) -> None:
    archive = crawl(tmp_path)
    records = log_lines(archive)
    records[0]["url"] = "http://elsewhere.test/"
    write_lines(archive, records)
    result = runner.invoke(app, ["evidence", "anchor", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1 and "Not signed" in result.output and "altered_line" in problems(tmp_path)


def test_the_key_is_created_private_and_outside_the_data_dir(tmp_path: Path, evidence_signing_key: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    crawl(tmp_path)
    assert stat.S_IMODE(evidence_signing_key.stat().st_mode) == 0o600
    assert Path(f"{evidence_signing_key}.pub").read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    monkeypatch.setenv("LANTIAN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LANTIAN_EVIDENCE_KEY", str(tmp_path / "keys" / "key.pem"))
    result = verify(tmp_path)
    assert result.exit_code == 2 and "is inside the data dir" in result.output


def test_a_verify_only_machine_uses_the_public_key(tmp_path: Path, evidence_signing_key: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    crawl(tmp_path)
    monkeypatch.setenv("LANTIAN_EVIDENCE_KEY", f"{evidence_signing_key}.pub")
    result = verify(tmp_path)
    assert result.exit_code == 0 and "up to seq" in result.output


CORRUPT = [
    ("warc_offset", None, "corrupt_field"), ("warc_offset", "12", "corrupt_field"),
    ("warc_offset", -5, "corrupt_field"), ("warc_offset", True, "corrupt_field"),
    ("path", None, "corrupt_field"), ("path", 5, "corrupt_field"),
    ("path", ["blobs"], "corrupt_field"), ("path", "../../../../../../etc/hostname", "corrupt_field"),
    ("path", "/etc/hostname", "corrupt_field"), ("path", "blobs/\x00", "corrupt_field"),
    ("warc_path", 7, "corrupt_field"), ("seq", "one", "broken_chain"), ("seq", [1], "broken_chain"),
]


@pytest.mark.parametrize(("field", "value", "kind"), CORRUPT)
def test_a_corrupt_field_is_reported_never_a_traceback(tmp_path: Path, field: str, value: Any, kind: str) -> None:
    archive = crawl(tmp_path)
    records = log_lines(archive)
    records[0][field] = value
    records[0]["hash"] = line_hash(records[0])
    write_lines(archive, records)
    result = verify(tmp_path)
    assert result.exit_code == 1 and kind in problems(tmp_path), result.output


@pytest.mark.parametrize("line", ["[" * 200_000, '{"seq": 1, "hash": ' + "9" * 5000 + "}", "null", '"text"'])
def test_an_unreadable_line_is_reported_never_a_traceback(tmp_path: Path, line: str) -> None:
    archive = crawl(tmp_path)
    with open(archive.log.path, "a") as handle:
        handle.write(line + "\n")
    (archive.root / "checkpoints.jsonl").open("a").write(line + "\n")
    result = verify(tmp_path)
    assert result.exit_code == 1 and {"unreadable_line", "bad_checkpoint"} <= problems(tmp_path)
    show = runner.invoke(app, ["evidence", "show", "http://market.test/item/1?from=list", "--data-dir", str(tmp_path)])
    assert show.exit_code == 0, show.output
