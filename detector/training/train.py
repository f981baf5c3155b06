"""Train the detector's models: spaCy textcat and char n-gram regression on train, stacker and thresholds on validation.

Inputs are built by the Detector itself (`Detector.model_inputs`): the normalised title and text joined by a line
break, and the RuleEngine's features of that text, exactly as at detection.
"""
from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from detector.classifier import (
    MODEL_LABELS,
    CharNgramModel,
    LabelClassifier,
    Stacker,
    make_vectorizer,
    stack_features,
)
from detector.training.corpus import Item
from lantian.settings import ConfigError, config_dir

TEXTCAT_CONFIG = Path(__file__).with_name("textcat.cfg")
THRESHOLD_GRID = np.round(np.arange(0.10, 0.91, 0.01), 2)
F1_TOLERANCE = 0.01
# Used when validation has no positive of a label (tiny corpora): average the two models, trust the rules.
FALLBACK_WEIGHTS = [0.4, 0.3, 0.3, 2.0, -1.0]

Stage = Callable[[str], None]


def model_inputs(items: Sequence[Item], directory: Path | None = None) -> tuple[list[str], list[dict[str, float]]]:
    """Normalised texts and rule features of corpus items, made by the Detector exactly as at detection."""
    from detector.detector import Detector
    from detector.training.evaluate import listing_of

    detector = Detector.load(directory, rules_only=True)
    return detector.model_inputs(listing_of(item) for item in items)


def targets(items: Sequence[Item]) -> np.ndarray:
    """(n_items, len(MODEL_LABELS)) 0/1 matrix: content labels, then offers_patent_agency."""
    return np.array(
        [[float(label in item.labels) for label in MODEL_LABELS[:-1]] + [float(item.offers_patent_agency)]
         for item in items]
    )


def train_textcat(texts: Sequence[str], y: np.ndarray, config_path: Path = TEXTCAT_CONFIG):
    """The spaCy multi-label text classifier of `config_path`, trained on `texts`."""
    from spacy.training import Example
    from spacy.util import fix_random_seed, load_config, load_model_from_config, minibatch

    config = load_config(config_path)
    training = config["training"]
    fix_random_seed(training["seed"])
    nlp = load_model_from_config(config, auto_fill=True, validate=True)
    textcat = nlp.get_pipe("textcat_multilabel")
    for label in MODEL_LABELS:
        textcat.add_label(label)
    examples = [
        Example.from_dict(nlp.make_doc(text), {"cats": dict(zip(MODEL_LABELS, map(float, row)))})
        for text, row in zip(texts, y)
    ]
    optimizer = nlp.initialize(lambda: examples)
    rng = random.Random(training["seed"])
    for _ in range(training["max_epochs"]):
        rng.shuffle(examples)
        for batch in minibatch(examples, size=64):
            nlp.update(batch, drop=training["dropout"], sgd=optimizer)
    return nlp


def train_char_ngrams(texts: Sequence[str], y: np.ndarray) -> CharNgramModel:
    """TF-IDF char 1-3-grams and one balanced logistic regression per label."""
    vectorizer = make_vectorizer()
    matrix = vectorizer.fit_transform(texts)
    coef, intercept = [], []
    for column in range(y.shape[1]):
        if len(set(y[:, column])) < 2:
            raise ConfigError(f"training split has no positive (or no negative) item of {MODEL_LABELS[column]}")
        model = LogisticRegression(C=2.0, class_weight="balanced", max_iter=2000)
        model.fit(matrix, y[:, column])
        coef.append(model.coef_[0])
        intercept.append(model.intercept_[0])
    return CharNgramModel(vectorizer, np.array(coef), np.array(intercept), MODEL_LABELS)


