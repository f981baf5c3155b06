"""Rules on text nobody here wrote (#16): words other trades share need the IP trade named, a firm's own licence and
a refused service are no claim, unquoted reports are not the author's offer; and the notices, staff and job ads
that pose as something lawful are found. Sentences written for these tests."""
from __future__ import annotations

import pytest

from detector.detector import Detector


def labels(detector: Detector, text: str, title: str = "") -> list[str]:
    return detector.detect({"id": "t", "title": title, "text": text}).labels


# The same words in the IP trade (a claim) and in another trade (none): a driving school's 包过 and 拿证, an exam
# course's 内部渠道, a brand shop's 官方授权, a builder's certificate 挂靠.
@pytest.mark.parametrize(("label", "ip_claim", "other_trade"), [
    ("insider_channel", "发明专利包过，六十天拿证，欢迎咨询。", "C1驾照包过，六十天拿证，周末班可选。"),
    ("insider_channel", "商标注册有内部渠道，当月受理。", "教师招聘考试有内部渠道拿题，当月开课。"),
    ("impersonation", "专利申请官方授权窗口，官方直营。", "某某手表官方授权专卖，官方直营，支持验货。"),
    ("qualification_lending", "专利代理师资格证挂靠，年费面议，私聊。", "二级造价师资格证挂靠，年费面议，私聊。"),
    ("qualification_lending", "收代理师证挂证，一年三万，加微信。", "收监理工程师证挂证，一年三万，加微信。"),
    ("insider_channel", "外观专利代办，十天下证，驳回退款。", "营业执照代办，十天下证，驳回退款。"),
    ("qualification_lending", "代理师证挂靠，年费八千，加微信。", "会计证挂靠，年费八千，加微信。"),
])
def test_words_other_trades_share_count_only_where_the_ip_trade_is_named(
        rules_detector: Detector, label: str, ip_claim: str, other_trade: str) -> None:
    assert label in labels(rules_detector, ip_claim)
    assert labels(rules_detector, other_trade) == []


# A firm refusing a service names it without offering it; the same firm offering it is a claim.
@pytest.mark.parametrize(("label", "offer", "refusal"), [
    ("qualification_lending", "本所可挂靠，代理师不用坐班，联系我们。", "本所代理师全部坐班，不挂靠，欢迎咨询。"),
    ("insider_channel", "我们商标包过，走内部渠道。", "我们商标不包过，不走内部渠道，结果以审查为准。"),
    ("qualification_lending", "代理师证可挂靠，年费面议，私聊。", "本所代理师均为全职，无挂靠情况，欢迎来所咨询。"),
    ("abnormal_filing", "职称专利现货，可加发明人，私聊。", "本店不做职称专利，也不加发明人，评职称请走正规途径。"),
])
def test_a_refused_service_is_no_offer(rules_detector: Detector, label: str, offer: str, refusal: str) -> None:
    assert label in labels(rules_detector, offer)
    assert label not in labels(rules_detector, refusal)


def test_a_firm_that_does_not_take_patents_offers_no_patent_agency() -> None:
    from detector.rules import RuleEngine
    engine = RuleEngine.from_config()
    assert engine.features("我们代理专利申请，价格透明。")["label:offers_patent_agency"] >= 0.5
    assert engine.features("本店只办商标，不代理专利申请。")["label:offers_patent_agency"] == 0.0


# What sellers in general claim, told by a consumer or a report without quotation marks, is not the author's offer;
# the author's own claim beside such a report still is.
@pytest.mark.parametrize("report", [
    "消费者反映，有中介在电话里承诺商标三个月下证，结果一年都没下来。",
    "有卖家在群里保证三十天下证，交钱后就联系不上了，大家注意。",
])
def test_sellers_in_general_reported_without_quotes_raise_nothing(rules_detector: Detector, report: str) -> None:
    assert labels(rules_detector, report) == []


def test_an_own_claim_beside_a_report_of_other_sellers_still_counts(rules_detector: Detector) -> None:
    text = "有卖家在群里保证三十天下证，我们不一样，我们有内部渠道，商标当月受理。"
    assert "insider_channel" in labels(rules_detector, text)


