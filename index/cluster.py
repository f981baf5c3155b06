"""Near-duplicate clustering: one ad reposted on several platforms gets one `cluster_id`.

MinHash signatures over character shingles of the normalised title and text, looked up in datasketch's LSH
index; a new lead joins the cluster of its most similar known lead when their estimated Jaccard similarity
reaches the threshold, else it starts its own cluster (named after its lead id).

A 3-character shingle is encoded exactly as one 63-bit integer (three 21-bit code points), computed for the whole
text at once with numpy; datasketch's 64-bit scheme mixes these values before permuting them. Signatures are
therefore stable across processes and cheap enough to compute for every lead at bulk-indexing speed.
"""
from __future__ import annotations

import base64
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # datasketch pulls in scipy: imported when first used, so the CLI starts fast
    from datasketch import MinHash

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
    """The distinct 3-character shingles of `value`, each as one integer (a shorter value is one shingle)."""
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
    return np.unique(grams)


@lru_cache(maxsize=1)
def _permutations() -> tuple:
    """The hash permutations every signature uses (deterministic for the default seed; computed once)."""
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, scheme=SCHEME).permutations


def _new(hashvalues: np.ndarray | None = None) -> MinHash:
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, hashfunc=int, permutations=_permutations(), scheme=SCHEME,
                   hashvalues=hashvalues)


def signature(title: str | None, text: str | None) -> MinHash | None:
    """The MinHash of a listing's content, None when it has no letters or digits to compare."""
    grams = shingles(normalized(title, text))
    if len(grams) == 0:
        return None
    minhash = _new()
    minhash.update_batch(grams.tolist())
    return minhash


def encode(minhash: MinHash) -> str:
    """A signature as text (base64 of its hash values) for storing with the lead."""
    return base64.b64encode(minhash.hashvalues.astype("<u8").tobytes()).decode("ascii")


def decode(value: str) -> MinHash:
    return _new(np.frombuffer(base64.b64decode(value), dtype="<u8").astype(np.uint64))


class NearDuplicateIndex:
    """The signatures of known leads, answering "which cluster does this content belong to"."""

    def __init__(self, threshold: float = THRESHOLD) -> None:
        from datasketch import MinHashLSH

        self.threshold = threshold
        self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self._known: dict[str, tuple[np.ndarray, str]] = {}

    def __len__(self) -> int:
        return len(self._known)

    def __contains__(self, lead_id: object) -> bool:
        return lead_id in self._known

    def add(self, lead_id: str, minhash: MinHash, cluster_id: str) -> None:
        if lead_id in self._known:
            self._lsh.remove(lead_id)
        self._lsh.insert(lead_id, minhash)
        self._known[lead_id] = (minhash.hashvalues, cluster_id)

    def load(self, rows: Iterable[tuple[str, str, str]]) -> None:
        """Add stored `(lead_id, encoded signature, cluster_id)` rows."""
        for lead_id, encoded, cluster_id in rows:
            self.add(lead_id, decode(encoded), cluster_id)

    def cluster_of(self, lead_id: str, minhash: MinHash) -> str | None:
        """The cluster of the most similar other known lead at or above the threshold, or None."""
        best: tuple[float, str] | None = None
        candidates = [c for c in self._lsh.query(minhash) if c != lead_id]
        if not candidates:
            return None
        # Estimated Jaccard similarity with every candidate at once: the share of equal hash values.
        others = np.stack([self._known[c][0] for c in candidates])
        similarities = (others == minhash.hashvalues).mean(axis=1)
        for candidate, similarity in zip(candidates, similarities.tolist()):
            cluster_id = self._known[candidate][1]
            if similarity >= self.threshold and (best is None or similarity > best[0]):
                best = (similarity, cluster_id)
        return best[1] if best else None
