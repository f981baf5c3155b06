"""`lantian detect`: JSONL in and out, bad lines reported by number and skipped, a summary, clear errors."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.settings import load_settings, project_root
from detector.registry import registry_warning
from lantian.cli import app

LINES = [
    json.dumps({"id": "a", "title": "国家知识产权局指定代理", "text": "内部渠道，30天下证"},
               ensure_ascii=False).encode(),
    b"{not json",
    json.dumps({"title": "no id"}).encode(),
    b"",
    "{\"id\": \"gbk\", \"title\": \"内部渠道\"}".encode("gbk"),
    json.dumps(["a list"]).encode(),
    json.dumps({"id": "b", "title": "手工皂", "seller": "美妆小屋"}, ensure_ascii=False).encode(),
    json.dumps({"id": "c", "title": "代写代办专利申请", "text": "980元起", "seller": "张工专利代写"},
               ensure_ascii=False).encode(),
]


def test_detect_file_to_file(tmp_path: Path, registry_csv: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join(LINES) + b"\n")
    target = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["detect", "--input", str(source), "--output", str(target), "--rules-only",
                                      "--registry", str(registry_csv)])
    assert result.exit_code == 1, result.output  # some lines were skipped
    rows = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [row["id"] for row in rows] == ["a", "b", "c"]
    assert {"impersonation", "insider_channel"} <= set(rows[0]["labels"])
    assert rows[1]["labels"] == [] and rows[2]["labels"] == ["unlicensed_agency"]
    assert all(0.0 <= row["solicitation"] <= 1.0 for row in rows)
    messages = result.stderr
    assert "line 2: invalid JSON" in messages
    assert "line 3: field 'id' is required" in messages
    assert "line 5: not UTF-8 text" in messages
    assert "line 6: a listing must be a JSON object" in messages
    assert "3 listings detected (rules mode), 2 flagged" in messages and "4 bad lines skipped" in messages


def test_hostile_lines_are_skipped_and_every_good_line_is_written(tmp_path: Path, registry_csv: Path) -> None:
    """With the trained model: one hostile line loses neither its batch of 256 nor anything after it."""
    good = [json.dumps({"id": f"g{n}", "title": "专利代理", "text": "内部渠道，包授权"}, ensure_ascii=False)
            for n in range(300)]
    hostile = ['{"id": "m1"}', '{"id": "s1", "title": "\\ud800"}', '{"id": "n1", "price": ' + "9" * 5000 + "}",
               "[" * 200_000]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(good[:10] + hostile + good[10:]) + "\n", encoding="utf-8")
    target = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["detect", "-i", str(source), "-o", str(target), "--registry", str(registry_csv)])
    assert result.exit_code == 1, result.output
    rows = {row["id"]: row for row in map(json.loads, target.read_text(encoding="utf-8").splitlines())}
    assert set(rows) == {f"g{n}" for n in range(300)} | {"m1"}
    assert rows["m1"]["labels"] == [] and "insider_channel" in rows["g299"]["labels"]
    assert "line 12: field 'title' is not Unicode text (a lone surrogate at character 0)" in result.stderr
    assert "line 13: invalid JSON (a number of more than 4300 digits)" in result.stderr
    assert "line 14: invalid JSON (nested too deeply)" in result.stderr
    assert "301 listings detected (model mode)" in result.stderr and "3 bad lines skipped" in result.stderr


@pytest.mark.slow
def test_detect_stdin_to_stdout(registry_csv: Path) -> None:
    completed = subprocess.run(
        [str(Path(sys.executable).parent / "lantian"), "detect", "-i", "-", "-o", "-", "--rules-only",
         "--registry", str(registry_csv)],
        input=LINES[0] + b"\n" + LINES[6] + b"\n", capture_output=True, timeout=120, cwd=project_root(),
    )
    assert completed.returncode == 0, completed.stderr.decode()
    rows = [json.loads(line) for line in completed.stdout.decode().splitlines()]
    assert [row["id"] for row in rows] == ["a", "b"]
    assert "2 listings detected" in completed.stderr.decode()


def test_broken_config_is_one_clear_line(tmp_path: Path, registry_csv: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(project_root() / "config", config)
    (config / "detector" / "rules.yaml").write_text("lexicons: {}\nrules: []\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["detect", "--config", str(config), "--rules-only", "--registry",
                                      str(registry_csv)], input="")
    assert result.exit_code == 2
    assert "rules.yaml: rules: List should have at least 1 item" in result.stderr
    assert "Traceback" not in result.output


def test_missing_input_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["detect", "--input", str(tmp_path / "none.jsonl"), "--rules-only"])
    assert result.exit_code == 2
    assert "none.jsonl: No such file or directory" in result.stderr


def test_configured_registry_missing_is_a_warning(tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(project_root() / "config", config)
    (config / "lantian.yaml").write_text(f"registry:\n  path: {tmp_path / 'r.csv'}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["detect", "--rules-only", "--config", str(config)],
                                input=LINES[7].decode() + "\n")
    assert result.exit_code == 0
    assert "warning: no agency registry" in result.stderr
    # The warning says how to get one: a new clone has none until the simulator (or staff) writes one.
    warning = " ".join(result.stderr.split())
    assert "set registry.path in config/lantian.yaml (or LANTIAN_REGISTRY_PATH)" in warning
    assert "`lantian simulator export`" in warning
    # Word for word the warning that crawl, capture and complaints give for the same registry.
    same = registry_warning(load_settings(config / "lantian.yaml"))
    assert same is not None and warning.startswith(f"warning: {' '.join(same.split())} ")
    assert json.loads(result.stdout)["labels"] == []


def test_given_registry_missing_is_an_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["detect", "--rules-only", "--registry", str(tmp_path / "r.csv")], input="")
    assert result.exit_code == 2
    assert "r.csv: registry file not found" in result.stderr
