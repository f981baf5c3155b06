"""The Detector API: output contract, batches with bad listings, model mode, evidence in original offsets."""
from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping

import pytest

from core.labels import LABELS
from detector import Detector
from detector.detector import ListingError
from detector.registry import AgencyRegistry

LISTING = {
    "id": "L1",
    "platform": "market",
    "title": "【官方】國家知識產權局指定代理 商标注册",
    "text": "內 部 渠 道，30天下证！加V信：abc_12345，电话 138 1234 5678。浦东新区可上门，980元全包。",
    "seller": "知识产权局商标注册中心（浦东）",
}


def test_output_contract(rules_detector: Detector) -> None:
    result = rules_detector.detect(LISTING)
    assert set(result.document()) == {"id", "labels", "scores", "evidence", "entities", "risk", "solicitation"}
    assert result.id == "L1"
    assert 0.5 < result.solicitation <= 1.0  # contact details, a price, a call to come: an ad
    assert set(result.scores) == set(LABELS)
    assert {"impersonation", "insider_channel"} <= set(result.labels)
    assert 0.0 < result.risk <= 1.0 and result.risk == max(result.scores.values())
    for span in result.evidence:
        assert set(span) >= {"label", "field", "start", "end", "text"}
        assert LISTING[span["field"]][span["start"]:span["end"]] == span["text"]
        assert span["label"] in result.labels
    fields = {(e["label"], e["field"]) for e in result.evidence}
    assert {("impersonation", "title"), ("impersonation", "seller"), ("insider_channel", "text")} <= fields
    for entity in result.entities:
        assert LISTING[entity["field"]][entity["start"]:entity["end"]] == entity["text"]
    kinds = {(e["type"], e["text"]) for e in result.entities}
    assert {("wechat", "abc_12345"), ("phone", "138 1234 5678"), ("district", "浦东新区"), ("price", "980元")} <= kinds


def test_clean_listing(rules_detector: Detector) -> None:
    result = rules_detector.detect({"id": "ok", "title": "手工皂 天然橄榄油", "text": "冷制工艺，温和不刺激。"})
    assert result.labels == [] and result.evidence == [] and result.risk == 0.0


@pytest.mark.parametrize(
    ("listing", "message"),
    [
        ("not an object", "must be a JSON object"),
        ({"title": "no id"}, "field 'id' is required"),
        ({"id": "x", "title": ["a"]}, "field 'title' must be a string"),
        ({"id": "x", "images": [1, 2]}, "field 'images'"),
        ({"id": "x", "title": "好\ud800"}, "field 'title' is not Unicode text .a lone surrogate at character 1"),
        ({"id": "\udc80"}, "field 'id' is not Unicode text"),
        ({"id": "x", "images": ["a\ud800.png"]}, "field 'images' is not Unicode text"),
    ],
)
def test_invalid_listing(rules_detector: Detector, listing: object, message: str) -> None:
    with pytest.raises(ListingError, match=message):
        rules_detector.detect(listing)  # type: ignore[arg-type]


def test_batch_skips_bad_listings_and_keeps_order(rules_detector: Detector) -> None:
    errors: list[tuple[int, str]] = []
    listings = [{"id": "a", "title": "内部渠道"}, {"title": "no id"}, {"id": "b", "title": "手工皂"}]
    results = rules_detector.detect_many(listings, on_error=lambda index, exc: errors.append((index, str(exc))))
    assert [r.id for r in results] == ["a", "b"]
    assert errors == [(1, "field 'id' is required (a string)")]
    streamed = list(rules_detector.iter_detect(listings * 3, batch_size=2,
                                               on_error=lambda i, e: errors.append((i, ""))))
    assert [r.id for r in streamed] == ["a", "b"] * 3
    assert [index for index, _ in errors[1:]] == [1, 4, 7]


def test_huge_listing_is_cut_and_counted(rules_detector: Detector) -> None:
    text = "内部渠道包授权。" + ("普通商品描述。" * 40000) + "批量撤三"
    before = rules_detector.stats["fields_truncated"]
    result = rules_detector.detect({"id": "big", "title": "", "text": text})
    assert result.labels == ["insider_channel"]
    assert all(text[e["start"]:e["end"]] == e["text"] for e in result.evidence)
    assert rules_detector.stats["fields_truncated"] == before + 1


