"""Normalisation against evasion, and the offset map back to the seller's own text."""
from __future__ import annotations

import json
import os
import subprocess
import sys

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


# 威信 (prestige) is listed as a disguise of 微信: it is one only as a contact word, before an id or after 加 / 添加 /
# 联系; said of a person or a firm it stays what it says.
@pytest.mark.parametrize(("original", "expected"), [
    ("详情加威信", "详情加微信"),
    ("威信：zl8888", "微信:zl8888"),
    ("威信号 abc123", "微信号 abc123"),
    ("联系威信", "联系微信"),
    ("他在业内很有威信", "他在业内很有威信"),
    ("增加威信，树立口碑", "增加威信,树立口碑"),
    ("本所在客户中威信很高", "本所在客户中威信很高"),
])
def test_a_listed_disguise_that_is_a_common_word_is_replaced_only_as_a_contact_word(original: str,
                                                                                     expected: str) -> None:
    assert normalize_text(original).text == expected


def test_sentence_punctuation_and_line_breaks_are_kept() -> None:
    text = "专业代理，内部流程。\n渠道说明"
    assert normalize_text(text).text == "专业代理,内部流程。\n渠道说明"


def test_latin_variant_matches_only_whole_words() -> None:
    assert normalize_text("gzjx123 vx1").text == "gzjx123 vx1"


def test_a_variant_at_the_start_of_a_longer_one_cut_off_by_the_end_of_the_text_is_replaced() -> None:
    # Leftmost-longest: 加薇信号 is not there, so the 薇信 inside it is.
    normalizer = Normalizer({"加薇信号": "加微信号", "薇信": "微信"})
    assert normalizer("请加薇信").text == "请加微信"
    assert normalizer("请加薇信号").text == "请加微信号"


def test_offsets_map_back_to_the_original_text() -> None:
    original = "店铺说明：國 家 知 識 產 權 局🔥指定代理"
    normalized = normalize_text(original)
    start = normalized.text.index("国家知识产权局指定")
    end = start + len("国家知识产权局指定")
    begin, finish = normalized.to_original(start, end)
    assert original[begin:finish] == "國 家 知 識 產 權 局🔥指定"
    assert normalized.original_slice(0, 4) == "店铺说明"


def test_width_and_case_folds_of_one_and_of_several_characters_keep_the_offset_map() -> None:
    original = "Ｘ公司㈱，ＱＱ：１２３"
    normalized = normalize_text(original)
    assert normalized.text == "x公司(株),qq:123"
    assert [normalized.original_slice(i, i + 1) for i in range(len(normalized.text))] == [
        "Ｘ", "公", "司", "㈱", "㈱", "㈱", "，", "Ｑ", "Ｑ", "：", "１", "２", "３"]


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
    from core.config import ConfigError

    (tmp_path / "detector").mkdir()
    (tmp_path / "detector" / "normalize.yaml").write_text("homophones:\n  国知局: 国之局\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"normalize.yaml: homophones.国知局: Input should be a valid list"):
        Normalizer.from_config(tmp_path)
    (tmp_path / "detector" / "normalize.yaml").write_text("homophone:\n  国知局: [国之局]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"normalize.yaml: homophone: Extra inputs are not permitted"):
        Normalizer.from_config(tmp_path)


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("走内布渠到，当月拿证", "走内部渠道,当月拿证"),  # two characters of the same sound
        ("商标拘指定代理", "商标局指定代理"),
        ("专丽代理 包下正", "专利代理包下证"),
        ("传利代理", "专利代理"),  # 传 is read chuan and zhuan: every reading counts
        ("关系很影", "关系很硬"),  # a phrase of rules.yaml, not listed in normalize.yaml
    ],
)
def test_other_characters_of_the_same_sound_become_the_key_term(original: str, expected: str) -> None:
    assert normalize_text(original).text == expected


@pytest.mark.parametrize(
    "ordinary",
    [
        "国家知识产权局制定的审查指南",  # 制定 sounds like 指定 but is a common word
        "了解一下正规的商标注册流程",  # 下正 sounds like 下证, but 一下 and 正规 are the words here
        "商标权人可以答辩",  # 人可 sounds like 认可, but 可以 is the word
        "国内不少企业申请专利",  # 内不 sounds like 内部
        "研发费用加计扣除",  # listed in sound.ordinary_words
        "详情参阅资讯中心公告",  # 资讯 is the word here, not 咨询
        "此时代理机构将会收取少量咨询费",  # 将会 is not 抢回 (both characters other ones)
        "排名依次是第一发明人",  # 是 is not read ti (an archaic reading): 依次是 is not 一次提
    ],
)
def test_same_sound_spellings_that_read_as_ordinary_words_are_left_alone(ordinary: str) -> None:
    assert normalize_text(ordinary).text == ordinary


