"""Who is speaking, rule level: quotations and reporting words mark someone else's words, and rule evidence inside
them does not raise a label; the author's own offer next to them still does. (The trained model's behaviour on
reported speech is in test_detector_reported_speech.py.)"""
from __future__ import annotations

import pytest

from core.config import ConfigError
from detector.detector import Detector
from detector.normalize import Normalizer
from detector.rules import RuleEngine
from detector.speech import REPORTED_MARK, ReportedSpeech, cue_solicitation, mask_reported, quoted_spans


def reported_text(detector: Detector, text: str) -> list[str]:
    prepared = detector._prepare({"id": "x", "text": text})
    return [prepared.text[start:end] for start, end in prepared.analysis.reported]


def test_quotations_are_found_in_the_original_and_mapped_onto_the_normalised_text() -> None:
    normalized = Normalizer({})("网店写着「國家知識產權局 指定」和“包 过”字样")
    spans = quoted_spans(normalized)
    assert [normalized.text[a:b] for a, b in spans] == ["国家知识产权局指定", "包过"]
    assert quoted_spans(Normalizer({})("没有引号的广告：内部渠道下证快")) == []
    assert quoted_spans(Normalizer({})("“没有收尾的引号\n内部渠道")) == []


@pytest.mark.parametrize("text, passage", [
    ("网店发布“商标局直属受理点，三十天拿证”等内容。", "商标局直属受理点,三十天拿证"),
    ("有机构以「专利局代办处」名义对外承接业务", "专利局代办处"),
    # A decision's or a report's third person: the rest of the sentence is what the party did or said.
    ("经查，当事人在闲鱼承接专利申请业务，并承诺不授权退款。本局认为", "在闲鱼承接专利申请业务,并承诺不授权退款"),
    ("该公司在网店宣传可以通过内部关系加快审查。", "在网店宣传可以通过内部关系加快审查"),
    ("平台严禁出现“百分百授权”、“关系户加急”等表述", "百分百授权"),
    ("有中介宣称其可以帮忙走后门，请勿相信。又及：", "其可以帮忙走后门,请勿相信"),
    ("提防所谓的审查员熟人，正规业务请找备案机构", "所谓的审查员熟人"),
    # Single quotation marks, and what someone is said to have told (表示, 透露) or to sell (兜售).
    ("有中介兜售‘包授权专利’，价格从几千到几万", "包授权专利"),
    ("一名店主向记者表示，“评职称的专利我们都有现货”。", "评职称的专利我们都有现货"),
    # ASCII or full-width apostrophes as quotation marks, as short posts type them.
    ("那人在群里说'内部渠道 半年下证'，我信了，结果一年了还在实审", "内部渠道半年下证"),
    ("网店写着＇国知局合作单位＇，我打电话问了，人家说没有", "国知局合作单位"),
    # A buyer's review of what was promised, a seller's words quoted as said (原话), a client's request told of, and
    # what several sellers all say.
    ("差评！说好三个月下证，半年了还在审", "三个月下证,半年了还在审"),
    ("下单前客服原话“我们有关系，三个月一定下证”，结果还在审", "我们有关系,三个月一定下证"),
    ("有客户要一个月申请20件实用新型，说是凑高企的数。我们婉拒了。", "一个月申请20件实用新型,说是凑高企的数"),
    ("好几个代理加我微信，都说能走内部通道，一年内下证。", "走内部通道,一年内下证"),
])
def test_reported_passages(rules_detector: Detector, text: str, passage: str) -> None:
    assert passage in reported_text(rules_detector, text)


@pytest.mark.parametrize("text, label", [
    ("当事人在其网店发布“商标局直属受理点，三十天拿证”等内容，本局责令其改正。", "impersonation"),
    ("平台严禁出现“百分百授权”“关系户加急”等表述，一经发现下架处理。", "insider_channel"),
    ("有中介宣称其可以帮忙走后门加快审查，请勿相信。", "insider_channel"),
    ("网传“批量撤三包成功”的广告，多为诈骗。", "malicious_cancellation"),
])
def test_claims_inside_reported_speech_raise_no_rule(rules_detector: Detector, text: str, label: str) -> None:
    prepared = rules_detector._prepare({"id": "x", "text": text})
    assert label in {match.label for match in prepared.analysis.suppressed}
    assert label not in rules_detector.detect({"id": "x", "text": text}).labels


