"""The real-world corpus: public text with provenance in `models/data/real/items.jsonl`, split by source document.

The template corpus is written by the same hands as its test split; this one measures the detector on text nobody
here wrote (penalty decisions quoting ads, warnings, news, explainers, agency pages, job ads ...). Every line is
validated on load so a hand-added item with a typo fails with the file, the line and the field, never silently.
The split is decided per source page by a hash of its address, so a document never sits on both sides.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field, ValidationError, field_validator, model_validator

from core.config import StrictModel
from core.labels import GENRES, LABELS, UNLICENSED_AGENCY
from core.settings import project_root

DEFAULT_PATH = project_root() / "models" / "data" / "real" / "items.jsonl"

VOICES = ("ad_verbatim", "ad_paraphrase", "author")
KINDS = ("violation", "lawful_ad", "hard_negative", "unrelated")
SPLITS = ("train", "test")
# A document goes to test when sha256(source_url) % SPLIT_BUCKETS is one of TEST_BUCKETS: about 40% of documents.
SPLIT_BUCKETS = 5
TEST_BUCKETS = (0, 1)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Genre = Literal[GENRES]  # type: ignore[valid-type]
Voice = Literal[VOICES]  # type: ignore[valid-type]
Kind = Literal[KINDS]  # type: ignore[valid-type]
Split = Literal[SPLITS]  # type: ignore[valid-type]


class RealCorpusError(ValueError):
    """The corpus file is unreadable or has invalid lines; the message names the file, each line and field."""


def split_of(source_url: str) -> str:
    """The split of a source document, from its address alone (stable whatever else is in the corpus)."""
    bucket = int(hashlib.sha256(source_url.encode("utf-8")).hexdigest(), 16) % SPLIT_BUCKETS
    return "test" if bucket in TEST_BUCKETS else "train"


class RealItem(StrictModel):
    """One passage of real public text, exactly as it appears on its source page, with its labels.

    Strict beyond `StrictModel`: a line is typed by hand into JSON, so a quoted "no" is refused as a boolean
    instead of being read as False."""

    model_config = ConfigDict(strict=True)

    id: str = Field(pattern=r"^r\d{4,}$")
    text: str = Field(min_length=1)
    title: str = ""
    source_url: str = Field(pattern=r"^https?://\S+$")
    source_title: str = ""
    collected: date
    genre: Genre
    voice: Voice
    kind: Kind
    labels: tuple[str, ...] = ()
    offers_patent_agency: bool
    doc: str = Field(pattern=r"^d\d{3,}$")
    split: Split
    note: str = ""

    @field_validator("text")
    @classmethod
    def _text_is_trimmed(cls, value: str) -> str:
        if value != value.strip():
            raise ValueError("has leading or trailing whitespace (trim the passage, keep its inside as on the page)")
        return value

    @field_validator("collected", mode="before")
    @classmethod
    def _iso_date(cls, value: Any) -> date:
        if not isinstance(value, str) or not _DATE.match(value):
            raise ValueError(f"{value!r} is not a date written YYYY-MM-DD")
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a real date") from exc

    @field_validator("labels", mode="before")
    @classmethod
    def _known_labels(cls, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list | tuple) or not all(isinstance(label, str) for label in value):
            raise ValueError("must be a list of label names")
        unknown = [label for label in value if label not in LABELS]
        if unknown:
            raise ValueError(f"unknown label(s) {unknown} (known: {', '.join(LABELS)})")
        if len(set(value)) != len(value):
            raise ValueError(f"repeats a label: {list(value)}")
        return tuple(value)

    @model_validator(mode="after")
    def _consistent(self) -> RealItem:
        if self.kind == "violation" and not self.labels:
            raise ValueError("kind: a violation needs at least one label")
        if self.kind != "violation" and self.labels:
            raise ValueError(f"labels: a {self.kind} item carries no labels, got {list(self.labels)}")
        if self.kind == "violation" and self.voice == "author":
            raise ValueError("voice: a violation is an ad's claim (ad_verbatim or ad_paraphrase), not author prose")
        if UNLICENSED_AGENCY in self.labels and not self.offers_patent_agency:
            raise ValueError(f"offers_patent_agency: must be true when labelled {UNLICENSED_AGENCY}")
        expected = split_of(self.source_url)
        if self.split != expected:
            raise ValueError(f"split: {self.split!r} but the rule gives {expected!r} for {self.source_url}")
        return self

    def to_json(self) -> str:
        """One corpus line (UTF-8 text, fields in the documented order)."""
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False)


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        problems.append(f"{field}: {message}" if field else message)
    return "; ".join(problems)


def load_real_corpus(path: Path | str = DEFAULT_PATH) -> list[RealItem]:
    """Every item of the corpus file, validated line by line and across lines; raises RealCorpusError naming all
    problems as `file:line: field: message`."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise RealCorpusError(f"{path}: cannot read the corpus: {exc}") from exc
    items: list[tuple[int, RealItem]] = []
    problems: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            problems.append(f"{path}:{number}: empty line")
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{path}:{number}: not a JSON object: {exc.msg}")
            continue
        try:
            items.append((number, RealItem.model_validate(data)))
        except ValidationError as exc:
            problems.append(f"{path}:{number}: {_describe(exc)}")
    problems += _cross_line_problems(path, items)
    if problems:
        raise RealCorpusError("\n".join(problems))
    return [item for _, item in items]


