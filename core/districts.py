"""The districts lantian reports and the names people write for them, from `config/detector/entities.yaml`.

One list for the detector's district entities, the district a lead is filed under and the districts staff pick
from in the console, so staff edit it once.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from core.config import ConfigError, read_yaml
from core.settings import config_dir

ENTITIES_FILE = Path("detector") / "entities.yaml"


def districts_from(data: Any, path: Path) -> dict[str, list[str]]:
    """The `districts` field of entities.yaml (district → the short names people write), checked."""
    districts = data.get("districts") if isinstance(data, dict) else None
    if not isinstance(districts, dict) or not districts or not all(
        isinstance(k, str) and k and isinstance(v, list) and all(isinstance(a, str) and a for a in v)
        for k, v in districts.items()
    ):
        raise ConfigError(f"{path}: field 'districts' must map each district name to a list of short names")
    return {name: list(aliases) for name, aliases in districts.items()}


def load_districts(directory: Path | None = None) -> dict[str, list[str]]:
    """The districts of the config directory (default: the configured one)."""
    path = (directory or config_dir()) / ENTITIES_FILE
    return districts_from(read_yaml(path), path)