# A certificate's delivery charged in a notice, or a fee demanded in the office's name with a threat or a private
# channel, poses as the office; a text about such charges, or the office's own reminder, does not.
@pytest.mark.parametrize(("scam", "not_a_scam"), [
    ("尊敬的客户：您的商标注册证已制作完成，请缴纳制证费与快递费共120元，签收时货到付款。",
     "商标注册证现为电子证书，免费下载，任何要求缴纳邮寄费的通知都是假的。"),
    ("您申请的专利证书已寄出，收件时请支付工本费，逾期退回视为放弃。",
     "我所代理的专利授权后，证书免费寄给客户。"),
    ("国家知识产权局通知：您的专利年费已欠缴，请缴纳年费及滞纳金，详询客服电话4008001234。",
     "国家知识产权局提醒：专利年费请通过官方缴费系统缴纳，本局从未委托第三方催缴。"),
])
def test_fake_notices_of_certificates_and_fees_are_impersonation(rules_detector: Detector, scam: str,
                                                                 not_a_scam: str) -> None:
    assert "impersonation" in labels(rules_detector, scam)
    assert "impersonation" not in labels(rules_detector, not_a_scam)


# Someone at the office now, serving customers on the side, sells inside access; someone who worked there once and
# runs an agency does not.
@pytest.mark.parametrize(("side_job", "background"), [
    ("我在商标局上班，晚上接单帮写商标驳回复审理由。", "我曾在商标局工作八年，现在在代理所做商标复审。"),
    ("本人现在在审协工作，兼职帮看专利稿子，收费合理。", "本所合伙人早年在审协工作，熟悉审查标准。"),
])
def test_office_staff_serving_on_the_side_is_an_insider_claim(rules_detector: Detector, side_job: str,
                                                              background: str) -> None:
    assert "insider_channel" in labels(rules_detector, side_job)
    assert "insider_channel" not in labels(rules_detector, background)


# A job ad that wants an agent's name only, without work, rents the certificate; a job ad for real work does not.
def test_a_job_ad_wanting_a_name_only_is_lending(rules_detector: Detector) -> None:
    assert "qualification_lending" in labels(
        rules_detector, "诚聘专利代理师。工作方式：不用到岗，挂名即可，年薪两万。", title="招聘")
    assert "qualification_lending" not in labels(
        rules_detector, "急聘专利代理师两名，需到岗办公，负责撰写与答复，五险一金。", title="招聘")


# Patent agency offered without the words 代理专利/代写: a patent's prosecution handled for others, patents in a list of
# services done for the customer, drafting and filing taken on. A guide to the same steps offers nothing.
@pytest.mark.parametrize(("offered", "explained"), [
    ("专利无效宣告代理，一件三千，欢迎来电。", "驳回复审是申请人对驳回决定不服时依法提出的程序。"),
    ("商标、专利、版权一条龙代办，学生优惠，私聊。", "专利、商标、软著的一站式代办在各地都很常见。"),
    ("想法变专利，我们负责撰写、递交，全程跟进。", "专利一般由代理师负责撰写，申请人提供技术交底。"),
])
def test_patent_agency_offered_in_other_words(offered: str, explained: str) -> None:
    from detector.rules import RuleEngine
    engine = RuleEngine.from_config()
    assert engine.features(offered)["label:offers_patent_agency"] >= 0.5
    assert engine.features(explained)["label:offers_patent_agency"] == 0.0


# A seller's words retold without quotation marks by someone who dealt with them or investigated them.
@pytest.mark.parametrize("retold", [
    "记者暗访时，客服表示能走内部渠道，两个月拿证。",
    "据受害人介绍，对方承诺商标包过，收费八千元。",
    "邻居找了家代办公司，中介说和审查员很熟，保证授权，结果被驳回。",
    "调查发现，该网店页面写着发明专利包授权、不过退款。",
])
def test_a_sellers_words_retold_without_quotes_raise_nothing(rules_detector: Detector, retold: str) -> None:
    assert labels(rules_detector, retold) == []


def seller_labels(detector: Detector, seller: str, text: str, title: str = "") -> list[str]:
    return detector.detect({"id": "t", "title": title, "text": text, "seller": seller}).labels


# An official body's name as the seller of its own job ad or notice is the body speaking, not a shop posing as it;
# the same name over an ad, or over a "notice" asking for a private channel or a fee under threat, still poses.
@pytest.mark.parametrize(("seller", "own_post"), [
    ("国家知识产权局专利局专利审查协作江苏中心",
     "我中心2027年度面向高校应届毕业生招聘发明专利审查员，报名时间及岗位要求见附件。"),
    ("国家知识产权局商标局", "关于调整商标网上申请系统维护时间的通告：系统将于本周六凌晨停机维护。"),
])
def test_an_official_body_posting_its_own_job_ad_or_notice_is_no_impersonation(
        rules_detector: Detector, seller: str, own_post: str) -> None:
    assert "impersonation" not in seller_labels(rules_detector, seller, own_post)


@pytest.mark.parametrize("posing", [
    "商标注册、续展、变更，加急办理，价格实惠。",
    "通知：您的商标注册证已制作完成，请添加微信 tm88123 领取。",
    "招聘兼职商标顾问，底薪加提成，加微信详聊。",
])
def test_a_shop_named_as_the_office_still_poses_as_it(rules_detector: Detector, posing: str) -> None:
    assert "impersonation" in seller_labels(rules_detector, "国家知识产权局商标局服务中心", posing)


