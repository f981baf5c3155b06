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
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import chain

import numpy as np
import rensa

NUM_PERM = 64
SHINGLE = 3
THRESHOLD = 0.6
_SEED = 1
_CODE_POINT_BITS = np.uint64(21)


def normalized(title: str | None, text: str | None) -> str:
    """Title and text folded (NFKC, lower case) with everything but letters and digits removed.

    Reposts differ in spacing, punctuation, emoji and full-width forms; those must not split a cluster.
    """
    return normalized_all([(title, text)])[0]


def normalized_all(contents: Sequence[tuple[str | None, str | None]]) -> list[str]:
    """`normalized` of each (title, text): the letters and digits of the whole batch are picked in one pass."""
    joined = [f"{title or ''}{text or ''}" for title, text in contents]
    codes = _code_points("".join(joined))
    keep = _letters_and_digits()[codes]
    kept = codes[keep].tobytes().decode("utf-32-le")
    ends = np.concatenate(([0], np.cumsum(keep)))[np.cumsum([len(value) for value in joined], dtype=np.intp)]
    values = []
    start = 0
    for end in ends.tolist():
        value, start = kept[start:end], end
        if not unicodedata.is_normalized("NFKC", value):
            value = _only_letters_and_digits(unicodedata.normalize("NFKC", value))
        values.append(value.lower())
    return values


def _code_points(value: str) -> np.ndarray:
    """The code points of `value` (lone surrogates included: they are neither letters nor digits)."""
    return np.frombuffer(value.encode("utf-32-le", "surrogatepass"), dtype="<u4")


@lru_cache(maxsize=1)
def _letters_and_digits() -> np.ndarray:
    """Whether each code point is a letter or digit (`str.isalnum`, the complement of regex `[\\W_]`), as a table
    a whole batch is looked up in at once (1.1 MB, built in about 0.1 s)."""
    return np.fromiter((chr(code).isalnum() for code in range(sys.maxunicode + 1)), dtype=bool,
                       count=sys.maxunicode + 1)


def _only_letters_and_digits(value: str) -> str:
    codes = _code_points(value)
    return codes[_letters_and_digits()[codes]].tobytes().decode("utf-32-le")


def shingles(value: str) -> np.ndarray:
    """The 3-character shingles of `value`, each as one integer (a shorter value is one shingle).

    Repeated shingles are kept: a signature takes minima, which repeats do not change.
    """
    codes = _code_points(value).astype(np.uint64)
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
    values = normalized_all(contents)
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
    rows = np.fromiter(chain.from_iterable(digests.to_rows()), dtype=np.uint32,
                       count=len(values) * NUM_PERM).reshape(len(values), NUM_PERM)
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
# Candidate pairs compared in one numpy pass of `join_many` (a bucket shared by thousands of reposts must not
# make a batch gather gigabytes).
_PAIRS_PER_PASS = 1 << 16
# A band's key is a linear combination of its values with these odd weights (wrapping): distinct bands almost
# never share a key, and a shared key only adds a candidate, which the full comparison then rejects.
_BAND_WEIGHTS = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
                          0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53][:ROWS_PER_BAND], dtype=np.uint64)


def _band_keys(matrix: np.ndarray) -> list[list[int]]:
    """The bucket key of each band of each signature (one row per signature), computed for all rows at once."""
    bands = matrix[:, :BANDS * ROWS_PER_BAND].reshape(len(matrix), BANDS, ROWS_PER_BAND).astype(np.uint64)
    keys: list[list[int]] = (bands @ _BAND_WEIGHTS).tolist()
    return keys


