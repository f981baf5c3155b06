"""Look-alikes outside the sector (docs/domain.md): a listing that names another trade and nothing of the IP trade
carries no label, whatever the trained models make of its 内部渠道, 包过 or 加急; the same words beside a patent or a
trademark, or a bare claim naming no trade at all, still do. Sentences written for these tests; the shipped model."""
from __future__ import annotations

import pytest

from detector.detector import Detector


def labels(model_detector: Detector, text: str) -> list[str]:
    return model_detector.detect({"id": "t", "text": text}).labels


@pytest.mark.parametrize(("other_trade", "ip_trade"), [
    ("新盘一手房源走内部渠道，可以优先选房，私聊。", "商标注册走内部渠道，可以优先受理，私聊。"),
    ("护照加急，内部渠道，三天出证，不成功退款。", "发明专利加急，内部渠道，三月下证，不成功退款。"),
    ("信用卡内部渠道，包下卡，不下卡不收费。", "外观专利内部渠道，包授权，不授权不收费。"),
    ("签证加急有关系，包过，拒签全退。", "实用新型加急有关系，包过，驳回全退。"),
])
def test_another_trades_inside_channel_is_no_lead(model_detector: Detector, other_trade: str, ip_trade: str) -> None:
    assert model_detector.mode == "model"
    assert "insider_channel" in labels(model_detector, ip_trade)
    found = model_detector.detect({"id": "t", "text": other_trade})
    assert found.labels == []
    assert all(score == 0.0 for score in found.scores.values())


def test_a_claim_that_names_no_trade_at_all_still_counts(model_detector: Detector) -> None:
    assert "insider_channel" in labels(model_detector, "下证快 不过退款")


def test_the_ip_trade_named_beside_another_keeps_the_claim(model_detector: Detector) -> None:
    assert "insider_channel" in labels(model_detector, "驾照和专利都能办，专利走内部渠道，三个月下证。")
