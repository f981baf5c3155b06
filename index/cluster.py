"""Near-duplicate clustering: one ad reposted on several platforms gets one `cluster_id`.

MinHash signatures (CRC-32 of each shingle: fast, and stable across processes, unlike `hash`) over character
shingles of the normalised title and text, looked up in datasketch's LSH index;
a new lead joins the cluster of its most similar known lead when their estimated Jaccard similarity reaches the
threshold, else it starts its own cluster (named after its lead id).
"""
from __future__ import annotations

import base64
import re
import unicodedata
import zlib
from functools import lru_cache
from collections.abc import Iterable

import numpy as np
from datasketch import MinHash, MinHashLSH

NUM_PERM = 64
SHINGLE = 3
THRESHOLD = 0.6
SCHEME = "affine32"
_NOT_LETTER_OR_DIGIT = re.compile(r"[\W_]+")


def normalized(title: str | None, text: str | None) -> str:
    """Title and text folded (NFKC, lower case) with everything but letters and digits removed.

    Reposts differ in spacing, punctuation, emoji and full-width forms; those must not split a cluster.
    """
    folded = unicodedata.normalize("NFKC", f"{title or ''}{text or ''}").lower()
    return _NOT_LETTER_OR_DIGIT.sub("", folded)


def shingles(value: str, size: int = SHINGLE) -> set[bytes]:
    """Character `size`-grams as bytes (UTF-32 has 4 bytes per character, so grams are plain byte slices)."""
    if not value:
        return set()
    data = value.encode("utf-32-le")
    width = 4 * min(size, len(value))
    return {data[i:i + width] for i in range(0, len(data) - width + 1, 4)}


@lru_cache(maxsize=1)
def _permutations() -> tuple:
    """The hash permutations every signature uses (deterministic for the default seed; computed once)."""
    return MinHash(num_perm=NUM_PERM, hashfunc=zlib.crc32, scheme=SCHEME).permutations


def signature(title: str | None, text: str | None) -> MinHash | None:
    """The MinHash of a listing's content, None when it has no letters or digits to compare."""
    grams = shingles(normalized(title, text))
    if not grams:
        return None
    minhash = MinHash(num_perm=NUM_PERM, hashfunc=zlib.crc32, permutations=_permutations(), scheme=SCHEME)
    minhash.update_batch(grams)
    return minhash


def encode(minhash: MinHash) -> str:
    """A signature as text (base64 of its hash values) for storing with the lead."""
    return base64.b64encode(minhash.hashvalues.astype("<u8").tobytes()).decode("ascii")


def decode(value: str) -> MinHash:
    hashvalues = np.frombuffer(base64.b64decode(value), dtype="<u8").astype(np.uint64)
    return MinHash(num_perm=len(hashvalues), hashvalues=hashvalues, hashfunc=zlib.crc32,
                   permutations=_permutations(), scheme=SCHEME)


class NearDuplicateIndex:
    """The signatures of known leads, answering "which cluster does this content belong to"."""

    def __init__(self, threshold: float = THRESHOLD) -> None:
        self.threshold = threshold
        self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self._known: dict[str, tuple[MinHash, str]] = {}

    def __len__(self) -> int:
        return len(self._known)

    def add(self, lead_id: str, minhash: MinHash, cluster_id: str) -> None:
        if lead_id in self._known:
            self._lsh.remove(lead_id)
        self._lsh.insert(lead_id, minhash)
        self._known[lead_id] = (minhash, cluster_id)

    def load(self, rows: Iterable[tuple[str, str, str]]) -> None:
        """Add stored `(lead_id, encoded signature, cluster_id)` rows."""
        for lead_id, encoded, cluster_id in rows:
            self.add(lead_id, decode(encoded), cluster_id)

    def cluster_of(self, lead_id: str, minhash: MinHash) -> str | None:
        """The cluster of the most similar other known lead at or above the threshold, or None."""
        best: tuple[float, str] | None = None
        for candidate in self._lsh.query(minhash):
            if candidate == lead_id:
                continue
            other, cluster_id = self._known[candidate]
            similarity = minhash.jaccard(other)
            if similarity >= self.threshold and (best is None or similarity > best[0]):
                best = (similarity, cluster_id)
        return best[1] if best else None
