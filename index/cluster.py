"""Near-duplicate clustering: one ad reposted on several platforms gets one `cluster_id`.

MinHash signatures over character shingles of the normalised title and text, banded for locality-sensitive
look-up; a new lead joins the cluster of its most similar known lead when their estimated Jaccard similarity
reaches the threshold, else it starts its own cluster (named after its lead id).

A 3-character shingle is encoded exactly as one 63-bit integer (three 21-bit code points) and mixed with
MurmurHash3's 64-bit finaliser; rensa (in Rust) turns a whole batch of those into 32-bit R-MinHash signatures in
one call (the numpy minima it replaces took most of the signing time). Signatures are stable across processes; a
signature stored by another scheme (another length) is not compared, and is replaced the next time its lead is seen.
"""
from __future__ import annotations

import base64
import re
import unicodedata
from collections.abc import Iterable, Sequence

import numpy as np
import rensa

NUM_PERM = 64
SHINGLE = 3
THRESHOLD = 0.6
_SEED = 1
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
"""NUM_PERM unsigned 32-bit MinHash values."""


BANDS, ROWS_PER_BAND = 10, 6
"""The band layout datasketch's `MinHashLSH` picks for THRESHOLD and NUM_PERM (a test checks it still does)."""
_ENCODED_LENGTH = len(base64.b64encode(bytes(NUM_PERM * 4)))

_FMIX_SHIFT = np.uint64(33)
_FMIX_MULTIPLIERS = (np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53))


def _mix(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser (wrapping multiplication): shingles of neighbouring code points are
    structured integers, which R-MinHash's affine maps would not spread evenly."""
    values = values ^ (values >> _FMIX_SHIFT)
    values = values * _FMIX_MULTIPLIERS[0]
    values = values ^ (values >> _FMIX_SHIFT)
    values = values * _FMIX_MULTIPLIERS[1]
    return values ^ (values >> _FMIX_SHIFT)


def signature(title: str | None, text: str | None) -> Signature | None:
    """The MinHash values of a listing's content, None when it has no letters or digits to compare."""
    return signatures([(title, text)])[0]


def signatures(contents: Sequence[tuple[str | None, str | None]]) -> list[Signature | None]:
    """`signature` of each (title, text): the shingles of the whole batch are built and mixed at once, and
    signed in one call."""
    values = [normalized(title, text) for title, text in contents]
    # Shingles at every position of the joined text; those that straddle two listings are left out.
    mixed = _mix(shingles("".join(values)))
    pieces = []
    end = 0
    for value in values:
        start, end = end, end + len(value)
        if end - start >= SHINGLE:
            pieces.append(mixed[start:end - SHINGLE + 1])
        else:
            pieces.append(_mix(shingles(value)))
    offsets = np.zeros(len(pieces) + 1, dtype=np.uint64)
    np.cumsum([len(piece) for piece in pieces], out=offsets[1:])
    tokens = np.concatenate(pieces) if pieces else mixed
    digests = rensa.RMinHash.digest_matrix_from_flat_token_hashes(tokens, offsets, NUM_PERM, _SEED)
    rows = np.array(digests.to_rows(), dtype=np.uint32).reshape(len(values), NUM_PERM)
    return [row if value else None for value, row in zip(values, rows)]


def encode(values: Signature) -> str:
    """A signature as text (base64 of its hash values) for storing with the lead."""
    return base64.b64encode(np.asarray(values, dtype="<u4").tobytes()).decode("ascii")


def decode(value: str) -> Signature | None:
    """The signature stored as `value`, None when another scheme made it."""
    if not is_current(value):
        return None
    return np.frombuffer(base64.b64decode(value), dtype="<u4").astype(np.uint32)


def is_current(value: object) -> bool:
    """Whether a stored signature was made by this scheme (and can be compared with new ones)."""
    return isinstance(value, str) and len(value) == _ENCODED_LENGTH


# Chunks are allocated zeroed (calloc), so memory is only committed as rows are written: a large chunk costs a
# small store nothing, and most stores stay within one, where candidate rows are read with a single gather.
_CHUNK_ROWS = 1 << 16


class NearDuplicateIndex:
    """The signatures of known leads, answering "which cluster does this content belong to".

    Each band of a signature is a bucket key; leads sharing any bucket are the candidates whose similarity is
    then estimated from the whole signatures. A crawl keeps this index for every lead it knows, so it is kept
    small (about 1 KB a lead): signatures are held in fixed-size numpy chunks, buckets map the hash of a band to
    a row number (a list only when several leads share it).
    """

    def __init__(self, threshold: float = THRESHOLD) -> None:
        width = ROWS_PER_BAND * np.dtype(np.uint32).itemsize
        self._bands = [slice(band * width, (band + 1) * width) for band in range(BANDS)]
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
        compact = np.asarray(values, dtype=np.uint32)
        self._add(lead_id, compact, cluster_id, self._keys(compact))

    def join(self, lead_id: str, values: Signature) -> str:
        """Add a new lead and return its cluster: that of its most similar near-duplicate, else its own id."""
        compact = np.asarray(values, dtype=np.uint32)
        keys = self._keys(compact)
        cluster_id = self._cluster_of(lead_id, compact, keys) or lead_id
        self._add(lead_id, compact, cluster_id, keys)
        return cluster_id

    def load(self, rows: Iterable[tuple[str, str, str]]) -> None:
        """Add stored `(lead_id, encoded signature, cluster_id)` rows (those another scheme made are left out)."""
        for lead_id, encoded, cluster_id in rows:
            values = decode(encoded)
            if values is not None:
                self.add(lead_id, values, cluster_id)

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
        """The cluster of the most similar other known lead at or above the threshold, or None.

        Ties go to the smallest lead id, so the answer does not depend on the order leads were added.
        """
        found: set[int] = set()
        for buckets, key in zip(self._buckets, keys):
            members = buckets.get(key)
            if isinstance(members, list):
                found.update(members)
            elif members is not None:
                found.add(members)
        own = self._rows.get(lead_id)
        if own is not None:
            found.discard(own)
        if not found:
            return None
        rows = np.fromiter(found, dtype=np.intp, count=len(found))
        equal = np.add.reduce(self._rows_values(rows) == compact, axis=1)
        best = equal.max()
        if best < self._minimum_equal:
            return None
        nearest = min(rows[equal == best].tolist(), key=self._ids.__getitem__)
        return self._clusters[nearest]

    def _rows_values(self, rows: np.ndarray) -> np.ndarray:
        """The compact signatures of `rows`, one per line."""
        if len(self._chunks) == 1:
            return self._chunks[0][rows]
        values = np.empty((len(rows), NUM_PERM), dtype=np.uint32)
        chunk, offset = np.divmod(rows, _CHUNK_ROWS)
        for number in np.unique(chunk).tolist():
            selected = chunk == number
            values[selected] = self._chunks[number][offset[selected]]
        return values
