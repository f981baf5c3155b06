"""Near-duplicate clustering: one ad reposted on several platforms gets one `cluster_id`.

MinHash signatures over character shingles of the normalised title and text, banded for locality-sensitive
look-up; a new lead joins the cluster of its most similar known lead when their estimated Jaccard similarity
reaches the threshold, else it starts its own cluster (named after its lead id).

The signature is datasketch's `affine64` MinHash (its permutations, MurmurHash3's 64-bit finaliser, the affine
map), computed here with a few numpy operations per listing because datasketch's per-object API costs more than
the rest of the indexing work; the tests check both give the same hash values. A 3-character shingle is encoded
exactly as one 63-bit integer (three 21-bit code points), so signatures are stable across processes. The band
layout is the one datasketch's `MinHashLSH` chooses for the threshold.
"""
from __future__ import annotations

import base64
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import numpy as np

NUM_PERM = 64
SHINGLE = 3
THRESHOLD = 0.6
SCHEME = "affine64"
_NOT_LETTER_OR_DIGIT = re.compile(r"[\W_]+")
_CODE_POINT_BITS = np.uint64(21)


def normalized(title: str | None, text: str | None) -> str:
    """Title and text folded (NFKC, lower case) with everything but letters and digits removed.

    Reposts differ in spacing, punctuation, emoji and full-width forms; those must not split a cluster.
    """
    kept = _NOT_LETTER_OR_DIGIT.sub("", f"{title or ''}{text or ''}")
    if not unicodedata.is_normalized("NFKC", kept):
        kept = _NOT_LETTER_OR_DIGIT.sub("", unicodedata.normalize("NFKC", kept))
    return kept.lower()


def shingles(value: str) -> np.ndarray:
    """The 3-character shingles of `value`, each as one integer (a shorter value is one shingle).

    Repeated shingles are kept: a signature takes minima, which repeats do not change.
    """
    codes = np.frombuffer(value.encode("utf-32-le"), dtype="<u4").astype(np.uint64)
    if len(codes) == 0:
        return codes
    if len(codes) < SHINGLE:
        packed = np.uint64(0)
        for code in codes:
            packed = (packed << _CODE_POINT_BITS) | code
        return np.array([packed], dtype=np.uint64)
    grams = codes[:1 - SHINGLE].copy()
    for offset in range(1, SHINGLE):
        grams = (grams << _CODE_POINT_BITS) | codes[offset:len(codes) - SHINGLE + 1 + offset]
    return grams


Signature = np.ndarray
"""NUM_PERM unsigned 64-bit MinHash values."""


@lru_cache(maxsize=1)
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine permutations (a, b) for every signature (deterministic for its default seed).

    datasketch pulls in scipy, so it is imported when first used and the CLI starts fast.
    """
    from datasketch import MinHash

    a, b = MinHash(num_perm=NUM_PERM, scheme=SCHEME).permutations
    return a.astype(np.uint64), b.astype(np.uint64)


@lru_cache(maxsize=1)
def _band_layout() -> tuple[int, int]:
    """(bands, rows per band) that datasketch's LSH picks for THRESHOLD and NUM_PERM."""
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    return lsh.b, lsh.r


_FMIX_SHIFT = np.uint64(33)
_FMIX_MULTIPLIERS = (np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53))


