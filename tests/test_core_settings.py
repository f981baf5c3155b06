"""config/lantian.yaml: validated when loaded, so a misspelt or mistyped setting names the file and the field."""
from __future__ import annotations

from pathlib import Path

import pytest

from core.config import ConfigError
from core.settings import load_settings, main_settings, project_root


def test_the_shipped_settings_load_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LANTIAN_ES_URL", raising=False)
    monkeypatch.delenv("LANTIAN_REGISTRY_PATH", raising=False)
    settings = load_settings(project_root() / "config" / "lantian.yaml")
    assert settings["elasticsearch"] == {"url": "", "index_prefix": "lantian", "batch_size": 500,
                                         "concurrent_requests": 2}
    assert settings["console"] == {"tls": False}
    assert settings["crawl"] == {"proxy": ""}
    assert "distributed" not in settings


def test_the_environment_overrides_a_field(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "lantian.yaml"
    path.write_text("elasticsearch: {url: '', index_prefix: leads}\n", "utf-8")
    monkeypatch.setenv("LANTIAN_ES_URL", "http://127.0.0.1:9200")
    assert load_settings(path)["elasticsearch"] == {"url": "http://127.0.0.1:9200", "index_prefix": "leads"}


@pytest.mark.parametrize(("text", "message"), [
    ("elasticsearch: {ulr: 'http://x'}\n", r"lantian\.yaml: elasticsearch\.ulr: Extra inputs are not permitted"),
    ("elasticsearch: {batch_size: 0}\n", r"lantian\.yaml: elasticsearch\.batch_size: Input should be greater"),
    ("console: {tls: maybe}\n", r"lantian\.yaml: console\.tls: Input should be a valid boolean"),
    ("distributed: {heartbeat_seconds: often}\n", r"lantian\.yaml: distributed\.heartbeat_seconds: Input should be"),
    ("crawl: {proxy: 'socks5://127.0.0.1:1080'}\n", r"lantian\.yaml: crawl\.proxy: String should match pattern"),
    ("crawl: {proxy: 'egress:3128'}\n", r"lantian\.yaml: crawl\.proxy: String should match pattern"),
    ("registy: {path: r.csv}\n", r"lantian\.yaml: registy: Extra inputs are not permitted"),
])
def test_a_wrong_field_is_refused_naming_file_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "lantian.yaml"
    path.write_text(text, "utf-8")
    with pytest.raises(ConfigError, match=message):
        load_settings(path)


def test_a_section_that_leaves_a_field_out_reads_as_its_default() -> None:
    given = main_settings({"elasticsearch": {"url": "http://127.0.0.1:9200"}, "console": None})
    assert (given.elasticsearch.index_prefix, given.elasticsearch.batch_size) == ("lantian", 500)
    assert given.console.tls is False and given.registry.path is None
    assert main_settings({}).evidence.signing_key == "~/.config/lantian/evidence-signing-key.pem"
