"""`lantian evidence verify|show` give clear answers and exit codes staff and scripts can rely on."""
from __future__ import annotations

from typer.testing import CliRunner

from crawler.evidence.archive import EvidenceArchive
from crawler.evidence.cli import evidence_app
from crawler.evidence.warc import Exchange

runner = CliRunner()


def _record(data_dir) -> dict:
    archive = EvidenceArchive(data_dir / "evidence")
    exchange = Exchange("http://market.test/item/1", 200, "内部渠道".encode(), "2026-03-01T08:00:00Z")
    record = archive.record_fetch(exchange)
    archive.close()
    return record


def test_empty_data_dir_has_nothing_to_verify(tmp_path):
    result = runner.invoke(evidence_app, ["verify", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0 and "No evidence recorded" in result.output


def test_missing_data_dir_is_a_one_line_error(tmp_path):
    result = runner.invoke(evidence_app, ["verify", "--data-dir", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "does not exist" in result.output and "Traceback" not in result.output


def test_verify_reports_the_first_broken_line_of_an_edited_log(tmp_path):
    _record(tmp_path)
    log = tmp_path / "evidence" / "evidence-log.jsonl"
    log.write_text(log.read_text().replace("market.test", "market.example", 1))
    result = runner.invoke(evidence_app, ["verify", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "first broken at line 1" in result.output and "altered_line" in result.output


def test_show_by_hash_and_unknown_key(tmp_path):
    record = _record(tmp_path)
    found = runner.invoke(evidence_app, ["show", record["raw_sha256"][:16], "--data-dir", str(tmp_path)])
    assert found.exit_code == 0 and "http://market.test/item/1" in found.output and "fetched_at" in found.output
    missing = runner.invoke(evidence_app, ["show", "http://market.test/other", "--data-dir", str(tmp_path)])
    assert missing.exit_code == 1 and "No evidence records" in missing.output


def test_show_gives_times_in_beijing_with_the_zone_named(tmp_path):
    _record(tmp_path)  # fetched 2026-03-01T08:00:00Z, 16:00 in Shanghai
    found = runner.invoke(evidence_app, ["show", "http://market.test/item/1", "--data-dir", str(tmp_path)])
    assert found.exit_code == 0, found.output
    assert "2026-03-01 16:00:00（北京时间）" in found.output and "T08:00:00Z" not in found.output
    logged = next(line for line in found.output.splitlines() if "logged" in line)
    assert "（北京时间）" in logged and "Z " not in logged  # when the log line was written, too
