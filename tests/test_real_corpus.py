"""The real-world corpus (models/data/real/): the committed file is valid, split by document, rich in hard
negatives, and the loader refuses bad lines naming the file, the line and the field."""
from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from pathlib import Path

import pytest

from core.labels import LABELS
from detector.training.real_corpus import (
    DEFAULT_PATH,
    RealCorpusError,
    load_real_corpus,
    main,
    split_of,
)

README = DEFAULT_PATH.parent / "README.md"


@pytest.fixture(scope="module")
def corpus():
    return load_real_corpus()


def test_the_committed_corpus_validates_and_is_sorted_by_id(corpus):
    assert len(corpus) >= 120
    numbers = [int(item.id[1:]) for item in corpus]
    assert numbers == sorted(numbers)


def test_no_document_sits_in_both_splits(corpus):
    splits_of_doc: dict[str, set[str]] = defaultdict(set)
    for item in corpus:
        splits_of_doc[item.doc].add(item.split)
    assert {doc: splits for doc, splits in splits_of_doc.items() if len(splits) > 1} == {}
    assert {item.split for item in corpus} == {"train", "test"}


def test_at_least_forty_percent_are_hard_negatives(corpus):
    hard = sum(1 for item in corpus if item.kind == "hard_negative")
    assert hard / len(corpus) >= 0.40


def test_every_label_with_items_has_a_test_item_or_the_readme_says_why_not(corpus):
    readme = README.read_text(encoding="utf-8")
    excused = {
        label for line in readme.splitlines() if "no test item" in line for label in LABELS if f"`{label}`" in line
    }
    labelled = {label for item in corpus for label in item.labels}
    in_test = {label for item in corpus if item.split == "test" for label in item.labels}
    assert labelled - in_test - excused == set()


def test_the_model_card_names_exactly_the_labels_no_real_passage_carries(corpus):
    from detector.training.corpus import data_root
    from detector.training.model_card import _data

    absent = {label for label in LABELS if not any(label in item.labels for item in corpus)}
    sentences = [line for line in _data(data_root(), {}) if line.startswith("No real passage at all carries")]
    named = {label for line in sentences for label in LABELS if label in line.split(":")[0]}
    assert named == absent
    assert len(sentences) == (1 if absent else 0)


def test_the_readme_describes_the_split_rule_and_how_to_add_items():
    readme = README.read_text(encoding="utf-8")
    assert "sha256" in readme and "% 5" in readme
    assert "never rewritten" in readme


def test_split_is_decided_by_the_sha256_of_the_address_alone():
    for url in ("https://example.org/a", "http://example.org/b?x=1", "https://例子.cn/路径.html"):
        bucket = int(hashlib.sha256(url.encode("utf-8")).hexdigest(), 16) % 5
        assert split_of(url) == ("test" if bucket in (0, 1) else "train")
    urls = [f"https://example.org/page/{n}" for n in range(2000)]
    share = sum(split_of(url) == "test" for url in urls) / len(urls)
    assert 0.35 < share < 0.45


# --- the loader refuses bad lines ------------------------------------------------------------------------------

def _item(number: int, **changes) -> dict:
    url = changes.pop("source_url", f"https://example.org/doc/{number}")
    item = {
        "id": f"r{number:04d}", "text": f"谨防声称有“内部渠道”的机构 {number}", "title": "", "source_url": url,
        "source_title": "", "collected": "2026-12-03", "genre": "regulator_notice", "voice": "author",
        "kind": "hard_negative", "labels": [], "offers_patent_agency": False, "doc": f"d{number:03d}",
        "split": split_of(url), "note": "",
    }
    item.update(changes)
    return item


def _write(tmp_path: Path, items: list[dict | str]) -> Path:
    path = tmp_path / "items.jsonl"
    lines = [entry if isinstance(entry, str) else json.dumps(entry, ensure_ascii=False) for entry in items]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_well_formed_file_loads(tmp_path):
    violation = _item(2, voice="ad_verbatim", kind="violation", labels=["insider_channel"], genre="ad",
                      text="内部渠道 30天下证")
    items = load_real_corpus(_write(tmp_path, [_item(1), violation]))
    assert [item.id for item in items] == ["r0001", "r0002"]
    assert items[1].labels == ("insider_channel",)


