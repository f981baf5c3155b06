"""The trained part of the detector: calibrated per-label scores from two text models and the rule features.

Who is speaking comes first: a `solicitation` score (0..1, is the author offering something to win business?)
from the two text models' solicitation outputs and the counts of the rules' solicitation cue lists
(`detector.speech.AD_CUES`, `REPORT_CUES`: contact details, prices, first person vs. official voice, law
citations, questions, contract and job-ad wording …), stacked by a logistic regression.

`LabelClassifier` then combines, for each of the five content labels and the `offers_patent_agency` signal:
a spaCy `textcat_multilabel` pipeline (characters, hashed bag of 1-3-grams), a character 1-3-gram TF-IDF
logistic regression (scikit-learn) on the whole text and on each sentence, the rule engine's score for the label,
the counts of its context word lists and the solicitation score. A per-label logistic stacker, fitted on held-out
(cross-fitted) predictions, turns these into a 0..1 claim score, and the label's score is the claim score times
the solicitation score (`gated`): the template corpus alone never teaches the stacker how much who is speaking
matters, real text does. Per-label thresholds were chosen on held-out scores of that product. Where a rule of
measured precision fired in a soliciting text, the label's score is at least that precision (`detector.rule_path`):
the text models cannot veto it. The texts are the
Detector's model texts: reported passages are already masked (`detector.speech.mask_reported`).

Artifacts in the model dir (default `models/detector/`): `textcat/` (spaCy pipeline), `char_ngrams.npz`
(vocabulary, idf, weights: plain arrays, no pickle) and `model.json` (stacker, thresholds, provenance).
"""
from __future__ import annotations

import functools
import itertools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from core.config import ConfigError
from core.labels import CONTENT_LABELS, SOLICITATION
from core.settings import project_root
from detector.char_grams import GramVocabulary, code_points, gram_keys
from detector.config import MODEL_LABELS
from detector.rule_path import RulePath
from detector.speech import AD_CUES, REPORT_CUES

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer

# What the two text models predict: the labels and the solicitation target.
TEXT_TARGETS = (*MODEL_LABELS, SOLICITATION)
MODEL_FILE = "model.json"
NGRAM_FILE = "char_ngrams.npz"
TEXTCAT_DIR = "textcat"
FORMAT_VERSION = 3


def default_model_dir() -> Path:
    return project_root() / "models" / "detector"


# Word lists of config/detector/rules.yaml that mark a lawful or warning context (news, recruitment, 撤三答辩 …):
# their counts let the stacker discount model scores there. A list missing from the config counts 0.
CONTEXT_LEXICONS = ("warning", "warning_after", "news", "recruiting", "defense", "lawful_remedy", "lawful_before",
                    "lawful_after")
CONTEXT_CAP = 3.0
STACK_FEATURES = ("spacy_logit", "char_ngram_logit", "char_ngram_sentence_max_logit", "rule_score",
                  "rule_suppressed", *(f"lex:{name}" for name in CONTEXT_LEXICONS), "solicitation_logit")
SOLICITATION_CUES = (*AD_CUES, *REPORT_CUES)
SOLICITATION_FEATURES = ("spacy_logit", "char_ngram_logit", *(f"lex:{name}" for name in SOLICITATION_CUES),
                         "reported_passages", "log_length", "rule_claim")
_SENTENCE_END = re.compile(r"(?<=[。!?;\n])")
MIN_CHUNK = 8
SPACY_BATCH = 256  # texts per textcat `predict` (nlp.pipe's batch size when the pipeline was run as a whole)
# scikit-learn's char analyzer collapses runs of whitespace before taking n-grams (see `CharNgramModel.tfidf`).
_WHITE_SPACES = re.compile(r"\s\s+")
# Runs of whitespace, kept by `re.split` (see `char_tokens`).
_WHITESPACE_RUN = re.compile(r"(\s+)")
NGRAM_RANGE = (1, 3)  # the character n-grams of `make_vectorizer`


