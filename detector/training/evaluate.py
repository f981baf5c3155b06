"""Evaluation: the template test split (per-label P/R/F1, hard-negative false-positive rate, obfuscated recall)
and the real-world test split (recall on quoted ads, false-positive rates on real hard negatives and lawful ads).

The detector is evaluated whole (`Detector`: normalisation, rules, model, registry lookup for
`unlicensed_agency`), next to the plain keyword baseline, on the same items.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from core.labels import CONTENT_LABELS, LABELS
from core.lead import Detection, Listing
from detector.training.corpus import Item, listing_of
from detector.training.real_corpus import RealItem

TARGETS = {"macro_f1": 0.92, "hard_negative_fpr": 0.05, "obfuscated_recall_gap": 0.05}
REAL_TARGETS = {"any_label_recall": 0.85, "hard_negative_fpr": 0.10}

DetectMany = Callable[[list[Listing]], list[Detection]]


@dataclass(frozen=True, slots=True)
class LabelScore:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(slots=True)
class EvalReport:
    """Figures of one system on the test split and on the obfuscated copy of its positive items."""

    system: str
    items: int
    per_label: dict[str, LabelScore]
    macro_f1: float
    hard_negatives: int
    hard_negatives_flagged: int
    hard_negative_fpr: float
    positive_items: int
    clean_recall: float
    obfuscated_recall: float
    obfuscated_per_label: dict[str, float] = field(default_factory=dict)

    @property
    def obfuscated_gap(self) -> float:
        return self.clean_recall - self.obfuscated_recall

    def meets_targets(self) -> dict[str, bool]:
        return {
            "macro_f1": self.macro_f1 >= TARGETS["macro_f1"],
            "hard_negative_fpr": self.hard_negative_fpr <= TARGETS["hard_negative_fpr"],
            "obfuscated_recall_gap": self.obfuscated_gap <= TARGETS["obfuscated_recall_gap"],
        }

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["obfuscated_gap"] = round(self.obfuscated_gap, 4)
        data["meets_targets"] = self.meets_targets()
        return data


@dataclass(frozen=True, slots=True)
class Share:
    """`hits` of `total` items (flagged, or found), and the share."""

    hits: int
    total: int

    @property
    def rate(self) -> float:
        return round(self.hits / self.total, 4) if self.total else 0.0


@dataclass(slots=True)
class RealReport:
    """Figures of one system on the real-world test split. Content labels only: the passages carry no seller, so
    `unlicensed_agency` (a registry lookup) is not judged here."""

    system: str
    items: int
    any_label_recall: Share  # quoted ads (voice ad_verbatim) flagged with any label
    label_recall: dict[str, Share]  # per gold label of the quoted ads: that label found
    hard_negatives: Share  # hard negatives flagged with any label
    lawful_ads: Share
    unrelated: Share
    paraphrases: Share  # someone else's wording of an ad (ad_paraphrase), flagged with any label: not headline

    def meets_targets(self) -> dict[str, bool]:
        return {
            "any_label_recall": self.any_label_recall.rate >= REAL_TARGETS["any_label_recall"],
            "hard_negative_fpr": self.hard_negatives.rate <= REAL_TARGETS["hard_negative_fpr"],
        }

    def as_dict(self) -> dict[str, Any]:
        def share(value: Share) -> dict[str, Any]:
            return {"hits": value.hits, "total": value.total, "rate": value.rate}

        return {
            "system": self.system, "items": self.items,
            "any_label_recall": share(self.any_label_recall),
            "label_recall": {label: share(value) for label, value in self.label_recall.items()},
            "hard_negative_fpr": share(self.hard_negatives), "lawful_ad_fpr": share(self.lawful_ads),
            "unrelated_fpr": share(self.unrelated), "paraphrase_recall": share(self.paraphrases),
            "meets_targets": self.meets_targets(),
        }


def evaluate_real(system: str, detect_many: DetectMany, items: Sequence[RealItem], batch_size: int = 256,
                  advance: Callable[[int], None] | None = None) -> RealReport:
    """Run `detect_many` over real-world items (title and text, no seller) and score the content labels."""
    listings: list[Listing] = [{"id": item.id, "title": item.title, "text": item.text} for item in items]
    predicted: list[set[str]] = []
    for start in range(0, len(listings), batch_size):
        batch = listings[start:start + batch_size]
        predicted.extend(set(result.labels) & set(CONTENT_LABELS) for result in detect_many(batch))
        if advance is not None:
            advance(len(batch))
    quoted = [(set(item.labels) & set(CONTENT_LABELS), found) for item, found in zip(items, predicted)
              if item.kind == "violation" and item.voice == "ad_verbatim"]

    def flagged(kind: str) -> Share:
        rows = [found for item, found in zip(items, predicted) if item.kind == kind]
        return Share(sum(1 for found in rows if found), len(rows))

    paraphrased = [found for item, found in zip(items, predicted)
                   if item.kind == "violation" and item.voice == "ad_paraphrase"]
    return RealReport(
        system=system,
        items=len(items),
        any_label_recall=Share(sum(1 for _, found in quoted if found), len(quoted)),
        label_recall={label: Share(sum(1 for gold, found in quoted if label in gold and label in found),
                                   sum(1 for gold, _ in quoted if label in gold))
                      for label in CONTENT_LABELS if any(label in gold for gold, _ in quoted)},
        hard_negatives=flagged("hard_negative"),
        lawful_ads=flagged("lawful_ad"),
        unrelated=flagged("unrelated"),
        paraphrases=Share(sum(1 for found in paraphrased if found), len(paraphrased)),
    )


def label_scores(gold: Sequence[set[str]], predicted: Sequence[set[str]],
                 labels: Iterable[str] = LABELS) -> dict[str, LabelScore]:
    scores = {}
    for label in labels:
        tp = sum(1 for g, p in zip(gold, predicted) if label in g and label in p)
        fp = sum(1 for g, p in zip(gold, predicted) if label not in g and label in p)
        fn = sum(1 for g, p in zip(gold, predicted) if label in g and label not in p)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        scores[label] = LabelScore(round(precision, 4), round(recall, 4), round(f1, 4), tp + fn)
    return scores


def micro_recall(gold: Sequence[set[str]], predicted: Sequence[set[str]]) -> float:
    positives = sum(len(g) for g in gold)
    found = sum(len(g & p) for g, p in zip(gold, predicted))
    return round(found / positives, 4) if positives else 0.0


def evaluate(system: str, detect_many: DetectMany, test: Sequence[Item], obfuscated: Sequence[Item],
             batch_size: int = 256, advance: Callable[[int], None] | None = None) -> EvalReport:
    """Run `detect_many` over the test items and the obfuscated copies and score the labels it returns."""
    predicted = predicted_labels(detect_many, test, batch_size, advance)
    gold = [set(item.labels) for item in test]
    per_label = label_scores(gold, predicted)
    hard = [p for item, p in zip(test, predicted) if item.kind == "hard_negative"]
    positives = {item.id: (set(item.labels), p) for item, p in zip(test, predicted) if item.labels}
    kept = [item for item in obfuscated if item.id in positives]
    obfuscated_predicted = predicted_labels(detect_many, kept, batch_size, advance)
    clean_gold = [positives[item.id][0] for item in kept]
    clean_pred = [positives[item.id][1] for item in kept]
    obfuscated_labels = label_scores(clean_gold, obfuscated_predicted)
    return EvalReport(
        system=system,
        items=len(test),
        per_label=per_label,
        macro_f1=round(sum(s.f1 for s in per_label.values()) / len(per_label), 4),
        hard_negatives=len(hard),
        hard_negatives_flagged=sum(1 for p in hard if p),
        hard_negative_fpr=round(sum(1 for p in hard if p) / len(hard), 4) if hard else 0.0,
        positive_items=len(kept),
        clean_recall=micro_recall(clean_gold, clean_pred),
        obfuscated_recall=micro_recall(clean_gold, obfuscated_predicted),
        obfuscated_per_label={label: s.recall for label, s in obfuscated_labels.items()},
    )


def predicted_labels(detect_many: DetectMany, items: Sequence[Item], batch_size: int = 256,
                     advance: Callable[[int], None] | None = None) -> list[set[str]]:
    """The labels `detect_many` gives each item, in batches."""
    labels: list[set[str]] = []
    for start in range(0, len(items), batch_size):
        batch = [listing_of(item) for item in items[start:start + batch_size]]
        labels.extend(set(result.labels) for result in detect_many(batch))
        if advance is not None:
            advance(len(batch))
    return labels


def sub_model_scores(classifier: Any, texts: Sequence[str], rule_features: Sequence[Mapping[str, float]],
                     items: Sequence[Item]) -> dict[str, dict[str, LabelScore]]:
    """Test figures of each part of the classifier alone (spaCy, char n-grams at 0.5; rules at 0.5; stacked)."""
    from detector.classifier import MODEL_LABELS
    from detector.training.train import targets

    spacy_p, ngram_p, _ = classifier.base_probabilities(list(texts))
    stacked = classifier.predict(list(texts), list(rule_features))
    y = targets(items)
    gold = [{label for j, label in enumerate(MODEL_LABELS) if y[i, j]} for i in range(len(items))]
    parts = {
        "spacy_textcat": [{label for j, label in enumerate(MODEL_LABELS) if spacy_p[i, j] >= 0.5}
                          for i in range(len(items))],
        "char_ngram_lr": [{label for j, label in enumerate(MODEL_LABELS) if ngram_p[i, j] >= 0.5}
                          for i in range(len(items))],
        "rules": [{label for label in MODEL_LABELS if f.get(f"label:{label}", 0.0) >= 0.5} for f in rule_features],
        "stacked": [{label for label in MODEL_LABELS if s[label] >= classifier.thresholds[label]} for s in stacked],
    }
    return {name: label_scores(gold, predicted, MODEL_LABELS) for name, predicted in parts.items()}
