"""The environment variables lantian reads: declared once in `core.environment`, read nowhere else, validated so a
wrong value names the variable, and read again when they change."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from core.config import ConfigError
from core.environment import VARIABLES, environment, variable
from core.settings import config_dir, data_dir, load_settings, project_root

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("core", "lantian", "simulator", "detector", "crawler", "index", "casework", "bench")


def environment_reads() -> list[str]:
    """`file:line` of every `os.environ.get(...)`, `os.getenv(...)` and `os.environ[...]` read in the parts (a
    write, and the environment handed whole to a child process, are not reads of a setting)."""
    reads = []
    for part in PARTS:
        for path in sorted((ROOT / part).rglob("*.py")):
            if path == ROOT / "core" / "environment.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                read = (isinstance(node, ast.Call) and ast.unparse(node.func) in ("os.environ.get", "os.getenv")
                        or isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ"
                        and isinstance(node.ctx, ast.Load))
                if read:
                    reads.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return reads


def test_no_part_reads_the_environment_itself() -> None:
    assert not environment_reads(), "read core.environment.environment() instead"


def test_every_variable_is_named_once() -> None:
    assert len(VARIABLES) == len(set(VARIABLES))
    assert {"LANTIAN_CONFIG_DIR", "LANTIAN_DATA_DIR", "LANTIAN_ES_URL", "LANTIAN_CHROMIUM"} <= set(VARIABLES)
    assert variable("evidence_key") == "LANTIAN_EVIDENCE_KEY"


def test_a_changed_variable_is_read_at_the_next_call(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LANTIAN_CONFIG_DIR", raising=False)
    assert config_dir() == project_root() / "config"
    monkeypatch.setenv("LANTIAN_CONFIG_DIR", str(tmp_path))
    assert config_dir() == tmp_path


def test_empty_is_unset_except_for_the_fields_of_lantian_yaml_it_overrides(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANTIAN_DATA_DIR", "")
    monkeypatch.setenv("LANTIAN_CHROMIUM", "")
    assert data_dir() == project_root() / "data"
    assert environment().chromium is None
    settings = tmp_path / "lantian.yaml"
    settings.write_text("elasticsearch: {url: 'http://127.0.0.1:9200'}\n", "utf-8")
    monkeypatch.setenv("LANTIAN_ES_URL", "")
    assert load_settings(settings)["elasticsearch"] == {"url": ""}, "empty LANTIAN_ES_URL: the embedded store"


def test_a_data_dir_that_cannot_be_a_folder_is_refused_naming_the_variable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "data"
    blocked.write_text("a file where the data dir should be", "utf-8")
    monkeypatch.setenv("LANTIAN_DATA_DIR", str(blocked))
    with pytest.raises(ConfigError, match=r"LANTIAN_DATA_DIR: .*data cannot be used as a folder \(File exists\)"):
        data_dir()


@pytest.mark.parametrize(("name", "value", "message"), [
    ("LANTIAN_ES_URL", "127.0.0.1:9200", r"LANTIAN_ES_URL: '127\.0\.0\.1:9200' is not an http\(s\) URL"),
    ("LANTIAN_REDIS_URL", "http://10.0.0.5:6379", r"LANTIAN_REDIS_URL: 'http://10\.0\.0\.5:6379' must start with"),
])
def test_a_wrong_value_is_refused_naming_the_variable(monkeypatch: pytest.MonkeyPatch, name: str, value: str,
                                                      message: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        environment()


def test_secrets_do_not_show_in_the_settings_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANTIAN_ES_PASSWORD", "hunter2-not-for-production")
    assert "hunter2" not in repr(environment())
    assert environment().es_password.get_secret_value() == "hunter2-not-for-production"