class NearDuplicateIndex:
    """The signatures of known leads, answering "which cluster does this content belong to".

    Each band of a signature is a bucket key; leads sharing any bucket are the candidates whose similarity is
    then estimated from the whole signatures. A crawl keeps this index for every lead it knows, so it is kept
    small (about 1 KB a lead): signatures are held in fixed-size numpy chunks, buckets map the key of a band to
    a row number (a list only when several leads share it).
    """

    def __init__(self, threshold: float = THRESHOLD) -> None:
        self._buckets: list[dict[int, int | list[int]]] = [{} for _ in range(BANDS)]
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

    def _values(self, row: int) -> np.ndarray:
        return self._chunks[row // _CHUNK_ROWS][row % _CHUNK_ROWS]

    def add(self, lead_id: str, values: Signature, cluster_id: str) -> None:
        """Add a lead (or replace its signature) in a known cluster."""
        compact = np.asarray(values, dtype=np.uint32)
        self._add(lead_id, compact, cluster_id, _band_keys(compact[np.newaxis])[0])

    def join(self, lead_id: str, values: Signature) -> str:
        """Add a new lead and return its cluster: that of its most similar near-duplicate, else its own id."""
        return self.join_many([lead_id], [values])[0]

    def join_many(self, lead_ids: Sequence[str], signatures: Sequence[Signature]) -> list[str]:
        """`join` each lead in turn (a lead may join the cluster of one before it), for a batch at once.

        The buckets are looked up in order, as one `join` after another would; the candidates' similarities are
        then estimated in numpy passes over the whole batch. The ids must be distinct.
        """
        if len(set(lead_ids)) != len(lead_ids):
            raise ValueError("join_many needs distinct lead ids")
        matrix = np.asarray(signatures, dtype=np.uint32).reshape(len(lead_ids), NUM_PERM)
        rows: list[int] = []
        candidates: list[int] = []
        counts: list[int] = []
        # Rows given up by leads joining again are reused only after the batch: until then they may be candidates.
        released: list[int] = []
        for lead_id, keys in zip(lead_ids, _band_keys(matrix)):
            if lead_id in self._rows:
                released.append(self._remove(lead_id))
            row = self._new_row(lead_id, lead_id)
            found = self._put_in_buckets(row, keys)
            rows.append(row)
            counts.append(len(found))
            candidates += found
        self._write_rows(np.array(rows, dtype=np.intp), matrix)
        clusters = list(lead_ids)
        if candidates:
            self._join_nearest(rows, np.array(counts), np.array(candidates, dtype=np.intp), clusters)
        self._free_rows += released
        return clusters

    def _join_nearest(self, rows: list[int], counts: np.ndarray, candidates: np.ndarray, clusters: list[str]) -> None:
        """Give each batch row (in order) the cluster of its most similar candidate at or above the threshold.

        `candidates` holds each row's candidates in turn (`counts` of them). Ties go to the smallest lead id, so
        the answer does not depend on the order leads were added.
        """
        own = np.repeat(np.array(rows, dtype=np.intp), counts)
        equal = np.empty(len(candidates), dtype=np.intp)
        for start in range(0, len(candidates), _PAIRS_PER_PASS):
            part = slice(start, start + _PAIRS_PER_PASS)
            equal[part] = np.add.reduce(self._rows_values(candidates[part]) == self._rows_values(own[part]), axis=1)
        with_candidates = np.flatnonzero(counts)
        starts = np.cumsum(counts)[with_candidates] - counts[with_candidates]
        best = np.maximum.reduceat(equal, starts)
        for number in np.flatnonzero(best >= self._minimum_equal).tolist():
            lead = int(with_candidates[number])
            start, end = int(starts[number]), int(starts[number] + counts[lead])
            nearest = min(candidates[start:end][equal[start:end] == best[number]].tolist(), key=self._ids.__getitem__)
            clusters[lead] = self._clusters[rows[lead]] = self._clusters[nearest]

    def load(self, rows: Iterable[tuple[str, str, str]]) -> None:
        """Add stored `(lead_id, encoded signature, cluster_id)` rows (those another scheme made are left out)."""
        current = [(lead_id, values, cluster_id) for lead_id, encoded, cluster_id in rows
                   if (values := decode(encoded)) is not None]
        for start in range(0, len(current), _CHUNK_ROWS):
            part = current[start:start + _CHUNK_ROWS]
            matrix = np.array([values for _, values, _ in part], dtype=np.uint32).reshape(len(part), NUM_PERM)
            for (lead_id, _, cluster_id), values, keys in zip(part, matrix, _band_keys(matrix)):
                self._add(lead_id, values, cluster_id, keys)

    def _add(self, lead_id: str, compact: np.ndarray, cluster_id: str, keys: list[int]) -> None:
        if lead_id in self._rows:
            self._free_rows.append(self._remove(lead_id))
        row = self._new_row(lead_id, cluster_id)
        self._values(row)[:] = compact
        self._put_in_buckets(row, keys)

    def _put_in_buckets(self, row: int, keys: list[int]) -> set[int]:
        """Put `row` in the bucket of each band's key; returns the rows those buckets held already."""
        found: set[int] = set()
        for buckets, key in zip(self._buckets, keys):
            members = buckets.get(key)
            if members is None:
                buckets[key] = row
            elif isinstance(members, list):
                found.update(members)
                members.append(row)
            else:
                found.add(members)
                buckets[key] = [members, row]
        return found

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

    def _remove(self, lead_id: str) -> int:
        """Take a lead out of its buckets; returns its row, which the caller frees."""
        row = self._rows.pop(lead_id)
        for buckets, key in zip(self._buckets, _band_keys(self._values(row)[np.newaxis])[0]):
            members = buckets[key]
            if isinstance(members, list):
                members.remove(row)
                if len(members) == 1:
                    buckets[key] = members[0]
            else:
                del buckets[key]
        return row

    def _write_rows(self, rows: np.ndarray, matrix: np.ndarray) -> None:
        """Store the signatures of `matrix` in `rows`, one per line."""
        chunk, offset = np.divmod(rows, _CHUNK_ROWS)
        for number in np.unique(chunk).tolist():
            selected = chunk == number
            self._chunks[number][offset[selected]] = matrix[selected]

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
