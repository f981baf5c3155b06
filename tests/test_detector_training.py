"""The detector's corpus, training, committed model and evaluation (models half of issue 4)."""
from __future__ import annotations

import json
import re
import shutil
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from core.config import ConfigError
from core.labels import SOLICITING_GENRES
from core.lead import Detection
from detector.classifier import MODEL_LABELS, LabelClassifier, default_model_dir
from detector.registry import AgencyRegistry
from detector.training.baseline import KeywordBaseline
from detector.training.corpus import (
    Item,
    build_corpus,
    data_root,
    items_from_real,
    load_templates,
    load_written_items,
    read_items,
)
from detector.training.evaluate import evaluate_real
from detector.training.model_card import REPRODUCE
from detector.training.obfuscate import obfuscate_items
from detector.training.real_corpus import RealItem, load_real_corpus, split_of
from detector.training.train import (
    HARD_NEGATIVE_WEIGHT,
    REAL_WEIGHT,
    WRITTEN_WEIGHT,
    best_threshold,
    item_weights,
    model_inputs,
    stack_weights,
    targets,
    train_classifier,
)
from lantian.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def corpus():
    return build_corpus()


def _templates_of(items: list[Item]) -> set[str]:
    return {part for item in items for part in item.template_id.split("+")}


def test_splits_share_no_template(corpus):
    train, validation, test = (_templates_of(corpus.splits[s]) for s in ("train", "validation", "test"))
    assert train and validation and test
    assert not train & validation
    assert not train & test
    assert not validation & test
    assert all(t.startswith("test/") for t in test)
    assert not any(t.startswith("test/") for t in train | validation)


@pytest.mark.parametrize("split", ["train", "validation", "test"])
def test_corpus_is_deterministic_and_matches_committed_files(corpus, split):
    """The committed JSONL is what the templates generate: out-of-fold figures read it (`lantian train` without
    --rebuild-corpus) and the model card counts it, so a stale copy measures another corpus (22/37 real train
    ads found out of fold on the copy of 2026-12-04 16:42 against 26-27/37 on the templates of 2026-12-05)."""
    again = build_corpus()
    assert [i.to_json() for i in again.splits[split]] == [i.to_json() for i in corpus.splits[split]]
    committed = read_items(data_root() / f"{split}.jsonl")
    assert [i.to_json() for i in committed] == [i.to_json() for i in corpus.splits[split]], (
        f"models/data/{split}.jsonl is not what the templates generate: run `lantian train --corpus-only`")


def test_every_label_has_sixty_templates_and_kinds_are_covered(corpus):
    per_label: dict[str, set[str]] = defaultdict(set)
    for template in corpus.templates:
        for label in template.labels:
            per_label[label].add(template.id)
        if template.offers_patent_agency:
            per_label["offers_patent_agency"].add(template.id)
    for label in MODEL_LABELS:
        assert len(per_label[label]) >= 60, label
    kinds = {item.kind for items in corpus.splits.values() for item in items}
    assert kinds == {"violation", "lawful_ad", "hard_negative", "unrelated"}


PROMISED_GRANT = re.compile(r"包授权|包下证|保授权|包拿证|保证下证|保证授权")


def test_a_violation_template_that_promises_a_grant_also_carries_insider_channel(corpus):
    """docs/domain.md: nobody can promise the outcome, so 评职称专利包下证 is abnormal filing and an insider claim
    (the writers of models/data/written/ label every such violation of theirs so; eight templates did not)."""
    promising = [template for template in corpus.templates if template.kind == "violation"
                 and PROMISED_GRANT.search(template.title + template.text)]
    assert len(promising) >= 10
    assert [template.id for template in promising if "insider_channel" not in template.labels] == []


def test_unlicensed_agency_follows_offer_and_registry(corpus):
    registry = AgencyRegistry.load(data_root() / "registry.csv")
    checked = 0
    for item in corpus.splits["train"]:
        if item.group == "composite":
            continue
        licensed = registry.check([item.seller], [item.agency_code] if item.agency_code else []).licensed
        assert ("unlicensed_agency" in item.labels) == (item.offers_patent_agency and not licensed), item
        checked += 1
    assert checked > 1000