class FixedScores:
    """A stand-in for the trained classifier (same interface): fixed scores, records what it was given."""

    def __init__(self, scores: Mapping[str, float], thresholds: Mapping[str, float]) -> None:
        self.scores = dict(scores)
        self.thresholds = dict(thresholds)
        self.calls: list[tuple[list[str], list[dict[str, float]]]] = []

    def predict(self, texts: list[str], rule_features: list[dict[str, float]]) -> list[dict[str, float]]:
        self.calls.append((texts, rule_features))
        return [dict(self.scores) for _ in texts]


def model_detector(rules_detector: Detector, classifier: FixedScores) -> Detector:
    return Detector(rules_detector.normalizer, rules_detector.rules, rules_detector.entities,
                    rules_detector.config, rules_detector.registry, classifier)


def test_model_mode_uses_model_scores_thresholds_and_batches(rules_detector: Detector) -> None:
    classifier = FixedScores({"impersonation": 0.2, "abnormal_filing": 0.7, "insider_channel": 0.65},
                             {"insider_channel": 0.8, "abnormal_filing": 0.6})
    detector = model_detector(rules_detector, classifier)
    assert detector.mode == "model"
    results = detector.detect_many([{"id": "1", "title": "内部渠道 专利", "text": "评职称用，欢迎咨询。"},
                                    {"id": "2", "title": "手工皂"}])
    assert len(classifier.calls) == 1 and classifier.calls[0][0] == ["内部渠道专利\n评职称用,欢迎咨询。", "手工皂"]
    assert classifier.calls[0][1][0]["label:insider_channel"] > 0
    first = results[0]
    assert first.labels == ["abnormal_filing"]  # insider 0.65 is under the model's threshold 0.8
    assert first.scores["insider_channel"] == 0.65
    [span] = first.evidence
    assert (span["label"], span["field"], span["rule"]) == ("abnormal_filing", "text", "model")
    assert span["text"] == "评职称用，欢迎咨询"


class FailsOn(FixedScores):
    """A classifier that fails on one text, as a model library can on input it was never shown."""

    def __init__(self, poison: str) -> None:
        super().__init__({"insider_channel": 0.9}, {})
        self.poison = poison

    def predict(self, texts: list[str], rule_features: list[dict[str, float]]) -> list[dict[str, float]]:
        if self.poison in texts:
            raise IndexError("Out of bounds on buffer access (axis 0)")
        return super().predict(texts, rule_features)


def test_a_listing_the_model_cannot_score_is_skipped_not_its_batch(rules_detector: Detector) -> None:
    detector = model_detector(rules_detector, FailsOn("毒"))
    errors: list[tuple[int, str]] = []
    listings = [{"id": "a", "title": "内部渠道"}, {"id": "b", "title": "毒"}, {"id": "c", "title": "包授权"}]
    results = detector.detect_many(listings, on_error=lambda index, exc: errors.append((index, str(exc))))
    assert [r.id for r in results] == ["a", "c"]
    assert errors == [(1, "the model cannot score it (IndexError: Out of bounds on buffer access (axis 0))")]
    with pytest.raises(ListingError, match="the model cannot score it"):
        detector.detect(listings[1])


def test_an_empty_text_is_not_given_to_the_model(rules_detector: Detector) -> None:
    classifier = FixedScores({"insider_channel": 0.9}, {})
    results = model_detector(rules_detector, classifier).detect_many([{"id": "e"}, {"id": "a", "title": "渠道"}])
    assert classifier.calls[0][0] == ["渠道"]
    assert [r.labels for r in results] == [[], ["insider_channel"]]


def test_model_mode_seller_posing_as_official_body(rules_detector: Detector) -> None:
    detector = model_detector(rules_detector, FixedScores({}, {}))
    result = detector.detect({"id": "s", "title": "商标注册", "seller": "国知局商标受理服务中心"})
    assert result.labels == ["impersonation"]
    assert result.evidence[0]["field"] == "seller"


def test_model_offers_signal_with_registry(rules_detector: Detector, registry_csv) -> None:
    detector = model_detector(rules_detector, FixedScores({"offers_patent_agency": 0.9}, {}))
    result = detector.detect({"id": "u", "title": "帮你搞定", "text": "发明实用新型都能写。", "seller": "小雨知产笔记"})
    assert result.labels == ["unlicensed_agency"] and result.scores["unlicensed_agency"] == 0.9
    licensed = detector.detect({"id": "k", "title": "帮你搞定", "seller": "上海华信知识产权代理有限公司"})
    assert licensed.labels == []