@pytest.mark.parametrize(
    "everyday",
    [
        "他毫不犹豫地交了专利申请费",  # 地交 sounds like 递交, but 地 is the particle after 毫不犹豫
        "专利代理人耐心地解答了我的问题",
        "我们悄悄地准备了专利申请材料",
        "专利局的审查员说了材料齐全才受理",
        "代理人说得很清楚专利要一年多才能授权",
        "商标注册的流程是怎样的呢",
    ],
)
def test_a_particle_is_never_read_as_a_disguised_character(everyday: str) -> None:
    assert normalize_text(everyday).text == everyday


def test_the_disguise_a_particle_would_have_hidden_is_still_undone() -> None:
    assert normalize_text("他弟交了专利申请").text == "他递交了专利申请"


def test_same_sound_spelling_without_a_real_character_needs_context() -> None:
    assert normalize_text("申请商标，伤表橘指定").text == "申请商标,商标局指定"  # 商标: a context word
    assert normalize_text("伤表橘指定").text == "伤表橘指定"
    assert normalize_text("申请专利 砖丽").text == "申请专利砖丽"  # two characters, both other ones: never


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("商biao局指定", "商标局指定"),
        ("nei部渠dao", "内部渠道"),
        ("zhuan利代理", "专利代理"),
        ("dai理师挂靠", "代理师挂靠"),
        ("审cha员关系", "审查员关系"),
        ("nei bu 渠道", "内部渠道"),  # syllables apart
    ],
)
def test_pinyin_mixed_with_characters_is_matched_by_sound(original: str, expected: str) -> None:
    assert normalize_text(original).text == expected


def test_full_pinyin_of_three_syllables_or_more_stands_on_its_own() -> None:
    assert normalize_text("guanxihenying，放心").text == "关系很硬,放心"
    assert normalize_text("kuaisuxiazheng").text == "快速下证"


def test_full_pinyin_of_two_syllables_needs_context() -> None:
    assert normalize_text("gongzhang").text == "gongzhang"
    assert normalize_text("商标注册 盖gongzhang").text == "商标注册盖公章"


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("guamingfmzl", "挂名发明专利"),  # full pinyin and initials of several terms in one word
        ("zlsb代办", "专利商标代办"),
        ("html页面", "html页面"),  # an English word is not made of key terms
    ],
)
def test_latin_word_made_of_several_key_terms_is_split_into_them(original: str, expected: str) -> None:
    assert normalize_text(original).text == expected


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("代办SB注册", "代办商标注册"),  # a context word next to the initials
        ("ZL SB", "专利商标"),  # several initials together
        ("NB渠道 包下证", "内部渠道包下证"),
        ("ZC专利 包过", "职称专利包过"),  # zc: 职称 forms a rule word with 专利 (职称专利)
        ("商标ZC", "商标注册"),  # zc: else the first of normalize.yaml
        ("SB-200 音箱", "sb-200 音箱"),  # part of a model number
        ("SB 音箱 黑色", "sb 音箱黑色"),  # no context
        ("ZC300型号", "zc300型号"),
        ("NB渠道", "nb渠道"),
    ],
)
def test_initials_are_replaced_only_with_supporting_context(original: str, expected: str) -> None:
    assert normalize_text(original).text == expected


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("商标代理 加QQ详聊", "商标代理加qq详聊"),  # a QQ contact, not 亲戚
        ("专利代理，简历投 hr@qq.com", "专利代理,简历投 hr@qq.com"),
        ("TM商标可以用吗", "tm商标可以用吗"),  # ™, not 推免
        ("商标logo用PS设计", "商标logo用ps设计"),  # Photoshop, not 评审
        ("专利申请 PC端提交", "专利申请 pc端提交"),  # not 派出
        ("商标官网 sbj.cnipa.gov.cn", "商标官网商标局国家知识产权局.gov.cn"),  # the address's .cn, not 承诺
        ("jd旗舰店 专利产品", "jd旗舰店专利产品"),  # 京东, not 接单
        ("专利产品 执行标准GB/T 1234", "专利产品执行标准gb/t 1234"),  # a national standard, not 贯标
    ],
)
def test_latin_words_that_are_something_else_are_never_initials(original: str, expected: str) -> None:
    """Initials are taken from every rule word (1,900 of them), so a common Latin word can collide with one (qq is
    亲戚's, tm 推免's): normalize.yaml's `initials` turns those off, and the word stays as it was written."""
    assert normalize_text(original).text == expected