def stack_features(label: str, spacy_p: np.ndarray, ngram_p: np.ndarray, chunk_p: np.ndarray,
                   rule_features: Sequence[dict[str, float]], solicitation: np.ndarray) -> np.ndarray:
    """Inputs of one label's stacker (STACK_FEATURES): model probabilities as logits, the rules' scores, the
    capped counts of the context word lists, and the solicitation score as a logit."""
    rule_score = np.array([f.get(f"label:{label}", 0.0) for f in rule_features], dtype=np.float64)
    suppressed = np.array([f.get(f"suppressed:{label}", 0.0) for f in rule_features], dtype=np.float64)
    context = _capped_counts(rule_features, CONTEXT_LEXICONS)
    return np.column_stack([_logit(spacy_p), _logit(ngram_p), _logit(chunk_p), rule_score, suppressed, context,
                            _logit(solicitation)])


def gated(claim: np.ndarray, solicitation: np.ndarray) -> np.ndarray:
    """A label's score: the claim's score times the solicitation score. A violation is a claim its author makes
    to win business, so the words of a claim in a warning, a decision or an explainer (low solicitation) score
    low whatever the text models make of them; an ad (solicitation near 1) keeps its claim's score."""
    return claim * solicitation


def solicitation_features(spacy_p: np.ndarray, ngram_p: np.ndarray, rule_features: Sequence[dict[str, float]],
                          texts: Sequence[str]) -> np.ndarray:
    """Inputs of the solicitation stacker (SOLICITATION_FEATURES): the text models' solicitation logits, the
    capped counts of the cue lists, the number of reported passages, the text's length (log) and the strongest
    content rule's score (the rules read a claim only outside reported speech, so a claim they find is the
    author's own: a short ad that is nothing but the claim solicits)."""
    cues = _capped_counts(rule_features, SOLICITATION_CUES)
    reported = np.array([min(f.get("speech:reported", 0.0), CONTEXT_CAP) for f in rule_features], dtype=np.float64)
    length = np.log1p(np.array([len(text) for text in texts], dtype=np.float64))
    claim = np.array([max(f.get(f"label:{label}", 0.0) for label in CONTENT_LABELS) for f in rule_features],
                     dtype=np.float64)
    return np.column_stack([_logit(spacy_p), _logit(ngram_p), cues, reported, length, claim])


def _capped_counts(rule_features: Sequence[dict[str, float]], names: Sequence[str]) -> np.ndarray:
    keys = [f"lex:{name}" for name in names]
    counts = np.array([list(map(f.get, keys, itertools.repeat(0.0))) for f in rule_features], dtype=np.float64)
    return np.minimum(counts.reshape(len(rule_features), len(names)), CONTEXT_CAP)


def sentence_chunks(text: str) -> list[str]:
    """Sentences of a normalised text, short ones joined to the next, so one claim in a long page stands out."""
    chunks: list[str] = []
    pending = ""
    for sentence in _SENTENCE_END.split(text):
        pending += sentence
        if len(pending.strip()) >= MIN_CHUNK:
            chunks.append(pending)
            pending = ""
    if pending.strip():
        if chunks:
            chunks[-1] += pending
        else:
            chunks.append(pending)
    return chunks or [text]


def char_tokens(text: str) -> list[str]:
    """The tokens the Chinese "char" segmenter of textcat.cfg makes of `text` (one per character, a whitespace run
    its own token, one space after a character being that token's trailing space), made from the text's runs of
    whitespace: spaCy's own alignment searches the rest of the text for every character, quadratic on a long page."""
    pieces = _WHITESPACE_RUN.split(text)
    tokens = list(pieces[0])
    for index in range(1, len(pieces), 2):
        run = pieces[index]
        if pieces[index - 1] and run[0] == " ":  # after a character: its trailing space
            run = run[1:]
        if run:
            tokens.append(run)
        tokens.extend(pieces[index + 1])
    return tokens


class _TokenIds:
    """All the textcat model reads of a Doc: its tokens' ORTH ids (`spacy.TextCatBOW` hashes their 1-3-grams).
    Building a real Doc looks up a lexeme per character, as much work again as the whole model."""

    __slots__ = ("orth",)

    def __init__(self, orth: np.ndarray) -> None:
        self.orth = orth

    def __len__(self) -> int:
        return len(self.orth)

    def to_array(self, attrs: Sequence[int]) -> np.ndarray:
        from spacy.attrs import ORTH

        if list(attrs) != [ORTH]:
            raise ValueError(f"only ORTH ids are known here, not attributes {attrs}")
        return self.orth