def _cross_line_problems(path: Path, items: Sequence[tuple[int, RealItem]]) -> list[str]:
    problems: list[str] = []
    first_line_of_id: dict[str, int] = {}
    first_line_of_text: dict[str, int] = {}
    doc_of_url: dict[str, tuple[int, str]] = {}
    url_of_doc: dict[str, tuple[int, str]] = {}
    previous_number = 0
    for number, item in items:
        where = f"{path}:{number}"
        if item.id in first_line_of_id:
            problems.append(f"{where}: id: duplicate id {item.id!r} (first on line {first_line_of_id[item.id]})")
        else:
            first_line_of_id[item.id] = number
        if int(item.id[1:]) < previous_number:
            problems.append(f"{where}: id: {item.id!r} is out of order (the file is kept sorted by id)")
        previous_number = max(previous_number, int(item.id[1:]))
        if item.text in first_line_of_text:
            problems.append(f"{where}: text: duplicate text (first on line {first_line_of_text[item.text]})")
        else:
            first_line_of_text[item.text] = number
        seen_url = url_of_doc.setdefault(item.doc, (number, item.source_url))
        if seen_url[1] != item.source_url:
            problems.append(
                f"{where}: doc: {item.doc!r} already stands for {seen_url[1]} (line {seen_url[0]}); "
                "one document id per source page"
            )
        seen_doc = doc_of_url.setdefault(item.source_url, (number, item.doc))
        if seen_doc[1] != item.doc:
            problems.append(
                f"{where}: doc: {item.source_url} is already document {seen_doc[1]!r} (line {seen_doc[0]})"
            )
    return problems


def corpus_stats(items: Iterable[RealItem]) -> dict[str, Counter[tuple[str, str]]]:
    """Counts by genre, kind, voice and label, each split by train / test (key: (value, split))."""
    stats: dict[str, Counter[tuple[str, str]]] = {name: Counter() for name in ("genre", "kind", "voice", "label")}
    for item in items:
        stats["genre"][(item.genre, item.split)] += 1
        stats["kind"][(item.kind, item.split)] += 1
        stats["voice"][(item.voice, item.split)] += 1
        for label in item.labels:
            stats["label"][(label, item.split)] += 1
    return stats


def format_stats(items: Sequence[RealItem]) -> str:
    """The counts as Markdown tables (what the README shows)."""
    stats = corpus_stats(items)
    order = {"genre": GENRES, "kind": KINDS, "voice": VOICES, "label": LABELS}
    documents = {split: len({item.doc for item in items if item.split == split}) for split in SPLITS}
    items_per_split = Counter(item.split for item in items)
    lines = [
        f"{len(items)} items from {sum(documents.values())} documents; "
        f"train {items_per_split['train']} items / {documents['train']} documents, "
        f"test {items_per_split['test']} items / {documents['test']} documents",
    ]
    for name, values in order.items():
        lines += ["", f"| {name} | train | test | total |", "|---|---:|---:|---:|"]
        for value in values:
            train, test = stats[name][(value, "train")], stats[name][(value, "test")]
            if train or test:
                lines.append(f"| {value} | {train} | {test} | {train + test} |")
    hard = sum(1 for item in items if item.kind == "hard_negative")
    lines += ["", f"hard negatives: {hard} of {len(items)} ({hard / max(len(items), 1):.0%})"]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Validate the real-world corpus and print its counts.")
    parser.add_argument("--path", type=Path, default=DEFAULT_PATH, help="the corpus file (items.jsonl)")
    parser.add_argument("--stats", action="store_true", help="print counts by genre, kind, voice, label and split")
    args = parser.parse_args(argv)
    try:
        items = load_real_corpus(args.path)
    except RealCorpusError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(format_stats(items) if args.stats else f"{args.path}: {len(items)} items, valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