def test_the_authors_own_offer_beside_a_reported_passage_still_counts(rules_detector: Detector) -> None:
    text = "别家打着“官方”旗号收高价。我们是审查员的熟人，内部渠道十五天下证。"
    assert rules_detector.detect({"id": "x", "text": text}).labels == ["insider_channel"]


def test_quotation_marks_for_emphasis_in_an_ad_do_not_hide_the_claim(rules_detector: Detector) -> None:
    result = rules_detector.detect({"id": "x", "text": "我们承诺“内部渠道下证”，“包授权”，加微信详谈"})
    assert result.labels == ["insider_channel"]
    assert reported_text(rules_detector, "我们承诺“内部渠道下证”，“包授权”，加微信详谈") == []


@pytest.mark.parametrize("text, label", [
    ("代理公司想借用我的代理师证，人不用去上班，每年给两万，这么做是否违法？", "qualification_lending"),
    ("我把专利代理师资格证挂靠在一家机构名下，算违规吗", "qualification_lending"),
    ("听说有中介能走内部渠道让商标两个月下来，这种事靠不靠谱", "insider_channel"),
    ("网上有人说交钱就能挂靠到代理机构，是骗局吗？", "qualification_lending"),
    ("电商类目禁止使用以下宣传词：审查员关系、内部渠道、百分百授权。", "insider_channel"),
    ("我们不提供专利加名和买卖发明人位置服务，只做真实申请。", "abnormal_filing"),
    ("本所只做真实申请，不做职称专利，也不出售现成专利。", "abnormal_filing"),
    ("评职称买专利有什么风险？", "abnormal_filing"),
    ("网上那个全国商标注册受理中心是官方的吗？", "impersonation"),
])
def test_questions_hearsay_rule_lists_and_refusals_raise_no_rule(rules_detector: Detector, text: str,
                                                                 label: str) -> None:
    """Asking whether a practice is lawful, passing on what one heard, listing banned wording and refusing a
    service are not offers (issue 16: who is speaking)."""
    prepared = rules_detector._prepare({"id": "x", "text": text})
    assert label in {match.label for match in prepared.analysis.suppressed}
    assert label not in rules_detector.detect({"id": "x", "text": text}).labels


def test_a_question_about_lawfulness_is_reported_as_a_whole_sentence(rules_detector: Detector) -> None:
    text = "第一次接触这行。机构说证挂靠过去每年给钱，这样合法吗？谢谢"
    assert reported_text(rules_detector, text) == ["机构说证挂靠过去每年给钱,这样合法吗"]


@pytest.mark.parametrize("text, passage", [
    ("老师让我们每人发一个专利给保研加分，这个合规吗？", "老师让我们每人发一个专利给保研加分,这个合规吗"),
    ("评职称专利加名这种操作，合不合规", "评职称专利加名这种操作,合不合规"),
    # A post asking the crowd, question mark or not.
    ("有没有懂的 想买个现成专利加名评职称 怎么弄", "想买个现成专利加名评职称怎么弄"),
    # A colloquial yes-no question closing its sentence (not 靠谱不坑人).
    ("看到一家说实用新型包过 不过退全款 这种靠谱不", "看到一家说实用新型包过不过退全款这种靠谱不"),
])
def test_a_question_whether_it_is_allowed_or_to_be_trusted_is_reported(rules_detector: Detector, text: str,
                                                                       passage: str) -> None:
    assert passage in reported_text(rules_detector, text)


@pytest.mark.parametrize("text, label", [
    ("想拿证快吗？我们局里有人，商标包拿证。", "insider_channel"),
    ("代理师证挂靠合法吗？放心，长期收代理师证，不用坐班。", "qualification_lending"),
])
def test_an_ads_rhetorical_question_does_not_hide_its_offer(rules_detector: Detector, text: str,
                                                            label: str) -> None:
    assert label in rules_detector.detect({"id": "x", "text": text}).labels


def test_a_warning_word_ends_with_its_clause(rules_detector: Detector) -> None:
    assert reported_text(rules_detector, "谨防假冒，认准国家知识产权局指定代理窗口") == ["假冒"]


