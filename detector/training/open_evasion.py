"""Open-ended evasions: key terms respelled by sound, generated with pypinyin, to measure matching by sound.

Nothing here comes from `config/detector/normalize.yaml` or `detector/training/obfuscate.py`: spellings are made
from the terms' own pinyin. For each occurrence of a key term (the words the detector's rules look for) in a
positive item, with probability `EVADE_PROBABILITY` (at least one per item), one of:

- `homophone`: one character (sometimes more, sometimes all) replaced by another character read the same way
  (tones ignored), picked among the most frequent characters of that reading in jieba's dictionary
  (内部渠道 → 内布渠到);
- `mixed`: some characters written in pinyin (商biao局, zhuan利);
- `full_pinyin`: the whole term in pinyin, sometimes a space between syllables (neibuqudao, nei bu);
- `initials`: the first letters of its syllables, mostly upper case (ZL, GZJ).

Figures: recall on the evaded copies against clean recall on the same items, and the hard-negative
false-positive rate with sound matching against without it (`lantian eval`, "open-ended evasions").
"""
from __future__ import annotations

import copy
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from typing import Any

import jieba
from ahocorasick_rs import AhoCorasick
from pypinyin import Style, lazy_pinyin

from detector.training.corpus import Item
from detector.training.evaluate import DetectMany, micro_recall, predicted_labels

EVADE_PROBABILITY = 0.6
KINDS = {"homophone": 0.4, "mixed": 0.25, "full_pinyin": 0.15, "initials": 0.2}
HOMOPHONES_PER_READING = 30  # the most frequent characters of a reading; a seller's input method offers these
TARGET_GAP = 0.05


@lru_cache(maxsize=1)
def homophones() -> dict[str, tuple[str, ...]]:
    """Toneless reading → the most frequent characters read that way (by their first reading), most frequent
    first, from the single characters of jieba's dictionary."""
    counts: list[tuple[int, str]] = []
    with jieba.get_dict_file() as handle:
        for line in handle:
            word, count, *_ = line.decode("utf-8").split(" ")
            if len(word) == 1 and "\u4e00" <= word <= "\u9fff":
                counts.append((int(count), word))
    by_reading: dict[str, list[str]] = {}
    for _, char in sorted(counts, reverse=True):
        reading = lazy_pinyin(char, style=Style.NORMAL)[0]
        found = by_reading.setdefault(reading, [])
        if len(found) < HOMOPHONES_PER_READING:
            found.append(char)
    return {reading: tuple(chars) for reading, chars in by_reading.items()}


def _homophone(term: str, rng: random.Random) -> str:
    readings = lazy_pinyin(term, style=Style.NORMAL)
    count = 1 if rng.random() < 0.7 else rng.randint(1, len(term))
    positions = set(rng.sample(range(len(term)), count))
    chars = list(term)
    for position in positions:
        others = [c for c in homophones().get(readings[position], ()) if c != term[position]]
        if others:
            chars[position] = rng.choice(others)
    return "".join(chars)


def _mixed(term: str, rng: random.Random) -> str:
    readings = lazy_pinyin(term, style=Style.NORMAL)
    positions = set(rng.sample(range(len(term)), rng.randint(1, len(term) - 1)))
    return "".join(readings[i] if i in positions else char for i, char in enumerate(term))


def _full_pinyin(term: str, rng: random.Random) -> str:
    return (" " if rng.random() < 0.3 else "").join(lazy_pinyin(term, style=Style.NORMAL))


def _initials(term: str, rng: random.Random) -> str:
    letters = "".join(lazy_pinyin(term, style=Style.FIRST_LETTER))
    return letters.upper() if rng.random() < 0.7 else letters


RESPELL: dict[str, Callable[[str, random.Random], str]] = {
    "homophone": _homophone, "mixed": _mixed, "full_pinyin": _full_pinyin, "initials": _initials,
}


