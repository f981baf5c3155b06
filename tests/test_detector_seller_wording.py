"""Wordings sellers really use (#16), as an independent check set found them missed: each class with claims of
its own kind and hard negatives in other voices (news, explainers, questions, lawful job ads and reminders). The
sentences were written for these tests."""
from __future__ import annotations

import pytest

from detector.detector import Detector


def labels(detector: Detector, text: str, title: str = "") -> set[str]:
    return set(detector.detect({"id": "t", "title": title, "text": text}).labels)


# 1. An agent's certificate lent in the trade's short names (专代证, dls证), hung at the firm with its seal and
# without the person (挂章, 出证不出人, 只要证不要人), in private chat or a job ad that wants the certificate only.
@pytest.mark.parametrize("text", [
    "收一个dls证挂我司，一年两万五，不用来上班，私我",
    "专代证挂章，出证不出人，年付3w，有意者滴滴",
    "急招专利代理师一名，只要证不要人，社保我们缴，年底结清",
    "兄弟你那个代理师证还空着没，挂我这边一年给你三万，人不用过来",
    "专代证出租，挂章不出人，每年结算一次",
    "诚聘专利代理师，有证即可，不限经验，可异地，年薪面议",
    "本所求一名dls，只挂章不上班，费用好商量",
])
def test_an_agents_certificate_lent_in_slang_is_qualification_lending(rules_detector: Detector, text: str) -> None:
    assert "qualification_lending" in labels(rules_detector, text)


@pytest.mark.parametrize("text", [
    "今年以来，已有三十七名代理师因挂证被注销执业证",
    "出证不出人的挂章行为属于违法，专利代理师应当在执业机构实际执业",
    "考过专代证以后，能不能只挂章不干活？律师提醒这是违规的",
    "某市开展清理挂证专项行动，二十余名专利代理师被暂停执业",
    "招聘专利代理师，要求持有专利代理师资格证，需坐班，五险一金",
    "专代证考下来后可以在代理机构执业，也可以在企业从事知识产权工作。",
    "兄弟你那个代理师证考下来没？考下来来我们所上班吧，待遇不错",
])
def test_news_explainers_questions_and_real_jobs_about_agent_certificates_lend_nothing(
        rules_detector: Detector, text: str) -> None:
    assert "qualification_lending" not in labels(rules_detector, text)


# 2. The office's voice in an SMS, a call or a letter to the reader: a fee demanded, or the mark or patent lost
# unless they pay, with a link, a line or cash on delivery to pay through.
@pytest.mark.parametrize("text", [
    "【国家知识产权局】您的第46xxxx87号商标因未缴纳年检费将于3日内注销，请登录 http://cnipa-fee.cn 补缴。",
    "【商标局】尊敬的用户，您的商标注册申请需缴纳公告费500元，点击 t.cn/k2 缴费，否则视为撤回。",
    "商标局温馨提醒：你公司商标将被注销，除非在48小时内完成年审，办理热线4006609876",
    "国家知识产权局专利缴费中心：您名下专利年费逾期，今日不缴将终止专利权，缴费链接 pay-zl.cn/a8",
    "尊敬的商标持有人：经核查您的商标未办理年度备案，逾期将被撤销，请拨打专线021-63332211办理。国家商标局",
    "致贵司：商标注册证书已制作完毕，本中心将以货到付款方式寄出，证书工本费及保管费合计680元，请保持电话畅通。",
    "【知识产权局】你的商标证书已通过审核，需交纳证书快递费96元，货到付款，退订回T",
    "你好，商标局这边通知你，你的商标被人异议了，需要交三千块答辩费，不交就直接注销，回电13812345678",
])
def test_fake_notices_in_the_offices_voice_are_impersonation(rules_detector: Detector, text: str) -> None:
    assert "impersonation" in labels(rules_detector, text)