def test_model_text_masks_reported_passages(rules_detector: Detector) -> None:
    texts, _ = rules_detector.model_inputs([{"id": "x", "text": "网店发布“内部渠道包下证”等广告。联系我们"}])
    assert texts == [f"网店发布{REPORTED_MARK}等广告。联系我们"]
    assert mask_reported("abcdef", [(1, 2), (4, 6)]) == f"a{REPORTED_MARK}cd{REPORTED_MARK}"


def test_rules_only_solicitation_reads_the_cue_lists(rules_detector: Detector) -> None:
    ad = rules_detector.detect({"id": "a", "text": "商标注册880元全包，加微信咨询，我们当天提交"})
    notice = rules_detector.detect(
        {"id": "n", "text": "经查，当事人违反《广告法》第二十八条之规定，本局责令改正并处罚款。"})
    bare = rules_detector.detect({"id": "b", "text": "下证快 不过退款"})
    assert ad.solicitation > 0.7 > 0.3 > notice.solicitation
    assert bare.solicitation == 0.5
    assert cue_solicitation({}) == 0.5


def test_reported_speech_section_is_validated() -> None:
    base = {"lexicons": {"said": ["宣称"]}, "rules": [{"id": "r", "label": "insider_channel", "weight": 0.5,
                                                       "phrases": ["内部渠道"]}]}
    engine = RuleEngine.from_mapping({**base, "reported_speech": {"sentence": ["said"]}})
    assert engine.reported_speech == ReportedSpeech(sentence=("said",))
    with pytest.raises(ConfigError, match=r"reported_speech: field 'before' must list lexicons"):
        RuleEngine.from_mapping({**base, "reported_speech": {"before": ["nowhere"]}})
    with pytest.raises(ConfigError, match=r"reported_speech: field 'consequence' must list lexicons"):
        RuleEngine.from_mapping({**base, "reported_speech": {"consequence": ["nowhere"]}})
    with pytest.raises(ConfigError, match=r"reported_speech.window: "):
        RuleEngine.from_mapping({**base, "reported_speech": {"window": 99}})
    with pytest.raises(ConfigError, match=r"reported_speach: Extra inputs are not permitted"):
        RuleEngine.from_mapping({**base, "reported_speach": {}})


@pytest.mark.parametrize("text, label, passage", [
    # A penalty named: the clause that names it and the clause before it say what is punished.
    ("代理师证挂出去，一旦查出将被吊销执业证。", "qualification_lending", "代理师证挂出去,一旦查出将被吊销执业证"),
    ("将资格证出借给代理机构的，一经查实依法予以处罚。", "qualification_lending",
     "将资格证出借给代理机构的,一经查实依法予以处罚"),
    ("为评职称花钱买专利挂名，一经发现撤销职称。", "abnormal_filing", "为评职称花钱买专利挂名,一经发现撤销职称"),
    ("收购囤积商标再高价转让的，将列入严重违法失信名单。", "malicious_cancellation",
     "收购囤积商标再高价转让的,将列入严重违法失信名单"),
    ("冬奥热词被恶意抢注后挂出高价转让。", "malicious_cancellation", "冬奥热词被恶意抢注后挂出高价转让"),
    ("两家公司因抢注运动员姓名商标遭到了警告，被罚款3000元。", "malicious_cancellation",
     "两家公司因抢注运动员姓名商标遭到了警告,被罚款3000元"),
    # A term explained: the whole sentence is about the word.
    ("挂靠，指的是持证人把资格挂在机构名下拿钱而不上班。", "qualification_lending",
     "挂靠,指的是持证人把资格挂在机构名下拿钱而不上班"),
    ("包授权，意思就是不管写成什么样都保证拿到证书。", "insider_channel",
     "包授权,意思就是不管写成什么样都保证拿到证书"),
    # Someone else as the subject of the sentence (a news item's or a decision's 王某, 某代理机构).
    ("随后，王某将其代理师证挂靠在一家机构，每年收取挂证费。", "qualification_lending",
     "将其代理师证挂靠在一家机构,每年收取挂证费"),
    ("烟台某商标代理机构承诺包授权，收取服务费3000元。", "insider_channel", "承诺包授权,收取服务费3000元"),
    # Others in general as the subject (不法分子, 个别代理机构, 代理机构承诺), up to the end of their clause.
    ("个别代理机构以包授权为名招揽业务。", "insider_channel", "以包授权为名招揽业务"),
    ("常见套路：代理机构承诺申请人通过率百分之百。", "insider_channel", "申请人通过率百分之百"),
    # A quoted term as the subject of the sentence.
    ("这几年，“包授权”成了部分代理机构的口号。", "insider_channel", "包授权"),
])
def test_consequences_definitions_and_third_parties_are_reported(rules_detector: Detector, text: str, label: str,
                                                                 passage: str) -> None:
    """Warnings, explainers and news name the practice to condemn or explain it (issue 16: who is speaking)."""
    assert passage in reported_text(rules_detector, text)
    assert label not in rules_detector.detect({"id": "x", "text": text}).labels


