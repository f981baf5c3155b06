"""The shape of `config/detector/rules.yaml`, validated at load so that a mistake names the file and the field.

`detector.rules.RuleEngine` compiles what this model accepts; the file's own comments explain each field to staff.
"""
from __future__ import annotations

import re
from typing import Annotated, Any, Literal, get_args

from pydantic import Field, StringConstraints, ValidationInfo, field_validator, model_validator

from core.config import StrictModel
from core.labels import CONTENT_LABELS, OFFERS_PATENT_AGENCY

RULE_LABELS = (*CONTENT_LABELS, OFFERS_PATENT_AGENCY)
FieldKind = Literal["content", "seller"]
FIELD_KINDS: tuple[str, ...] = get_args(FieldKind)

Word = Annotated[str, StringConstraints(min_length=1)]
WordList = Annotated[list[Word], Field(min_length=1)]


def _checked_regex(pattern: str) -> str:
    """`pattern` if it compiles and has no named group (the engine joins all patterns into one with its own)."""
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    if compiled.groupindex:
        raise ValueError("must not use named groups")
    return pattern


class RuleEntry(StrictModel):
    """One rule: a label and weight, and exactly one wording (`phrases`, `near` or `regex`)."""

    id: Word
    label: str
    weight: float = Field(gt=0, le=1)
    fields: Annotated[list[FieldKind], Field(min_length=1)] = ["content"]
    phrases: list[Word] = []
    near: tuple[str, str] | None = None
    within: int = Field(6, ge=0)
    ordered: bool = False
    same_clause: bool = False
    regex: str | None = None
    unless_before: list[str] = []
    unless_after: list[str] = []
    unless_between: list[str] = []
    unless_within: int = Field(10, ge=0)
    unless_after_within: int | None = Field(None, ge=0)
    context_in_clause: bool = False
    unless_anywhere: list[str] = []
    only_with: list[str] = []
    only_in: list[str] = []
    other_trade: list[str] = []
    own_trade: list[str] = []
    note: str = ""

    @field_validator("label")
    @classmethod
    def _known_label(cls, value: str) -> str:
        if value not in RULE_LABELS:
            raise ValueError(f"must be one of {', '.join(RULE_LABELS)} (got {value!r})")
        return value

    @field_validator("regex")
    @classmethod
    def _valid_regex(cls, value: str | None) -> str | None:
        return None if value is None else _checked_regex(value)

    @model_validator(mode="after")
    def _one_wording(self) -> RuleEntry:
        wordings = [name for name in ("phrases", "near", "regex") if getattr(self, name)]
        if len(wordings) != 1:
            raise ValueError(f"rule '{self.id}': give exactly one of 'phrases', 'near' or 'regex'")
        if self.regex and self.fields != ["content"]:
            raise ValueError(f"rule '{self.id}': a 'regex' rule reads the listing content only (drop 'fields')")
        if self.unless_between and not self.near:
            raise ValueError(f"rule '{self.id}': 'unless_between' needs a 'near' wording (words between its two lists)")
        return self

    def lexicon_names(self) -> dict[str, list[str]]:
        """The fields that name word lists of the file, by field."""
        return {"near": list(self.near or ()), "unless_before": self.unless_before,
                "unless_after": self.unless_after, "unless_between": self.unless_between,
                "unless_anywhere": self.unless_anywhere,
                "only_with": self.only_with, "only_in": self.only_in,
                "other_trade": self.other_trade, "own_trade": self.own_trade}


class ReportedSpeechSection(StrictModel):
    """`reported_speech`: the word lists that mark someone else's words, and how far before a quotation they count."""

    before: list[str] = []
    after: list[str] = []
    clause: list[str] = []
    sentence: list[str] = []
    question: list[str] = []
    yes_no: list[str] = []
    wh_question: list[str] = []
    consequence: list[str] = []
    definition: list[str] = []
    subject: list[str] = []
    window: int = Field(6, ge=0, le=40)


class RulesFile(StrictModel):
    """rules.yaml: named word lists, longer words that hide the list words inside them, named patterns counted like
    them, the rules, and the reported-speech cues.
    Fields are validated in this order, so `rules` and `reported_speech` can check the names they use."""

    lexicons: dict[str, WordList] = {}
    other_words: list[Word] = []
    patterns: dict[str, str] = {}
    rules: Annotated[list[RuleEntry], Field(min_length=1)]
    reported_speech: ReportedSpeechSection = ReportedSpeechSection()

    @field_validator("patterns")
    @classmethod
    def _valid_patterns(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        for name, pattern in value.items():
            if name in info.data.get("lexicons", {}):
                raise ValueError(f"'{name}': the name is already a lexicon")
            try:
                _checked_regex(pattern)
            except ValueError as exc:
                raise ValueError(f"'{name}': {exc}") from None
        return value

    @field_validator("rules")
    @classmethod
    def _known_names_and_distinct_ids(cls, value: list[RuleEntry], info: ValidationInfo) -> list[RuleEntry]:
        known = cls._word_lists(info)
        seen: set[str] = set()
        for rule in value:
            if rule.id in seen:
                raise ValueError(f"id '{rule.id}' is used twice")
            seen.add(rule.id)
            for field, names in rule.lexicon_names().items():
                for name in names:
                    if name not in known:
                        raise ValueError(f"rule '{rule.id}': field '{field}' names unknown lexicon '{name}'")
        return value

    @field_validator("reported_speech")
    @classmethod
    def _known_cue_lists(cls, value: ReportedSpeechSection, info: ValidationInfo) -> ReportedSpeechSection:
        known = cls._word_lists(info)
        for field in ("before", "after", "clause", "sentence", "question", "consequence", "definition",
                      "yes_no", "wh_question", "subject"):
            unknown = [name for name in getattr(value, field) if name not in known]
            if unknown:
                raise ValueError(f"field '{field}' must list lexicons of this file (unknown: {', '.join(unknown)})")
        return value

    @staticmethod
    def _word_lists(info: ValidationInfo) -> set[str]:
        data: dict[str, Any] = info.data
        return {*data.get("lexicons", {}), *data.get("patterns", {})}
