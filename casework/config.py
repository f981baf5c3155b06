"""Casework's config files under `config/casework/`, validated at load so a typo names its file and field."""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import Field, PrivateAttr, field_validator, model_validator

from core.config import ConfigError, StrictModel, load_model
from core.labels import LABEL_NAMES_ZH, LABELS
from core.settings import config_dir

Table = TypeVar("Table", bound=Mapping[str, Any])


def known_keys(value: Table, known: Sequence[str], what: str) -> Table:
    """A config table whose keys must be among `known` (`what` they are, for the message naming the others)."""
    unknown = set(value) - set(known)
    if unknown:
        raise ValueError(f"unknown {what} {sorted(unknown)}; {what} are {', '.join(known)}")
    return value


# A telephone number as a Chinese office writes it: a landline with its area code (021-12345678, (021)1234 5678,
# 021-12345678转123), a mobile number (13812345678) or a 400/800 service number (400-123-4567).
PHONE_NUMBER = re.compile(r"(?:0\d{2,3}-?|\(0\d{2,3}\))[2-9]\d{6,7}(?:(?:转|-)\d{1,6})?"
                          r"|1[3-9]\d{9}|[48]00-?\d{3}-?\d{4}")
# What stands in for details not filled in yet: an ellipsis, XX/×× or 某某 for a name, 待填/示例, or a number
# that is all zeros after its area code (the shipped 021-00000000).
PLACEHOLDER = re.compile(r"\.\.\.|…|[Xx×＊*]{2,}|某某|待填|待补|示例|样例|^\D*0\d{2,3}\D*0{7,8}$")


class Complainant(StrictModel):
    """The office that sends letters, and where the recipient answers it: a letter without a contact, a phone
    number and an address gives the platform no way to reply, so each is required, and the phone must be one."""

    office: str = Field(min_length=1)
    department: str = ""
    address: str = Field(min_length=1)
    contact: str = Field(min_length=1)
    phone: str = Field(min_length=1)

    @field_validator("office", "address", "contact", "phone")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("is blank")
        return value.strip()

    @field_validator("phone")
    @classmethod
    def _a_phone_number(cls, value: str) -> str:
        if not PLACEHOLDER.search(value) and not PHONE_NUMBER.fullmatch(re.sub(r"[\s\u3000]", "", value)):
            raise ValueError(f"{value!r} is not a telephone number (e.g. 021-23456789, 13812345678, "
                             "400-123-4567)")
        return value

    def unfilled(self) -> dict[str, str]:
        """The fields still holding placeholders (the shipped file's `...` address, its 021-00000000), by name:
        a letter printed with them tells the recipient nothing and must not go out."""
        values = {"office": self.office, "department": self.department, "address": self.address,
                  "contact": self.contact, "phone": self.phone}
        return {name: value for name, value in values.items() if PLACEHOLDER.search(value)}


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
    # 附注: the contact line below the date (GB/T 9704-2012 7.3.6), in brackets.
    note: str = ""


class TakedownConfig(StrictModel):
    complainant: Complainant
    letter: Letter
    follow_up: Letter
    deadline_days: int = Field(7, ge=1, le=365)
    violations: dict[str, Violation]
    # The file it was read from, for messages that name it.
    _source: Path = PrivateAttr(default=Path("takedown.yaml"))

    @field_validator("violations")
    @classmethod
    def _known_labels(cls, value: dict[str, Violation]) -> dict[str, Violation]:
        return known_keys(value, LABELS, "labels")

    def violation(self, label: str) -> Violation:
        return self.violations.get(label) or Violation(name=LABEL_NAMES_ZH.get(label, label))

    def check_sender(self, instead: str = "") -> None:
        """ConfigError naming the file and each field whose sender detail is still a placeholder: nothing is sent
        over details the recipient cannot answer. `instead` says what the caller can do meanwhile (a takedown
        letter can be written as a sample, marked 样稿; a complaint's answer cannot)."""
        unfilled = self.complainant.unfilled()
        if unfilled:
            fields = "; ".join(f"complainant.{name}: {value!r} is a placeholder" for name, value in unfilled.items())
            raise ConfigError(f"{self._source}: {fields}; fill in the office's own details before anything is "
                              f"sent{f' ({instead})' if instead else ''}")


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
    path = path or config_dir() / "casework" / "takedown.yaml"
    config = load_casework_file(TakedownConfig, "takedown.yaml", path)
    config._source = path
    return config


def load_risk_config(path: Path | None = None) -> RiskConfig:
    return load_casework_file(RiskConfig, "risk.yaml", path)


def load_triage_config(path: Path | None = None) -> TriageConfig:
    return load_casework_file(TriageConfig, "triage.yaml", path)


def load_recheck_config(path: Path | None = None) -> RecheckConfig:
    return load_casework_file(RecheckConfig, "recheck.yaml", path)
