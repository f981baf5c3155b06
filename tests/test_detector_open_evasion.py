"""The open-ended evasion generator: key terms respelled by sound, made from pypinyin, not from our lists."""
from __future__ import annotations

import random
import re

from pypinyin import Style, lazy_pinyin

from detector.detector import Detector
from detector.training.corpus import Item
from detector.training.open_evasion import (
    RESPELL,
    OpenEvasion,
    evaluate_open_evasion,
    open_evasion_items,
    without_sound_matching,
)

TERMS = ["内部渠道", "商标局", "专利", "下证", "指定"]


def item(id_: str, title: str, text: str, labels: list[str], kind: str = "violation") -> Item:
    return Item(id=id_, title=title, text=text, seller="", agency_code="", labels=labels,
                offers_patent_agency=False, kind=kind, template_id="t", split="test")


def reading(char: str) -> str:
    return lazy_pinyin(char, style=Style.NORMAL)[0]


def test_homophones_keep_the_sound_of_each_character() -> None:
    rng = random.Random(1)
    for _ in range(50):
        for term in TERMS:
            respelled = RESPELL["homophone"](term, rng)
            assert len(respelled) == len(term) and respelled != term
            assert [reading(c) for c in respelled] == [reading(c) for c in term]


def test_pinyin_kinds_write_the_terms_syllables() -> None:
    rng = random.Random(2)
    assert RESPELL["initials"]("商标局", rng).lower() == "sbj"
    assert RESPELL["full_pinyin"]("内部渠道", rng).replace(" ", "") == "neibuqudao"
    for _ in range(20):
        mixed = RESPELL["mixed"]("内部渠道", rng)
        assert re.search("[a-z]", mixed) and re.search("[内部渠道]", mixed)


def test_evasion_changes_only_key_terms_and_is_repeatable() -> None:
    listing = item("a", "专利代理 下证快", "本所是商标局指定机构，走内部渠道，售后无忧。", ["impersonation"])
    evasion = OpenEvasion(TERMS)
    first, again = evasion.evade(listing, seed=7), evasion.evade(listing, seed=7)
    assert first == again and first is not None
    assert (first.title, first.text) != (listing.title, listing.text)
    assert first.evasion and set(first.evasion.split("+")) <= set(RESPELL)
    for original, evaded in ((listing.title, first.title), (listing.text, first.text)):
        pattern, cursor = "", 0
        for start, end in evasion.occurrences(original):
            pattern += re.escape(original[cursor:start]) + ".+?"
            cursor = end
        assert re.fullmatch(pattern + re.escape(original[cursor:]), evaded)


def test_only_positive_items_with_a_key_term_are_evaded() -> None:
    items = [
        item("p", "内部渠道", "包下证", ["insider_channel"]),
        item("n", "内部渠道", "谨防内部渠道骗局", [], kind="hard_negative"),
        item("x", "健身打卡", "第30天", ["insider_channel"]),
    ]
    assert [copy.id for copy in open_evasion_items(items, TERMS, seed=0)] == ["p"]


def test_report_puts_evaded_recall_beside_clean_recall_on_the_same_items() -> None:
    detector = Detector.load(rules_only=True)
    test = [
        item("p1", "国家知识产权局指定代理", "内部渠道，包下证", ["impersonation", "insider_channel"]),
        item("p2", "专业撤三", "批量撤三，拿下别人的商标", ["malicious_cancellation"]),
        item("h1", "谨防", "谨防所谓内部渠道包下证的骗局", [], kind="hard_negative"),
    ]
    report = evaluate_open_evasion(detector.detect_many, without_sound_matching(detector).detect_many, test,
                                   detector.normalizer.sound.index.terms, seed=3)
    assert report.items == 2 and report.hard_negatives == 1
    assert report.clean_recall == 1.0
    assert 0.0 <= report.evaded_recall <= 1.0 and set(report.evaded_recall_by_kind) == set(RESPELL)
    assert report.as_dict()["gap"] == round(report.clean_recall - report.evaded_recall, 4)


def test_without_sound_matching_keeps_the_lists_but_not_the_sound() -> None:
    detector = Detector.load(rules_only=True)
    plain = without_sound_matching(detector)
    assert plain.normalizer("国之局").text == "国知局"  # listed in normalize.yaml
    assert plain.normalizer("商biao局").text == "商biao局"
    assert detector.normalizer("商biao局").text == "商标局"