@pytest.mark.parametrize("text", [
    "近期有不法分子冒充国家知识产权局发送短信，称商标未缴费将被注销并附带链接，请勿点击。",
    "案例：张女士收到一条署名“国家商标局”的短信，要求缴纳年检费，点击链接后被骗两千元。",
    "商标局从未以短信方式要求缴纳年检费，商标也没有年检制度，收到此类短信请拨打12315举报。",
    "【国家知识产权局】您的专利申请已受理，申请号2026xxxx，请登录专利业务办理系统查看通知书。",
    "据国家知识产权局消息，专利年费滞纳期为六个月，逾期未缴纳的专利权终止，咨询热线010-62356655。",
    "温馨提示：您委托我所注册的商标将于2027年3月到期，续展宽展期为六个月，如需办理可联系我所。",
    "我所提醒客户：专利年费逾期六个月内可补缴滞纳金，超过期限专利权终止。",
])
def test_warnings_real_notices_and_an_agencys_own_reminders_pose_as_nobody(rules_detector: Detector,
                                                                            text: str) -> None:
    assert "impersonation" not in labels(rules_detector, text)


# 3. The trade's initials for 撤三 (c3, cs) and its other spellings (撤3, 扯三, 扯3) in a seller's post, where a
# mark and a seller's words are beside them; a car, a game, a subject, a defence or an explainer is none.
@pytest.mark.parametrize("text", [
    "专业c3，同行商标三年没用的直接拿下，成功再付款",
    "cs商标 包成功 价格好谈",
    "商标cs，批量提交，对手的标一个月清掉",
    "接c3业务，别人的商标不用也能拿过来，包成功",
    "专业撤销他人闲置商标，cs成功率高，v我",
    "撤3专业户，大牌商标也能撤，私聊",
    "看上别人的商标？专业扯3帮你拿下",
])
def test_initials_and_slang_of_cancellation_in_a_sellers_post_are_malicious_cancellation(
        rules_detector: Detector, text: str) -> None:
    assert "malicious_cancellation" in labels(rules_detector, text)


@pytest.mark.parametrize("text", [
    "cs专业考研怎么选学校，求推荐",
    "出一个c3驾照培训名额，周末班",
    "雪铁龙c3二手车出售，车况好",
    "专业cs代练，段位包上，价格好谈",
    "专业商标cx，免费查询近似，当天出报告",
    "商标被人cs了怎么办？收到撤三通知要在两个月内提交使用证据",
    "商标cs是什么意思？就是撤三，连续三年不使用可以被申请撤销",
    "我们专业做撤三答辩，帮您保住商标，收集使用证据",
])
def test_the_same_letters_elsewhere_and_a_defence_are_no_cancellation(rules_detector: Detector, text: str) -> None:
    assert "malicious_cancellation" not in labels(rules_detector, text)


# 4. Patents ghost-written for a student's or a title's aim (保研, 综测, 评优, 毕业, 评职称), students' patents and
# papers turned into patents sold with the grant promised: abnormal filing. The rules, an agency's drafting
# service, advice and news about them are not.
@pytest.mark.parametrize("text", [
    "大学生专利代写，保研加分必备，包授权",
    "论文转专利，毕业季特惠，两周提交，加v详聊",
    "学生专利 包授权 可加急 评奖学金用",
    "本科生专利代写代发，综测加分，保研面试有亮点，私聊",
    "论文改专利，一篇论文拆两件实用新型，保证授权",
    "学生党评优需要专利的找我，代写代申一条龙，价格学生价",
    "研究生毕业要求专利？帮你写好直接报，发明人写你",
    "代写职称专利，评中级够用，四个月下证",
    # … and for admission to a school (自招, 强基计划, 综合素质评价, 竞赛材料)
    "竞赛自招材料 发明专利 保授权 联系微信abc123",
    "综合素质评价用的实用新型，代写代申，学生价，私聊",
    "自主招生加分专利，快速下证，名额有限",
    "强基计划材料：发明专利一件，帮你写好直接报",
])
def test_ghost_written_and_student_patents_are_abnormal_filing(rules_detector: Detector, text: str) -> None:
    assert "abnormal_filing" in labels(rules_detector, text)


