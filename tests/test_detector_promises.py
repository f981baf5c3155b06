"""Promises of the outcome, whole detector with the committed model: a guaranteed grant, a grant by a date or a
claim of acceleration is an insider_channel claim in any wording, and so is a refund that backs one (docs/domain.md:
nobody can promise the outcome). A refund on failure stated alone promises no outcome (the refund rule of
models/data/real/README.md, which labels two agencies' refunds on rejection lawful_ad), nor does a refund policy or a
guarantee outside trademarks and patents, and the same promise reported by a decision raises nothing.
Examples written for this test, not taken from the training templates or the real-world corpus."""
from __future__ import annotations

import pytest

from detector.detector import Detector

PROMISES = [
    "保证您今年拿到发明专利证书",
    # A refund backing a promised grant, a date or an acceleration:
    "外观专利包过，审不过全额退款",
    "实用新型6个月下证，否则退还全部代理费",
    "商标加急办理，不成功退款",
]

# Known and specified as wrong: the model of 2026-12-06 still reads a short refund alone as the short refund
# promises of the training templates (text models 0.5-1.0 on 不下来 … 退; detector/HISTORY.md 2026-12-06), although
# the refund rules no longer fire without a promise beside them (refund_backing).
# Strict, so the training that fixes them must drop the marks.
_STILL_FLAGGED = pytest.mark.xfail(strict=True, reason="model of 2026-12-06: a short refund alone is insider_channel")

REFUNDS_ALONE = [
    "审核没通过的话，代理费全部退还给您",
    "实用新型申请，审不过的一分钱不收",
    pytest.param("商标注册不下来全额退费，放心交给我们", marks=_STILL_FLAGGED),
    "如果商标被驳回，服务费如数退还",
]

NOT_PROMISES = [
    "本店退款政策：商品未发货可全额退款，已发货不退。",
    "本所不承诺授权，审查结果以国家知识产权局为准。",
    "驳回的商标申请，官费不予退还。",
    "当事人在其网站宣称“确保授权，否则全额退款”，违反了广告法第二十八条。",
    "经查，当事人在闲鱼承接专利申请业务，并承诺不授权退款，其行为构成无资质专利代理。",
]



@pytest.mark.parametrize("text", PROMISES)
def test_a_promised_outcome_is_an_insider_claim(model_detector: Detector, text: str) -> None:
    result = model_detector.detect({"id": "ad", "text": text})
    assert "insider_channel" in result.labels, (text, result.scores)


@pytest.mark.parametrize("text", REFUNDS_ALONE)
def test_a_refund_stated_alone_promises_no_outcome(model_detector: Detector, text: str) -> None:
    result = model_detector.detect({"id": "r", "text": text})
    assert [label for label in result.labels if label != "unlicensed_agency"] == [], (text, result.scores)


@pytest.mark.parametrize("text", NOT_PROMISES)
def test_refunds_elsewhere_refusals_and_reported_promises_raise_nothing(model_detector: Detector, text: str) -> None:
    result = model_detector.detect({"id": "n", "text": text})
    assert [label for label in result.labels if label != "unlicensed_agency"] == [], (text, result.scores)