@pytest.mark.parametrize(
    ("second", "field", "words"),
    [
        (_item(2, kind="violation", voice="ad_verbatim", labels=["inside_channel"]), "labels", "unknown label"),
        (_item(2, labels=["insider_channel"]), "labels", "carries no labels"),
        (_item(2, kind="violation", voice="ad_verbatim"), "kind", "needs at least one label"),
        (_item(2, kind="violation", labels=["insider_channel"]), "voice", "not author prose"),
        (_item(2, kind="violation", voice="ad_verbatim", labels=["unlicensed_agency"]), "offers_patent_agency",
         "must be true"),
        ({key: value for key, value in _item(2).items() if key != "source_url"}, "source_url", "Field required"),
        (_item(2, source_url="www.example.org/x"), "source_url", "should match pattern"),
        (_item(2, collected="2026-13-01"), "collected", "not a real date"),
        (_item(2, collected="03/12/2026"), "collected", "YYYY-MM-DD"),
        (_item(2, genre="blog"), "genre", "Input should be"),
        (_item(2, voice="quote"), "voice", "Input should be"),
        (_item(2, offers_patent_agency="no"), "offers_patent_agency", "valid boolean"),
        (_item(2, text=" 前后有空格 "), "text", "whitespace"),
        (_item(2, colour="blue"), "colour", "Extra inputs"),
    ],
)
def test_a_bad_line_is_refused_with_file_line_and_field(tmp_path, second, field, words):
    path = _write(tmp_path, [_item(1), second])
    with pytest.raises(RealCorpusError) as refused:
        load_real_corpus(path)
    message = str(refused.value)
    assert f"{path}:2: " in message
    assert field in message and words in message
    assert f"{path}:1:" not in message


def test_a_wrong_split_is_refused(tmp_path):
    item = _item(2)
    item["split"] = "train" if item["split"] == "test" else "test"
    with pytest.raises(RealCorpusError, match=r"items\.jsonl:2: split: .* but the rule gives"):
        load_real_corpus(_write(tmp_path, [_item(1), item]))


@pytest.mark.parametrize(
    ("second", "words"),
    [
        (_item(1, text="另一段文字"), "id: duplicate id 'r0001' (first on line 1)"),
        (_item(2, text=_item(1)["text"]), "text: duplicate text (first on line 1)"),
        (_item(2, doc="d001"), "doc: 'd001' already stands for https://example.org/doc/1"),
        (_item(2, source_url="https://example.org/doc/1"), "is already document 'd001'"),
    ],
)
def test_cross_line_problems_name_both_lines(tmp_path, second, words):
    path = _write(tmp_path, [_item(1), second])
    with pytest.raises(RealCorpusError) as refused:
        load_real_corpus(path)
    assert f"{path}:2: " in str(refused.value) and words in str(refused.value)


def test_ids_out_of_order_and_broken_json_are_refused(tmp_path):
    path = _write(tmp_path, [_item(2), _item(1), "{not json"])
    with pytest.raises(RealCorpusError) as refused:
        load_real_corpus(path)
    message = str(refused.value)
    assert f"{path}:2: id: 'r0001' is out of order" in message
    assert f"{path}:3: not a JSON object" in message


def test_the_stats_command_prints_counts_and_fails_on_a_bad_file(tmp_path, capsys):
    good = _write(tmp_path, [_item(1), _item(2, kind="unrelated", genre="news")])
    assert main(["--path", str(good), "--stats"]) == 0
    printed = capsys.readouterr().out
    assert "2 items from 2 documents" in printed
    assert "| hard_negative |" in printed and "| unrelated |" in printed
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(_item(1, genre="blog"), ensure_ascii=False) + "\n", encoding="utf-8")
    assert main(["--path", str(bad)]) == 1
    assert f"{bad}:1: genre" in capsys.readouterr().err


def test_the_model_card_says_when_the_model_was_trained_on_another_corpus():
    from detector.training.corpus import data_root
    from detector.training.model_card import _data

    root = data_root()
    real_train = sum(1 for item in load_real_corpus(root / "real" / "items.jsonl") if item.split == "train")
    train = sum(1 for line in (root / "train.jsonl").read_text(encoding="utf-8").splitlines() if line.strip())
    validation = sum(1 for line in (root / "validation.jsonl").read_text(encoding="utf-8").splitlines()
                     if line.strip())
    same = {"train_items": train + real_train, "real_train_items": real_train, "validation_items": validation}
    older = {**same, "real_train_items": real_train - 25, "train_items": train + real_train - 25}

    def note(meta: dict) -> list[str]:
        return [line for line in _data(root, meta) if line.startswith("**Not retrained on this corpus.**")]

    assert note(same) == []
    assert note({**same, "train_items": same["train_items"] + 120, "written_train_items": 120}) == []
    [sentence] = note(older)
    assert f"({real_train - 25} of them real-world)" in sentence and f"({real_train} real-world)" in sentence
