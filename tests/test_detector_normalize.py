"""Normalisation against evasion, and the offset map back to the seller's own text."""
from __future__ import annotations

import pytest

from detector.normalize import Normalizer, normalize_text


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("ＣＮＩＰＡ官方", "国家知识产权局官方"),  # full-width Latin, then the initials mapped
        ("國家知識產權局指定", "国家知识产权局指定"),  # traditional characters
        ("国 家 知 识 产 权 局", "国家知识产权局"),  # spaces
        ("内.部.渠.道", "内部渠道"),  # dots
        ("内/部\\渠|道", "内部渠道"),  # slashes and bars
        ("内\u200b部\u200d渠\ufeff道", "内部渠道"),  # zero-width characters
        ("国🔥家⭐知识产权局", "国家知识产权局"),  # emoji
        ("neibu 渠道", "内部渠道"),  # pinyin, then the space between CJK removed
        ("GZJ直属", "国知局直属"),  # initials
        ("国之局直属", "国知局直属"),  # homophone
        ("加V信：abc_123", "加微信:abc_123"),  # contact written in evasive form
        ("扣扣 12345678", "qq 12345678"),
        ("电话一三八一二三四五六七八", "电话13812345678"),  # numbers written in Chinese numerals
        ("三十天", "三十天"),  # ordinary numerals stay
    ],
)
def test_each_evasion_is_undone(original: str, expected: str) -> None:
    assert normalize_text(original).text == expected


def test_sentence_punctuation_and_line_breaks_are_kept() -> None:
    text = "专业代理，内部流程。\n渠道说明"
    assert normalize_text(text).text == "专业代理,内部流程。\n渠道说明"


def test_latin_variant_matches_only_whole_words() -> None:
    assert normalize_text("gzjx123 vx1").text == "gzjx123 vx1"


def test_offsets_map_back_to_the_original_text() -> None:
    original = "店铺说明：國 家 知 識 產 權 局🔥指定代理"
    normalized = normalize_text(original)
    start = normalized.text.index("国家知识产权局指定")
    end = start + len("国家知识产权局指定")
    begin, finish = normalized.to_original(start, end)
    assert original[begin:finish] == "國 家 知 識 產 權 局🔥指定"
    assert normalized.original_slice(0, 4) == "店铺说明"


def test_replaced_word_maps_to_the_whole_variant() -> None:
    original = "找我们 neibu qudao 办理"
    normalized = normalize_text(original)
    start = normalized.text.index("内部渠道")
    assert normalized.original_slice(start, start + 4) == "neibu qudao"
    assert normalized.original_slice(start + 1, start + 2) == "neibu"


def test_empty_span_and_bounds() -> None:
    normalized = normalize_text("abc")
    assert normalized.to_original(3, 3) == (3, 3)
    with pytest.raises(ValueError):
        normalized.to_original(2, 5)


def test_replacements_come_from_config(tmp_path) -> None:
    (tmp_path / "detector").mkdir()
    (tmp_path / "detector" / "normalize.yaml").write_text(
        "pinyin:\n  内部渠道: [nbqd]\nhomophones:\n  国知局: [锅汁局]\n", encoding="utf-8"
    )
    normalizer = Normalizer.from_config(tmp_path)
    assert normalizer("NBQD, 锅汁局").text == "内部渠道, 国知局"


def test_broken_config_names_file_and_field(tmp_path) -> None:
    from lantian.settings import ConfigError

    (tmp_path / "detector").mkdir()
    (tmp_path / "detector" / "normalize.yaml").write_text("homophones:\n  国知局: 国之局\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"normalize.yaml: field 'homophones.国知局'"):
        Normalizer.from_config(tmp_path)