@pytest.mark.parametrize("text, label", [
    # The ad beside a warning still counts.
    ("高价收专利代理师证，不用坐班，欢迎咨询。挂证一旦查出将吊销执业证，请认准我们。", "qualification_lending"),
    # A penalty denied is a seller's reassurance, not a warning.
    ("长期收代理师证，不用坐班，不会被处罚。", "qualification_lending"),
    ("抢注热门商标，不会被罚款，价格优惠", "malicious_cancellation"),
    # An author defining their own offer in the first person, with contact details.
    ("我们的包过是指：商标驳回全额退款，加微信咨询", "insider_channel"),
    # 某宝 is a seller's name for a platform, not a third party's act.
    ("某宝同款，长期收代理师证挂靠", "qualification_lending"),
    # A seller comparing itself with others: only the others' clause is theirs.
    ("一些中介办不下来的，我们包授权，加微信", "insider_channel"),
    # A seller hiding its own name behind 某, with contact details or a call to act: 某 masks no claim.
    ("某知名机构内部员工，商标加急下证，内部渠道，加微信abc123", "insider_channel"),
    ("北京某代理公司直招，专利包授权，不过退款，电话13812345678", "insider_channel"),
    ("某事务所在职代理师，证可挂贵司，年费面议，私聊", "qualification_lending"),
])
def test_the_authors_own_offer_is_not_taken_for_a_warning(rules_detector: Detector, text: str, label: str) -> None:
    assert label in rules_detector.detect({"id": "x", "text": text}).labels


# A yes/no question (…吗？) asks whether a claim is allowed or true; the same claim made by the author, or asked
# rhetorically beside the author's contact details, still counts. One pair per rule family.
YES_NO_QUESTIONS = [
    ("impersonation", "国家知识产权局认可的代理机构可以代理专利申请吗？",
     "我们是国家知识产权局认可的代理机构，欢迎咨询"),
    ("impersonation", "这家公司说自己是商标局指定的代理机构，是真的吗", "商标局指定代理机构，专业靠谱"),
    ("insider_channel", "内部渠道真的能包授权吗？", "想走内部渠道包授权吗？加微信zl8888"),
    ("insider_channel", "找代理公司申请专利能保证授权吗？", "专利申请保证授权，不过全额退款"),
    ("qualification_lending", "专利代理师证挂靠在代理公司，能拿挂证费吗？", "专利代理师证挂靠，年薪可谈，私聊"),
    ("abnormal_filing", "买个评职称专利，把第一发明人写成我，能用吗？", "评职称专利，第一发明人写你，现货"),
    # Other yes/no endings (A-not-A, 可以不); 靠谱 inside 靠不靠谱 is no call to action.
    ("insider_channel", "代理公司说有内部渠道，是不是真的？", "内部渠道，包下证，私聊"),
    ("impersonation", "国知局指定的代理机构靠不靠谱？", "国知局指定代理机构，专业靠谱"),
    ("abnormal_filing", "评职称买专利，第一发明人写我，可以不？", "评职称买专利找我们，第一发明人写你"),
]