@pytest.mark.parametrize("text", [
    "教育部：严禁以代写专利获取保研加分，一经查实取消资格",
    "某高校通报：三名学生购买代写专利用于保研，已被取消推免资格",
    "保研加分政策调整：专利不再加分，学生专利申请量明显下降",
    "学校知识产权中心鼓励学生将研究成果申请专利，提供免费咨询",
    "先申请专利再发表论文可避免丧失新颖性，论文和专利的写法不同",
    "我所提供专利撰写服务，需发明人提供技术交底书，授权与否以审查为准",
    "请问大学生自己的发明怎么申请专利？需要多少钱？",
    "我校学生在科技创新竞赛中获奖，并申请了两项实用新型专利。",
    "自主招生政策调整，专利不再作为加分项目。",
])
def test_rules_news_and_advice_about_student_patents_are_no_abnormal_filing(rules_detector: Detector,
                                                                            text: str) -> None:
    assert "abnormal_filing" not in labels(rules_detector, text)


# 5. Other trades sell tickets, exam places and answers "from inside" (内部票, 内部渠道); news and investigations
# report lending. Neither is an IP seller's claim, while the IP trade's own inside channel or lending still is.
@pytest.mark.parametrize("text", [
    "周杰伦演唱会内部票，内场前排，私聊",
    "音乐剧《剧院魅影》内部渠道出票，原价转，可面交",
    "雅思考位内部渠道，三天内出考位，加微信",
    "托福考位紧张？内部渠道帮抢，不成功退款",
    "四六级内部渠道答案，考前发，私聊",
    "马拉松名额内部渠道，中签率100%，价格私聊",
    "医院专家号内部渠道，挂号难找我",
    "迪士尼内部票，比官网便宜一百，当天可入园",
])
def test_other_trades_inside_tickets_and_places_are_no_insider_channel(rules_detector: Detector, text: str) -> None:
    assert labels(rules_detector, text) == set()


@pytest.mark.parametrize("text", [
    "住建部通报：今年清理挂证人员一千二百名，涉事企业被限制投标",
    "国家知识产权局开展专项整治，严厉打击专利代理师挂证行为",
    "新闻：多地查处专利代理师挂证，有人一证挂三家机构，已被注销执业证书",
    "专利代理行业挂证乱象调查：一张证一年两万，代理机构只要证不要人",
    "记者暗访发现，有中介公开收购代理师证挂靠，开价每年三万元",
])
def test_news_of_a_crackdown_on_lending_lends_nothing(rules_detector: Detector, text: str) -> None:
    assert "qualification_lending" not in labels(rules_detector, text)


@pytest.mark.parametrize(("label", "text"), [
    ("insider_channel", "商标注册走内部渠道，当月下证，不成功退款"),
    ("qualification_lending", "签证代办另说，专代年薪挂靠，社保我们交，平时你干你的"),
])
def test_the_ip_trades_own_claims_still_count_beside_other_trades(rules_detector: Detector, label: str,
                                                                  text: str) -> None:
    assert label in labels(rules_detector, text)


# An ad's short lead question and its answer are one sentence for words that count together ("评职称缺专利？
# 包授权"); a question that is asked, and answered with a warning, stays clean.
@pytest.mark.parametrize(("label", "text"), [
    ("abnormal_filing", "评职称缺专利？包授权，加v"),
    ("qualification_lending", "有专代证闲着？挂我所，年费两万"),
])
def test_a_lead_question_and_its_answer_count_together(rules_detector: Detector, label: str, text: str) -> None:
    assert label in labels(rules_detector, text)


@pytest.mark.parametrize("text", [
    "专代证可以挂靠吗？不可以，挂靠属于违法行为",
    "评职称缺专利怎么办？建议自己做研发，不要相信包授权的广告",
    "网上说有内部渠道？都是骗人的，商标审查没有内部渠道",
])
def test_a_question_answered_with_a_warning_raises_nothing(rules_detector: Detector, text: str) -> None:
    assert labels(rules_detector, text) == set()


# An office's own voice (本局, 我局) selling a filing service with a price, a private channel or a promised speed
# poses as the office; a bureau's free public services, its decisions and its warnings do not.
@pytest.mark.parametrize("text", [
    "本局可提供商标加急注册服务，三个工作日出证，费用1500元，请添加工作人员微信办理",
    "本局可代办专利加急审查，包授权，详询13911112222",
    "我局现提供商标快速注册通道，名额有限，加微信预约",
])
def test_an_office_voice_selling_a_filing_service_is_impersonation(rules_detector: Detector, text: str) -> None:
    assert "impersonation" in labels(rules_detector, text)