class OpenEvasion:
    """Respells the key terms of a text by sound; one instance per set of key terms."""

    def __init__(self, terms: Iterable[str]) -> None:
        self._automaton = AhoCorasick(list(dict.fromkeys(t for t in terms if len(t) >= 2)))

    def occurrences(self, text: str) -> list[tuple[int, int]]:
        """Key terms in the text, longest first where they overlap, left to right."""
        found = self._automaton.find_matches_as_indexes(text, overlapping=True)
        spans = sorted(((start, end) for _, start, end in found), key=lambda span: (span[0] - span[1], span[0]))
        chosen: list[tuple[int, int]] = []
        for start, end in spans:
            if all(end <= s or e <= start for s, e in chosen):
                chosen.append((start, end))
        return sorted(chosen)

    def evade(self, item: Item, seed: int) -> Item | None:
        """A copy of a positive item with key terms of its title and text respelled, or None without any."""
        rng = random.Random(f"{seed}:open-evasion:{item.id}")
        fields = {"title": item.title, "text": item.text}
        spans = [(name, span) for name, value in fields.items() for span in self.occurrences(value)]
        if not spans:
            return None
        evaded = {span for span in spans if rng.random() < EVADE_PROBABILITY} or {rng.choice(spans)}
        used: list[str] = []
        for name, value in fields.items():
            pieces, cursor = [], 0
            for start, end in (span for field, span in spans if field == name and (field, span) in evaded):
                kind = rng.choices(list(KINDS), weights=list(KINDS.values()))[0]
                pieces += [value[cursor:start], RESPELL[kind](value[start:end], rng)]
                used.append(kind)
                cursor = end
            fields[name] = "".join(pieces) + value[cursor:]
        return replace(item, title=fields["title"], text=fields["text"], evasion="+".join(sorted(set(used))))


def open_evasion_items(items: Iterable[Item], terms: Iterable[str], seed: int) -> list[Item]:
    """Evaded copies of the positive items that contain a key term."""
    evasion = OpenEvasion(terms)
    copies = (evasion.evade(item, seed) for item in items if item.labels)
    return [item for item in copies if item is not None]


@dataclass(slots=True)
class OpenEvasionReport:
    """Recall on open-ended evasions next to clean recall on the same items, and the hard-negative
    false-positive rate with and without sound matching."""

    items: int
    clean_recall: float
    evaded_recall: float
    evaded_recall_by_kind: dict[str, float]
    hard_negatives: int
    hard_negative_fpr: float
    hard_negative_fpr_without_sound: float

    @property
    def gap(self) -> float:
        return round(self.clean_recall - self.evaded_recall, 4)

    def meets_target(self) -> bool:
        return self.gap <= TARGET_GAP

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "gap": self.gap, "meets_target": self.meets_target()}


def evaluate_open_evasion(detect_many: DetectMany, detect_many_without_sound: DetectMany | None,
                          test: Sequence[Item], terms: Iterable[str], seed: int = 0) -> OpenEvasionReport:
    """Figures of one system on open-ended evasions of the test split's positive items."""
    evaded = open_evasion_items(test, terms, seed)
    by_id = {item.id: item for item in test}
    clean = [by_id[item.id] for item in evaded]
    gold = [set(item.labels) for item in clean]
    clean_predicted = predicted_labels(detect_many, clean)
    evaded_predicted = predicted_labels(detect_many, evaded)
    by_kind: dict[str, float] = {}
    for kind in KINDS:
        chosen = [i for i, item in enumerate(evaded) if kind in item.evasion.split("+")]
        by_kind[kind] = micro_recall([gold[i] for i in chosen], [evaded_predicted[i] for i in chosen])
    hard = [item for item in test if item.kind == "hard_negative"]
    return OpenEvasionReport(
        items=len(evaded),
        clean_recall=micro_recall(gold, clean_predicted),
        evaded_recall=micro_recall(gold, evaded_predicted),
        evaded_recall_by_kind=by_kind,
        hard_negatives=len(hard),
        hard_negative_fpr=_flagged_share(detect_many, hard),
        hard_negative_fpr_without_sound=_flagged_share(detect_many_without_sound or detect_many, hard),
    )


def _flagged_share(detect_many: DetectMany, items: Sequence[Item]) -> float:
    flagged = sum(1 for labels in predicted_labels(detect_many, items) if labels)
    return round(flagged / len(items), 4) if items else 0.0


def without_sound_matching(detector: Any) -> Any:
    """A shallow copy of a `Detector` whose normaliser keeps its replacement lists but matches nothing by sound."""
    from detector.normalize import Normalizer

    other = copy.copy(detector)
    other.normalizer = Normalizer(detector.normalizer.replacements)
    return other
