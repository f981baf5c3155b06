"""The districts lantian reports and the names people write for them, from `config/detector/entities.yaml`.

One list for the detector's district entities, the district a lead is filed under and the districts staff pick
from in the console, so staff edit it once.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from core.config import load_model
from core.settings import config_dir

ENTITIES_FILE = Path("detector") / "entities.yaml"
Name = Annotated[str, Field(min_length=1)]
Districts = Annotated[dict[Name, list[Name]], Field(min_length=1)]
"""District name → the short names people write for it."""


class DistrictsOfEntities(BaseModel):
    """The `districts` field of entities.yaml; its other fields are the detector's (`detector.entities`)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    districts: Districts


def load_districts(directory: Path | None = None) -> dict[str, list[str]]:
    """The districts of the config directory (default: the configured one)."""
    return load_model(DistrictsOfEntities, (directory or config_dir()) / ENTITIES_FILE).districts
