"""Who is speaking, whole detector with the committed model: the same claim raises a label when the author makes it
to win business, and none when it is reported (a penalty decision, a warning, news, an explainer, a question, a
firm refusing to promise, a platform rule, a contract, an official body's recruitment). Examples written for this
test, not taken from the training templates."""
from __future__ import annotations

import pytest

from detector.detector import Detector
from tests.fixtures.detector import REGISTRY_ROWS

REPORTED = {
    "penalty decision quoting an insider-channel ad":
        "经查，当事人于2023年3月起在其微信公众号发布“我司与审查中心有长期合作，商标加急通道15个工作日出证”等"
        "内容，上述内容无事实依据。本局依据《中华人民共和国广告法》第二十八条，责令当事人停止发布并处罚款人民币二万元。",
    "warning":
        "市市场监管局提示：近期有中介以“局里有人、包拿证”为噱头招揽商标注册业务，请广大经营者通过正规渠道办理，"
        "切勿轻信。",
    "official warning quoting 内部渠道":
        "区市场监管局消费提示：部分代理中介对外宣称掌握“内部渠道”，可保证商标注册成功、缩短审查周期。上述说法均无依据，"
        "请勿轻信，发现此类宣传可拨打12315举报。",
    "penalty decision quoting an impersonation ad":
        "经查，当事人在网店页面宣传“国知局直属服务窗口，内部渠道加急办理”，该宣传内容与事实不符，构成虚假广告。",
    "penalty decision quoting a guarantee":
        "行政处罚决定书：当事人通过短视频平台发布“专利包授权，不授权全额退款”的广告，违反《广告法》第二十八条，"
        "处以罚款三万元。",
    "warning to a firm that lent licences":
        "依据《专利代理条例》第二十五条，对当事人以“挂靠专利代理师资格证”方式开展业务的行为予以警告。",
    "news on a fraud ring":
        "据报道，警方近日打掉一个以“内部渠道快速授权”为幌子的诈骗团伙，涉案金额超过两百万元。",
    "news on patent trading":
        "记者调查发现，一些网店打出“专利加名、评职称包过”的旗号，实际上是在买卖专利，已被平台下架。",
    "question about buying an inventor's place":
        "请问大家，网上说可以花钱把自己名字加到别人的专利发明人里，这个靠谱吗？是不是违法？",
    "question comparing 挂靠 of two licences":
        "想问一下挂靠建造师和挂靠专利代理师证一样吗？会不会被查？",
    "platform list of banned words":
        "违规词示例：国家指定、审查员关系、加急出证、挂靠证书。商家使用上述词语将被扣分。",
    "news on a crackdown":
        "记者从市知识产权局了解到，今年以来该局联合网信部门清理涉嫌冒用“国家知识产权局指定”名义的网店链接120余条，"
        "并对3家代理机构立案调查。",
    "explainer of 恶意撤三":
        "什么是恶意撤三？简单来说，就是有人专门盯上别人闲置或使用证据不足的商标，批量提出撤销申请，再把商标抢过去"
        "高价出售。商标权利人平时要注意保存使用证据。",
    "question about 挂靠":
        "请问一下各位，我刚考过专利代理师，有机构说可以把证挂靠在他们那里每年给两万，这样合法吗？会不会有风险？",
    "question whether lending a licence is allowed":
        "请问把自己的专利代理师资格证借给别的公司挂靠，这样做合法吗？",
    "question passing on talk of 内部渠道":
        "有人说商标局有内部渠道，能快速下证，这是真的吗？",
    "question quoting 内部渠道":
        "听说有\"内部渠道\"可以加急审查，想问问大家靠谱吗？",
    "firm refusing a patent-trade service":
        "我司不提供加名、挂名等服务，评职称的客户请勿咨询。",
    "explainer of a guaranteed registration":
        "商标能不能注册下来，要看商标局的审查结论，代理机构只能帮忙查询近似商标、准备材料，谁也没法打包票说包注册。",
    "firm refusing to promise":
        "本所郑重声明：专利能否授权由审查员依法决定，我们不承诺授权、不收取所谓加急费，也从未与任何审查部门有特殊关系。",
    "platform rule listing banned words":
        "商家发布知识产权服务类商品时，不得使用“官方指定”“包授权”“内部通道”“百分百下证”等宣传用语，违者将被下架处理。",
    "contract template":
        "甲方委托乙方办理发明专利申请事宜。乙方应按照甲方提供的技术资料撰写申请文件并按时提交；因专利授权与否取决于"
        "审查结果，乙方不对授权作任何保证。",
    "official recruitment":
        "国家知识产权局专利局专利审查协作北京中心2025年度招聘公告：拟招聘专利审查员200名，要求理工科硕士及以上学历，"
        "报名截止日期为4月30日。",
}

ADS = [
    ("insider_channel", "我司与审查中心有长期合作，商标加急通道15个工作日出证，需要的老板私信。"),
    ("insider_channel", "局里有人，商标包拿证，不拿证全额退，微信同号。"),
    ("impersonation", "国家知识产权局指定商标代理，线上办理，价格实惠，欢迎来电。"),
    ("malicious_cancellation", "专业撤三，盯住闲置商标批量撤，撤下来直接转到你名下，成功率高。"),
    ("qualification_lending", "专利代理师证长期收，挂靠我们机构每年两万，无需到岗。"),
    ("insider_channel", "商标三天受理 包注册"),
]



# The firm refusing to promise speaks for itself to win business: it solicits, it just claims nothing unlawful.
SOLICITING = {"firm refusing to promise", "firm refusing a patent-trade service"}
# A patent firm's own statement may read as an offer of patent agency, which is lawful only from a licensed agency:
# the firm is one here, as a firm answering for its practice is (shown without a seller, the registry could not
# find it, and `unlicensed_agency` would follow from the offer alone).
SELLERS = {"firm refusing to promise": REGISTRY_ROWS[1][1]}


@pytest.mark.parametrize("genre", REPORTED)
def test_reported_speech_raises_no_label(model_detector: Detector, genre: str) -> None:
    result = model_detector.detect({"id": genre, "text": REPORTED[genre], "seller": SELLERS.get(genre, "")})
    assert result.labels == [], (genre, result.scores)
    assert (result.solicitation >= 0.5) is (genre in SOLICITING), (genre, result.solicitation)


@pytest.mark.parametrize("label, text", ADS)
def test_the_same_claim_as_an_ad_raises_the_label(model_detector: Detector, label: str, text: str) -> None:
    result = model_detector.detect({"id": "ad", "text": text, "seller": "小王知产"})
    assert label in result.labels, (text, result.scores)
    assert result.solicitation >= 0.5


@pytest.mark.parametrize("title", ["下证快 不过退款", "商标加急 包拿证", "撤三 包成功"])
def test_a_short_ad_that_is_nothing_but_the_claim_stays_a_violation(model_detector: Detector, title: str) -> None:
    result = model_detector.detect({"id": "bare", "title": title})
    assert result.labels, (title, result.scores)


def test_quoting_an_ad_and_making_the_offer_too_is_a_violation(model_detector: Detector) -> None:
    text = "别家打着“官方”旗号收高价，我们审查中心有熟人，商标十五天下证，不下证全退。"
    assert "insider_channel" in model_detector.detect({"id": "both", "text": text}).labels
