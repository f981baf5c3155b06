"""Normalised text: the text with a map back to the original offsets, and the folding every word of the config
gets so that it compares with normalised text (the rules and the entity lists read these; `detector.normalize`
makes them)."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

import opencc


@dataclass(frozen=True, slots=True)
class NormalizedText:
    """Normalised text plus, for each of its characters, the original span `[starts[i], ends[i])`."""

    text: str
    original: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map the normalised span `[start, end)` to the smallest original span that produced it."""
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(f"span ({start}, {end}) outside normalised text of length {len(self.text)}")
        if start == end:
            position = self.starts[start] if start < len(self.starts) else len(self.original)
            return position, position
        return self.starts[start], self.ends[end - 1]

    def original_slice(self, start: int, end: int) -> str:
        """The original text behind the normalised span `[start, end)`."""
        begin, finish = self.to_original(start, end)
        return self.original[begin:finish]

    def __len__(self) -> int:
        return len(self.text)


def _traditional_to_simplified_table() -> dict[int, str]:
    """Character table of OpenCC (`TSCharacters.txt`): one simplified character per traditional one."""
    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    table: dict[int, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        source, _, targets = line.partition("\t")
        target = targets.split(" ")[0] if targets else ""
        if len(source) == 1 and len(target) == 1 and source != target:
            table[ord(source)] = target
    return table


# One simplified character for each traditional one (a str.translate table).
T2S = _traditional_to_simplified_table()


def fold_variant(text: str) -> str:
    """A config word in the form the normalised text has (NFKC, lower case, simplified)."""
    return unicodedata.normalize("NFKC", text).lower().translate(T2S)