def fit_stacker(features: dict[str, np.ndarray], y: np.ndarray, groups: Sequence[str],
                ) -> tuple[Stacker, dict[str, float], dict[str, np.ndarray]]:
    """Per-label stacker on validation, and thresholds chosen on its grouped out-of-fold predictions."""
    weights: dict[str, list[float]] = {}
    bias: dict[str, float] = {}
    thresholds: dict[str, float] = {}
    out_of_fold: dict[str, np.ndarray] = {}
    folds = min(5, len(set(groups)))
    for column, label in enumerate(MODEL_LABELS):
        x, target = features[label], y[:, column]
        if len(set(target)) < 2 or folds < 2:
            weights[label], bias[label] = list(FALLBACK_WEIGHTS), 0.0
            thresholds[label] = 0.5
            out_of_fold[label] = Stacker(weights, bias).predict(label, x)
            continue
        oof = np.zeros(len(target))
        for fit_rows, held_rows in GroupKFold(n_splits=folds).split(x, target, groups):
            if len(set(target[fit_rows])) < 2:
                oof[held_rows] = Stacker({label: FALLBACK_WEIGHTS}, {label: 0.0}).predict(label, x[held_rows])
                continue
            fold_model = LogisticRegression(C=1.0, max_iter=1000).fit(x[fit_rows], target[fit_rows])
            oof[held_rows] = fold_model.predict_proba(x[held_rows])[:, 1]
        model = LogisticRegression(C=1.0, max_iter=1000).fit(x, target)
        weights[label] = [round(float(w), 6) for w in model.coef_[0]]
        bias[label] = round(float(model.intercept_[0]), 6)
        thresholds[label] = best_threshold(oof, target)
        out_of_fold[label] = oof
    return Stacker(weights, bias), thresholds, out_of_fold


def best_threshold(scores: np.ndarray, target: np.ndarray) -> float:
    """The highest threshold of THRESHOLD_GRID within F1_TOLERANCE of the best F1.

    Validation comes from templates like the training ones, so many thresholds look equally good there; the
    highest of them keeps precision on wording the models have not seen (hard negatives above all).
    """
    f1s = []
    for threshold in THRESHOLD_GRID:
        predicted = scores >= threshold
        tp = float(np.sum(predicted & (target == 1)))
        fp = float(np.sum(predicted & (target == 0)))
        fn = float(np.sum(~predicted & (target == 1)))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    f1s = np.array(f1s)
    return float(THRESHOLD_GRID[np.flatnonzero(f1s >= f1s.max() - F1_TOLERANCE)[-1]])


def train_classifier(train_items: Sequence[Item], validation_items: Sequence[Item],
                     config: Path | None = None, stage: Stage | None = None,
                     textcat_config: Path = TEXTCAT_CONFIG) -> LabelClassifier:
    """Train every part of the LabelClassifier; `stage` is told what is happening (for progress display)."""
    stage = stage or (lambda _: None)
    if not train_items or not validation_items:
        raise ConfigError("training needs items in both the train and the validation split")
    directory = config or config_dir()
    stage("normalising and rule features")
    train_texts, _ = model_inputs(train_items, directory)
    val_texts, val_features = model_inputs(validation_items, directory)
    y_train, y_val = targets(train_items), targets(validation_items)
    stage("training character n-gram model")
    ngrams = train_char_ngrams(train_texts, y_train)
    stage("training spaCy textcat")
    nlp = train_textcat(train_texts, y_train, textcat_config)
    stage("fitting stacker and thresholds on validation")
    untrained = LabelClassifier(nlp, ngrams, Stacker({}, {}), {})
    spacy_p, ngram_p, chunk_p = untrained.base_probabilities(val_texts)
    features = {
        label: stack_features(label, spacy_p[:, i], ngram_p[:, i], chunk_p[:, i], val_features)
        for i, label in enumerate(MODEL_LABELS)
    }
    groups = [item.template_id for item in validation_items]
    stacker, thresholds, _ = fit_stacker(features, y_val, groups)
    meta = {
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "train_items": len(train_items),
        "validation_items": len(validation_items),
    }
    return LabelClassifier(nlp, ngrams, stacker, thresholds, meta)