def test_bad_template_file_names_file_and_field(tmp_path):
    (tmp_path / "broken.yaml").write_text(
        "kind: violation\nlabels: [not_a_label]\ntemplates:\n  - \"标题 ## 正文\"\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"broken\.yaml: field 'labels'"):
        load_templates(tmp_path, "train")


def test_template_genres_say_who_speaks(tmp_path, corpus):
    genres = {item.genre for item in corpus.splits["train"]}
    assert {"ad", "news", "penalty_decision", "recruitment", "qa"} <= genres
    assert all(item.solicits for items in corpus.splits.values() for item in items if item.labels)
    (tmp_path / "quoted.yaml").write_text(
        "kind: violation\nlabels: [insider_channel]\ntemplates:\n  - {t: \"标题 ## 正文\", genre: news}\n",
        encoding="utf-8")
    with pytest.raises(ConfigError, match=r"quoted\.yaml: templates\[0\]: a violation is its author's offer"):
        load_templates(tmp_path, "train")
    (tmp_path / "quoted.yaml").write_text("kind: hard_negative\ngenre: gossip\ntemplates:\n  - \"标题 ## 正文\"\n",
                                          encoding="utf-8")
    with pytest.raises(ConfigError, match=r"quoted\.yaml: field 'genre' must be one of"):
        load_templates(tmp_path, "train")


def test_real_passages_train_grouped_by_document_with_their_speaker():
    real = [item for item in load_real_corpus() if item.split == "train"]
    converted = items_from_real(real)
    assert [item.template_id for item in converted] == [f"real/{item.doc}" for item in real]
    for source, item in zip(real, converted):
        assert item.group == "real" and item.split == "train" and "unlicensed_agency" not in item.labels
        if source.voice == "ad_verbatim":
            assert item.solicits is True  # an ad quoted on an explainer page is still an ad
        elif source.voice == "author":
            assert item.solicits == (source.genre in {"ad", "agency_site"})
    hard = next(item for item in converted if item.kind == "hard_negative")
    violation = next(item for item in converted if item.kind == "violation")
    assert item_weights([hard, violation]) == [REAL_WEIGHT * HARD_NEGATIVE_WEIGHT, REAL_WEIGHT]
    assert stack_weights([hard, violation]) == [REAL_WEIGHT, REAL_WEIGHT]


def test_written_items_train_as_their_own_groups_with_the_targets_their_writers_gave():
    written = load_written_items(data_root() / "written" / "items.jsonl")
    assert len(written) == 4359 and len({item.template_id for item in written}) == 4359
    assert all(item.group == "written" and item.split == "train" for item in written)
    y = targets(written)
    for item, row in zip(written, y):
        assert "unlicensed_agency" not in item.labels
        # every item says whether its author offers patent agency, and every item's genre is given (a violation
        # is an ad; a warning does not solicit, an honest agency's offer does)
        assert row[-2] == float(item.offers_patent_agency is True)
        assert item.genre and row[-1] == (item.genre in SOLICITING_GENRES)
    offers = [item.offers_patent_agency for item in written]
    assert None not in offers and offers.count(False) > offers.count(True) > 0
    hard = next(item for item in written if item.kind == "hard_negative")
    violation = next(item for item in written if item.kind == "violation")
    assert item_weights([hard, violation]) == [WRITTEN_WEIGHT * HARD_NEGATIVE_WEIGHT, WRITTEN_WEIGHT]
    assert stack_weights([hard, violation]) == [WRITTEN_WEIGHT, WRITTEN_WEIGHT]


def test_written_item_solicits_as_its_genre_says_and_is_unknown_without_one(tmp_path):
    path = tmp_path / "items.jsonl"
    path.write_text('{"id": "d1", "title": "", "text": "x", "labels": [], "kind": "hard_negative", "genre": "news"}\n'
                    '{"id": "d2", "title": "", "text": "x", "labels": [], "kind": "easy", "genre": "ad"}\n'
                    '{"id": "d3", "title": "", "text": "x", "labels": [], "kind": "easy"}\n', encoding="utf-8")
    assert [item.solicits for item in load_written_items(path)] == [False, True, None]


def test_written_item_offers_patent_agency_as_it_says_and_when_its_writer_said_unlicensed_agency(tmp_path):
    path = tmp_path / "items.jsonl"
    path.write_text(
        '{"id": "d1", "title": "", "text": "x", "labels": [], "kind": "hard_negative", "offers_patent_agency": true}\n'
        '{"id": "d2", "title": "", "text": "x", "labels": [], "kind": "easy", "offers_patent_agency": false}\n'
        '{"id": "d3", "title": "", "text": "x", "labels": ["unlicensed_agency"], "kind": "violation"}\n'
        '{"id": "d4", "title": "", "text": "x", "labels": [], "kind": "easy"}\n', encoding="utf-8")
    assert [item.offers_patent_agency for item in load_written_items(path)] == [True, False, True, None]


@pytest.mark.parametrize(("fields", "message"), [
    ('"labels": [], "kind": "easy", "offers_patent_agency": "yes"', "'yes' is not true or false$"),
    ('"labels": [], "kind": "easy", "offers_patent_agency": 1', "1 is not true or false$"),
    ('"labels": ["unlicensed_agency"], "kind": "violation", "offers_patent_agency": false',
     "must be true when labelled unlicensed_agency"),
])
def test_written_item_with_an_offer_that_cannot_be_names_file_line_and_field(tmp_path, fields, message):
    path = tmp_path / "items.jsonl"
    path.write_text('{"id": "d1", "title": "", "text": "x", ' + fields + "}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"items.jsonl: line 1: field 'offers_patent_agency': {message}"):
        load_written_items(path)


@pytest.mark.parametrize(("line", "message"), [
    ('{"id": "d1", "title": "", "text": "x", "labels": [], "kind": "easy", "genre": "blog"}', "'blog'"),
    ('{"id": "d1", "title": "", "text": "x", "labels": ["abnormal_filing"], "kind": "violation", "genre": "news"}',
     "'news' is not one of ad, agency_site"),
])
def test_written_item_with_a_genre_that_cannot_be_names_file_line_and_field(tmp_path, line, message):
    path = tmp_path / "items.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"items.jsonl: line 1: field 'genre': {message}"):
        load_written_items(path)


def test_written_item_with_an_unknown_kind_names_file_and_line(tmp_path):
    path = tmp_path / "items.jsonl"
    path.write_text('{"id": "d1", "title": "t", "text": "x", "labels": [], "kind": "easy"}\n'
                    '{"id": "d2", "title": "t", "text": "x", "labels": [], "kind": "lawful"}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"items.jsonl: line 2: field 'kind'"):
        load_written_items(path)


def test_real_world_figures_count_quoted_ads_and_false_positives_apart():
    def item(number: int, kind: str, voice: str, labels: list[str]) -> RealItem:
        url = f"https://example.org/{number}"
        return RealItem.model_validate({
            "id": f"r{number:04d}", "text": f"第{number}段", "source_url": url, "collected": "2026-12-03",
            "genre": "explainer", "voice": voice, "kind": kind, "labels": labels, "offers_patent_agency": False,
            "doc": f"d{number:03d}", "split": split_of(url)})

    items = [item(1, "violation", "ad_verbatim", ["insider_channel"]),
             item(2, "violation", "ad_verbatim", ["abnormal_filing"]),
             item(3, "violation", "ad_paraphrase", ["insider_channel"]),
             item(4, "hard_negative", "author", []), item(5, "hard_negative", "author", []),
             item(6, "lawful_ad", "author", [])]
    flagged = {"r0001": ["abnormal_filing"], "r0003": ["insider_channel"], "r0004": ["unlicensed_agency"],
               "r0005": ["impersonation"]}

    def detect_many(listings):
        return [Detection(id=listing["id"], labels=flagged.get(listing["id"], [])) for listing in listings]

    report = evaluate_real("fake", detect_many, items)
    assert (report.any_label_recall.hits, report.any_label_recall.total) == (1, 2)
    assert report.label_recall["insider_channel"].rate == 0.0 and report.label_recall["abnormal_filing"].rate == 0.0
    assert (report.hard_negatives.hits, report.hard_negatives.total) == (1, 2)  # unlicensed_agency is not judged
    assert (report.paraphrases.hits, report.paraphrases.total) == (1, 1)
    assert report.lawful_ads.rate == 0.0 and report.meets_targets() == {"any_label_recall": False,
                                                                        "hard_negative_fpr": False}


def test_obfuscated_copy_changes_text_keeps_labels(corpus):
    positives = [item for item in corpus.splits["test"] if item.labels][:200]
    copies = obfuscate_items(positives, seed=1)
    assert [c.labels for c in copies] == [p.labels for p in positives]
    assert all((c.title, c.text) != (p.title, p.text) for c, p in zip(copies, positives))
    assert {c.evasion.split("+")[-1] for c in copies} >= {"spaced", "emoji", "respelled"}


def test_best_threshold_takes_the_middle_of_the_thresholds_with_the_best_f1():
    # Every threshold above 0.30 and up to 0.80 separates the two sides: the middle of that plateau is taken.
    scores = np.array([0.2, 0.3, 0.8, 0.9])
    target = np.array([0, 0, 1, 1])
    assert 0.50 <= best_threshold(scores, target) <= 0.60


def test_best_threshold_counts_items_by_their_weight():
    # Four template positives score high; one real passage (weight 8) scores 0.3 among template negatives at 0.35.
    scores = np.array([0.9, 0.9, 0.9, 0.9, 0.3, 0.35, 0.35])
    target = np.array([1, 1, 1, 1, 1, 0, 0])
    assert best_threshold(scores, target) > 0.35, "counted once, one miss costs less than two false alarms"
    assert best_threshold(scores, target, np.array([1, 1, 1, 1, 8, 1, 1])) <= 0.30, "weighted, it is found"


def _tiny_split(items: list[Item], per_group: int) -> list[Item]:
    taken: dict[str, int] = defaultdict(int)
    chosen = []
    for item in items:
        if item.group != "composite" and taken[item.template_id] < 1 and taken[item.group] < per_group:
            taken[item.template_id] += 1
            taken[item.group] += 1
            chosen.append(item)
    return chosen


def _real_sample(items: list[RealItem], per_cell: int) -> list[RealItem]:
    """Whole documents, taken in document order while one of their passages adds to a (split, kind), (split, voice)
    or (split, label) cell with fewer than `per_cell` passages: every kind of real passage, a few of each (in file
    order, as the corpus file keeps them)."""
    documents: dict[str, list[RealItem]] = defaultdict(list)
    for item in items:
        documents[item.doc].append(item)

    def cells(item: RealItem) -> set[tuple[str, str]]:
        return {(item.split, item.kind), (item.split, item.voice), *((item.split, label) for label in item.labels)}

    taken: dict[tuple[str, str], int] = defaultdict(int)
    chosen: set[str] = set()
    for doc in sorted(documents):
        passages = documents[doc]
        if any(taken[cell] < per_cell for item in passages for cell in cells(item)):
            chosen.add(doc)
            for item in passages:
                for cell in cells(item):
                    taken[cell] += 1
    return [item for item in items if item.doc in chosen]


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory, corpus):
    """A small corpus dir (a few templates per group, a few real documents of each kind) with the layout
    `lantian train/eval --data` reads."""
    root = tmp_path_factory.mktemp("tiny_corpus")
    splits = {
        "train": _tiny_split(corpus.splits["train"], 6),
        "validation": _tiny_split(corpus.splits["validation"], 3),
        "test": _tiny_split(corpus.splits["test"], 3),
    }
    for split, items in splits.items():
        (root / f"{split}.jsonl").write_text("".join(i.to_json() + "\n" for i in items), encoding="utf-8")
    obfuscated = obfuscate_items([i for i in splits["test"] if i.labels], seed=3)
    (root / "test_obfuscated.jsonl").write_text("".join(i.to_json() + "\n" for i in obfuscated), encoding="utf-8")
    shutil.copy(data_root() / "registry.csv", root / "registry.csv")
    (root / "real").mkdir()
    real = _real_sample(load_real_corpus(), 3)
    (root / "real" / "items.jsonl").write_text("".join(i.to_json() + "\n" for i in real), encoding="utf-8")
    return root


def test_training_on_tiny_corpus_gives_loadable_model(tiny_data, tmp_path):
    train = read_items(tiny_data / "train.jsonl")
    validation = read_items(tiny_data / "validation.jsonl")
    classifier = train_classifier(train, validation)
    classifier.save(tmp_path / "model")
    assert {p.name for p in (tmp_path / "model").iterdir()} >= {"model.json", "char_ngrams.npz", "textcat"}
    loaded = LabelClassifier.load(tmp_path / "model")
    assert set(loaded.thresholds) == set(MODEL_LABELS)
    assert all(0.0 < value < 1.0 for value in loaded.thresholds.values())
    texts, features = model_inputs(validation)
    scores = loaded.predict(texts, features)
    assert scores == classifier.predict(texts, features)
    assert all(0.0 <= s[label] <= 1.0 for s in scores for label in MODEL_LABELS)


def test_committed_model_loads_and_separates_clear_cases():
    classifier = LabelClassifier.load()
    listings = [
        Item("a", "国家知识产权局指定商标代理",
             "本中心是国家知识产权局指定代理窗口，内部渠道30天下证，不下证全额退款。",
             "", "", [], False, "violation", "x", "test"),
        Item("b", "专业撤三", "看中别人的商标？专业撤三帮你拿下别人的商标，批量办理。", "", "", [], False,
             "violation", "x", "test"),
        Item("c", "蓝牙耳机 包邮", "全新蓝牙耳机，降噪续航长，七天无理由退换。", "", "", [], False, "unrelated", "x",
             "test"),
    ]
    texts, features = model_inputs(listings)
    scores = classifier.predict(texts, features)
    assert all(0.0 <= s[label] <= 1.0 for s in scores for label in MODEL_LABELS)
    assert scores[0]["impersonation"] >= classifier.thresholds["impersonation"]
    assert scores[0]["insider_channel"] >= classifier.thresholds["insider_channel"]
    assert scores[1]["malicious_cancellation"] >= classifier.thresholds["malicious_cancellation"]
    assert all(scores[2][label] < classifier.thresholds[label] for label in MODEL_LABELS)
    assert classifier.predict([], []) == []


def test_missing_model_dir_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="no trained model here"):
        LabelClassifier.load(tmp_path)


def test_keyword_baseline_misses_spaced_variants():
    baseline = KeywordBaseline()
    assert baseline.detect({"id": "1", "title": "内部渠道 包下证", "text": ""}).labels == ["insider_channel"]
    assert baseline.detect({"id": "2", "title": "内 部 渠 道", "text": ""}).labels == []


def test_eval_command_prints_figures_for_detector_and_baseline(tiny_data, tmp_path):
    out = tmp_path / "figures.json"
    model_dir = tmp_path / "model"
    shutil.copytree(default_model_dir(), model_dir)
    result = runner.invoke(app, ["eval", "--data", str(tiny_data), "--json", str(out), "--model-dir", str(model_dir),
                                 "--write-card"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for text in ("macro-F1", "hard-negative FPR", "obfuscated", "impersonation", "unlicensed_agency", "kw F1",
                 "Open-ended evasions", "Real-world test split", "any-label recall, quoted ads", "lawful-ad FPR",
                 "At a glance", f"reproduce: {REPRODUCE}"):
        assert text in result.output
    card = (model_dir / "MODEL_CARD.md").read_text(encoding="utf-8")
    glance = card.split("## At a glance", 1)[1].split("\n## ", 1)[0]
    for test_set in ("template test split", "real-world test split", "open-ended evasions"):
        assert f"| {test_set} |" in glance
    assert "| keyword baseline |" in glance and f"`{REPRODUCE}`" in card
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert set(figures) == {"detector", "baseline", "open_evasion", "real_world"}
    assert 0.0 <= figures["open_evasion"]["detector"]["evaded_recall"] <= 1.0
    real_test = [item for item in load_real_corpus(tiny_data / "real" / "items.jsonl") if item.split == "test"]
    assert figures["real_world"]["detector"]["items"] == len(real_test)
    assert figures["real_world"]["baseline"]["hard_negative_fpr"]["total"] == \
        sum(1 for item in real_test if item.kind == "hard_negative")
    assert set(figures["detector"]["per_label"]) == {*MODEL_LABELS[:-1], "unlicensed_agency"}
    assert 0.0 <= figures["detector"]["macro_f1"] <= 1.0


@pytest.fixture(scope="module")
def tiny_model(tiny_data, tmp_path_factory):
    """`lantian train` on the tiny corpus, run once: its output and the model it wrote (tests copy the model to
    change it)."""
    model_dir = tmp_path_factory.mktemp("tiny_model") / "model"
    result = runner.invoke(app, ["train", "--data", str(tiny_data), "--model-dir", str(model_dir)])
    return result, model_dir


@pytest.mark.slow
def test_train_command_writes_model_that_eval_reads(tiny_data, tiny_model):
    result, model_dir = tiny_model
    assert result.exit_code == 0, result.output
    assert "offers_patent_agency" in result.output
    real_train = sum(1 for item in load_real_corpus(tiny_data / "real" / "items.jsonl") if item.split == "train")
    assert f"{real_train} real-world passages" in result.output
    meta = json.loads((model_dir / "model.json").read_text(encoding="utf-8"))
    assert meta["real_train_items"] == real_train and meta["reviewed_items"] == 0
    assert "real_any_label_recall" in meta["cross_validation"]
    # the out-of-fold errors are named, and only train items can be among them
    real_ids = {item.id for item in load_real_corpus(tiny_data / "real" / "items.jsonl") if item.split == "train"}
    assert set(meta["cross_validation"]["real_missed"]) <= real_ids
    assert set(meta["cross_validation"]["real_hard_negatives_flagged"]) <= real_ids
    result = runner.invoke(app, ["eval", "--data", str(tiny_data), "--model-dir", str(model_dir)])
    assert result.exit_code == 0, result.output
    assert "macro-F1" in result.output


def test_train_command_on_missing_corpus_is_one_line_error(tmp_path):
    result = runner.invoke(app, ["train", "--data", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert "file not found" in result.output
    assert "Traceback" not in result.output


def test_default_model_dir_is_in_repo():
    assert default_model_dir() == Path(__file__).resolve().parent.parent / "models" / "detector"


def test_committed_model_records_provenance_and_held_out_figures():
    meta = json.loads((default_model_dir() / "model.json").read_text(encoding="utf-8"))
    assert meta["format"] == 3
    assert set(meta["thresholds"]) == set(MODEL_LABELS)
    assert meta["cross_validation"]["hard_negative_fpr"] <= 0.2
    assert len(meta["stacker"]["features"]) == len(meta["stacker"]["weights"]["impersonation"])


def test_model_trained_on_other_features_is_refused(tmp_path):
    shutil.copytree(default_model_dir(), tmp_path / "model")
    path = tmp_path / "model" / "model.json"
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta["stacker"]["solicitation_features"] = meta["stacker"]["solicitation_features"][:-1]
    path.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ConfigError, match="field 'stacker' was trained on other features"):
        LabelClassifier.load(tmp_path / "model")


def test_model_of_an_older_format_is_refused(tmp_path):
    shutil.copytree(default_model_dir(), tmp_path / "model")
    path = tmp_path / "model" / "model.json"
    meta = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**meta, "format": 1}), encoding="utf-8")
    with pytest.raises(ConfigError, match="field 'format'"):
        LabelClassifier.load(tmp_path / "model")


@pytest.mark.slow
def test_train_with_reviews_adds_reviewed_leads_and_reports_before_and_after(tiny_data, tiny_model, tmp_path):
    from casework.reviews import export_reviews
    from core.lead import Lead

    trained, model_dir = tiny_model[0], tmp_path / "model"
    assert trained.exit_code == 0, trained.output
    shutil.copytree(tiny_model[1], model_dir)
    decided = [{"action": "status", "from": "reviewing", "to": "confirmed", "by": "rev", "at": "2026-11-25"}]
    dismissed = [{"action": "status", "from": "reviewing", "to": "dismissed", "by": "rev", "at": "2026-11-25"}]
    leads = [Lead.model_validate(doc) for doc in (
        {"id": "a1", "status": "confirmed", "audit": decided, "labels": ["insider_channel"],
         "title": "审查老师熟 下证快", "text": "我们跟审查老师很熟，发明专利三个月搞定，不成不收费。"},
        {"id": "a2", "status": "dismissed", "audit": dismissed, "labels": ["impersonation"],
         "title": "国家知识产权局公告解读", "text": "本文解读国家知识产权局最新公告，提醒申请人谨防冒充官方的机构。"},
    )]
    reviews = tmp_path / "reviews.jsonl"
    assert export_reviews(leads, reviews) == {"positive": 1, "negative": 1}
    result = runner.invoke(app, ["train", "--data", str(tiny_data), "--model-dir", str(model_dir),
                                 "--with-reviews", str(reviews)])
    assert result.exit_code == 0, result.output
    assert "2 reviewed examples" in result.output
    assert "before and after" in result.output
    assert json.loads((model_dir / "model.json").read_text(encoding="utf-8"))["reviewed_items"] == 2
    row = next(line for line in result.output.splitlines() if "macro-F1" in line)
    assert len(re.findall(r"\d\.\d{3}", row)) == 2, row
