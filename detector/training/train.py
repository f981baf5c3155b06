"""Train the detector's models: spaCy textcat and char n-gram regression, then a stacker and thresholds.

Inputs are built by the Detector itself (`Detector.model_inputs`): the normalised title and text joined by a line
break, and the RuleEngine's features of that text, exactly as at detection.
"""
from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from core.config import ConfigError
from core.labels import CONTENT_LABELS, SOLICITATION
from core.settings import config_dir
from detector.classifier import (
    MODEL_LABELS,
    SOLICITATION_FEATURES,
    STACK_FEATURES,
    TEXT_TARGETS,
    CharNgramModel,
    LabelClassifier,
    Stacker,
    gated,
    make_vectorizer,
    solicitation_features,
    stack_features,
)
from detector.config import RulePathSettings, load_detector_file
from detector.rule_path import RulePath
from detector.training.corpus import Item, listing_of
from detector.training.rule_precision import fired_rules, measure, out_of_fold_floors

TEXTCAT_CONFIG = Path(__file__).with_name("textcat.cfg")
THRESHOLD_GRID = np.round(np.arange(0.10, 0.91, 0.01), 2)
F1_TOLERANCE = 0.01
TRAIN_FOLDS = 3
# Hard negatives count this many times in the text models' training: they are what precision is made of.
HARD_NEGATIVE_WEIGHT = 3
# A real-world passage counts this many times in the text models and the stackers: a few hundred of them stand
# against thousands of template items, and they are what the detector meets in use.
REAL_WEIGHT = 8
# A written item (models/data/written/: writing apart from the templates' hands, not real) counts this many times.
# It counted as much as a real passage until its 2,560 items outweighed the 14,000 templates; out of fold, a lower
# weight flagged fewer real hard negatives for as many real ads (detector/HISTORY.md, 2026-12-07 session 21).
WRITTEN_WEIGHT = 2
GROUP_WEIGHTS = {"real": REAL_WEIGHT, "written": WRITTEN_WEIGHT}
# Used when validation has no positive of a label (tiny corpora): average the two models, trust the rules.
FALLBACK_WEIGHTS = [0.4, 0.3, 0.3, 2.0, -1.0, *([0.0] * (len(STACK_FEATURES) - 5))]
# The same for the solicitation stacker: average the two text models.
SOLICITATION_FALLBACK = [0.5, 0.5, *([0.0] * (len(SOLICITATION_FEATURES) - 2))]

Stage = Callable[[str], None]


def model_inputs(items: Sequence[Item], directory: Path | None = None) -> tuple[list[str], list[dict[str, float]]]:
    """Normalised texts and rule features of corpus items, made by the Detector exactly as at detection."""
    from detector.detector import Detector

    detector = Detector.load(directory, rules_only=True)
    return detector.model_inputs(listing_of(item) for item in items)


def targets(items: Sequence[Item]) -> np.ndarray:
    """(n_items, len(TEXT_TARGETS)) matrix: content labels, offers_patent_agency (0/1, NaN when not known), then
    solicitation (0/1, NaN when the item's genre is not known)."""
    return np.array(
        [[float(label in item.labels) for label in MODEL_LABELS[:-1]]
         + [np.nan if item.offers_patent_agency is None else float(item.offers_patent_agency)]
         + [np.nan if item.solicits is None else float(item.solicits)]
         for item in items]
    ).reshape(len(items), len(TEXT_TARGETS))


