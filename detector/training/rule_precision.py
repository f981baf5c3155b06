"""Measuring the rule path (`detector.rule_path`): each content rule's precision where it fired in a soliciting
train or validation item, and the floors a held-out item would get from rules measured without its group."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np
from sklearn.model_selection import GroupKFold

from core.labels import CONTENT_LABELS
from detector.config import RulePathSettings
from detector.rule_path import RuleFloor, RulePath

FOLDS = 5


def fired_rules(rule_features: Sequence[Mapping[str, float]], rule_labels: Mapping[str, str]) -> list[list[str]]:
    """The content rules of a content label that fired in each text."""
    keys = [(f"rule:{rule}", rule) for rule, label in rule_labels.items() if label in CONTENT_LABELS]
    return [[rule for key, rule in keys if features.get(key)] for features in rule_features]


def measure(fired: Sequence[Sequence[str]], rows: Sequence[int], y: np.ndarray, weights: np.ndarray,
            solicitation: np.ndarray, rule_labels: Mapping[str, str], settings: RulePathSettings) -> RulePath:
    """The rule path measured on `rows`: the rules whose weighted precision, where they fired with solicitation
    at least the gate, reaches `settings.min_precision` over at least `settings.min_support` items. `y` holds the
    content labels in CONTENT_LABELS order (NaN where not known: not counted)."""
    hits: dict[str, float] = defaultdict(float)
    total: dict[str, float] = defaultdict(float)
    support: dict[str, int] = defaultdict(int)
    for row in rows:
        if solicitation[row] < settings.solicitation:
            continue
        for rule in fired[row]:
            known = y[row, CONTENT_LABELS.index(rule_labels[rule])]
            if np.isnan(known):
                continue
            total[rule] += weights[row]
            support[rule] += 1
            hits[rule] += weights[row] * known
    kept = {rule: RuleFloor(label=rule_labels[rule], precision=round(hits[rule] / total[rule], 4),
                            support=support[rule])
            for rule in sorted(total)
            if support[rule] >= settings.min_support and hits[rule] / total[rule] >= settings.min_precision}
    return RulePath(settings.solicitation, kept)


def out_of_fold_floors(fired: Sequence[Sequence[str]], y: np.ndarray, weights: np.ndarray, solicitation: np.ndarray,
                       rule_labels: Mapping[str, str], settings: RulePathSettings, groups: Sequence[str],
                       rule_features: Sequence[Mapping[str, float]]) -> np.ndarray:
    """(n_items, len(CONTENT_LABELS)) floors of each item from the rule path measured on the other groups
    (`FOLDS` folds grouped as the stackers' are), so that the out-of-fold figures count the path honestly."""
    floors = np.zeros((len(fired), len(CONTENT_LABELS)))
    rows = np.arange(len(fired))
    folds = min(FOLDS, len(set(groups)))
    if folds < 2:
        return floors
    for fit, held in GroupKFold(n_splits=folds).split(rows, groups=groups):
        path = measure(fired, fit.tolist(), y, weights, solicitation, rule_labels, settings)
        floors[held] = path.floors([rule_features[row] for row in held.tolist()], solicitation[held])
    return floors
