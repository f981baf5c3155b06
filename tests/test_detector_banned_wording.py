"""A list of banned wording (a platform's 违禁词, a regulator's 禁用语) names the words it bans and uses none of them
(docs/domain.md: a platform rule listing banned wording is a hard negative); a seller who names the list and then
makes the claims anyway is still flagged. Sentences written for these tests; the shipped model."""
from __future__ import annotations

import pytest

from detector.detector import Detector


@pytest.mark.parametrize("banned_list", [
    "以下为广告违禁词：官方合作、保证下证、加急通道。",
    "商标服务类目禁用语：国知局指定、包注册、内部渠道，出现即下架。",
])
def test_a_list_of_banned_wording_is_no_claim(model_detector: Detector, banned_list: str) -> None:
    assert model_detector.mode == "model"
    assert model_detector.detect({"id": "t", "text": banned_list}).labels == []


def test_a_seller_who_names_the_list_and_claims_anyway_is_flagged(model_detector: Detector) -> None:
    text = "违禁词？我们不怕。官方合作，保证下证，加急通道，加微信。"
    assert {"impersonation", "insider_channel"} <= set(model_detector.detect({"id": "t", "text": text}).labels)
