"""Chinese text helpers shared by the stores: word segmentation, per-character tokens, highlighting."""
from __future__ import annotations

import html
import re
from functools import lru_cache

import jieba
from ahocorasick_rs import AhoCorasick

_CJK = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef])")
_SPACES = re.compile(r"\s+")
_LATIN = re.compile(r"[a-z0-9]+")

PRE_TAG = "<em>"
POST_TAG = "</em>"
FRAGMENT_CHARS = 100
MAX_FRAGMENTS = 3


@lru_cache(maxsize=1)
def _dictionary() -> AhoCorasick:
    """jieba's dictionary (words of two or more characters) as an Aho-Corasick automaton (built in about a second)."""
    words: dict[str, None] = {}
    with jieba.get_dict_file() as handle:
        for line in handle:
            word = line.decode("utf-8").split(" ", 1)[0].strip().lower()
            if len(word) > 1:
                words[word] = None
    return AhoCorasick(list(words))


def words(text: str | None) -> str:
    """Every jieba dictionary word in the text (jieba's full mode: overlapping words too), plus Latin and digit
    runs, lower-cased and space-separated: the companion field for word queries.

    An Aho-Corasick automaton over jieba's dictionary (ahocorasick-rs, in Rust) finds the same words as
    `jieba.cut(cut_all=True)` in microseconds, which keeps indexing close to a raw bulk.
    """
    if not text:
        return ""
    lowered = text.lower()
    found = _dictionary().find_matches_as_strings(lowered, overlapping=True)
    found += _LATIN.findall(lowered)
    return " ".join(found)


def spaced_chars(text: str | None) -> str:
    """Each CJK character as its own token, like Elasticsearch's `standard` analyzer, so phrases match exactly."""
    if not text:
        return ""
    return _SPACES.sub(" ", _CJK.sub(r" \1 ", text)).strip()


def _spans(value: str, terms: list[str]) -> list[tuple[int, int]]:
    lowered = value.lower()
    spans: list[tuple[int, int]] = []
    for term in terms:
        needle = term.lower()
        start = lowered.find(needle)
        while needle and start >= 0:
            spans.append((start, start + len(needle)))
            start = lowered.find(needle, start + len(needle))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _mark(value: str, spans: list[tuple[int, int]], lo: int, hi: int) -> str:
    out, pos = [], lo
    for start, end in spans:
        if end <= lo or start >= hi:
            continue
        start, end = max(start, lo), min(end, hi)
        out += [html.escape(value[pos:start]), PRE_TAG, html.escape(value[start:end]), POST_TAG]
        pos = end
    out.append(html.escape(value[pos:hi]))
    return "".join(out)


def highlight(value: str | None, terms: list[str]) -> list[str]:
    """Fragments of `value` around the terms, matches wrapped in `<em>`; other text HTML-escaped."""
    if not value or not terms:
        return []
    spans = _spans(value, terms)
    fragments: list[str] = []
    covered = -1
    for start, end in spans:
        if start < covered:
            continue
        lo = max(0, start - (FRAGMENT_CHARS - (end - start)) // 2)
        hi = min(len(value), lo + FRAGMENT_CHARS)
        lo = max(0, min(lo, hi - FRAGMENT_CHARS))
        fragments.append(_mark(value, spans, lo, hi))
        covered = hi
        if len(fragments) == MAX_FRAGMENTS:
            break
    return fragments


def join_adjacent_marks(fragment: str) -> str:
    """Elasticsearch marks each CJK character of a phrase on its own; one mark per phrase reads better."""
    return fragment.replace(POST_TAG + PRE_TAG, "")
