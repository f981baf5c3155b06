"""The detector: a listing in, labels with scores, evidence spans, entities and a risk score out.

Pipeline per listing: read text inside images (OCR, only when there are images and the caller did not pass their
text as `image_text`); normalise title, text and image text and join them (a line break between fields, so no rule
spans two fields); one rule pass over the joined text and one over the seller name; the trained classifier
(`detector.classifier.LabelClassifier`, batch prediction) scores the five content labels, the auxiliary
`offers_patent_agency` and `solicitation` (is the author offering something to win business?) from the normalised
text and the rule features; `unlicensed_agency` = offers patent agency and the seller is not a registry agency.

Who is speaking: passages that report someone else's words (a quoted ad in a penalty decision, the claim a warning
names; `detector.speech`) raise no rule evidence and reach the trained models masked, so only the author's own
words raise a label. Without a model, `solicitation` is the share of soliciting cue lists among the cue lists found.

Modes: with a model in `models/detector/` (the default) scores come from the model and the rule evidence
explains them; without one (or `rules_only=True`) the rule scores of `detector.rules.label_scores` are used.
In both modes a seller name that poses as an official body sets a floor on `impersonation` (the model reads
the listing text, not the seller name).

`risk` is the highest score of any label (0 when nothing matched), so leads sort by their strongest signal.
"""
from __future__ import annotations

import gc
import threading
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from core.config import ConfigError
from core.labels import CONTENT_LABELS, LABELS, OFFERS_PATENT_AGENCY, SOLICITATION, UNLICENSED_AGENCY
from core.lead import Detection, Entity, Listing
from core.settings import config_dir, project_root
from detector.config import MODEL_LABELS, load_detector_file
from detector.entities import EntityExtractor
from detector.normalize import NormalizedText, Normalizer
from detector.ocr import ImageError, ImageTextReader
from detector.registry import AgencyRegistry, RegistryCheck
from detector.rules import Analysis, RuleEngine, RuleMatch, label_scores
from detector.speech import cue_solicitation, mask_reported, quoted_spans

CONTENT_FIELDS = ("title", "text", "image_text")
DEFAULT_MODEL_DIR = Path("models") / "detector"
# Longer fields are detected on their first this many characters (a multi-megabyte page is page chrome, not an ad).
MAX_FIELD_CHARS = 200_000
_SENTENCE_END = frozenset("。!?;\n")


class ListingError(ValueError):
    """A listing that cannot be detected (not an object, no id, a field of the wrong type)."""


class Classifier(Protocol):
    thresholds: dict[str, float]

    def predict(self, texts: list[str], rule_features: list[dict[str, float]]) -> list[dict[str, float]]: ...


@dataclass(frozen=True, slots=True)
class DetectorConfig:
    """`config/detector/detector.yaml`."""

    thresholds: dict[str, float]
    evidence_lexicons: dict[str, tuple[str, ...]]
    patent_subject_lexicons: tuple[str, ...]
    other_trade_lexicons: tuple[str, ...]
    ip_sector_lexicons: tuple[str, ...]
    ocr_min_score: float
    ocr_max_side: int

    @classmethod
    def from_config(cls, directory: Path, rules: RuleEngine) -> DetectorConfig:
        config, path = load_detector_file(directory)
        for label, names in config.evidence_lexicons.items():
            if any(name not in rules.lexicons for name in names):
                raise ConfigError(f"{path}: field 'evidence_lexicons.{label}' must list lexicons of rules.yaml")
        lexicon_fields = {
            "patent_subject_lexicons": config.patent_subject_lexicons,
            "other_sector.other_trade_lexicons": config.other_sector.other_trade_lexicons,
            "other_sector.ip_sector_lexicons": config.other_sector.ip_sector_lexicons,
        }
        for name, lexicons in lexicon_fields.items():
            if any(lexicon not in rules.lexicons for lexicon in lexicons):
                raise ConfigError(f"{path}: field '{name}' must list lexicons of rules.yaml")
        return cls(
            thresholds={label: config.thresholds[label] for label in MODEL_LABELS},
            evidence_lexicons={label: tuple(names) for label, names in config.evidence_lexicons.items()},
            patent_subject_lexicons=tuple(config.patent_subject_lexicons),
            other_trade_lexicons=tuple(config.other_sector.other_trade_lexicons),
            ip_sector_lexicons=tuple(config.other_sector.ip_sector_lexicons),
            ocr_min_score=config.ocr.min_score,
            ocr_max_side=config.ocr.max_side,
        )