def train_textcat(texts: Sequence[str], y: np.ndarray, config_path: Path = TEXTCAT_CONFIG,
                  repeats: Sequence[int] | None = None):
    """The spaCy multi-label text classifier of `config_path`, trained on `texts` (each shown `repeats` times)."""
    from spacy.pipeline import TextCategorizer
    from spacy.training import Example
    from spacy.util import fix_random_seed, load_config, load_model_from_config, minibatch

    config = load_config(config_path)
    training = config["training"]
    fix_random_seed(training["seed"])
    nlp = load_model_from_config(config, auto_fill=True, validate=True)
    textcat = nlp.get_pipe("textcat_multilabel")
    assert isinstance(textcat, TextCategorizer)
    for target in TEXT_TARGETS:
        textcat.add_label(target)
    # A target not known for an item (NaN) is left out of its cats: spaCy counts it as missing, not as 0.
    examples = [
        Example.from_dict(nlp.make_doc(text),
                          {"cats": {t: float(v) for t, v in zip(TEXT_TARGETS, row) if not np.isnan(v)}})
        for text, row in zip(texts, y)
    ]
    if repeats is not None:
        examples = [example for example, count in zip(examples, repeats) for _ in range(count)]
    optimizer = nlp.initialize(lambda: examples)
    rng = random.Random(training["seed"])
    for _ in range(training["max_epochs"]):
        rng.shuffle(examples)
        for batch in minibatch(examples, size=64):
            nlp.update(batch, drop=training["dropout"], sgd=optimizer)
    return nlp


def train_char_ngrams(texts: Sequence[str], y: np.ndarray, weights: Sequence[float] | None = None
                      ) -> CharNgramModel:
    """TF-IDF char 1-3-grams and one balanced logistic regression per target, on the items where the target is
    known (a constant for a one-class target)."""
    vectorizer = make_vectorizer()
    matrix = vectorizer.fit_transform(texts)
    sample_weights = np.ones(len(texts)) if weights is None else np.asarray(weights, dtype=np.float64)
    coef, intercept = [], []
    for column in range(y.shape[1]):
        known = ~np.isnan(y[:, column])
        values = y[known, column]
        if len(set(values)) < 2:
            coef.append(np.zeros(matrix.shape[1]))
            intercept.append(5.0 if values.size and values[0] else -5.0)
            continue
        model = LogisticRegression(C=2.0, class_weight="balanced", max_iter=2000)
        model.fit(matrix[known], values, sample_weight=sample_weights[known])
        coef.append(model.coef_[0])
        intercept.append(model.intercept_[0])
    return CharNgramModel.from_vectorizer(vectorizer, np.array(coef), np.array(intercept), TEXT_TARGETS)


def fit_stacker(probabilities: np.ndarray, rule_features: Sequence[dict[str, float]], texts: Sequence[str],
                y: np.ndarray, groups: Sequence[str], weights: Sequence[float] | None = None,
                rule_labels: dict[str, str] | None = None, rule_path: RulePathSettings | None = None,
                ) -> tuple[Stacker, dict[str, float], dict[str, np.ndarray], RulePath | None]:
    """The solicitation stacker, then one stacker per label (reading the solicitation score), each fitted on the
    held-out base predictions `probabilities` (3, n_items, len(TEXT_TARGETS)). Then, with `rule_path`
    settings (enabled) and the content rules' labels, the rule path measured on every item at the out-of-fold
    solicitation scores; the out-of-fold scores take the floors of a path measured without the item's group.
    Last, thresholds chosen on those grouped out-of-fold scores (claim times solicitation, floors included: the
    scores detection gives), items weighted by `weights`.
    Returns the stacker, the thresholds, the out-of-fold scores and the rule path (None without one)."""
    spacy_p, ngram_p, chunk_p = probabilities
    sample_weights = np.ones(len(texts)) if weights is None else np.asarray(weights, dtype=np.float64)
    column = TEXT_TARGETS.index(SOLICITATION)
    fitted: dict[str, tuple[list[float], float]] = {}
    out_of_fold: dict[str, np.ndarray] = {}
    x = solicitation_features(spacy_p[:, column], ngram_p[:, column], rule_features, texts)
    fitted[SOLICITATION], out_of_fold[SOLICITATION] = _fit_one(x, y[:, column], groups, sample_weights,
                                                               SOLICITATION_FALLBACK)
    for column, label in enumerate(MODEL_LABELS):
        x = stack_features(label, spacy_p[:, column], ngram_p[:, column], chunk_p[:, column], rule_features,
                           out_of_fold[SOLICITATION])
        fitted[label], claim = _fit_one(x, y[:, column], groups, sample_weights, FALLBACK_WEIGHTS)
        out_of_fold[label] = gated(claim, out_of_fold[SOLICITATION])
    stacker = Stacker({name: w for name, (w, _) in fitted.items()}, {name: b for name, (_, b) in fitted.items()})
    path = None
    if rule_path is not None and rule_path.enabled and rule_labels:
        fired = fired_rules(rule_features, rule_labels)
        content_y = y[:, :len(CONTENT_LABELS)]
        floors = out_of_fold_floors(fired, content_y, sample_weights, out_of_fold[SOLICITATION], rule_labels,
                                    rule_path, groups, rule_features)
        for column, label in enumerate(CONTENT_LABELS):
            out_of_fold[label] = np.maximum(out_of_fold[label], floors[:, column])
        path = measure(fired, range(len(texts)), content_y, sample_weights, out_of_fold[SOLICITATION], rule_labels,
                       rule_path)
    # Chosen last, on the scores detection gives (the rule path's floors included), weighted like the stackers.
    thresholds: dict[str, float] = {}
    for column, label in enumerate(MODEL_LABELS):
        target = y[:, column]
        thresholds[label] = (best_threshold(out_of_fold[label], target, sample_weights) if len(set(target)) > 1
                             else 0.5)
    return stacker, thresholds, out_of_fold, path