@pytest.mark.parametrize(("label", "question", "claim"), YES_NO_QUESTIONS)
def test_a_yes_no_question_raises_no_label_unless_the_author_offers(rules_detector: Detector, label: str,
                                                                    question: str, claim: str) -> None:
    assert label not in rules_detector.detect({"id": "q", "text": question}).labels
    assert label in rules_detector.detect({"id": "c", "text": claim}).labels


# A question with a question word (怎么, 如何, 哪里 …) ending in a question mark asks about the practice, as a yes/no
# question does; the author's heading question followed by the offer, or beside contact details, still counts.
WH_QUESTIONS = [
    ("insider_channel", "怎么找内部渠道才能加快授权？", "专利怎么快速授权？内部渠道包过！"),
    ("insider_channel", "商标注册怎么才能快速下证？", "如何快速拿证？我们有内部渠道，加微信zl8888"),
    ("insider_channel", "如何判断代理机构是否有内部渠道？", "怎么走内部渠道？私聊"),
    ("abnormal_filing", "哪里能买到评职称专利？", "评职称专利哪里买？本店现货，第一发明人写你"),
    ("qualification_lending", "为什么有人把专利代理师证挂靠在别的机构？", "专利代理师证挂靠，年薪可谈，私聊"),
    ("impersonation", "国知局指定的代理机构有哪些？", "国知局指定代理机构，为什么选我们？"),
]


@pytest.mark.parametrize(("label", "question", "claim"), WH_QUESTIONS)
def test_a_question_with_a_question_word_raises_no_label_unless_the_author_offers(
        rules_detector: Detector, label: str, question: str, claim: str) -> None:
    assert label not in rules_detector.detect({"id": "q", "text": question}).labels
    assert label in rules_detector.detect({"id": "c", "text": claim}).labels


# A firm an article tells of (还有事务所打出…的口号, 甚至有中介…) is someone else's voice; the same claim as the
# author's own ad, or a seller saying what it has (我们还有…), still counts.
@pytest.mark.parametrize(("report", "ad"), [
    ("物价都在涨，甚至还有事务所打出外观专利必批、不批退款的口号，让人哭笑不得。", "外观专利必批，不批退款"),
    ("记者走访发现，还有中介声称和审查员关系良好，三个月就能下证。", "我们和审查员关系良好，三个月就能下证，加微信"),
])
def test_a_firm_an_article_tells_of_is_reported(rules_detector: Detector, report: str, ad: str) -> None:
    assert "insider_channel" not in rules_detector.detect({"id": "r", "text": report}).labels
    assert "insider_channel" in rules_detector.detect({"id": "a", "text": ad}).labels


# A customer telling what a seller's staff promised (客服承诺…) or pitched (推销…) reports the seller's words; the
# same words as the seller's own ad still count.
@pytest.mark.parametrize(("label", "account", "ad"), [
    ("insider_channel", "投诉：某公司客服承诺“内部渠道保证授权，不过退全款”，收了我八千，结果驳回了。",
     "内部渠道保证授权，不过退全款，加微信"),
    ("abnormal_filing", "昨天有中介加我微信推销“评职称专利现货可加名”，我没理。", "评职称专利现货可加名，加微信"),
])
def test_a_customers_account_of_a_sellers_pitch_is_reported(rules_detector: Detector, label: str, account: str,
                                                            ad: str) -> None:
    assert label not in rules_detector.detect({"id": "r", "text": account}).labels
    assert label in rules_detector.detect({"id": "a", "text": ad}).labels


def test_a_notice_in_the_offices_name_asking_for_a_private_channel_solicits(rules_detector: Detector) -> None:
    """The scam notice's own title (缴纳提醒) is no warning cue, and asking the reader to add a WeChat is a call to
    act: the author solicits, so the label is not gated away; a warning that quotes the scam stays a report."""
    scam = rules_detector.detect({"id": "s", "text": "【官方通知】国家知识产权局年费缴纳提醒：您的专利年费已逾期，"
                                                     "请添加工作人员微信缴纳滞纳金"})
    warning = rules_detector.detect({"id": "w", "text": "谨防诈骗！有人冒充国家知识产权局发送年费缴纳提醒，"
                                                        "要求添加工作人员微信缴纳滞纳金，本局从不如此收费。"})
    assert "impersonation" in scam.labels and scam.solicitation > 0.5
    assert not warning.labels