@dataclass(slots=True)
class _Segment:
    field: str
    normalized: NormalizedText
    offset: int


@dataclass(slots=True)
class _Prepared:
    """A listing after OCR, normalisation and the rule passes; what the classifier and the output need."""

    id: str
    segments: list[_Segment]
    text: str
    model_text: str  # `text` with reported passages masked: what the trained models read
    analysis: Analysis
    seller: NormalizedText | None
    seller_analysis: Analysis | None
    image_text: str | None
    image_errors: list[str] = field(default_factory=list)


@lru_cache(maxsize=4)
def _components(directory: Path) -> tuple[Normalizer, RuleEngine, EntityExtractor, DetectorConfig]:
    rules = RuleEngine.from_config(directory)
    return (Normalizer.from_config(directory, rules), rules, EntityExtractor.from_config(directory),
            DetectorConfig.from_config(directory, rules))


@lru_cache(maxsize=4)
def _classifier(model_dir: Path, stamp: float) -> Classifier:
    """The trained classifier of a model dir, loaded once per version of its files (`stamp`)."""
    from detector.classifier import LabelClassifier

    try:
        return LabelClassifier.load(model_dir)
    except ConfigError:
        raise
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(f"{model_dir}: cannot load the trained model ({exc}); retrain or use --rules-only") from exc


def freeze_loaded() -> None:
    """For a program that owns its process (`lantian detect`, `lantian crawl`, the benchmark), once its detector is
    loaded: what the process holds by then (the detector's tables and model, and the libraries they import: some
    360,000 objects) goes to the permanent generation, so that the full garbage collections that detecting
    triggers stop walking it (`gc.freeze`, as CPython's documentation suggests for long-lived processes; measured
    in `bench/README.md`). Frozen objects are never collected, so `Detector.load` does not do this itself: a
    program that loads the detector among other things decides for its own heap."""
    gc.collect()
    gc.freeze()


@lru_cache(maxsize=4)
def _ocr_reader(min_score: float, max_side: int) -> ImageTextReader:
    """One OCR reader per setting; its engine loads on the first image."""
    return ImageTextReader(min_score, max_side)


def _model_stamp(model_dir: Path) -> float | None:
    """Last change of a model dir with files in it, or None when there is no model."""
    if not model_dir.is_dir():
        return None
    stamps = [p.stat().st_mtime for p in model_dir.rglob("*") if p.is_file()]
    return max(stamps) if stamps else None


