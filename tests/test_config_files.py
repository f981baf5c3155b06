"""Every YAML file under config/ is read through a pydantic model (`core.config.StrictModel`), so staff's edits
are checked when the file is loaded and a mistake is a ConfigError naming the file and the field."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from casework.complaints import ComplaintsConfig
from casework.config import RecheckConfig, RiskConfig, TakedownConfig, TriageConfig
from casework.users import UsersConfig
from core.config import ConfigError, StrictModel, load_model, read_yaml
from core.settings import SettingsFile
from crawler.platforms import load_keyword_list, load_platform
from detector.config import DetectorFile
from detector.entities import EntitiesFile
from detector.normalize_file import NormalizeFile
from detector.rules_file import RulesFile

CONFIG = Path(__file__).resolve().parent.parent / "config"
MODELS: dict[str, type[StrictModel]] = {
    "lantian.yaml": SettingsFile,
    "casework/complaints.yaml": ComplaintsConfig,
    "casework/recheck.yaml": RecheckConfig,
    "casework/risk.yaml": RiskConfig,
    "casework/takedown.yaml": TakedownConfig,
    "casework/triage.yaml": TriageConfig,
    "casework/users.example.yaml": UsersConfig,
    "detector/detector.yaml": DetectorFile,
    "detector/entities.yaml": EntitiesFile,
    "detector/normalize.yaml": NormalizeFile,
    "detector/rules.yaml": RulesFile,
}
# Folders of files of one kind, each read by its loader (which checks the file's name too).
LOADERS: dict[str, Callable[[Path], Any]] = {"keywords": load_keyword_list, "platforms": load_platform}


def reader(relative: str) -> Callable[[Path], Any]:
    if relative in MODELS:
        return lambda path: load_model(MODELS[relative], path)
    return LOADERS[relative.split("/")[0]]


def config_files() -> list[str]:
    return sorted(str(path.relative_to(CONFIG)) for path in CONFIG.rglob("*.y*ml"))


def test_every_config_file_has_a_model() -> None:
    unread = [name for name in config_files() if name not in MODELS and name.split("/")[0] not in LOADERS]
    assert not unread, f"config files no model reads: {unread}"


@pytest.mark.parametrize("relative", config_files())
def test_each_config_file_reads_as_the_pure_python_safe_loader_reads_it(relative: str) -> None:
    """`read_yaml` uses libyaml's loader for speed; it must give the documents PyYAML's own SafeLoader gives."""
    path = CONFIG / relative
    expected = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    read = read_yaml(path)
    assert read == expected
    assert repr(read) == repr(expected)


@pytest.mark.parametrize("relative", config_files())
def test_each_config_file_is_valid_and_an_unknown_field_in_it_is_refused_by_name(relative: str,
                                                                                 tmp_path: Path) -> None:
    read = reader(relative)
    read(CONFIG / relative)
    broken = tmp_path / relative
    broken.parent.mkdir(parents=True, exist_ok=True)
    data = yaml.safe_load((CONFIG / relative).read_text(encoding="utf-8"))
    broken.write_text(yaml.safe_dump({**data, "no_such_field": 1}, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match="no_such_field") as refused:
        read(broken)
    assert str(broken) in str(refused.value)