def _fit_one(x: np.ndarray, target: np.ndarray, groups: Sequence[str], weights: np.ndarray,
             fallback: list[float]) -> tuple[tuple[list[float], float], np.ndarray]:
    """One logistic stacker on the rows whose target is known, and its grouped out-of-fold scores for every row
    (the `fallback` weights where a fold or the data has a single class)."""
    known = ~np.isnan(target)
    rows = np.flatnonzero(known)
    plain = Stacker({"_": fallback}, {"_": 0.0})
    folds = min(5, len({groups[i] for i in rows.tolist()}))
    if len(set(target[known])) < 2 or folds < 2:
        return (list(fallback), 0.0), plain.predict("_", x)
    model = LogisticRegression(C=1.0, max_iter=1000).fit(x[rows], target[rows], sample_weight=weights[rows])
    full = Stacker({"_": list(model.coef_[0])}, {"_": float(model.intercept_[0])})
    # Rows with no known target get the full model's scores; known rows their held-out scores.
    oof = full.predict("_", x)
    row_groups = [groups[i] for i in rows.tolist()]
    for fit_part, held_part in GroupKFold(n_splits=folds).split(rows, target[rows], row_groups):
        fit_rows, held_rows = rows[fit_part], rows[held_part]
        if len(set(target[fit_rows])) < 2:
            oof[held_rows] = plain.predict("_", x[held_rows])
            continue
        fold_model = LogisticRegression(C=1.0, max_iter=1000).fit(
            x[fit_rows], target[fit_rows], sample_weight=weights[fit_rows])
        oof[held_rows] = fold_model.predict_proba(x[held_rows])[:, 1]
    return ([round(float(w), 6) for w in model.coef_[0]], round(float(model.intercept_[0]), 6)), oof


