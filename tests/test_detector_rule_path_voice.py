"""A precise rule in the author's own voice is not vetoed by the text models (whole detector, committed model).

Each ad below is an agency's lawful copy with one claim in words of our own that a rule matches; the text models
read mostly lawful service wording and score the claim low (the model of 2026-12-04, which had no rule path in its
model.json, flagged none of them though the rule fires; the model of 2026-12-06 trained with the rule path flags all
five, `detector/HISTORY.md`). The same claim quoted by a regulator raises nothing. Sentences written for this test."""
from __future__ import annotations

import pytest

from detector.detector import Detector

LAWFUL_COPY = ("本所提供商标查询、注册申请、续展、变更、转让、许可备案等一站式服务，收费标准公开，流程规范，"
               "材料由专人审核。")
CONTACT = "地址：历下区经十路18号，电话0531-86661234，工作日9:00-17:30。"

CLAIMS = [
    ("insider_channel", "insider.agreed_date", "商标下证时间可约定。"),
    ("insider_channel", "insider.agreed_date", "下证日期随您挑，准时下证。"),
    ("insider_channel", "insider.never_failed", "代办的商标从来没失败过。"),
    ("abnormal_filing", "abnormal.inventor_made_buyer", "发明人改成您。"),
    ("abnormal_filing", "abnormal.position_offered", "第一作者还剩两个。"),
]


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector.load()


@pytest.mark.parametrize("label, rule, claim", CLAIMS)
def test_a_rule_matched_claim_in_lawful_copy_raises_its_label(detector: Detector, label: str, rule: str,
                                                               claim: str) -> None:
    result = detector.detect({"id": "ad", "text": LAWFUL_COPY + claim + CONTACT, "seller": "小王知产"})
    assert result.solicitation >= 0.5
    assert label in result.labels, (claim, result.scores)
    assert rule in {item["rule"] for item in result.evidence if item["label"] == label}


@pytest.mark.parametrize("label, rule, claim", CLAIMS)
def test_the_same_claim_reported_by_a_regulator_raises_nothing(detector: Detector, label: str, rule: str,
                                                               claim: str) -> None:
    notice = (f"区市场监督管理局通报：经查，某商标代理公司在其网店页面宣称“{claim.rstrip('。')}”，上述内容无事实依据，"
              "本局已责令其改正并立案调查。")
    result = detector.detect({"id": "notice", "text": notice})
    assert result.labels == [], (claim, result.scores)