class Detector:
    """Detects violations in listings. Build with `Detector.load()`; thread-compatible for `detect` calls."""

    def __init__(
        self,
        normalizer: Normalizer,
        rules: RuleEngine,
        entities: EntityExtractor,
        config: DetectorConfig,
        registry: AgencyRegistry | None = None,
        classifier: Classifier | None = None,
        registry_problem: str | None = None,
    ) -> None:
        self.normalizer = normalizer
        self.rules = rules
        self.entities = entities
        self.config = config
        self.registry = registry
        self.registry_problem = registry_problem
        self.classifier = classifier
        self.thresholds = dict(config.thresholds)
        if classifier is not None:
            self.thresholds.update({k: float(v) for k, v in classifier.thresholds.items() if k in MODEL_LABELS})
        self.ocr = _ocr_reader(config.ocr_min_score, config.ocr_max_side)
        self.stats: Counter[str] = Counter()
        self._stats_lock = threading.Lock()

    @property
    def mode(self) -> str:
        """`model` when a trained classifier scores the labels, `rules` in rules-only mode."""
        return "model" if self.classifier is not None else "rules"

    @classmethod
    def load(
        cls,
        config: Path | None = None,
        model_dir: Path | None = None,
        *,
        rules_only: bool = False,
        registry: AgencyRegistry | Path | None = None,
    ) -> Detector:
        """The detector of a config dir and model dir (defaults: `config/`, `models/detector/`).

        Components are cached per process, so calling `load` again is cheap. Without a trained model the
        detector runs in rules-only mode; `rules_only=True` forces that mode. `registry` (a registry or a CSV
        path, which must exist) overrides `registry.path` of config/lantian.yaml; when that configured file is
        missing, `unlicensed_agency` stays 0 and the reason is in `registry_problem`.
        """
        directory = (config or config_dir()).resolve()
        normalizer, rules, entities, settings = _components(directory)
        problem = None
        if isinstance(registry, AgencyRegistry):
            agency_registry: AgencyRegistry | None = registry
        elif registry is not None:
            agency_registry = AgencyRegistry.load(registry)
        else:
            try:
                agency_registry = _settings_registry(directory)
            except ConfigError as exc:
                agency_registry, problem = None, str(exc)
        classifier = None
        if not rules_only:
            model_path = (model_dir or project_root() / DEFAULT_MODEL_DIR).resolve()
            stamp = _model_stamp(model_path)
            if stamp is not None:
                classifier = _classifier(model_path, stamp)
            elif model_dir is not None:
                raise ConfigError(f"{model_path}: no trained model there (run `lantian train`)")
        return cls(normalizer, rules, entities, settings, agency_registry, classifier, problem)

    def detect(self, listing: Listing) -> Detection:
        """Labels, scores, evidence, entities and risk of one listing (see docs/architecture.md)."""
        return self.detect_many([listing])[0]

    def detect_many(
        self,
        listings: Iterable[Listing],
        on_error: Callable[[int, ListingError], None] | None = None,
    ) -> list[Detection]:
        """Detect a batch (the classifier predicts the whole batch at once).

        A listing that is not valid, or that the model fails on, raises `ListingError`, or, with `on_error`, is
        passed to it with its index in the batch and skipped; the rest of the batch is still detected.
        """
        prepared: list[_Prepared] = []
        positions: list[int] = []
        for index, listing in enumerate(listings):
            try:
                prepared.append(self._prepare(listing))
                positions.append(index)
            except ListingError as exc:
                if on_error is None:
                    raise
                on_error(index, exc)
        try:
            predictions = self._predict(prepared)
        except Exception:  # one listing the model cannot score must not lose the whole batch
            return self._detect_each(prepared, positions, on_error)
        return [self._result(item, scores) for item, scores in zip(prepared, predictions, strict=True)]

    def _predict(self, items: list[_Prepared]) -> list[Mapping[str, float]]:
        """Label scores of each item; an empty text scores 0 (the model reads nothing, and spaCy fails a batch
        holding an empty text)."""
        if self.classifier is None:
            return [{**label_scores(item.analysis.matches),
                     SOLICITATION: cue_solicitation(item.analysis.lexicon_counts)} for item in items]
        readable = [item for item in items if item.text]
        predicted = iter(self.classifier.predict(
            [item.model_text for item in readable], [self.rules.features_from(item.analysis) for item in readable]
        ))
        return [next(predicted) if item.text else {} for item in items]

    def _detect_each(
        self, items: list[_Prepared], positions: list[int], on_error: Callable[[int, ListingError], None] | None
    ) -> list[Detection]:
        """The batch's results one listing at a time, after the batch prediction failed: a listing the model
        cannot score is a `ListingError` (passed to `on_error` and skipped), the others are kept."""
        results = []
        for position, item in zip(positions, items, strict=True):
            try:
                [scores] = self._predict([item])
            except Exception as exc:  # reported with the listing, as a bad listing is
                error = ListingError(f"the model cannot score it ({type(exc).__name__}: {exc})")
                if on_error is None:
                    raise error from exc
                on_error(position, error)
                continue
            results.append(self._result(item, scores))
        return results

    def iter_detect(
        self,
        listings: Iterable[Listing],
        batch_size: int = 256,
        on_error: Callable[[int, ListingError], None] | None = None,
    ) -> Iterator[Detection]:
        """Stream results for a long input, predicting `batch_size` listings at a time."""
        batch: list[Listing] = []
        base = 0
        for listing in listings:
            batch.append(listing)
            if len(batch) >= batch_size:
                yield from self.detect_many(batch, _shifted(on_error, base))
                base += len(batch)
                batch = []
        if batch:
            yield from self.detect_many(batch, _shifted(on_error, base))

    def model_inputs(self, listings: Iterable[Listing]) -> tuple[list[str], list[dict[str, float]]]:
        """The texts and rule features the classifier sees, for training on exactly what detection uses."""
        prepared = [self._prepare(listing) for listing in listings]
        return [p.model_text for p in prepared], [self.rules.features_from(p.analysis) for p in prepared]

    def _prepare(self, listing: Listing) -> _Prepared:
        if not isinstance(listing, Mapping):
            raise ListingError("a listing must be a JSON object")
        listing_id = listing.get("id")
        if isinstance(listing_id, bool) or not isinstance(listing_id, (str, int)) or str(listing_id) == "":
            raise ListingError("field 'id' is required (a string)")
        _require_unicode("id", str(listing_id))
        fields: dict[str, str] = {}
        for name in ("title", "text", "seller"):
            value = listing.get(name)
            if value is not None and not isinstance(value, str):
                raise ListingError(f"field '{name}' must be a string")
            _require_unicode(name, value or "")
            if value and len(value) > MAX_FIELD_CHARS:
                value = value[:MAX_FIELD_CHARS]
                self._count("fields_truncated")
            fields[name] = value or ""
        images = listing.get("images") or []
        if isinstance(images, str):
            images = [images]
        if not isinstance(images, list) or not all(isinstance(i, str) for i in images):
            raise ListingError("field 'images' must be a list of paths or URLs")
        for image in images:
            _require_unicode("images", image)
        image_errors: list[str] = []
        image_text = listing.get("image_text")
        if image_text is not None:  # read already by the caller (the crawler reads each picture once)
            if not isinstance(image_text, str):
                raise ListingError("field 'image_text' must be a string")
        elif images:
            image_text, image_errors = self._read_images(images)
        if image_text is not None:
            fields["image_text"] = image_text[:MAX_FIELD_CHARS]
        segments: list[_Segment] = []
        parts: list[str] = []
        quotes: list[tuple[int, int]] = []
        offset = 0
        for name in CONTENT_FIELDS:
            if not fields.get(name):
                continue
            normalized = self.normalizer(fields[name])
            segments.append(_Segment(name, normalized, offset))
            parts.append(normalized.text)
            quotes.extend(quoted_spans(normalized, offset))
            offset += len(normalized.text) + 1
        text = "\n".join(parts)
        seller = self.normalizer(fields["seller"]) if fields["seller"] else None
        analysis = self.rules.analyze(text, quotes=quotes)
        return _Prepared(
            id=str(listing_id),
            segments=segments,
            text=text,
            model_text=mask_reported(text, analysis.reported),
            analysis=analysis,
            seller=seller,
            seller_analysis=(self.rules.analyze(seller, "seller", listing=analysis.own_hits())
                             if seller is not None else None),
            image_text=image_text,
            image_errors=image_errors,
        )

    def _read_images(self, images: list[str]) -> tuple[str, list[str]]:
        texts: list[str] = []
        errors: list[str] = []
        for source in images:
            try:
                text = self.ocr.read(source)
            except ImageError as exc:
                errors.append(str(exc))
                self._count("images_failed")
                continue
            self._count("images_read")
            if text:
                texts.append(text)
        return "\n".join(texts), errors

    def _count(self, key: str) -> None:
        with self._stats_lock:
            self.stats[key] += 1

    def _result(self, item: _Prepared, predicted: Mapping[str, float]) -> Detection:
        raw = {label: _clip(predicted.get(label, 0.0)) for label in MODEL_LABELS}
        seller_matches = item.seller_analysis.matches if item.seller_analysis is not None else []
        for label, score in label_scores(seller_matches).items():
            if label in CONTENT_LABELS:
                raw[label] = max(raw[label], score)
        entities = self._entities(item)
        in_sector = not self._names_another_trade_only(item)
        scores = {label: round(raw[label], 4) if in_sector else 0.0 for label in CONTENT_LABELS}
        check = None
        offers = raw[OFFERS_PATENT_AGENCY] if self._names_a_patent_matter(item) else 0.0
        if self.registry is not None and offers >= self.thresholds[OFFERS_PATENT_AGENCY]:
            check = self._registry_check(item, entities)
            scores[UNLICENSED_AGENCY] = 0.0 if check.licensed else round(offers, 4)
        else:
            scores[UNLICENSED_AGENCY] = 0.0
        labels = [label for label in CONTENT_LABELS if scores[label] >= self.thresholds[label]]
        if scores[UNLICENSED_AGENCY] > 0:
            labels.append(UNLICENSED_AGENCY)
        evidence: list[dict[str, Any]] = []
        for label in labels:
            if label == UNLICENSED_AGENCY:
                evidence.extend(self._unlicensed_evidence(item, check, entities))
            else:
                evidence.extend(self._label_evidence(item, label, seller_matches))
        pictures: dict[str, Any] = {}
        if item.image_text is not None:
            pictures["image_text"] = item.image_text
        if item.image_errors:
            pictures["image_errors"] = item.image_errors
        return Detection.model_validate({
            "id": item.id,
            "labels": labels,
            "scores": scores,
            "evidence": evidence,
            "entities": entities,
            "risk": round(max(scores.values()), 4),
            "solicitation": round(_clip(predicted.get(SOLICITATION, 0.0)), 4),
            **pictures,
        })

    def _names_a_patent_matter(self, item: _Prepared) -> bool:
        """Whether the listing names a patent matter at all: only patent agency needs a licence, so an agency
        page about trademarks alone offers no patent agency, however much it reads like one."""
        lexicons = self.config.patent_subject_lexicons
        return not lexicons or any(item.analysis.hits.get(name) for name in lexicons)

    def _names_another_trade_only(self, item: _Prepared) -> bool:
        """Whether the listing names another trade (tickets, driving schools, builders' certificates) and nothing of
        the IP trade: its 内部渠道, 包过 or 挂证 are that trade's, not the conduct of docs/domain.md."""
        hits = item.analysis.hits
        return (any(hits.get(name) for name in self.config.other_trade_lexicons)
                and not any(hits.get(name) for name in self.config.ip_sector_lexicons))

    def _entities(self, item: _Prepared) -> list[Entity]:
        found: list[Entity] = []
        if item.seller is not None:
            found.extend(self.entities.extract(item.seller, "seller"))
        for segment in item.segments:
            found.extend(self.entities.extract(segment.normalized, segment.field))
        return found

    def _registry_check(self, item: _Prepared, entities: list[Entity]) -> RegistryCheck:
        assert self.registry is not None
        names = [item.seller.original] if item.seller is not None else []
        names += [e["value"] for e in entities if e["type"] == "agency"]
        codes = list(dict.fromkeys(e["value"] for e in entities if e["type"] == "agency_code"))
        return self.registry.check(names, codes)

    def _span(self, item: _Prepared, label: str, start: int, end: int, rule: str) -> dict[str, Any]:
        """Evidence for a span of the joined normalised text, in the original offsets of its field."""
        index = bisect_right([s.offset for s in item.segments], start) - 1
        segment = item.segments[index]
        local_start = start - segment.offset
        local_end = min(end - segment.offset, len(segment.normalized.text))
        begin, finish = segment.normalized.to_original(local_start, local_end)
        return {"label": label, "field": segment.field, "start": begin, "end": finish,
                "text": segment.normalized.original[begin:finish], "rule": rule}

    def _label_evidence(self, item: _Prepared, label: str, seller_matches: list[RuleMatch]) -> list[dict[str, Any]]:
        spans = [self._span(item, label, m.start, m.end, m.rule) for m in item.analysis.matches if m.label == label]
        if item.seller is not None:
            for match in seller_matches:
                if match.label == label:
                    begin, finish = item.seller.to_original(match.start, match.end)
                    spans.append({"label": label, "field": "seller", "start": begin, "end": finish,
                                  "text": item.seller.original[begin:finish], "rule": match.rule})
        if not spans:
            spans = self._model_evidence(item, label)
        return _dedupe(spans)

    def _model_evidence(self, item: _Prepared, label: str) -> list[dict[str, Any]]:
        """For a label the model flagged without a rule match: the sentence with the first telling word."""
        if not item.segments:
            return []
        hits = sorted(span for name in self.config.evidence_lexicons.get(label, ())
                      for span in item.analysis.hits.get(name, ()))
        if hits:
            start, end = _sentence(item.text, hits[0][0], hits[0][1])
        else:
            segment = item.segments[0]
            start, end = _sentence(item.text, segment.offset, segment.offset)
        if start == end:
            return []
        return [self._span(item, label, start, end, "model")]

    def _unlicensed_evidence(
        self, item: _Prepared, check: RegistryCheck | None, entities: list[Entity]
    ) -> list[dict[str, Any]]:
        label = UNLICENSED_AGENCY
        offers = [self._span(item, label, m.start, m.end, m.rule)
                  for m in item.analysis.matches if m.label == OFFERS_PATENT_AGENCY]
        evidence = _dedupe(offers or self._model_evidence(item, OFFERS_PATENT_AGENCY))
        if check is None:
            return evidence
        registry_span: dict[str, Any] | None = None
        if check.code is not None:
            code = next((e for e in entities if e["type"] == "agency_code" and e["value"] == check.code), None)
            if code is not None:
                registry_span = {"label": label, "field": code["field"], "start": code["start"], "end": code["end"],
                                 "text": code["text"], "rule": f"registry.{check.reason}"}
        if registry_span is None and item.seller is not None:
            registry_span = {"label": label, "field": "seller", "start": 0, "end": len(item.seller.original),
                             "text": item.seller.original, "rule": f"registry.{check.reason}"}
        if registry_span is not None:
            registry_span["note"] = check.note
            evidence.append(registry_span)
        elif evidence:
            evidence[0] = {**evidence[0], "note": check.note}
        return evidence


