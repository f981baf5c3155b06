"""N-grams as integers: every n-gram of a text has the key its string has, and the vocabulary finds the id a
dictionary look-up finds (or none), also when many keys share a hash slot."""
from __future__ import annotations

import random

import numpy as np
import pytest

from detector.char_grams import GramVocabulary, code_points, gram_keys, term_key

ALPHABET = "ab 中文\n\u3000ＡＢ\U00020000😀\x00"


def test_the_keys_of_a_texts_ngrams_are_those_of_its_ngram_strings() -> None:
    rng = random.Random(3)
    for _ in range(200):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 9)))
        for n in (1, 2, 3):
            expected = [term_key(text[i:i + n]) for i in range(len(text) - n + 1)]
            assert gram_keys(code_points(text), n).tolist() == expected


def test_ngrams_of_different_lengths_never_share_a_key() -> None:
    grams = {a + b + c for a in ALPHABET for b in ["", *ALPHABET] for c in ["", *ALPHABET] if b or not c}
    assert len({term_key(gram) for gram in grams}) == len(grams)


def test_the_vocabulary_finds_each_ngrams_id_and_nothing_else() -> None:
    rng = random.Random(5)
    grams = sorted({"".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 3))) for _ in range(3000)})
    vocabulary = {gram: index * 7 for index, gram in enumerate(grams[::2])}
    looked_up = GramVocabulary(vocabulary).ids(np.array([term_key(gram) for gram in grams], dtype=np.int64))
    assert looked_up.tolist() == [vocabulary.get(gram, -1) for gram in grams]


def test_a_key_is_one_to_three_characters() -> None:
    with pytest.raises(ValueError, match="1 to 3"):
        term_key("abcd")
