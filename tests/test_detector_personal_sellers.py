"""A personal seller's patent-agency offer, the plan's own example of `unlicensed_agency` (docs/domain.md):
the seller saying who it is (个人, 私人) is no 专利代理人, and the trade's initials ZL read as 专利 beside 代写.
Each offer is paired with a text that shares its words and offers nothing. Sentences written for these tests.

The rules read these offers; the shipped model (trained before) does not yet weigh them enough to flag the
shortest ones: the next training sees them."""
from __future__ import annotations

import pytest

from detector.normalize import normalize_text
from detector.rules import RuleEngine


def offers(rule_engine: RuleEngine, text: str) -> float:
    return rule_engine.features(normalize_text(text).text)["label:offers_patent_agency"]


@pytest.mark.parametrize(("offer", "no_offer"), [
    ("专利代理 个人接单 价格便宜 可开票", "招聘专利代理人，个人简历请发邮箱"),
    ("发明专利代理 私人接单 不走公司", "专利代理人私人信息不得公开"),
    ("ZL代写代提交，微信同号", "ZL牌吸尘器，说明书可代写"),
])
def test_a_personal_sellers_offer_is_read_and_its_twin_is_not(rule_engine: RuleEngine, offer: str,
                                                               no_offer: str) -> None:
    assert offers(rule_engine, offer) >= 0.5
    assert offers(rule_engine, no_offer) == 0.0

