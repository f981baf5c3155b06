"""Claims of official standing and of special access in the wording real enforcement texts quote (#16): an
appointment, a cooperation or a unit of the office, a line to its examiners, a result known early, each with
hard negatives that use the same words lawfully or deny them (a denial between the two words of a claim, the
office's real branches named as facts, an agency saying it is on the office's register). The sentences were
written for these tests."""
from __future__ import annotations

import pytest

from core.config import ConfigError
from detector.detector import Detector
from detector.rules import RuleEngine


def labels(detector: Detector, text: str) -> set[str]:
    return set(detector.detect({"id": "t", "title": "", "text": text}).labels)


# 1. The claim denied between its two words: the office never appoints, authorises or fast-tracks anyone.
@pytest.mark.parametrize(("denied", "claimed", "label"), [
    ("商标局不指定任何代理机构，选代理要看备案。", "商标局指定代理机构，官方直办，加微信。", "impersonation"),
    ("国家知识产权局从未授权任何中介代办商标。", "国家知识产权局授权的商标代办机构，全国统一收费。", "impersonation"),
    ("专利局并未设立什么合作单位，都是商家自封的。", "专利局合作单位，专利申请快人一步。", "impersonation"),
    ("商标注册没有绿色通道，所有申请都按顺序审查。", "商标注册绿色通道，三个月拿证。", "insider_channel"),
    ("审查员和代理机构不存在合作关系，审查只看材料。", "我们和审查员是长期合作关系，下证稳。", "insider_channel"),
])
def test_a_claim_denied_between_its_words_is_no_claim(rules_detector: Detector, denied: str, claimed: str,
                                                      label: str) -> None:
    assert label not in labels(rules_detector, denied)
    assert label in labels(rules_detector, claimed)


def test_unless_between_drops_a_near_match_with_the_word_between_its_two_words_only() -> None:
    engine = RuleEngine.from_mapping({
        "lexicons": {"body": ["商标局"], "claim": ["指定", "非指定"], "no": ["不", "非"]},
        "rules": [{"id": "r", "label": "impersonation", "near": ["body", "claim"], "within": 4, "weight": 0.9,
                   "unless_between": ["no"]}],
    })
    assert [m.rule for m in engine.matches("商标局指定代理")] == ["r"]
    assert engine.matches("商标局不指定代理") == []
    # inside one of the rule's own words it is that word, not a word between them
    assert [m.rule for m in engine.matches("商标局非指定代理")] == ["r"]
    # before the match it is left to unless_before
    assert [m.rule for m in engine.matches("不是说商标局指定")] == ["r"]


def test_unless_between_needs_a_near_wording(tmp_path) -> None:
    (tmp_path / "detector").mkdir()
    (tmp_path / "detector" / "rules.yaml").write_text(
        "lexicons: {a: [x]}\nrules: [{id: r, label: impersonation, weight: 0.5, phrases: [x], unless_between: [a]}]",
        encoding="utf-8")
    with pytest.raises(ConfigError, match="unless_between' needs a 'near'"):
        RuleEngine.from_config(tmp_path)


# 2. The endorsement and the office in one clause: a colon or a question between them is two statements.
@pytest.mark.parametrize("text", [
    "商标注册请认准官方网站：中国商标网，谨防山寨网站。",
    "想找官方？商标局只受理申请，不做代理。",
])
def test_an_endorsement_word_in_another_clause_endorses_nothing(rules_detector: Detector, text: str) -> None:
    assert "impersonation" not in labels(rules_detector, text)


# 3. An agency on the office's register (备案) is lawful: agencies file with the office; appointed (指定) is not.
@pytest.mark.parametrize(("lawful", "claim"), [
    ("我所是中国知识产权保护中心的备案代理机构，可为备案主体提供预审服务。",
     "我所是中国知识产权保护中心指定代理机构，预审包通过。"),
    ("我们是国家知识产权局备案的商标代理机构，可在中国商标网查询备案信息。",
     "我们是国家知识产权局认证的商标代理机构，注册成功率高。"),
])
def test_an_agency_on_the_register_is_lawful_an_appointed_one_is_not(rules_detector: Detector, lawful: str,
                                                                    claim: str) -> None:
    assert "impersonation" not in labels(rules_detector, lawful)
    assert "impersonation" in labels(rules_detector, claim)


# 4. The office's real branches (专利局…代办处, 商标局驻…办事处, 受理窗口) named as facts; the same unit claimed in
# an ad that solicits, or borne by a shop, poses as the office.
@pytest.mark.parametrize("fact", [
    "国家知识产权局商标局驻广州办事处于2017年正式运行，可受理商标注册申请。",
    "国家知识产权局专利局武汉代办处受理专利申请，收缴专利费用。",
    "商标局受理窗口设在市政务服务中心二楼，现场可递交申请。",
])
def test_the_offices_real_branches_named_as_facts_are_no_impersonation(rules_detector: Detector,
                                                                       fact: str) -> None:
    assert "impersonation" not in labels(rules_detector, fact)