@pytest.mark.parametrize("text", [
    "本局可提供专利信息检索和预警分析服务，免费面向本市中小企业",
    "本局提供专利质押融资政策咨询，欢迎企业来电，电话0571-87654321",
    "本局依法对当事人作出罚款五千元的行政处罚，当事人可在六十日内申请复议",
    "有人冒充本局工作人员，称可提供商标加急服务并收取费用，请勿相信",
    "本局从未提供商标加急服务，也不会通过个人微信收费",
])
def test_an_offices_public_services_decisions_and_warnings_pose_as_nobody(rules_detector: Detector,
                                                                          text: str) -> None:
    assert "impersonation" not in labels(rules_detector, text)


# 我是 introduces the speaker: a first person, so a seller saying who they are solicits, and a question asked in
# the first person is still a question.
def test_i_am_counts_as_the_first_person(rules_detector: Detector) -> None:
    from detector.rules import RuleEngine
    assert RuleEngine.from_config().features("我是做商标代理的")["lex:cue_first_person"] >= 1.0
    assert "qualification_lending" in labels(rules_detector, "我是做代理的，收专代证挂靠，价格好说")
    assert labels(rules_detector, "我是一名专利代理师，想问一下挂证会被查吗？") == set()


# More wordings of the same classes, written after the first: chat about an idle certificate, a notice signed by
# the office or headed by a long unit name, others' unused marks, a student's aims in other words.
@pytest.mark.parametrize(("label", "text"), [
    ("qualification_lending", "寻dls合作，你出证我出平台，不用干活年底分钱"),
    ("qualification_lending", "你的专利代理师资格放着也是放着，放我们这里每年给你钱"),
    ("qualification_lending", "亲，代理师证租不租？一年两万，签个合同就行"),
    ("impersonation",
     "国知局商标审查中心提醒您：商标申请材料不全，需补充材料费300元，否则驳回，联系专员 133 0000 1111"),
    ("impersonation", "尊敬的用户，您的商标被他人提出异议，如不在3日内缴纳答辩费，商标将被注销。国家知识产权局商标局"),
    ("malicious_cancellation", "商标撤3服务，他人三年未用的商标撤掉后帮你注"),
    ("abnormal_filing", "毕业急需专利？代写代报，三个月下证，价格美丽"),
    ("abnormal_filing", "研究生发专利，毕业必备，写好直接署你名"),
    ("abnormal_filing", "论文可以转成发明专利，保研简历加分，我们全程包办"),
])
def test_more_seller_wordings_of_the_same_classes(rules_detector: Detector, label: str, text: str) -> None:
    assert label in labels(rules_detector, text)


@pytest.mark.parametrize("text", [
    "挂证现象为何屡禁不止？业内人士分析，利益驱动是主因",
    "收到自称“商标局”的短信让交年费？商标根本没有年费，这是诈骗",
    "国家知识产权局提醒：专利年费请通过官方渠道缴纳，谨防诈骗短信中的链接",
    "商标到期前十二个月内可以续展，我所可代为办理续展，咨询电话 021-55556666",
    "我们的商标收到了撤三通知，请问该怎么准备使用证据？",
    "论文发表和专利申请可以同时进行吗？专利代理人告诉你注意事项",
])
def test_more_other_voices_stay_clean(rules_detector: Detector, text: str) -> None:
    assert labels(rules_detector, text) == set()


