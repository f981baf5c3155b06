"""Casework's config files under `config/casework/`, validated at load so a typo names its file and field."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import Field, field_validator, model_validator

from core.config import StrictModel, load_model
from core.labels import LABEL_NAMES_ZH, LABELS
from core.settings import config_dir

Table = TypeVar("Table", bound=Mapping[str, Any])


def known_keys(value: Table, known: Sequence[str], what: str) -> Table:
    """A config table whose keys must be among `known` (`what` they are, for the message naming the others)."""
    unknown = set(value) - set(known)
    if unknown:
        raise ValueError(f"unknown {what} {sorted(unknown)}; {what} are {', '.join(known)}")
    return value


class Complainant(StrictModel):
    """The office that sends letters, and where the recipient answers it: a letter without a contact, a phone
    number and an address gives the platform no way to reply, so each is required."""

    office: str = Field(min_length=1)
    department: str = ""
    address: str = Field(min_length=1)
    contact: str = Field(min_length=1)
    phone: str = Field(min_length=1)


class Violation(StrictModel):
    name: str
    basis: list[str] = []

    @field_validator("basis", mode="before")
    @classmethod
    def _one_citation_a_line(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class Letter(StrictModel):
    title: str
    opening: str
    closing: str = ""


class TakedownConfig(StrictModel):
    complainant: Complainant
    letter: Letter
    follow_up: Letter
    deadline_days: int = Field(7, ge=1, le=365)
    violations: dict[str, Violation]

    @field_validator("violations")
    @classmethod
    def _known_labels(cls, value: dict[str, Violation]) -> dict[str, Violation]:
        return known_keys(value, LABELS, "labels")

    def violation(self, label: str) -> Violation:
        return self.violations.get(label) or Violation(name=LABEL_NAMES_ZH.get(label, label))


class Indicator(StrictModel):
    weight: float
    cap: float = Field(10.0, gt=0)


RISK_INDICATORS: tuple[str, ...] = ("leads", "persisting", "platforms", "labels", "impersonation", "licence")


class RiskConfig(StrictModel):
    indicators: dict[str, Indicator]
    classes: dict[str, float]
    trigger_class: str
    unreviewed_factor: float = Field(0.25, ge=0, le=1)

    @field_validator("indicators")
    @classmethod
    def _known_indicators(cls, value: dict[str, Indicator]) -> dict[str, Indicator]:
        return known_keys(value, RISK_INDICATORS, "indicators")

    @field_validator("classes")
    @classmethod
    def _ordered(cls, value: dict[str, float]) -> dict[str, float]:
        if not value:
            raise ValueError("at least one class")
        minimums = list(value.values())
        if minimums != sorted(minimums):
            raise ValueError("class minimums must increase from the first (lowest risk) to the last")
        return value

    @model_validator(mode="after")
    def _trigger_is_a_class(self) -> RiskConfig:
        if self.trigger_class not in self.classes:
            raise ValueError(f"trigger_class {self.trigger_class!r} is not one of {list(self.classes)}")
        return self

    def classify(self, score: float) -> str:
        """The highest class whose minimum `score` reaches."""
        chosen = next(iter(self.classes))
        for name, minimum in self.classes.items():
            if score >= minimum:
                chosen = name
        return chosen

    def triggers(self, risk_class: str) -> bool:
        order = list(self.classes)
        return risk_class in order and order.index(risk_class) >= order.index(self.trigger_class)


class RecheckConfig(StrictModel):
    """recheck.yaml: what is not per platform (a platform's removal markers are in its own YAML)."""

    unconfigured_removed_markers: list[str] = []
    timeout_seconds: float = Field(20, gt=0)


class CappedPoints(StrictModel):
    points: float = Field(ge=0)
    cap: int = Field(gt=0)


class RepeatOffender(StrictModel):
    per_other_lead: CappedPoints
    agency_class: dict[str, float]


class Recency(StrictModel):
    points: float = Field(ge=0)
    half_life_days: float = Field(gt=0)


class TriageConfig(StrictModel):
    """`config/casework/triage.yaml`: the points behind each lead's triage priority."""

    label_severity: dict[str, float]
    extra_labels: CappedPoints
    repeat_offender: RepeatOffender
    platform_reach: dict[str, float]
    recency: Recency
    complaint: float = Field(ge=0)

    @field_validator("label_severity")
    @classmethod
    def _known_labels(cls, value: dict[str, float]) -> dict[str, float]:
        return known_keys(value, LABELS, "labels")

    @field_validator("platform_reach", mode="before")
    @classmethod
    def _platform_keys_as_text(cls, value: Any) -> Any:
        if isinstance(value, dict):
            value = {str(k): v for k, v in value.items()}
            if "default" not in value:
                raise ValueError("needs a `default` entry for platforms not listed")
        return value

    def reach(self, platform: str | None) -> float:
        return self.platform_reach.get(str(platform or ""), self.platform_reach["default"])


Config = TypeVar("Config", bound=StrictModel)


def load_casework_file(model: type[Config], name: str, path: Path | None) -> Config:
    """The casework config file `name` (or the file at `path`), validated by `model`."""
    return load_model(model, path or config_dir() / "casework" / name)


def load_takedown_config(path: Path | None = None) -> TakedownConfig:
    return load_casework_file(TakedownConfig, "takedown.yaml", path)


def load_risk_config(path: Path | None = None) -> RiskConfig:
    return load_casework_file(RiskConfig, "risk.yaml", path)


def load_triage_config(path: Path | None = None) -> TriageConfig:
    return load_casework_file(TriageConfig, "triage.yaml", path)


def load_recheck_config(path: Path | None = None) -> RecheckConfig:
    return load_casework_file(RecheckConfig, "recheck.yaml", path)
