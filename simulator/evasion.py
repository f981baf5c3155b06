"""The disguises sellers use to slip past keyword filters (docs/domain.md, "Evasion the staff see")."""
from __future__ import annotations

from functools import lru_cache
from random import Random

from opencc import OpenCC

EVASIONS = ("none", "spaces", "traditional", "pinyin", "homophone", "emoji", "image")
SEPARATORS = (" ", " ", ".", "*", "-", "·", "｜")


@lru_cache(maxsize=1)
def _to_traditional() -> OpenCC:
    return OpenCC("s2t")


def _terms_in(text: str, terms: dict[str, str]) -> list[str]:
    """Terms present in `text`, longest first, without terms nested in a longer one found before."""
    found: list[str] = []
    for term in sorted(terms, key=len, reverse=True):
        if term in text and not any(term in longer for longer in found):
            found.append(term)
    return found


def can_disguise(text: str, terms: dict[str, str]) -> bool:
    return bool(_terms_in(text, terms))


def disguise(text: str, evasion: str, terms: dict[str, str], emoji: list[str], rng: Random) -> str:
    """Rewrite `text` with one evasion; `image` and `none` leave it as it is (the caller moves it into a picture).

    `terms` maps each disguisable term to its replacement for `pinyin` and `homophone` (the caller passes the
    right table); `spaces` and `emoji` only use its keys."""
    if evasion == "traditional":
        return _to_traditional().convert(text)
    if evasion in ("none", "image"):
        return text
    for term in _terms_in(text, terms):
        if evasion in ("pinyin", "homophone"):
            replacement = terms[term]
        elif evasion == "spaces":
            replacement = rng.choice(SEPARATORS).join(term)
        elif evasion == "emoji":
            chars = list(term)
            replacement = "".join(c + (rng.choice(emoji) if k < len(chars) - 1 else "") for k, c in enumerate(chars))
        else:
            raise ValueError(f"unknown evasion {evasion!r}")
        text = text.replace(term, replacement)
    return text
