"""The shape of `config/detector/normalize.yaml`, validated at load so that a mistake names the file and the field.

`detector.normalize.Normalizer` builds its replacements and sound matching from what this model accepts; the file's
own comments explain each field to staff. Whether `sound.context_lexicons` name lexicons of rules.yaml is checked
where both files meet, in `detector.normalize`.
"""
from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from core.config import StrictModel

Word = Annotated[str, StringConstraints(min_length=1)]
_LATIN_LETTERS = re.compile(r"[a-z]+")


class SoundSection(StrictModel):
    """`sound`: which context lets a same-sound spelling count, which spellings are ordinary words, and what
    initials stand for."""

    context_lexicons: list[str] = []
    context_words: list[Word] = []
    context_within: int = Field(12, ge=0)
    ordinary_words: list[Word] = []
    initials: dict[str, list[Word]] = {}

    @field_validator("initials")
    @classmethod
    def _latin_initials(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for letters in value:
            if not _LATIN_LETTERS.fullmatch(letters.lower()):
                raise ValueError(f"'{letters}': initials are Latin letters")
        return value


class NormalizeFile(StrictModel):
    """normalize.yaml: canonical wording → its pinyin variants, canonical wording → its homophones, sound matching."""

    pinyin: dict[str, list[Word]] = {}
    homophones: dict[str, list[Word]] = {}
    sound: SoundSection = SoundSection()