def test_model_inputs_match_detection(rules_detector: Detector) -> None:
    texts, features = rules_detector.model_inputs([{"id": "1", "title": "內部渠道", "text": "GZJ直属"}])
    assert texts == ["内部渠道\n国知局直属"]
    assert features[0]["label:insider_channel"] > 0 and features[0]["label:impersonation"] > 0


def test_load_is_cached_and_registry_can_be_given(registry_csv) -> None:
    registry = AgencyRegistry.load(registry_csv)
    first = Detector.load(rules_only=True, registry=registry)
    second = Detector.load(rules_only=True, registry=registry)
    assert first.entities is second.entities and first.rules is second.rules
    assert first.registry is registry


def _in_a_fresh_process(script: str) -> list[int]:
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return [int(number) for number in result.stdout.split()]


def test_loading_the_detector_leaves_the_programs_heap_as_it_is() -> None:
    # A program that loads the detector among other things decides itself whether to freeze its heap.
    [frozen] = _in_a_fresh_process("""
import gc
from detector import Detector
Detector.load().detect({"id": "1", "title": "商标注册", "text": "内部渠道，30天下证"})
print(gc.get_freeze_count())
""")
    assert frozen == 0


def test_the_commands_that_own_their_process_keep_the_loaded_detector_out_of_garbage_collections(tmp_path) -> None:
    # `lantian detect` and `lantian crawl` freeze what the process holds once the detector is loaded, so a full
    # collection while detecting walks only what was made since.
    listings = tmp_path / "listings.jsonl"
    listings.write_text('{"id": "1", "title": "商标注册", "text": "内部渠道，30天下证，加V信 abc_12345"}\n',
                        encoding="utf-8")
    frozen, walked = _in_a_fresh_process(f"""
import gc
from typer.testing import CliRunner
from lantian.cli import app
result = CliRunner().invoke(app, ["detect", "-i", {str(listings)!r}, "-o", {str(tmp_path / "out.jsonl")!r}])
assert result.exit_code == 0, result.output
gc.collect()
print(gc.get_freeze_count(), len(gc.get_objects()))
""")
    assert frozen > 100_000 and walked < 10_000
    frozen, walked = _in_a_fresh_process("""
import gc
from crawler import cli
from detector.detector import _components
cli._load_detector_frozen()
assert _components.cache_info().currsize == 1  # the pipeline's Detector.load() finds it loaded
gc.collect()
print(gc.get_freeze_count(), len(gc.get_objects()))
""")
    assert frozen > 100_000 and walked < 10_000


def test_explicit_model_dir_without_model_is_an_error(tmp_path, registry_csv) -> None:
    from core.config import ConfigError

    with pytest.raises(ConfigError, match="no trained model there"):
        Detector.load(model_dir=tmp_path, registry=registry_csv)


def test_broken_detector_settings_name_the_field(tmp_path) -> None:
    import shutil

    from core.config import ConfigError
    from core.settings import project_root

    config = tmp_path / "config"
    shutil.copytree(project_root() / "config", config)
    path = config / "detector" / "detector.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("insider_channel: 0.5", "insider_channel: high"),
                    encoding="utf-8")
    with pytest.raises(ConfigError, match=r"detector.yaml: thresholds.insider_channel: "):
        Detector.load(config, rules_only=True)


@pytest.mark.parametrize(("lexicons", "unknown", "field"), [
    ("[patent_subject]", "[patent_topics]", "patent_subject_lexicons"),
    ("[other_trade]", "[other_trades]", "other_sector.other_trade_lexicons"),
    ("[ip_sector]", "[ip_sectors]", "other_sector.ip_sector_lexicons"),
])
def test_the_lexicons_detector_yaml_names_must_be_lexicons_of_the_rules(tmp_path, lexicons: str, unknown: str,
                                                                         field: str) -> None:
    import shutil

    from core.config import ConfigError
    from core.settings import project_root

    config = tmp_path / "config"
    shutil.copytree(project_root() / "config", config)
    path = config / "detector" / "detector.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(lexicons, unknown), encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"detector.yaml: field '{field}'"):
        Detector.load(config, rules_only=True)