def test_a_fee_demanded_in_the_offices_voice_through_a_link_is_impersonation(rules_detector: Detector) -> None:
    assert "impersonation" in labels(
        rules_detector,
        "国家知识产权局：贵司发明专利申请尚欠实审费，请点击链接 http://cnipa-fee.top 补缴，过期后果自负。")
    assert "impersonation" not in labels(
        rules_detector, "专利费用可通过国家知识产权局专利业务办理系统在线缴纳，请勿点击来历不明的链接。")


# The author, or a relative or friend of theirs, at an examination body, offering to move a case: an insider claim
# without the trade's stock words. Filing at the office is no post there, and a story saying such help is futile
# offers nothing.
@pytest.mark.parametrize("insider", [
    "我小舅子在审协，你那个发明卡了半年，我让他去催一催。",
    "本人在商标局工作多年，驳回的案子找我，我给你推一把。",
    "我老同学在局里，跟审查员说句话的事，费用好商量。",
])
def test_a_person_at_the_office_offering_to_move_a_case_is_an_insider_claim(rules_detector: Detector,
                                                                            insider: str) -> None:
    assert "insider_channel" in labels(rules_detector, insider)


@pytest.mark.parametrize("not_insider", [
    "我在商标局网站上提交了续展申请，请问多久能审完？",
    "我同学在局里上班，他说托人打招呼根本没用，审查都是按顺序来的。",
])
def test_filing_at_the_office_or_calling_such_help_futile_is_no_insider_claim(rules_detector: Detector,
                                                                              not_insider: str) -> None:
    assert "insider_channel" not in labels(rules_detector, not_insider)


# A certificate rented as a job: the certificate only, kept at the firm, with no work.
@pytest.mark.parametrize("rented", [
    "本所招聘专利代理师若干，只需证书挂在我所，不用来公司，每年补贴两万。",
    "代理师一名，持证即可，人不用到岗，年薪面议。",
])
def test_a_certificate_kept_at_the_firm_without_work_is_lending(rules_detector: Detector, rented: str) -> None:
    assert "qualification_lending" in labels(rules_detector, rented, title="高薪诚聘")


def test_a_job_ad_asking_for_the_certificate_and_the_work_is_no_lending(rules_detector: Detector) -> None:
    assert "qualification_lending" not in labels(
        rules_detector, "诚聘专利代理师，需持证上岗，坐班撰写答复，五险一金。", title="招聘")


# 扯三 / 扯3 for 撤三 in a cancellation offer, and zc after 评 read as 职称 (评职称), not 注册.
@pytest.mark.parametrize("evaded", ["专业扯三，闲置商标帮你清理掉，加v。", "专业扯3，三年没用的商标都能弄下来。"])
def test_che_san_written_with_other_characters_is_a_cancellation_offer(rules_detector: Detector,
                                                                      evaded: str) -> None:
    assert "malicious_cancellation" in labels(rules_detector, evaded)


def test_zc_after_ping_reads_as_a_professional_title(rules_detector: Detector) -> None:
    assert "abnormal_filing" in labels(rules_detector, "评zc专用实用新型，现货，可加发明人。")


# An official body speaking to the reader about the reader's own mark, patent or certificate and asking them to act
# is the author posing as the office, however much it reads like a notice; the same script inside a warning, a story
# or an agency's news of a real refusal is not.
@pytest.mark.parametrize("posing", [
    "快递不签收视为自动放弃，我们将驳回你的专利申请，请你按时签收。",
    "国家知识产权局现在为您寄送纸质商标注册证，请回复收件地址。",
    "专利审查处通知你：你公司的专利材料有误，请加微信补正。",
    "您好，这边是商标局的，你们申请的商标需要核实，请回电。",
])
def test_an_office_addressing_the_readers_own_case_is_impersonation(rules_detector: Detector, posing: str) -> None:
    assert "impersonation" in labels(rules_detector, posing)


@pytest.mark.parametrize("report", [
    "提醒各位申请人：骗子会冒充商标局，说“拒收快递视为放弃，将会驳回您的商标”，请勿相信。",
    "有人收到的快递单上印着：拒签视为放弃，将驳回您的商标申请。这是典型的恐吓话术。",
    "尊敬的客户，我所收到商标局下发的驳回通知书，您的商标被驳回，请在期限内联系我们申请复审。",
    "商标注册证已全部改为电子证书，国家知识产权局不会为您邮寄纸质证书。",
    "多家企业反映收到冒名信件，信中说知识产权局现在为你邮寄证书，要先付工本费。",
])
def test_the_office_script_reported_or_a_real_refusal_passed_on_is_no_impersonation(
        rules_detector: Detector, report: str) -> None:
    assert "impersonation" not in labels(rules_detector, report)