def best_threshold(scores: np.ndarray, target: np.ndarray, weights: np.ndarray | None = None) -> float:
    """The middle of the thresholds of THRESHOLD_GRID within F1_TOLERANCE of the best F1, items counted by `weights`.

    Held-out templates still resemble the training ones, so many thresholds look equally good. The highest of them
    was taken until 2026-12-06 to keep precision on unseen wording, but on text written by other hands the
    detector's errors are misses far more than false alarms, and with a flat F1 curve the highest moved by up to
    0.2 from one retraining to the next (insider_channel 0.47 to 0.67; detector/HISTORY.md, 2026-12-06 night); the
    middle of the plateau moves least. The weights are the stackers' (real passages and written items count
    GROUP_WEIGHTS times): thousands of template items otherwise decide alone where the texts written by other hands
    are cut.
    """
    counted = np.ones(len(scores)) if weights is None else np.asarray(weights, dtype=np.float64)
    positive, negative = counted * (target == 1), counted * (target == 0)
    f1_list = []
    for threshold in THRESHOLD_GRID:
        predicted = scores >= threshold
        tp = float(positive[predicted].sum())
        fp = float(negative[predicted].sum())
        fn = float(positive[~predicted].sum())
        f1_list.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    f1s = np.array(f1_list)
    plateau = np.flatnonzero(f1s >= f1s.max() - F1_TOLERANCE)
    return float(THRESHOLD_GRID[plateau[len(plateau) // 2]])


def item_weights(items: Sequence[Item]) -> list[int]:
    """Weights of the text models' training: hard negatives, real-world passages and written items count more."""
    return [GROUP_WEIGHTS.get(item.group, 1) * (HARD_NEGATIVE_WEIGHT if item.kind == "hard_negative" else 1)
            for item in items]


def stack_weights(items: Sequence[Item]) -> list[int]:
    """Weights of the stackers' training: real-world passages and written items count more."""
    return [GROUP_WEIGHTS.get(item.group, 1) for item in items]


def fold_of(items: Sequence[Item], train_folds: int) -> list[int]:
    """Cross-fitting fold per item: validation items form fold 0, train templates are hashed into 1..train_folds."""
    folds = []
    for item in items:
        first = item.template_id.split("+")[0]
        if item.split == "validation":
            folds.append(0)
        else:
            folds.append(1 + int(hashlib.sha1(first.encode()).hexdigest(), 16) % train_folds)
    return folds


def out_of_fold_probabilities(items: Sequence[Item], texts: Sequence[str], y: np.ndarray, folds: Sequence[int],
                              textcat_config: Path, stage: Stage) -> np.ndarray:
    """(3, n_items, len(TEXT_TARGETS)) spaCy / n-gram / sentence-max n-gram probabilities, each from models that
    saw none of the item's templates."""
    out = np.zeros((3, len(items), len(TEXT_TARGETS)))
    parts = [set(item.template_id.split("+")) for item in items]
    fold_ids = sorted(set(folds))
    all_weights = item_weights(items)
    for number, fold in enumerate(fold_ids, start=1):
        stage(f"cross-fitting {number}/{len(fold_ids)}")
        held = [i for i, f in enumerate(folds) if f == fold]
        held_templates = set().union(*(parts[i] for i in held))
        fit = [i for i in range(len(items)) if folds[i] != fold and not parts[i] & held_templates]
        weights = [all_weights[i] for i in fit]
        model = LabelClassifier(
            train_textcat([texts[i] for i in fit], y[fit], textcat_config, weights),
            train_char_ngrams([texts[i] for i in fit], y[fit], weights),
            Stacker({}, {}), {},
        )
        probabilities = model.base_probabilities([texts[i] for i in held])
        for k in range(3):
            out[k, held] = probabilities[k]
    return out


def cross_validation_report(items: Sequence[Item], y: np.ndarray, scores: dict[str, np.ndarray],
                            thresholds: dict[str, float]) -> dict[str, object]:
    """Out-of-fold figures on train + validation at the chosen thresholds (no test item involved)."""
    report: dict[str, object] = {}
    flagged = np.zeros(len(items), dtype=bool)
    for column, label in enumerate(MODEL_LABELS):
        predicted = scores[label] >= thresholds[label]
        target = y[:, column] == 1
        tp, fp, fn = (float(np.sum(a & b)) for a, b in ((predicted, target), (predicted, ~target),
                                                          (~predicted, target)))
        report[label] = {"precision": round(tp / (tp + fp), 4) if tp + fp else 0.0,
                         "recall": round(tp / (tp + fn), 4) if tp + fn else 0.0,
                         "f1": round(2 * tp / (2 * tp + fp + fn), 4) if tp else 0.0}
        if label != MODEL_LABELS[-1]:
            flagged |= predicted
    hard = np.array([item.kind == "hard_negative" for item in items])
    report["hard_negative_fpr"] = round(float(flagged[hard].mean()), 4) if hard.any() else 0.0
    real = np.array([item.group == "real" for item in items])
    real_positive = real & np.array([item.kind == "violation" for item in items])
    if real_positive.any():
        report["real_any_label_recall"] = round(float(flagged[real_positive].mean()), 4)
    if (real & hard).any():
        report["real_hard_negative_fpr"] = round(float(flagged[real & hard].mean()), 4)
    # The items behind those figures, for error analysis that never opens a test item (all are train or validation).
    written = np.array([item.group == "written" for item in items])
    violation = np.array([item.kind == "violation" for item in items])
    content = np.array([bool(item.labels) for item in items])  # unlicensed_agency alone is the registry's, not counted
    named = {"real_missed": real_positive & ~flagged, "real_hard_negatives_flagged": real & hard & flagged,
             "written_missed": written & content & ~flagged,
             "written_negatives_flagged": written & ~violation & flagged}
    if (real | written).any():
        report.update({key: sorted(items[row].id for row in np.flatnonzero(rows).tolist())
                       for key, rows in named.items()})
    known = ~np.isnan(y[:, -1])
    soliciting = scores[SOLICITATION] >= 0.5
    report[SOLICITATION] = {"accuracy": round(float(np.mean(soliciting[known] == (y[known, -1] == 1))), 4)
                            if known.any() else 0.0}
    return report


def train_classifier(train_items: Sequence[Item], validation_items: Sequence[Item],
                     config: Path | None = None, stage: Stage | None = None,
                     textcat_config: Path = TEXTCAT_CONFIG, train_folds: int = TRAIN_FOLDS) -> LabelClassifier:
    """Train every part of the LabelClassifier; `stage` is told what is happening (for progress display).

    Cross-fitting: the validation split and `train_folds` groups of train templates are each held out once;
    the stacker learns from the held-out predictions (models never saw those templates, as with real listings),
    and thresholds are chosen on its grouped out-of-fold scores. The final text models are trained on all items.
    """
    stage = stage or (lambda _: None)
    if not train_items or not validation_items:
        raise ConfigError("training needs items in both the train and the validation split")
    items = [*train_items, *validation_items]
    missing = [label for label, column in zip(MODEL_LABELS, targets(train_items).T) if len(set(column)) < 2]
    if missing:
        raise ConfigError(f"the train split needs positive and negative items of {', '.join(missing)}")
    stage("normalising and rule features")
    texts, features = model_inputs(items, config or config_dir())
    y = targets(items)
    folds = fold_of(items, train_folds)
    probabilities = out_of_fold_probabilities(items, texts, y, folds, textcat_config, stage)
    stage("fitting stacker and thresholds")
    groups = [item.template_id.split("+")[0] for item in items]
    settings, _ = load_detector_file(config or config_dir())
    stacker, thresholds, oof_scores, rule_path = fit_stacker(
        probabilities, features, texts, y, groups, stack_weights(items), content_rule_labels(config or config_dir()),
        settings.rule_path)
    stage("training final models")
    weights = item_weights(items)
    ngrams = train_char_ngrams(texts, y, weights)
    nlp = train_textcat(texts, y, textcat_config, weights)
    meta = {
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "train_items": len(train_items),
        "real_train_items": sum(1 for item in train_items if item.group == "real"),
        "reviewed_items": sum(1 for item in train_items if item.group == "review"),
        "written_train_items": sum(1 for item in train_items if item.group == "written"),
        "validation_items": len(validation_items),
        "cross_fitting_folds": len(set(folds)),
        "cross_validation": cross_validation_report(items, y, oof_scores, thresholds),
    }
    return LabelClassifier(nlp, ngrams, stacker, thresholds, meta, rule_path)


def content_rule_labels(directory: Path) -> dict[str, str]:
    """The label of each rule of the listing content (the rules whose firing is a `rule:<id>` feature)."""
    from detector.rules import RuleEngine

    return {rule.id: rule.label for rule in RuleEngine.from_config(directory).rules if "content" in rule.fields}
