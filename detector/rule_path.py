"""The rule path: a precise rule in the author's own voice sets a floor under its label's score.

The stacker weighs the rules' scores against two text models; on wording the text models never saw, their
confident "no" outweighs a rule that fired ("有无交底都可以", "不成功退款"). `lantian train` measures each content
rule's precision where it fired in a soliciting text (the share of those train and validation items, real and
written ones weighted as in the stackers, that carry the rule's label); a rule at or above `rule_path.min_precision`
of `config/detector/detector.yaml` with at least `min_support` such items is kept in `model.json` with its
precision. At detection, where a kept rule fired (rules never fire inside reported speech) and the solicitation
score is at least the gate, the label's score is at least that precision: the text models can raise the score
but no longer veto the rule. A text that does not solicit (a warning, a decision, news, a question) keeps the
stacker's score.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.config import ConfigError, describe
from core.labels import CONTENT_LABELS


class RuleFloor(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str = Field(pattern="^(" + "|".join(CONTENT_LABELS) + ")$")
    precision: float = Field(ge=0, le=1)
    support: int = Field(ge=1)


class RulePathFile(BaseModel):
    """The `rule_path` field of model.json."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    solicitation: float = Field(ge=0, le=1)
    rules: dict[str, RuleFloor]


@dataclass(frozen=True, slots=True)
class RulePath:
    """Kept rules (`rule id -> (label, precision)`) and the solicitation score a text needs for them to count."""

    solicitation: float
    rules: Mapping[str, RuleFloor]

    @classmethod
    def from_json(cls, data: Any, source: str) -> RulePath:
        try:
            parsed = RulePathFile.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(f"{source}: field 'rule_path': {describe(exc)}") from None
        return cls(parsed.solicitation, dict(parsed.rules))

    def to_json(self) -> dict[str, Any]:
        return {"solicitation": self.solicitation,
                "rules": {rule: floor.model_dump() for rule, floor in sorted(self.rules.items())}}

    def floors(self, rule_features: Sequence[Mapping[str, float]], solicitation: np.ndarray) -> np.ndarray:
        """(n_texts, len(CONTENT_LABELS)) the highest precision of a kept rule of each label that fired in each
        text whose solicitation score reaches the gate; 0 elsewhere."""
        out = np.zeros((len(rule_features), len(CONTENT_LABELS)))
        keys = [(f"rule:{rule}", CONTENT_LABELS.index(floor.label), floor.precision)
                for rule, floor in self.rules.items()]
        for row in np.flatnonzero(solicitation >= self.solicitation).tolist():
            features = rule_features[row]
            for key, column, precision in keys:
                if features.get(key) and precision > out[row, column]:
                    out[row, column] = precision
        return out