def _mix(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser (wrapping multiplication), as datasketch applies before the permutations."""
    values = values ^ (values >> _FMIX_SHIFT)
    values = values * _FMIX_MULTIPLIERS[0]
    values = values ^ (values >> _FMIX_SHIFT)
    values = values * _FMIX_MULTIPLIERS[1]
    return values ^ (values >> _FMIX_SHIFT)


def signature(title: str | None, text: str | None) -> Signature | None:
    """The MinHash values of a listing's content, None when it has no letters or digits to compare."""
    grams = shingles(normalized(title, text))
    if len(grams) == 0:
        return None
    a, b = _permutations()
    return (_mix(grams)[:, np.newaxis] * a + b).min(axis=0)


def encode(values: Signature) -> str:
    """A signature as text (base64 of its hash values) for storing with the lead."""
    return base64.b64encode(values.astype("<u8").tobytes()).decode("ascii")


def decode(value: str) -> Signature:
    return np.frombuffer(base64.b64decode(value), dtype="<u8").astype(np.uint64)


_CHUNK_ROWS = 4096


class NearDuplicateIndex:
    """The signatures of known leads, answering "which cluster does this content belong to".

    Each band of a signature is a bucket key; leads sharing any bucket are the candidates whose similarity is
    then estimated from the whole signatures. A crawl keeps this index for every lead it knows, so it is kept
    small (about 1 KB a lead): signatures are held as their low 32 bits in fixed-size numpy chunks, buckets
    map the hash of a band to a row number (a list only when several leads share it).
    """

    def __init__(self, threshold: float = THRESHOLD) -> None:
        bands, rows = _band_layout()
        width = rows * np.dtype(np.uint32).itemsize
        self._bands = [slice(band * width, (band + 1) * width) for band in range(bands)]
        self._buckets: list[dict[int, int | list[int]]] = [{} for _ in self._bands]
        self._minimum_equal = threshold * NUM_PERM
        self._chunks: list[np.ndarray] = []
        self._ids: list[str] = []
        self._clusters: list[str] = []
        self._rows: dict[str, int] = {}
        self._free_rows: list[int] = []

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, lead_id: object) -> bool:
        return lead_id in self._rows

    def _keys(self, compact: np.ndarray) -> list[int]:
        """The bucket key of each band (the hash of its bytes; a collision only adds a candidate)."""
        raw = compact.tobytes()
        return [hash(raw[band]) for band in self._bands]

    def _values(self, row: int) -> np.ndarray:
        return self._chunks[row // _CHUNK_ROWS][row % _CHUNK_ROWS]

    def add(self, lead_id: str, values: Signature, cluster_id: str) -> None:
        """Add a lead (or replace its signature) in a known cluster."""
        compact = values.astype(np.uint32)
        self._add(lead_id, compact, cluster_id, self._keys(compact))

    def join(self, lead_id: str, values: Signature) -> str:
        """Add a new lead and return its cluster: that of its most similar near-duplicate, else its own id."""
        compact = values.astype(np.uint32)
        keys = self._keys(compact)
        cluster_id = self._cluster_of(lead_id, compact, keys) or lead_id
        self._add(lead_id, compact, cluster_id, keys)
        return cluster_id

    def load(self, rows: Iterable[tuple[str, str, str]]) -> None:
        """Add stored `(lead_id, encoded signature, cluster_id)` rows."""
        for lead_id, encoded, cluster_id in rows:
            self.add(lead_id, decode(encoded), cluster_id)

    def _add(self, lead_id: str, compact: np.ndarray, cluster_id: str, keys: list[int]) -> None:
        if lead_id in self._rows:
            self._remove(lead_id)
        row = self._new_row(lead_id, cluster_id)
        self._values(row)[:] = compact
        for buckets, key in zip(self._buckets, keys):
            members = buckets.get(key)
            if members is None:
                buckets[key] = row
            elif isinstance(members, list):
                members.append(row)
            else:
                buckets[key] = [members, row]

    def _new_row(self, lead_id: str, cluster_id: str) -> int:
        if self._free_rows:
            row = self._free_rows.pop()
            self._ids[row], self._clusters[row] = lead_id, cluster_id
        else:
            row = len(self._ids)
            if row == len(self._chunks) * _CHUNK_ROWS:
                self._chunks.append(np.zeros((_CHUNK_ROWS, NUM_PERM), dtype=np.uint32))
            self._ids.append(lead_id)
            self._clusters.append(cluster_id)
        self._rows[lead_id] = row
        return row

    def _remove(self, lead_id: str) -> None:
        row = self._rows.pop(lead_id)
        for buckets, key in zip(self._buckets, self._keys(self._values(row))):
            members = buckets[key]
            if isinstance(members, list):
                members.remove(row)
                if len(members) == 1:
                    buckets[key] = members[0]
            else:
                del buckets[key]
        self._free_rows.append(row)

    def _cluster_of(self, lead_id: str, compact: np.ndarray, keys: list[int]) -> str | None:
        """The cluster of the most similar other known lead at or above the threshold, or None."""
        own = self._rows.get(lead_id)
        found: set[int] = set()
        for buckets, key in zip(self._buckets, keys):
            members = buckets.get(key)
            if isinstance(members, list):
                found.update(members)
            elif members is not None:
                found.add(members)
        if own is not None:
            found.discard(own)
        if not found:
            return None
        candidates = sorted(found, key=self._ids.__getitem__)
        # Estimated Jaccard similarity with every candidate at once: the number of equal hash values.
        equal = np.count_nonzero(np.stack([self._values(row) for row in candidates]) == compact, axis=1)
        best = int(equal.argmax())
        return self._clusters[candidates[best]] if equal[best] >= self._minimum_equal else None