def _analysed(text: str) -> str:
    """A text as scikit-learn's char analyzer reads it: lower case, runs of whitespace as one space."""
    return _WHITE_SPACES.sub(" ", text.lower())


class _OrthIds(dict[str, int]):
    """A token's ORTH id (the hash of its text in spaCy's string store), remembered for the tokens seen (characters
    and whitespace runs; forgotten past `limit`): read with one C-level dict look-up per token."""

    def __init__(self, limit: int = 1 << 16) -> None:
        super().__init__()
        self.limit = limit

    def __missing__(self, token: str) -> int:
        from spacy.strings import get_string_id

        if len(self) >= self.limit:
            self.clear()
        orth: int = get_string_id(token)
        self[token] = orth
        return orth


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class CharNgramModel:
    """TF-IDF over character 1-3-grams and one logistic regression per label, stored as plain arrays: predicting
    needs no scikit-learn (its import with SciPy's stats cost ~0.5 CPU-s of every crawl's start); training fits
    `make_vectorizer` and keeps its vocabulary and idf (`from_vectorizer`)."""

    def __init__(self, vocabulary: dict[str, int], idf: np.ndarray, coef: np.ndarray, intercept: np.ndarray,
                 labels: Sequence[str]) -> None:
        self.vocabulary = vocabulary
        self.idf = idf
        self.coef = coef
        self.intercept = intercept
        self.labels = tuple(labels)

    @classmethod
    def from_vectorizer(cls, vectorizer: TfidfVectorizer, coef: np.ndarray, intercept: np.ndarray,
                        labels: Sequence[str]) -> CharNgramModel:
        """The model of a fitted `make_vectorizer()` and the regressions' weights."""
        return cls(vectorizer.vocabulary_, vectorizer.idf_, coef, intercept, labels)

    @property
    def vectorizer(self) -> TfidfVectorizer:
        """The scikit-learn vectoriser these n-grams and weights stand for (`tfidf` gives its `transform`)."""
        vectorizer = make_vectorizer(vocabulary=self.vocabulary)
        vectorizer.idf_ = self.idf
        return vectorizer

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """(n_texts, n_labels) probabilities of the per-label logistic regressions."""
        return self._scores(self.tfidf(texts))

    def probabilities_with_parts(self, texts: Sequence[str],
                                 parts: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
        """`probabilities` of `texts` and of all their parts in order (`parts[i]` is empty or joins up to `texts[i]`,
        as the sentence chunks of a page), the same numbers as two calls: where a text's parts, lower-cased and with
        whitespace collapsed, join up to the text so treated, their n-grams are the text's own that lie inside one
        part, looked up once and assigned to parts in whole-array passes."""
        analysed = [_analysed(text) for text in texts]
        ids, gram_rows, positions, gram_lengths = self._gram_ids(analysed)
        # The parts' ends in the analysed texts, keyed by text so that one search places every n-gram.
        span = max(map(len, analysed), default=0) + 1
        part_keys: list[int] = []
        part_numbers: list[int] = []
        own_texts: list[str] = []
        own_numbers: list[int] = []
        number = 0
        for row, text in enumerate(analysed):
            pieces = [_analysed(part) for part in parts[row]]
            if not pieces:
                continue
            if "".join(pieces) == text:
                part_keys.extend(row * span + end for end in itertools.accumulate(map(len, pieces)))
                part_numbers.extend(range(number, number + len(pieces)))
            else:  # whitespace collapsed across a boundary: the parts' own n-grams
                own_texts.extend(pieces)
                own_numbers.extend(range(number, number + len(pieces)))
            number += len(pieces)
        keys, numbers = np.array(part_keys, dtype=np.int64), np.array(part_numbers, dtype=np.int64)
        found = np.searchsorted(keys, gram_rows * span + positions, side="right")
        inside = found < len(keys)
        inside[inside] = keys[found[inside]] // span == gram_rows[inside]
        inside[inside] = positions[inside] + gram_lengths[inside] <= keys[found[inside]] % span
        own_ids, own_rows, _, _ = self._gram_ids(own_texts)
        own_rows = np.array(own_numbers, dtype=np.int64)[own_rows]
        whole = self._weighted(ids, gram_rows, len(texts))
        split = self._weighted(np.concatenate([ids[inside], own_ids]),
                               np.concatenate([numbers[found[inside]], own_rows]), number)
        return self._scores(whole), self._scores(split)

    def tfidf(self, texts: Sequence[str]) -> Any:
        """The vectoriser's TF-IDF matrix of `texts`, the same numbers as `vectorizer.transform`: the n-grams are
        looked up as integers in whole arrays (`_gram_ids`) instead of scikit-learn's per-n-gram Python loop, and the
        weighting is its own (sublinear tf, idf, l2), step by step."""
        ids, rows, _, _ = self._gram_ids([_analysed(text) for text in texts])
        return self._weighted(ids, rows, len(texts))

    def _scores(self, tfidf: Any) -> np.ndarray:
        return _sigmoid(np.asarray(tfidf @ self.coef.T) + self.intercept)

    def _gram_ids(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The n-grams of analysed texts, in any order: their vocabulary ids (-1: not in it), the text each is in,
        where it starts there and its length. N-grams are looked up as integers (`detector.char_grams`), all texts
        at once, so no string is made per n-gram."""
        vocabulary = self._vocabulary
        sizes = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        ends = np.cumsum(sizes)
        text_rows = np.repeat(np.arange(len(texts)), sizes)
        offsets = np.arange(len(text_rows)) - np.repeat(ends - sizes, sizes)
        codes = code_points("".join(texts))
        low, high = NGRAM_RANGE
        ids, rows, positions, lengths = [], [], [], []
        for n in range(low, high + 1):
            keys = gram_keys(codes, n)
            fits = offsets[:len(keys)] + n <= sizes[text_rows[:len(keys)]]
            ids.append(vocabulary.ids(keys[fits]))
            rows.append(text_rows[:len(fits)][fits])
            positions.append(offsets[:len(fits)][fits])
            lengths.append(np.full(len(ids[-1]), n, dtype=np.int64))
        return tuple(np.concatenate(arrays) for arrays in (ids, rows, positions, lengths))  # type: ignore[return-value]

    @functools.cached_property
    def _vocabulary(self) -> GramVocabulary:
        return GramVocabulary(self.vocabulary)

    def _weighted(self, ids: np.ndarray, rows: np.ndarray, size: int) -> Any:
        """The TF-IDF matrix of `size` rows from n-gram ids and the row each belongs to (in any order)."""
        vocabulary = self.vocabulary
        if not size:
            return sp.csr_array((0, len(vocabulary)), dtype=np.float32)
        known = ids >= 0
        # One key per (row, n-gram); sorting them is most of the work, and 32-bit keys sort about twice as fast.
        key_type = np.int32 if size * len(vocabulary) <= np.iinfo(np.int32).max else np.int64
        keys, number = np.unique((rows[known] * len(vocabulary) + ids[known]).astype(key_type), return_counts=True)
        indptr = np.zeros(size + 1, dtype=np.int32)
        np.cumsum(np.bincount(keys // len(vocabulary), minlength=size), out=indptr[1:])
        matrix = sp.csr_array((number.astype(np.float32), (keys % len(vocabulary)).astype(np.int32), indptr),
                              shape=(size, len(vocabulary)), dtype=np.float32)
        np.log(matrix.data, matrix.data)
        matrix.data += 1.0
        matrix.data *= self.idf[matrix.indices]
        return _normalized_rows(matrix)

    def save(self, path: Path) -> None:
        vocabulary = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        np.savez_compressed(
            path,
            vocabulary=np.array(vocabulary),
            idf=self.idf.astype(np.float32),
            coef=self.coef.astype(np.float32),
            intercept=self.intercept.astype(np.float32),
            labels=np.array(self.labels),
        )

    @classmethod
    def load(cls, path: Path) -> CharNgramModel:
        with np.load(path, allow_pickle=False) as data:
            vocabulary = {term: index for index, term in enumerate(data["vocabulary"].tolist())}
            return cls(vocabulary, data["idf"].astype(np.float64), data["coef"].astype(np.float64),
                       data["intercept"].astype(np.float64), data["labels"].tolist())


def _normalized_rows(matrix: Any) -> Any:
    """`sklearn.preprocessing.normalize(matrix, norm="l2", copy=False)` of a float32 CSR matrix, bit for bit: as its
    `inplace_csr_row_normalize_l2`, each row's float32 squares are summed in order in double precision (`bincount`
    adds its weights in order), and each value is divided by the root in double precision and stored as float32."""
    data = matrix.data
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=matrix.shape[0]))
    norms[norms == 0.0] = 1.0
    data[:] = data / norms[rows]
    return matrix


def make_vectorizer(vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
    """The character n-gram vectoriser of training; `CharNgramModel` predicts the same numbers without it."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer="char", ngram_range=NGRAM_RANGE, sublinear_tf=True, min_df=2, max_features=60000,
        vocabulary=vocabulary, dtype=np.float32,
    )


