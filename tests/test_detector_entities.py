"""Entities: contacts (also written evasively or split), agency names and codes, districts, prices."""
from __future__ import annotations

import random

import pytest

from core.districts import load_districts
from detector.entities import EntityExtractor
from detector.normalize import fold_variant, normalize_text
from detector.training.corpus import data_root, read_items


@pytest.fixture(scope="module")
def extractor() -> EntityExtractor:
    return EntityExtractor.from_config()


def entities(extractor: EntityExtractor, text: str) -> list[tuple[str, str, str]]:
    found = extractor.extract(normalize_text(text), "text")
    for entity in found:
        assert text[entity["start"]:entity["end"]] == entity["text"]
    return [(e["type"], e["text"], e["value"]) for e in found]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("电话 13812345678", ("phone", "13812345678", "13812345678")),
        ("电话 138 1234 5678", ("phone", "138 1234 5678", "13812345678")),
        ("座机 021-55556666", ("phone", "021-55556666", "02155556666")),
        ("加V信：Abc_12345", ("wechat", "Abc_12345", "Abc_12345")),
        ("威信 zhiyuan0912", ("wechat", "zhiyuan0912", "zhiyuan0912")),
        ("有意者加v❤：antaitec15711", ("wechat", "antaitec15711", "antaitec15711")),
        ("微信号是 abcdef1", ("wechat", "abcdef1", "abcdef1")),
        ("微信号:13912345678", ("wechat", "13912345678", "13912345678")),
        ("扣扣：1234 5678 9", ("qq", "1234 5678 9", "123456789")),
        ("电话 幺三八 一二三四 五六七八", ("phone", "幺三八 一二三四 五六七八", "13812345678")),
        ("QQ号 3184371491", ("qq", "3184371491", "3184371491")),
        ("企鹅：1560408503", ("qq", "1560408503", "1560408503")),
        ("邮箱 ip@example.com", ("email", "ip@example.com", "ip@example.com")),
        ("（机构代码 31027）", ("agency_code", "31027", "31027")),
        ("价格 ¥1280 起", ("price", "¥1280", "¥1280")),
        ("一件980元", ("price", "980元", "980元")),
        ("位于浦东新区张江路", ("district", "浦东新区", "浦东新区")),
        ("闵行可上门", ("district", "闵行", "闵行区")),
        ("临港新片区办公室", ("district", "临港新片区", "临港新片区")),
    ],
)
def test_entity_kinds(extractor: EntityExtractor, text: str, expected: tuple[str, str, str]) -> None:
    assert expected in entities(extractor, text)


def test_wechat_same_as_phone(extractor: EntityExtractor) -> None:
    for text in ("咨询电话 17734392726，V信同号", "咨询电话 17734392726，微❤ 同号"):
        found = entities(extractor, text)
        assert ("phone", "17734392726", "17734392726") in found
        assert ("wechat", "17734392726", "17734392726") in found


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("本所是上海华信知识产权代理有限公司，欢迎咨询", "上海华信知识产权代理有限公司"),
        ("我们是上海博睿专利代理事务所（普通合伙）", "上海博睿专利代理事务所（普通合伙）"),
        ("联系张江专利商标事务所有限公司办理", "张江专利商标事务所有限公司"),
    ],
)
def test_agency_names(extractor: EntityExtractor, text: str, name: str) -> None:
    assert [t for kind, t, _ in entities(extractor, text) if kind == "agency"] == [name]


def test_no_entities_in_plain_text(extractor: EntityExtractor) -> None:
    assert entities(extractor, "商标注册流程说明，欢迎了解。") == []


def test_agency_code_needs_its_label(extractor: EntityExtractor) -> None:
    assert not [e for e in entities(extractor, "已服务31027家企业") if e[0] == "agency_code"]


def test_districts_are_picked_among_overlapping_names_as_spacys_entity_ruler_picks_them(
        extractor: EntityExtractor) -> None:
    import spacy
    from spacy.tokens import Doc

    names = {fold_variant(name): canonical for canonical, aliases in load_districts().items()
             for name in (canonical, *aliases)}
    nlp = spacy.blank("zh")
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "ORTH"})
    ruler.add_patterns([{"label": "district", "pattern": name, "id": canonical} for name, canonical in names.items()])
    rng = random.Random(3)
    pieces = [*names, *(name[:cut] for name in names for cut in range(1, len(name))), "区", "新区", "的", "、", " "]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 12))) for _ in range(2000)]
    texts += [item.text for item in read_items(data_root() / "test.jsonl")]
    for text in texts:
        doc = ruler(Doc(nlp.vocab, words=list(text), spaces=[False] * len(text)))
        expected = [(ent.start_char, ent.end_char, ent.ent_id_) for ent in doc.ents]
        assert extractor.districts(text) == expected, text
