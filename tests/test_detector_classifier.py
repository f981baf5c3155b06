"""The classifier's fast paths give exactly what the libraries give: the spaCy Doc of the Chinese "char" segmenter
and scikit-learn's TF-IDF, on corpus texts, long pages and awkward whitespace."""
from __future__ import annotations

import random

import numpy as np
import pytest

from detector.classifier import TEXT_TARGETS, LabelClassifier, char_doc, sentence_chunks
from detector.training.corpus import data_root, read_items


@pytest.fixture(scope="module")
def classifier() -> LabelClassifier:
    return LabelClassifier.load()


@pytest.fixture(scope="module")
def texts() -> list[str]:
    corpus = [f"{item.title}\n{item.text}" for item in read_items(data_root() / "test.jsonl")[:400]]
    pages = ["\n".join(corpus[start:start + 5]) for start in range(0, 200, 5)]
    rng = random.Random(7)
    awkward = ["".join(rng.choice("ab中 \n\t\u3000\r文ＡＢ  ") for _ in range(rng.randint(0, 14))) for _ in range(500)]
    return [*corpus, *pages, *awkward, "", " ", "a", "  a  b \n\n c ", "中 文  "]


def test_char_doc_is_the_doc_of_spacys_char_segmenter(classifier: LabelClassifier, texts: list[str]) -> None:
    for text in texts:
        expected = classifier.nlp.make_doc(text)
        made = char_doc(classifier.nlp.vocab, text)
        assert [(t.text, t.whitespace_) for t in made] == [(t.text, t.whitespace_) for t in expected], repr(text)


def test_tfidf_is_the_vectorizers_transform(classifier: LabelClassifier, texts: list[str]) -> None:
    ngrams = classifier.ngrams
    expected = ngrams.vectorizer.transform(texts).tocsr()
    made = ngrams.tfidf(texts)
    assert np.array_equal(made.indptr, expected.indptr)
    assert np.array_equal(made.indices, expected.indices)
    assert np.array_equal(made.data, expected.data)  # bit for bit
    assert ngrams.tfidf([]).shape == (0, len(ngrams.vectorizer.vocabulary_))


def test_sentence_maximum_of_a_one_sentence_text_is_its_own_score(classifier: LabelClassifier) -> None:
    one, several = "内部渠道三十天下证", "商标注册线上办理。内部渠道三十天下证,包授权。"
    assert sentence_chunks(one) == [one] and len(sentence_chunks(several)) == 2
    _, whole, chunk_max = classifier.base_probabilities([one, several])
    assert np.array_equal(chunk_max[0], whole[0])
    by_sentence = classifier.ngrams.probabilities(sentence_chunks(several))
    columns = [classifier.ngrams.labels.index(target) for target in TEXT_TARGETS]
    assert np.array_equal(chunk_max[1], by_sentence[:, columns].max(axis=0))