@pytest.mark.parametrize("claim", [
    "商标局驻京办事处，专业办理商标注册，欢迎来电。",
    "专利局代办处，代写代申请，800元一件。",
    "我们就是专利局受理处，直接给您办，13812345678。",
])
def test_a_branch_claimed_in_an_ad_is_impersonation(rules_detector: Detector, claim: str) -> None:
    assert "impersonation" in labels(rules_detector, claim)


def test_a_shop_named_as_a_branch_poses_as_the_office(rules_detector: Detector) -> None:
    listing = {"id": "s", "title": "商标注册", "text": "线上办理，加微信。", "seller": "商标局代办处"}
    assert "impersonation" in rules_detector.detect(listing).labels


# 5. Insider access without the stock words: knowing the examiners well, a direct line to them, a result early.
@pytest.mark.parametrize("claim", [
    "我们跟审查员很熟，您的专利放心交给我们。",
    "有审查员对接，发明专利加快审查，价格面议。",
    "直接对接国知局审查部门，授权快人一步。",
    "能提前拿到商标审查结果，比官方公告早一个月。",
])
def test_knowing_the_examiners_a_line_to_them_or_an_early_result_is_insider_channel(rules_detector: Detector,
                                                                                   claim: str) -> None:
    assert "insider_channel" in labels(rules_detector, claim)


@pytest.mark.parametrize("text", [
    "我们的代理师对审查员的审查思路很熟悉，答复审查意见有经验。",
    "审查员无法直接对接申请人，沟通须通过电话或会晤。",
    "能不能找审查员对接一下？律师说这不合规。",
    "审查结果以国家知识产权局公告为准，任何人无法提前拿到。",
])
def test_lawful_contact_with_examiners_and_denials_are_no_insider_channel(rules_detector: Detector,
                                                                          text: str) -> None:
    assert "insider_channel" not in labels(rules_detector, text)


# 6. A rule's wording of what is forbidden (不得以…的方式招揽业务) reports the claim it names, whatever its length.
@pytest.mark.parametrize("rule_text", [
    "商标代理机构不得以明示或者暗示与商标局存在特殊关系的方式招揽业务。",
    "专利代理机构不得以承诺通过审查或者与审查员有特殊关系等手段招揽业务。",
])
def test_a_rule_forbidding_a_claim_makes_none(rules_detector: Detector, rule_text: str) -> None:
    assert not {"impersonation", "insider_channel"} & labels(rules_detector, rule_text)


def test_the_same_claim_made_by_a_seller_still_counts(rules_detector: Detector) -> None:
    assert "insider_channel" in labels(rules_detector, "我们与商标局存在特殊关系，驳回的也能办下来。")


# 7. A shop named with the office's appointment or a national office's name poses as the office; the office's own
# account stating a fact, warning or guiding does not, nor does an agency's ordinary name.
@pytest.mark.parametrize("seller", ["商标局授权服务店", "知识产权局指定代理", "中华知识产权局", "国家专利局申请大厅"])
def test_a_shop_named_as_appointed_by_or_as_a_national_office_is_impersonation(rules_detector: Detector,
                                                                               seller: str) -> None:
    listing = {"id": "s", "title": "商标注册 专利申请", "text": "线上办理，价格实惠，加微信咨询。", "seller": seller}
    assert "impersonation" in rules_detector.detect(listing).labels


@pytest.mark.parametrize(("seller", "text"), [
    ("国家知识产权局", "国家知识产权局发布第一季度商标注册数据，发明专利授权量同比增长。"),
    ("杭州智汇知识产权代理有限公司", "商标注册线上办理，价格实惠，加微信咨询。"),
    ("国知商标", "商标注册线上办理，价格实惠，加微信咨询。"),
    # The office's warning or service guide under its own name: the demands a warning denies (从不以货到付款方式收取)
    # are not the publisher's own, and a guide is a notice.
    ("国家知识产权局商标局",
     "谨防假冒续展通知。国家知识产权局提醒：官方从不以货到付款方式收取续展费，也不会短信要求缴费。"),
    ("国家知识产权局专利局杭州代办处", "杭州代办处业务指南：受理专利申请文件、收缴专利费用，办理时间以官方公布为准。"),
])
def test_the_offices_own_account_and_agencies_names_pose_as_nobody(rules_detector: Detector, seller: str,
                                                                   text: str) -> None:
    assert "impersonation" not in rules_detector.detect({"id": "s", "text": text, "seller": seller}).labels


# 8. The same official names over their own demand or offer pose as the office.
@pytest.mark.parametrize(("seller", "text"), [
    ("国家知识产权局商标局", "您的商标即将到期，请以货到付款方式缴纳续展费，逾期注销。"),
    ("国家知识产权局专利局杭州代办处", "专利申请代办，受理快，加微信咨询。"),
])
def test_the_same_names_over_their_own_demand_or_offer_pose_as_the_office(rules_detector: Detector, seller: str,
                                                                          text: str) -> None:
    assert "impersonation" in rules_detector.detect({"id": "s", "text": text, "seller": seller}).labels