# A grant's date promised as if the seller set it is an insider's promise even without the stock words; saying the
# date cannot be promised is not.
@pytest.mark.parametrize(("promise", "refusal"), [
    ("实用新型加急，下证时间可以商定，私聊。", "下证时间无法商定，以国家知识产权局审查为准。"),
    ("发明专利代理，指定日期内授权，价格另议。", "发明专利的授权日期由审查决定，我们不能指定。"),
])
def test_a_grant_date_set_by_the_seller_is_an_insider_promise(rules_detector: Detector, promise: str,
                                                              refusal: str) -> None:
    assert "insider_channel" in labels(rules_detector, promise)
    assert "insider_channel" not in labels(rules_detector, refusal)


def test_a_concerts_inside_channel_is_another_trade(rules_detector: Detector) -> None:
    assert labels(rules_detector, "周末音乐节门票走内部渠道，黄牛价以下，私聊。") == []
    assert "insider_channel" in labels(rules_detector, "商标注册走内部渠道，三个月下证，私聊。")


def test_issued_patents_sold_from_stock_offer_no_patent_filing() -> None:
    from detector.rules import RuleEngine
    engine = RuleEngine.from_config()
    assert engine.features("外观专利申请，费用800元，加微信。")["label:offers_patent_agency"] >= 0.5
    assert engine.features("转让已下证的外观专利，费用800元，加微信。")["label:offers_patent_agency"] == 0.0


# More of the office's voice to an applicant: an examiner or an examination unit speaking for itself, an SMS whose
# unsigned parcel costs the mark; a former examiner's background is not the office speaking.
@pytest.mark.parametrize("posing", [
    "你好，我是审协的老师，你那件实用新型缺一份说明，拍照发我微信就行。",
    "您的商标注册证已寄出，逾期未签收将注销您的商标，请尽快签收。",
    "专利审查处通知：本批证书月底寄出，还没登记地址的速加客服。",
])
def test_an_examiner_or_a_unit_addressing_the_reader_is_impersonation(rules_detector: Detector, posing: str) -> None:
    assert "impersonation" in labels(rules_detector, posing)


def test_a_former_examiner_is_no_impersonation(rules_detector: Detector) -> None:
    assert "impersonation" not in labels(rules_detector, "我是原审查员，现在在事务所做发明专利撰写，欢迎咨询。")


# Speed sold as a seller's scarce quota, a grant on time with a refund, a failure compensated: promises of the
# outcome without the stock words. The office's own fast track with its conditions is none.
@pytest.mark.parametrize("promise", [
    "本季度加快审查名额只剩两个，约满即止，私聊。",
    "外观专利准时下证，晚一天退一半。",
    # 全额赔付 is a refund too; it counts beside a promised speed or grant (a refund alone: test_detector_promises).
    "发明专利加急申请，授权不成功全额赔付，欢迎咨询。",
])
def test_speed_and_outcome_sold_without_stock_words_is_an_insider_promise(rules_detector: Detector,
                                                                        promise: str) -> None:
    assert "insider_channel" in labels(rules_detector, promise)


def test_the_offices_fast_track_with_a_quota_is_no_insider_promise(rules_detector: Detector) -> None:
    assert labels(rules_detector, "优先审查名额有限，需符合条件并提交证明材料，以审查结果为准。") == []


# 撤三 in slang: another's mark (同行的标) taken over through its non-use; a defence against it is none.
def test_taking_a_rivals_mark_over_through_non_use_is_malicious_cancellation(rules_detector: Detector) -> None:
    assert "malicious_cancellation" in labels(rules_detector, "帮你把对手的标弄过来，连续三年没用的都行。")
    assert "malicious_cancellation" not in labels(rules_detector, "防止别人的标被撤三，我们提供使用证据整理和答辩。")


def test_a_name_added_to_a_patent_in_a_short_title_is_abnormal_filing(rules_detector: Detector) -> None:
    assert "abnormal_filing" in labels(rules_detector, "", title="发明专利 可加人 急")
    assert "abnormal_filing" not in labels(rules_detector, "招专利代理人挂名合伙人，有证即可。")


# Both claims of an examiner speaking to the applicant: who it says it is, and the case it promises.
def test_an_examiner_promising_the_case_is_impersonation_and_insider_channel(rules_detector: Detector) -> None:
    found = labels(rules_detector, "我是负责你们这件发明的审查员，材料补一下，马上就能授权，加我。")
    assert {"impersonation", "insider_channel"} <= set(found)
