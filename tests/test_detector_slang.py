"""How sellers really write, whole detector with the committed model: the patent and credential trade's slang,
short-form titles, first-person insider claims without keywords, official-sounding seller names, and the lawful
texts that share their words. Examples written for this test, not taken from the training templates."""
from __future__ import annotations

import pytest

from detector.detector import Detector
from detector.normalize import normalize_text

SLANG = [
    ("abnormal_filing", "出两件授权未缴费的实用新型，可以变更发明人，评职称用，价格好说"),
    ("abnormal_filing", "一手货源 发明专利 高企 积分落户都能用 可改权利人"),
    ("abnormal_filing", "职称专利现货，第一发明人位置还有，下周就能办变更"),
    ("abnormal_filing", "未下证专利转让，加发明人，副高评审认可"),
    ("abnormal_filing", "手里一批软著和新型专利，转让+改权利人一条龙，落户积分能用"),
]
INSIDER = [
    ("insider_channel", "我老婆就在审协上班，你的发明可以往前挪，年底前出结果"),
    ("insider_channel", "审查中心有熟人，能提前出审查意见，过不了不收钱"),
    ("insider_channel", "朋友在商标局，初审结果能提前一个月知道，急的找我"),
    ("insider_channel", "我表哥在专利局审查部，案子可以帮你往前排，两个月出通知书"),
    ("insider_channel", "我以前就在审协上班，里面的人都认识，你的案子交给我，审查意见能提前看到"),
]
SHORT_TITLES = [
    ("qualification_lending", "收专代证 年薪 不坐班"),
    ("abnormal_filing", "外观专利 加名 评职称 速"),
    ("malicious_cancellation", "撤三 抢回来 包成功"),
]
LAWFUL = {
    "explainer on unpaid grants": "授权后未缴费的专利会被视为放弃取得专利权，请申请人在期限内缴纳登记费。",
    "an examiner about the queue": "我在审协工作五年，案子都是按顺序分给审查员的，没有人能把案子往前挪。",
    "a question about inventors": "请问专利申请后发现发明人写错了，怎么变更发明人？需要交什么材料？",
    "a lawful patent sale": "本公司一件已授权发明专利转让，权属清晰，按规定办理著录项目变更登记，技术资料齐全。",
}


@pytest.fixture(scope="module")
def detector(registry_csv) -> Detector:
    return Detector.load(registry=registry_csv)


@pytest.mark.parametrize("label, text", SLANG + INSIDER)
def test_trade_slang_and_first_person_insider_claims(detector: Detector, label: str, text: str) -> None:
    result = detector.detect({"id": "t", "text": text})
    assert label in result.labels, (text, result.scores)


@pytest.mark.parametrize("label, title", SHORT_TITLES)
def test_short_form_titles(detector: Detector, label: str, title: str) -> None:
    result = detector.detect({"id": "t", "title": title})
    assert label in result.labels, (title, result.scores)


@pytest.mark.parametrize("case", LAWFUL)
def test_lawful_texts_sharing_the_words_raise_no_label(detector: Detector, case: str) -> None:
    result = detector.detect({"id": "t", "text": LAWFUL[case]})
    assert set(result.labels) <= {"unlicensed_agency"}, (case, result.scores)
    assert not set(result.labels) & {"abnormal_filing", "insider_channel"}


@pytest.mark.parametrize("seller, posing", [
    ("国家商标注册服务中心", True),
    ("全国知识产权受理窗口", True),
    ("中华专利申请中心", True),
    ("商标注册受理中心", True),
    ("专利申请受理窗口", True),
    ("启航知识产权服务中心", False),
    ("中国专利代理（香港）有限公司", False),
    ("国信知识产权代理有限公司", False),
])
def test_official_sounding_seller_names(detector: Detector, seller: str, posing: bool) -> None:
    result = detector.detect({"id": "s", "title": "商标注册 版权登记", "text": "线上办理。", "seller": seller})
    assert ("impersonation" in result.labels) is posing, (seller, result.labels)


def test_a_bare_title_of_trademark_and_patent_services_is_no_impersonation(detector: Detector) -> None:
    result = detector.detect({"id": "s", "title": "商标注册 专利申请", "text": "线上办理。", "seller": "小王知产"})
    assert "impersonation" not in result.labels, result.scores


# c3 / C3 is the trade's slang for 撤三 (the initials with the numeral as its digit, like 撤3) where a trademark is
# named nearby; a car model, a vitamin, a licence class or a defence against it is no cancellation service.
@pytest.mark.parametrize("offer", [
    "C3专业户，看中别人家的商标直接拿过来，三个月搞定",
    "c3包成功，同行闲置的商标帮你拿下",
])
def test_c3_beside_a_mark_is_the_trades_cancellation(detector: Detector, offer: str) -> None:
    assert "malicious_cancellation" in detector.detect({"id": "c", "text": offer}).labels
    assert "撤三" in normalize_text(offer).text


@pytest.mark.parametrize("other", [
    "雪铁龙C3 二手车 一手车主 代办过户",
    "C3驾照代办，包过，随到随考",
    "维生素C3和维生素C有什么区别",
    "我的商标被人c3了，怎么准备使用证据答辩？",
])
def test_c3_elsewhere_is_no_cancellation(detector: Detector, other: str) -> None:
    assert "malicious_cancellation" not in detector.detect({"id": "o", "text": other}).labels
    if "商标" not in other:
        assert "撤三" not in normalize_text(other).text
