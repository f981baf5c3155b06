"""The rule path (`detector.rule_path`, measured by `detector.training.rule_precision`): a rule that was precise where
it fired in soliciting train items sets a floor under its label's score in a soliciting text, and nowhere else.
Rule ids and figures are made up for the test; the detector's own behaviour is in test_detector_rule_path_voice."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from core.config import ConfigError
from core.labels import CONTENT_LABELS
from detector.config import RulePathSettings
from detector.rule_path import RuleFloor, RulePath
from detector.training.rule_precision import fired_rules, measure, out_of_fold_floors

INSIDER = CONTENT_LABELS.index("insider_channel")
ABNORMAL = CONTENT_LABELS.index("abnormal_filing")
LABELS = {"insider.refund": "insider_channel", "abnormal.offer": "abnormal_filing", "offers.agency":
          "offers_patent_agency"}
SETTINGS = RulePathSettings(min_precision=0.95, min_support=3, solicitation=0.5)
ANY_SUPPORT = RulePathSettings(min_precision=0.95, min_support=1, solicitation=0.5)


def path() -> RulePath:
    return RulePath(0.5, {"insider.refund": RuleFloor(label="insider_channel", precision=0.97, support=40)})


def test_a_kept_rule_in_a_soliciting_text_sets_its_precision_as_the_floor() -> None:
    floors = path().floors([{"rule:insider.refund": 1.0}], np.array([0.8]))
    assert floors[0, INSIDER] == 0.97
    assert floors[0].sum() == 0.97  # no other label


def test_the_same_rule_in_a_text_that_does_not_solicit_sets_no_floor() -> None:
    assert not path().floors([{"rule:insider.refund": 1.0}], np.array([0.49])).any()


def test_a_rule_not_kept_or_not_fired_sets_no_floor() -> None:
    floors = path().floors([{"rule:abnormal.offer": 1.0}, {"rule:insider.refund": 0.0}, {}], np.ones(3))
    assert not floors.any()


def test_the_rule_path_round_trips_through_json_and_refuses_a_wrong_field() -> None:
    assert RulePath.from_json(json.loads(json.dumps(path().to_json())), "model.json") == path()
    wrong = {"solicitation": 0.5, "rules": {"x": {"label": "offers_patent_agency", "precision": 1.0, "support": 3}}}
    with pytest.raises(ConfigError, match=r"model.json: field 'rule_path': rules.x.label"):
        RulePath.from_json(wrong, "model.json")
    with pytest.raises(ConfigError, match=r"field 'rule_path': solicitation"):
        RulePath.from_json({"solicitation": 2, "rules": {}}, "model.json")


def _corpus() -> tuple[list[dict[str, float]], np.ndarray, np.ndarray, np.ndarray]:
    """Ten soliciting items where insider.refund fired: nine insider ads and one (real, weight 8) lawful ad; five
    where abnormal.offer fired, all abnormal_filing; three more abnormal.offer items in warnings (solicitation 0.1)
    with no label; offers.agency everywhere (not a content label)."""
    features: list[dict[str, float]] = []
    y, weights, solicitation = [], [], []
    for index in range(10):
        features.append({"rule:insider.refund": 1.0, "rule:offers.agency": 1.0})
        y.append([0.0] * len(CONTENT_LABELS))
        y[-1][INSIDER] = float(index < 9)
        weights.append(8.0 if index == 9 else 1.0)
        solicitation.append(0.9)
    for _ in range(5):
        features.append({"rule:abnormal.offer": 1.0})
        y.append([0.0] * len(CONTENT_LABELS))
        y[-1][ABNORMAL] = 1.0
        weights.append(1.0)
        solicitation.append(0.7)
    for _ in range(3):
        features.append({"rule:abnormal.offer": 1.0})
        y.append([0.0] * len(CONTENT_LABELS))
        weights.append(1.0)
        solicitation.append(0.1)
    return features, np.array(y), np.array(weights), np.array(solicitation)


def test_training_keeps_the_rules_precise_in_soliciting_items_weighting_real_ones() -> None:
    features, y, weights, solicitation = _corpus()
    fired = fired_rules(features, LABELS)
    assert fired[0] == ["insider.refund"]  # offers.agency is no content label
    kept = measure(fired, range(len(fired)), y, weights, solicitation, LABELS, SETTINGS)
    # insider.refund: 9 of 17 by weight (the real lawful ad counts 8); abnormal.offer: 5 of 5 soliciting items,
    # the warnings below the gate not counted.
    assert kept.rules == {"abnormal.offer": RuleFloor(label="abnormal_filing", precision=1.0, support=5)}
    assert kept.solicitation == 0.5
    fewer = measure(fired, range(len(fired)), y, weights, solicitation, LABELS,
                    SETTINGS.model_copy(update={"min_support": 6}))
    assert fewer.rules == {}
    plain = measure(fired, range(len(fired)), y, np.ones(len(fired)), solicitation, LABELS,
                    SETTINGS.model_copy(update={"min_precision": 0.9}))
    assert plain.rules["insider.refund"].precision == 0.9


def test_out_of_fold_floors_come_from_rules_measured_without_the_items_group() -> None:
    features, y, weights, solicitation = _corpus()
    fired = fired_rules(features, LABELS)
    # abnormal.offer fires in one group only: measured without it, it has no support, so no floor anywhere.
    groups = [f"g{index % 5}" if index < 10 else "abnormal" for index in range(len(fired))]
    floors = out_of_fold_floors(fired, y, weights, solicitation, LABELS, ANY_SUPPORT, groups, features)
    assert not floors[:, ABNORMAL].any()
    spread = [f"g{index % 5}" for index in range(len(fired))]
    floors = out_of_fold_floors(fired, y, weights, solicitation, LABELS, ANY_SUPPORT, spread, features)
    assert (floors[10:15, ABNORMAL] == 1.0).all() and not floors[15:].any()


def test_detector_yaml_refuses_a_wrong_rule_path_setting(tmp_path: Path) -> None:
    from core.settings import project_root
    from detector.config import load_detector_file

    directory = tmp_path / "config"
    shutil.copytree(project_root() / "config" / "detector", directory / "detector")
    path_ = directory / "detector" / "detector.yaml"
    path_.write_text(path_.read_text(encoding="utf-8").replace("min_precision: 0.98", "min_precision: 1.5"),
                     encoding="utf-8")
    with pytest.raises(ConfigError, match=r"detector.yaml: rule_path.min_precision"):
        load_detector_file(directory)
