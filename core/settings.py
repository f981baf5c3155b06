"""Where lantian keeps its configuration and its data, and the main settings file.

Staff edit YAML under the config dir; everything lantian produces (evidence, stores, models caches, pid files)
lives under the data dir so a deployment can put it on its own volume.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from core.config import ConfigError, read_yaml


def project_root() -> Path:
    """The checkout (or installed tree) holding `config/`, `models/` and, by default, `data/`."""
    return Path(__file__).resolve().parent.parent


def config_dir() -> Path:
    return Path(os.environ.get("LANTIAN_CONFIG_DIR") or project_root() / "config")


def data_dir() -> Path:
    path = Path(os.environ.get("LANTIAN_DATA_DIR") or project_root() / "data")
    path.mkdir(parents=True, exist_ok=True)
    return path


ENV_OVERRIDES: dict[str, tuple[str, str]] = {
    "LANTIAN_ES_URL": ("elasticsearch", "url"),
    "LANTIAN_REGISTRY_PATH": ("registry", "path"),
}


@lru_cache(maxsize=4)
def _load_settings(path: str) -> dict[str, Any]:
    data = read_yaml(Path(path)) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping")
    return data


def load_settings(path: Path | None = None) -> dict[str, Any]:
    """The main settings (`config/lantian.yaml`); the environment overrides some fields, so one deployment or one
    run can differ without editing the file: `LANTIAN_ES_URL` → `elasticsearch.url`, `LANTIAN_REGISTRY_PATH` →
    `registry.path`."""
    settings = dict(_load_settings(str(path or config_dir() / "lantian.yaml")))
    for variable, (section, key) in ENV_OVERRIDES.items():
        value = os.environ.get(variable)
        if value is not None:
            settings[section] = {**(settings.get(section) or {}), key: value}
    return settings