def _settings_registry(directory: Path) -> AgencyRegistry:
    from core.settings import load_settings

    return AgencyRegistry.from_settings(load_settings(directory / "lantian.yaml"))


def _require_unicode(name: str, value: str) -> None:
    """JSON lets a lone surrogate (`"\\ud800"`) into a string; it is not text, and nothing downstream (the model,
    the output file) can encode it."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ListingError(f"field '{name}' is not Unicode text (a lone surrogate at character {exc.start})") from None


def _shifted(
    on_error: Callable[[int, ListingError], None] | None, base: int
) -> Callable[[int, ListingError], None] | None:
    if on_error is None:
        return None
    return lambda index, exc: on_error(base + index, exc)


def _clip(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return min(1.0, max(0.0, number)) if number == number else 0.0


def _sentence(text: str, start: int, end: int, limit: int = 80) -> tuple[int, int]:
    """The sentence around `[start, end)`, at most `limit` characters each side."""
    begin = start
    while begin > 0 and start - begin < limit and text[begin - 1] not in _SENTENCE_END:
        begin -= 1
    finish = max(end, start)
    while finish < len(text) and finish - end < limit and text[finish] not in _SENTENCE_END:
        finish += 1
    return begin, finish


def _dedupe(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop spans equal to or inside another span of the same field (several rules often cover one claim)."""
    kept: list[dict[str, Any]] = []
    for span in sorted(spans, key=lambda s: (s["field"], s["start"], -s["end"])):
        if kept and kept[-1]["field"] == span["field"] and kept[-1]["start"] <= span["start"] \
                and span["end"] <= kept[-1]["end"]:
            continue
        kept.append(span)
    return kept


__all__ = ["Detector", "DetectorConfig", "ListingError", "LABELS", "freeze_loaded"]
