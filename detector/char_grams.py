"""Character n-grams of up to three characters as integers, and a vocabulary of them looked up in whole arrays.

The char n-gram model looks up every 1-, 2- and 3-gram of a batch of texts in its vocabulary. As strings that is
one Python string and one dictionary look-up per n-gram; as integers (three 21-bit code points in an int64) the
n-grams of a whole batch are made by shifts of one array and found by an open-addressing hash table probed with
array operations.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

# Each code point plus one (so that no n-gram's key is also a shorter one's) in 21 bits, first character highest.
CODE_BITS = 21
MAX_LENGTH = 3
_EMPTY = -1
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: multiply, keep the high bits


def code_points(text: str) -> np.ndarray:
    """The code points of `text` plus one, as int64."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64) + 1


def gram_keys(codes: np.ndarray, n: int) -> np.ndarray:
    """The key of the n-gram starting at each position of `codes` (from `code_points`) where one fits."""
    count = max(len(codes) - n + 1, 0)
    keys = codes[:count].copy()
    for k in range(1, n):
        keys <<= CODE_BITS
        keys |= codes[k:k + count]
    return keys


def term_key(term: str) -> int:
    """The key of one n-gram (1 to `MAX_LENGTH` characters), as `gram_keys` makes it."""
    if not 1 <= len(term) <= MAX_LENGTH:
        raise ValueError(f"an n-gram key holds 1 to {MAX_LENGTH} characters, not {term!r}")
    key = 0
    for char in term:
        key = (key << CODE_BITS) | (ord(char) + 1)
    return key


class GramVocabulary:
    """A vocabulary of n-grams (n-gram → id) keyed by `term_key`, looked up an array of keys at a time."""

    def __init__(self, vocabulary: Mapping[str, int]) -> None:
        self._bits = max(4, (2 * len(vocabulary)).bit_length())  # at most half full
        size = 1 << self._bits
        keys = [_EMPTY] * size
        ids = [_EMPTY] * size
        terms = list(vocabulary)
        term_keys = [term_key(term) for term in terms]
        slots = self._slots(np.array(term_keys, dtype=np.int64)).tolist()
        for term, key, slot in zip(terms, term_keys, slots):
            while keys[slot] != _EMPTY:
                slot = (slot + 1) & (size - 1)
            keys[slot] = key
            ids[slot] = vocabulary[term]
        self._keys = np.array(keys, dtype=np.int64)
        self._ids = np.array(ids, dtype=np.int64)

    def ids(self, keys: np.ndarray) -> np.ndarray:
        """The id of each key's n-gram, -1 for those not in the vocabulary."""
        found = np.full(len(keys), _EMPTY, dtype=np.int64)
        waiting = np.arange(len(keys))
        slots = self._slots(keys)
        mask = len(self._keys) - 1
        while len(waiting):
            stored = self._keys[slots]
            hit = stored == keys
            found[waiting[hit]] = self._ids[slots[hit]]
            going_on = ~hit & (stored != _EMPTY)
            waiting, keys, slots = waiting[going_on], keys[going_on], (slots[going_on] + 1) & mask
        return found

    def _slots(self, keys: np.ndarray) -> np.ndarray:
        return ((keys.view(np.uint64) * _GOLDEN) >> np.uint64(64 - self._bits)).astype(np.int64)