@dataclass(frozen=True, slots=True)
class Stacker:
    """Per-label logistic regression over `stack_features`."""

    weights: dict[str, list[float]]
    bias: dict[str, float]

    def predict(self, label: str, features: np.ndarray) -> np.ndarray:
        return _sigmoid(features @ np.asarray(self.weights[label]) + self.bias[label])


class LabelClassifier:
    """Calibrated per-label scores for normalised listing texts; see the module docstring."""

    def __init__(self, nlp: Any, ngrams: CharNgramModel, stacker: Stacker, thresholds: dict[str, float],
                 meta: dict[str, Any] | None = None, rule_path: RulePath | None = None) -> None:
        self.nlp = nlp
        self.ngrams = ngrams
        self.stacker = stacker
        self.thresholds = dict(thresholds)
        self.meta = meta or {}
        self.rule_path = rule_path
        self.labels = MODEL_LABELS
        self._columns = [self.ngrams.labels.index(target) for target in TEXT_TARGETS]
        [(_, self._textcat)] = nlp.pipeline
        self._orth = _OrthIds()

    @classmethod
    def load(cls, model_dir: Path | str | None = None) -> LabelClassifier:
        """Load the artifacts of `model_dir` (default `models/detector/`); a missing or broken one is a ConfigError."""
        import spacy

        model_dir = Path(model_dir) if model_dir else default_model_dir()
        meta_path = model_dir / MODEL_FILE
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"{meta_path}: no trained model here (run `lantian train`)") from exc
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{meta_path}: not valid JSON: {exc}") from exc
        if meta.get("format") != FORMAT_VERSION:
            raise ConfigError(f"{meta_path}: field 'format' must be {FORMAT_VERSION} (retrain with `lantian train`)")
        missing = [label for label in MODEL_LABELS if label not in meta.get("thresholds", {})]
        if missing:
            raise ConfigError(f"{meta_path}: field 'thresholds' lacks {', '.join(missing)}")
        stacked = meta.get("stacker", {})
        if stacked.get("features") != list(STACK_FEATURES) or \
                stacked.get("solicitation_features") != list(SOLICITATION_FEATURES) or \
                set(stacked.get("weights", {})) != set(TEXT_TARGETS):
            raise ConfigError(f"{meta_path}: field 'stacker' was trained on other features than this code computes "
                              "(retrain with `lantian train`)")
        try:
            nlp = spacy.load(model_dir / TEXTCAT_DIR)
            ngrams = CharNgramModel.load(model_dir / NGRAM_FILE)
        except (OSError, KeyError, ValueError) as exc:
            raise ConfigError(f"{model_dir}: cannot load model artifacts: {exc}") from exc
        stacker = Stacker(meta["stacker"]["weights"], meta["stacker"]["bias"])
        # A model trained before the rule path has none: its stacker decides alone.
        rule_path = RulePath.from_json(meta.pop("rule_path"), str(meta_path)) if "rule_path" in meta else None
        return cls(nlp, ngrams, stacker, meta["thresholds"], meta, rule_path)

    def save(self, model_dir: Path) -> None:
        model_dir.mkdir(parents=True, exist_ok=True)
        self.nlp.to_disk(model_dir / TEXTCAT_DIR)
        self.ngrams.save(model_dir / NGRAM_FILE)
        meta = {
            **self.meta,
            "format": FORMAT_VERSION,
            "labels": list(MODEL_LABELS),
            "thresholds": self.thresholds,
            "stacker": {"features": list(STACK_FEATURES), "solicitation_features": list(SOLICITATION_FEATURES),
                        "weights": self.stacker.weights, "bias": self.stacker.bias},
            **({"rule_path": self.rule_path.to_json()} if self.rule_path is not None else {}),
        }
        (model_dir / MODEL_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    def spacy_probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """(n_texts, len(TEXT_TARGETS)) scores of the textcat pipe, the numbers `nlp.pipe` gives (the pipe's own
        `predict`, in batches of the same size), read from token ids instead of Docs."""
        scores = np.zeros((len(texts), len(TEXT_TARGETS)))
        known = [(column, self._textcat.labels.index(target)) for column, target in enumerate(TEXT_TARGETS)
                 if target in self._textcat.labels]
        columns, labels = [column for column, _ in known], [label for _, label in known]
        for start in range(0, len(texts), SPACY_BATCH):
            docs = [_TokenIds(np.fromiter(map(self._orth.__getitem__, char_tokens(text)), dtype=np.uint64))
                    for text in texts[start:start + SPACY_BATCH]]
            scores[start:start + len(docs), columns] = np.asarray(self._textcat.predict(docs))[:, labels]
        return scores

    def base_probabilities(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """spaCy, char n-gram and per-sentence-max char n-gram probabilities, each (n_texts, len(TEXT_TARGETS))."""
        spacy_p = self.spacy_probabilities(texts)
        # A text that is one sentence is its own sentence maximum: only texts of several sentences are split.
        chunks = [doc_chunks if len(doc_chunks) > 1 else [] for doc_chunks in map(sentence_chunks, texts)]
        several = [row for row, doc_chunks in enumerate(chunks) if doc_chunks]
        whole, chunk_p = self.ngrams.probabilities_with_parts(texts, chunks)
        whole, chunk_p = whole[:, self._columns], chunk_p[:, self._columns]
        chunk_max = whole.copy()
        if several:
            owners = np.repeat(several, [len(chunks[row]) for row in several])
            chunk_max[several] = 0.0
            np.maximum.at(chunk_max, owners, chunk_p)
        return spacy_p, whole, chunk_max

    def predict(self, texts: Sequence[str], rule_features: Sequence[dict[str, float]]) -> list[dict[str, float]]:
        """Calibrated 0..1 score per label and the solicitation score for each model text (with its RuleEngine
        features)."""
        if len(texts) != len(rule_features):
            raise ValueError(f"{len(texts)} texts but {len(rule_features)} rule feature dicts")
        if not texts:
            return []
        texts = list(texts)
        spacy_p, ngram_p, chunk_p = self.base_probabilities(texts)
        column = TEXT_TARGETS.index(SOLICITATION)
        solicitation = self.stacker.predict(
            SOLICITATION, solicitation_features(spacy_p[:, column], ngram_p[:, column], rule_features, texts))
        scores = np.column_stack([
            *(gated(self.stacker.predict(label, stack_features(label, spacy_p[:, i], ngram_p[:, i], chunk_p[:, i],
                                                               rule_features, solicitation)), solicitation)
              for i, label in enumerate(MODEL_LABELS)),
            solicitation,
        ])
        if self.rule_path is not None:
            content = len(CONTENT_LABELS)
            scores[:, :content] = np.maximum(scores[:, :content], self.rule_path.floors(rule_features, solicitation))
        return [dict(zip(TEXT_TARGETS, map(float, row))) for row in np.round(scores, 4)]
