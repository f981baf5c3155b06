"""The classifier's fast paths give exactly what the libraries give: the textcat pipe run on the Docs of spaCy's
Chinese "char" segmenter, scikit-learn's TF-IDF, and the TF-IDF of each sentence chunk on its own, on corpus texts,
long pages and awkward whitespace."""
from __future__ import annotations

import random
import subprocess
import sys

import numpy as np
import pytest

from detector.classifier import TEXT_TARGETS, LabelClassifier, sentence_chunks
from detector.training.corpus import data_root, read_items


@pytest.fixture(scope="module")
def classifier() -> LabelClassifier:
    return LabelClassifier.load()


@pytest.fixture(scope="module")
def texts() -> list[str]:
    corpus = [f"{item.title}\n{item.text}" for item in read_items(data_root() / "test.jsonl")[:400]]
    pages = ["\n".join(corpus[start:start + 5]) for start in range(0, 200, 5)]
    rng = random.Random(7)
    characters = "ab中 \n\t\u3000\r文ＡＢ  \U00020000😀"  # whitespace of all kinds, characters beyond the BMP
    awkward = ["".join(rng.choice(characters) for _ in range(rng.randint(0, 14))) for _ in range(500)]
    return [*corpus, *pages, *awkward, "", " ", "a", "  a  b \n\n c ", "中 文  "]


def test_textcat_scores_are_those_of_the_pipeline_on_spacys_own_docs(classifier: LabelClassifier,
                                                                     texts: list[str]) -> None:
    readable = [text for text in texts if text]  # the detector never sends an empty text
    expected = np.array([[doc.cats[target] for target in TEXT_TARGETS]
                         for doc in classifier.nlp.pipe((classifier.nlp.make_doc(text) for text in readable),
                                                        batch_size=256)])
    assert np.array_equal(classifier.spacy_probabilities(readable), expected)  # bit for bit


def test_tfidf_is_the_vectorizers_transform(classifier: LabelClassifier, texts: list[str]) -> None:
    ngrams = classifier.ngrams
    expected = ngrams.vectorizer.transform(texts).tocsr()
    made = ngrams.tfidf(texts)
    assert np.array_equal(made.indptr, expected.indptr)
    assert np.array_equal(made.indices, expected.indices)
    assert np.array_equal(made.data, expected.data)  # bit for bit
    assert ngrams.tfidf([]).shape == (0, len(ngrams.vectorizer.vocabulary_))


def test_detecting_with_the_trained_model_does_not_import_scikit_learn() -> None:
    # scikit-learn's import (with SciPy's stats) cost ~0.75 CPU-s of every crawl's start; it is for training only
    script = ("import sys; from detector.detector import Detector; "
              "d = Detector.load(); assert d.mode == 'model'; "
              "d.detect({'id': 'x', 'title': '商标注册包通过', 'text': '内部渠道三十天下证'}); "
              "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sklearn'))")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"


def test_sentence_maximum_of_a_one_sentence_text_is_its_own_score(classifier: LabelClassifier) -> None:
    one, several = "内部渠道三十天下证", "商标注册线上办理。内部渠道三十天下证,包授权。"
    assert sentence_chunks(one) == [one] and len(sentence_chunks(several)) == 2
    _, whole, chunk_max = classifier.base_probabilities([one, several])
    assert np.array_equal(chunk_max[0], whole[0])
    by_sentence = classifier.ngrams.probabilities(sentence_chunks(several))
    columns = [classifier.ngrams.labels.index(target) for target in TEXT_TARGETS]
    assert np.array_equal(chunk_max[1], by_sentence[:, columns].max(axis=0))


def test_sentence_chunks_score_as_texts_of_their_own(classifier: LabelClassifier, texts: list[str]) -> None:
    # A run of whitespace across a chunk boundary is one space on the page but not in the chunks.
    texts = [*texts, "国家知识产权局内部渠道\n  三十天下证不过退款", "无句号的一段话"]
    parts = [chunks if len(chunks := sentence_chunks(text)) > 1 else [] for text in texts]
    assert any(parts) and not all(parts)
    whole, split = classifier.ngrams.probabilities_with_parts(texts, parts)
    assert np.array_equal(whole, classifier.ngrams.probabilities(texts))
    assert np.array_equal(split, classifier.ngrams.probabilities([part for chunks in parts for part in chunks]))


def test_the_solicitation_stacker_reads_the_strongest_content_rule() -> None:
    # The rules find a claim only outside reported speech: a claim they find is the author's own.
    from detector.classifier import SOLICITATION_FEATURES, solicitation_features

    p = np.array([0.5, 0.5])
    features = [{"label:insider_channel": 0.7, "label:abnormal_filing": 0.4, "label:offers_patent_agency": 0.9}, {}]
    x = solicitation_features(p, p, features, ["如果商标被驳回，服务费如数退还", "商标注册"])
    assert x.shape == (2, len(SOLICITATION_FEATURES))
    column = SOLICITATION_FEATURES.index("rule_claim")
    # offers_patent_agency is no claim of a violation: only the content labels count.
    assert x[:, column].tolist() == [0.7, 0.0]
