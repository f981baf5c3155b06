"""Chinese text helpers shared by the stores: word segmentation, per-character tokens, highlighting."""
from __future__ import annotations

import html
import logging
import re
from functools import lru_cache

import jieba

jieba.setLogLevel(logging.WARNING)

_CJK = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef])")
_SPACES = re.compile(r"\s+")

PRE_TAG = "<em>"
POST_TAG = "</em>"
FRAGMENT_CHARS = 100
MAX_FRAGMENTS = 3


@lru_cache(maxsize=1)
def _tokenizer() -> jieba.Tokenizer:
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def words(text: str | None) -> str:
    """Search-mode jieba words, lower-cased and space-separated (the companion field for word queries)."""
    if not text:
        return ""
    tokens = _tokenizer().cut_for_search(text.lower())
    return " ".join(t for t in (tok.strip() for tok in tokens) if t)


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