def test_sound_matches_map_back_to_the_original_characters() -> None:
    original = "本所 商biao局 指定，走nei bu渠到"
    normalized = normalize_text(original)
    start = normalized.text.index("商标局指定")
    assert normalized.original_slice(start, start + 5) == "商biao局 指定"
    assert normalized.original_slice(start + 1, start + 2) == "biao"
    channel = normalized.text.index("内部渠道")
    assert normalized.original_slice(channel, channel + 4) == "nei bu渠到"
    assert normalized.original_slice(channel + 1, channel + 2) == "bu"
    assert normalized.original_slice(channel + 3, channel + 4) == "到"
    initials = normalize_text("代办SB注册")
    assert initials.original_slice(2, 4) == "SB"


# Run in a fresh process: the normalised texts of spans two key terms match equally well (加位 sounds like both 价位
# and 加微, 保过 like 包过 ...), and the order a Python set gives the two lexicons holding 价位 and 加微.
_TIES_IN_A_PROCESS = """
import json, sys
from detector.normalize import Normalizer
from detector.rules import RuleEngine
rules = RuleEngine.from_config()
normalizer = Normalizer.from_config(rules=rules)
near = {name for rule in rules.rules if rule.near for name in rule.near}
print(json.dumps({"set_order": [name for name in near if name in ("price_talk", "cue_contact")],
                  "texts": [normalizer(text).text for text in sys.argv[1:]]}, ensure_ascii=False))
"""


def test_a_tie_between_two_key_terms_is_broken_the_same_way_whatever_the_hash_seed() -> None:
    texts = ["发明人挂名加位多少", "加位联系", "专利加前多少", "宝过下证"]
    processes = [
        subprocess.Popen([sys.executable, "-c", _TIES_IN_A_PROCESS, *texts], stdout=subprocess.PIPE, text=True,
                         env={**os.environ, "PYTHONHASHSEED": seed})
        for seed in ("0", "3")
    ]
    seen = [json.loads(process.communicate(timeout=300)[0]) for process in processes]
    assert all(process.returncode == 0 for process in processes)
    # The two seeds do put the lexicons in opposite orders in a set: the tie would follow that if terms came from one
    assert seen[0]["set_order"] == list(reversed(seen[1]["set_order"]))
    assert seen[0]["texts"] == seen[1]["texts"]
    assert seen[0]["texts"][:2] == ["发明人挂名价位多少", "价位联系"]  # the term listed first in rules.yaml


def test_a_word_added_to_the_rules_is_matched_by_sound(tmp_path) -> None:
    (tmp_path / "detector").mkdir()
    (tmp_path / "detector" / "normalize.yaml").write_text("pinyin: {}\n", encoding="utf-8")
    (tmp_path / "detector" / "rules.yaml").write_text(
        "lexicons: {}\nrules:\n  - id: insider.new\n    label: insider_channel\n    weight: 0.5\n"
        "    phrases: [秘密通道]\n",
        encoding="utf-8",
    )
    normalizer = Normalizer.from_config(tmp_path)
    assert normalizer("走蜜密通道").text == "走秘密通道"
    assert normalizer("mimi通道").text == "秘密通道"


def test_sound_section_errors_name_the_field(tmp_path) -> None:
    from core.config import ConfigError
    from core.settings import project_root

    (tmp_path / "detector").mkdir()
    rules = (project_root() / "config" / "detector" / "rules.yaml").read_text(encoding="utf-8")
    (tmp_path / "detector" / "rules.yaml").write_text(rules, encoding="utf-8")
    (tmp_path / "detector" / "normalize.yaml").write_text(
        "sound:\n  context_lexicons: [no_such_list]\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"normalize.yaml: sound.context_lexicons: .*'no_such_list'"):
        Normalizer.from_config(tmp_path)
    (tmp_path / "detector" / "normalize.yaml").write_text("sound:\n  initials:\n    zl: 专利\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"normalize.yaml: sound.initials.zl: Input should be a valid list"):
        Normalizer.from_config(tmp_path)
    (tmp_path / "detector" / "normalize.yaml").write_text("sound:\n  context_withn: 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"normalize.yaml: sound.context_withn: Extra inputs are not permitted"):
        Normalizer.from_config(tmp_path)