# What the new rules must leave alone: an office's real fast track and free services, an agency drafting a
# company's own inventions for 高企, a firm passing on the office's news, a warning headed by the office's name.
@pytest.mark.parametrize("text", [
    "本局可提供专利快速预审服务，符合条件的企业可向保护中心申请",
    "本局提供的商标注册便利化服务：线上办理，不收取任何额外费用",
    "专利代写服务，助力企业高企认定，技术交底由企业提供",
    "代写专利申请文件，发明人须提供真实技术方案，助力企业申报专精特新",
    "【商标局】最新通知：2026年起商标续展费调整，逾期未续展将被注销，详询我所客服",
    "【国家知识产权局】提醒：近期出现冒充我局的短信，要求缴纳年检费并点击链接，均为诈骗",
    "学生专利申请量逐年增长，高校知识产权管理亟待规范",
    "你好，这里是某某知识产权代理公司，您的商标还有三个月到期，需要续展可以联系我",
])
def test_lawful_services_and_passed_on_news_raise_nothing(rules_detector: Detector, text: str) -> None:
    assert labels(rules_detector, text) - {"unlicensed_agency"} == set()


# Job ads, chat and calls in yet other words: the certificate registered at the firm with no work, an agent's
# certificate kept there, a number written with spaces, a named person of the office on a mobile.
@pytest.mark.parametrize(("label", "text"), [
    ("qualification_lending", "招聘专利代理人，只需资格证注册，不需要实际工作，待遇面谈"),
    ("qualification_lending", "收专利代理师证，注册到我们机构就行，平时不用管"),
    ("qualification_lending", "有没有考过专代的朋友，证放我们所，每年给你打钱"),
    ("impersonation",
     "【国家知识产权局】专利权人您好，您的专利即将因年费欠缴失效，请在今天内联系 010-8888 6666 办理"),
    ("impersonation",
     "紧急通知：您的商标被他人恶意申请撤销，如需保护请于三日内缴纳保护费1800元，联系商标局王老师 13566667777"),
    ("impersonation", "喂，请问是王总吗？这边是商标局，您的商标证书已经下来了，需要您交一下证书费，货到付款"),
])
def test_job_ads_chat_and_calls_in_other_words(rules_detector: Detector, label: str, text: str) -> None:
    assert label in labels(rules_detector, text)


@pytest.mark.parametrize("text", [
    "招聘专利代理师：持证上岗，独立撰写机械类专利，坐班，五险一金",
    "我考了专代证，但不想干代理，能干嘛？",
    "电话里自称商标局工作人员、要求货到付款领取证书的，都是诈骗",
    "商标注册证书由商标局统一寄发，不收取任何费用；现在也可以下载电子注册证",
    "我司代客户领取了商标注册证，将通过顺丰寄给您，运费我司承担",
])
def test_real_jobs_questions_warnings_and_an_agencys_delivery_raise_nothing(rules_detector: Detector,
                                                                             text: str) -> None:
    assert labels(rules_detector, text) == set()


# A heading that names a practice as a phenomenon under investigation (挂证现象调查) reports it.
def test_a_practice_named_as_a_phenomenon_investigated_is_reported(rules_detector: Detector) -> None:
    assert labels(rules_detector, "专利代理师挂证现象调查：证书一年挂出去能赚两三万") == set()
    assert "qualification_lending" in labels(rules_detector, "专利代理师挂证，证书一年挂出去能赚两三万，私聊")


# 6. Hearsay of a harmful service and the author's refusal of it (有人打听…，我们不接) name the practice to refuse
# it; a seller answering the same question with the offer still makes it.
@pytest.mark.parametrize("text", [
    "听说有人专门撤别人的商标，我们不做这种事，我们只做合法的商标注册。",
    "有客户说别家能帮着抢注别人的品牌，我们明确拒绝，只为您注册自己的商标。",
    "有人打听能不能把热门品牌先注册下来再卖，这种恶意抢注我们不接，只代理有真实使用需要的申请。",
    "今天又有人想让我们撤别人的标，婉拒了。我们只做合法的撤三答辩和商标注册。",
])
def test_hearsay_of_a_harmful_service_and_a_refusal_offer_nothing(rules_detector: Detector, text: str) -> None:
    assert "malicious_cancellation" not in labels(rules_detector, text)


def test_an_offer_after_the_question_it_answers_still_counts(rules_detector: Detector) -> None:
    offer = "有人问能不能撤别人的商标？能，专业撤三，同行的标三年没用就能拿过来，私聊。"
    assert "malicious_cancellation" in labels(rules_detector, offer)
