"""Rules: each label on typical wording and on each evasion, the hard negatives, features, and config errors."""
from __future__ import annotations

import pytest

from core.config import ConfigError
from core.labels import LABELS
from detector.detector import Detector
from detector.rules import RuleEngine

POSITIVES = [
    ("impersonation", "国家知识产权局指定代理 商标注册加急"),
    ("impersonation", "商标局官方受理窗口，个人公司均可注册"),
    ("impersonation", "我们是国知局直属服务中心，流程更快"),
    ("impersonation", "本机构隶属于国家知识产权局，负责商标注册受理"),
    ("insider_channel", "内部渠道 30天下证"),
    ("insider_channel", "包授权 不过全额退款"),
    ("insider_channel", "我们和审查员有关系，发明专利也能快"),
    ("insider_channel", "绿色通道 特批，加急处理"),
    ("insider_channel", "个人商标 两天递交 包注册"),  # a promised registration, which nobody can give (docs/domain.md)
    ("insider_channel", "实用新型加急 四十五天拿证"),  # a fast grant counted in Chinese numerals
    ("abnormal_filing", "想评副高的看过来，署名越往前报价越高，第二发明人两千"),  # a place on a patent sold by rank
    # A promised outcome or a refund when the filing fails, in wording no phrase list names (docs/domain.md: nobody
    # can promise the outcome).
    ("insider_channel", "保证您今年拿到发明专利证书"),
    ("insider_channel", "我们承诺半年内拿到授权，拿不到就退钱"),
    # A refund counts where it backs a promised grant, date or speed (a refund stated alone: HARD_NEGATIVES).
    ("insider_channel", "商标包注册，注册不下来全额退费，放心交给我们"),
    ("insider_channel", "实用新型三个月下证，审不过的一分钱不收"),
    ("insider_channel", "加急审查，被驳回退全款，只收官费"),
    ("insider_channel", "外观加急 不下证退"),  # the short form of a refund promise
    ("qualification_lending", "求挂专利代理师证，价格好谈"),  # the buyer's side of lending
    ("qualification_lending", "收代理师证，只挂不上班"),
    ("insider_channel", "加点钱就能让审查往前排，实用新型两个月出结果"),  # examination sped up for money
    ("abnormal_filing", "已授权未缴费的实用新型，缴费前加上您的名字，评职称正好用"),  # a buyer's name on a patent
    ("abnormal_filing", "评职称缺专利？需要专利的老师欢迎私信"),  # patents supplied to whoever needs one
    ("malicious_cancellation", "专业撤三 拿下别人的商标"),
    ("malicious_cancellation", "抢注热门商标 转让，等品牌方高价回购"),
    ("malicious_cancellation", "批量撤三，想要的商标帮你抢过来"),
    ("abnormal_filing", "评职称专利 包下证"),
    ("abnormal_filing", "批量申请实用新型 凑高企指标"),
    ("abnormal_filing", "专利挂名 当天出证，现成专利转让到你名下"),
    ("qualification_lending", "高价收专利代理师证 不用坐班"),
    ("qualification_lending", "资质挂靠 开票走账"),
    ("qualification_lending", "本所资质可挂靠，以本所名义接单"),
    # Seller wordings no rule knew (session of 2026-12-04), each a general cause, in sentences written for the test:
    ("abnormal_filing", "第一作者位置稀缺，想评副高的尽早预定"),  # a place on a patent offered like stock
    ("abnormal_filing", "评职称缺专利的老师，我们可以按您的专业匹配合适的专利"),  # patents supplied from stock
    ("abnormal_filing", "若没有合适的专利，可以变更发明人位置，赶上今年的职称评审"),  # 没有 of another clause
    ("abnormal_filing", "想评工程师？买个第一发明人，比自己申请快"),  # a place bought
    ("abnormal_filing", "代写实用新型，有无交底都可以"),  # no invention needed
    ("abnormal_filing", "积分落户需要发明专利，专利权人可以变更为您本人"),
    ("insider_channel", "有专利局的朋友帮忙盯着，审查比别人快"),  # a relation in other words
    ("insider_channel", "走我们的渠道，发明专利八个月就能拿到授权"),
    ("insider_channel", "别家办不下来的商标，我们有自己的门道"),
    ("insider_channel", "商标注册授权率百分之百，从没失败过"),
    ("impersonation", "本平台是经国家知识产权局认可的商标服务平台，可在线提交"),  # 提交 of another clause
    ("impersonation", "我们是知识产权局下面的服务机构，商标专利都能办"),
    ("impersonation", "国家商标总局注册中心，个人商标当天受理"),
    ("qualification_lending", "手上有专利代理师证，证借你用，按年结算"),
    ("malicious_cancellation", "每天盯着新出的网红名，第一时间去注册，再转手卖给品牌方"),
    ("abnormal_filing", "想评中级？现在自己申请来不及了，不如考虑受让一件专利"),  # a transfer sold as the fast way
    ("abnormal_filing", "晋升需要专利的话，找我们就对了"),
    ("abnormal_filing", "挑一件授权未缴费的专利，发明人可以直接写您的名字"),  # a name on an unissued patent
    ("abnormal_filing", "实用新型第一发明人名额紧张，需要的抓紧"),
    ("impersonation", "我们是商标局在本地的办事机构，负责全市商标注册"),
    # Official-sounding names in the text itself (no official body is called so) and the office's staff as seller.
    ("impersonation", "全国商标注册受理中心 个体户公司都能办 当天递交"),
    ("impersonation", "【国家专利申请服务中心】实用新型 外观 全程代办"),
    ("impersonation", "知识产权审查协作服务部，专利预审加快授权"),
    ("impersonation", "商标局工作人员为您一对一服务，加v详聊"),
    ("impersonation", "中国商标注册网 个人企业商标在线申请"),
    ("impersonation", "专利申请官网入口，实用新型一键申请"),
    ("impersonation", "知识产权局商标注册处，专人办理"),
    ("impersonation", "国家工商总局指定商标代理，注册快"),
    ("impersonation", "国家知识产权局授权办理商标注册，全国受理"),
    ("insider_channel", "商标VIP通道，驳回率低于同行"),
    ("insider_channel", "我们可以直接对接审查员，补正当天处理"),
    ("insider_channel", "专利审查有熟人帮看，提前结案"),
    ("insider_channel", "商标注册成功率高达98%，十年老店"),
    # A granted patent's inventors changed as a service; one patent's price split between the names on it.
    ("abnormal_filing", "专利授权后改发明人，本站可以代办"),
    ("abnormal_filing", "下证后可以更换发明人，评中级够用"),
    ("abnormal_filing", "一件专利给四位老师分摊，每人花费不到两千"),
    ("abnormal_filing", "专利合买，每位老师出一部分钱，大家都能署名"),
    ("abnormal_filing", "发明人名额按顺序收费，第一位最贵"),
    ("abnormal_filing", "第一发明人位置可以通过专利转让获得，需要的可以联系我们"),
    # The buyer put on a patent as its inventor, with no part in the invention.
    ("abnormal_filing", "已授权实用新型转让，发明人一栏可以改成您"),
    ("abnormal_filing", "赶评审来不及自己申请的，您作为第一发明人，撰写提交我们负责"),
    ("abnormal_filing", "专利由我们代写代交，您只需提供个人信息"),
    ("abnormal_filing", "发明人写您本人，无需参与研发"),
    ("abnormal_filing", "手上还有一批授权未缴费的外观专利，根据您的专业挑"),
    ("abnormal_filing", "第二发明人位置还能安排，要的老师尽早联系"),
    # Bulk and subsidy filings in plain words.
    ("abnormal_filing", "企业贯标缺专利，十件起做，价格从优"),
    ("abnormal_filing", "申请专利领补贴，不用管能不能用"),
    ("abnormal_filing", "同一个方案改几个字就能再报一件"),
    ("abnormal_filing", "专利资助快截止了，抓紧多报几件，我们帮你写"),
    ("malicious_cancellation", "网红店名都被我们注了，想用的找我买"),
    ("malicious_cancellation", "看上哪个标都能撤，价格美丽"),
    ("insider_channel", "复审这边有人能说上话，驳回的商标放心交给我们"),
    ("insider_channel", "我们跟局里的老师都熟，发明专利能快不少"),
    ("insider_channel", "商标注册包下证，注不下来退一半"),
    ("qualification_lending", "有代理师证的朋友可以挂我们这，社保代缴"),
    ("qualification_lending", "没有资质也能接专利的活，借我们的名头递交，按件抽成"),
    # How callers and sellers posing as the office word it, as warnings and news quote them (session of
    # 2026-12-04 evening; sentences written for the test): the author says they are the office or one of its
    # examination units, claims a long cooperation with it, or knows a result before it is published.
    ("impersonation", "您好，这边是宁波的企业吧？我们是商标局审查处的，贵司的申请材料有问题"),
    ("impersonation", "我是国家知识产权局的工作人员，您的专利需要缴纳加急费才能按期授权"),
    ("impersonation", "这里是国家局审查三处，通知您办理续展"),
    ("impersonation", "本站是商标局受理窗口，网上直接递交"),
    ("impersonation", "您的商标已初审通过，请三日内缴纳商标公告费，逾期视为放弃"),  # a fee the office never charges
    ("impersonation", "注册成功后加办商标专用权证书，保护更全面"),
    ("impersonation", "本所与国家知识产权局长期合作，专利申请更顺利"),
    ("insider_channel", "我们内部查到您的商标快被驳回了，现在补救还来得及"),
    ("insider_channel", "可以提前得知审查结果，不用干等公告"),
    ("abnormal_filing", "紧急征集机械方向专利附名位置，第二发明人还有"),  # places on patents called for
    ("impersonation", "本所连续三年获商标局评定为诚信代理机构"),  # the trademark office confers no honours on agencies
    ("impersonation", "专利局授牌单位，专利申请一站式服务"),
    ("insider_channel", "本所代理的商标可以加急审查、快速拿到注册证"),  # a trademark's examination sped up
]

HARD_NEGATIVES = [
    # A refund on failure stated alone promises no outcome (docs/domain.md, the refund rule).
    "商标注册不下来全额退费，放心交给我们",
    "实用新型申请，审不过的一分钱不收",
    "被驳回退全款，只收官费",
    "复审成功再付款，不成功一分钱不要，商标驳回找我们",  # paid on success only: a refund's other face
    "经国家知识产权局批准设立的专利代理机构（机构代码 31027），可在国家知识产权局网站查询。",
    "可协助办理优先审查请求，审查结果以官方为准。",
    "谨防声称有'内部渠道'的机构，专利审查均依法进行。",
    "国家知识产权局从未授权任何代理机构使用“官方受理窗口”等名义开展业务，请注意辨别。",
    "商标被提撤三怎么办？专业撤三答辩，帮您收集使用证据。",
    "对于恶意抢注的商标，可以依法提出无效宣告请求。",
    "诚聘专利代理师，要求持证，坐班，五险一金。",
    "高校专利技术转让与许可，技术转移中心对接企业。",
    "我们会如实告知审查周期和授权风险，不做任何包授权承诺。",
    "向国家知识产权局提交申请后，一般1个月内下发受理通知书。",
    "专利代理师挂证属于违法行为，出借资质的机构将被处罚。",
    "提醒：选择代理机构要看执业许可，不要轻信“包过”“内部关系”等宣传。",
    "防止商标被抢注，建议尽早注册。",
    "个人商标注册全包注册费680元，含官费，审查周期以商标局为准。",
    "评工程师职称时，评审一般只认可专利的第一发明人和第二发明人。",  # how title rules count inventors
    "店铺首页右上角有官方客服入口，专利申请代办咨询请留言。",  # a shop's own customer service, not an official body
    "很多人盲信“内部渠道”，结果钱花了证也没拿到。",  # the claim someone believed, reported
    "审查员都按顺序审，没有人能插队。",  # a relation denied
    "本所不承诺授权，审查结果以国家知识产权局为准。",  # a promise refused
    "驳回的商标申请，官费不予退还。",  # a refund refused
    # A promise about the agency's own work, in a clause apart from the outcome, is no promised outcome.
    "保证按时提交，审查通过与否以官方为准。",
    "我们保证每件商标都认真查询，注册成功率更高。",
    "100%原创撰写，授权后付尾款。",
    # Unquoted reported speech: a decision's or a report's third person (当事人, 该公司) and what an ad contained.
    "当事人在闲鱼平台以个人名义承接专利申请业务，并承诺不授权退款，其行为构成无资质专利代理。",
    "典型案例：该公司在网店宣传可以通过内部关系加快商标审查，被处以罚款。",
    "经查明，当事人通过微信公众号发布专利代理广告，内容含有包授权、不成功全额退款等承诺。",
    "专利申请时漏写了发明人，可以办理著录项目变更，加上真正的发明人。",  # a lawful change, no title in sight
    "评职称对专利有什么要求？需要专利的第一发明人是本人，可咨询当地人社部门。",
    "优先审查请求由国家知识产权局依法审批，不收取任何额外费用，也不会因多交钱而加快审查。",
    "因我方原因导致专利申请被驳回的，退还已收代理费。",  # a refund for the agency's own mistake
    "驾校包过，考不过全额退款。",  # a refund promise with no trademark or patent in sight
    "培训机构保证学员通过考试拿到证书。",
    "官方旗舰店正品保证，确保不是非授权转售的商品。",  # an outcome denied, not promised
    "当事人在其网站宣称“确保授权，否则全额退款”，违反了广告法第二十八条。",  # the ad quoted by a decision
    "上海开展2024年知识产权代理行业“蓝天”专项整治行动，重点打击冒用官方名义、声称有内部渠道等违法行为。",
    # The same words as the wordings above in a report, a refusal or an explainer:
    "记者调查发现，一些中介公然兜售‘职称专利’，购买专利评职称的现象屡禁不止。",  # single quotes, a reporting verb
    "店主表示，“有无交底都可以”，这正是非正常申请的典型特征。",
    "评职称用的专利要和本专业对口，不对口的专利无法加分。",
    "我们不认识任何审查员，审查结果以官方为准。",
    "专利转让后发明人不变，获得第一发明人的唯一途径是参与发明。",
    "建议提前注册商标，防止被他人抢注后高价转让。",
    "专利发明人要与参评人一致，不能是借用或者转让他人的专利。",  # a title rule, not a transfer sold
    # The wordings above said of someone else, denied, or in their lawful sense:
    "全国商标注册受理中心不是官方机构，是代理公司起的名字。",
    "中国商标网可以免费查询商标信息，也能网上提交注册申请。",  # the real site: no national name with a filing word
    "中国商标网是国家知识产权局商标局的官方网站，可免费查询商标信息。",  # the office's own site named
    "专利申请请登录国家知识产权局专利业务办理系统，谨防假冒官网。",
    "这些叫商标注册官网的网站其实是代理公司，不是商标局。",
    "专利审查没有熟人一说，都按顺序审。",
    "近五年商标注册申请的通过率约为60%，实用新型一般授权率在90%左右。",  # statistics, not a promise
    "专利资助只针对已授权的发明专利，非正常申请一律不予资助并追回。",
    "一个产品的多项改进可以分别申请专利，但每项都要有实质技术内容。",
    "2018年机构改革后，原国家工商总局商标局的职责划入国家知识产权局。",
    "发明专利经国家知识产权局授权后，专利权人应按时缴纳年费。",
    "实用新型一般6到10个月授权，以审查进度为准。",  # a typical duration, not a promise
    "授权后变更发明人只能更正错误，须全体发明人签字。",  # no title, no service offered
    "专利申请费由甲乙双方各出一半，每人分摊的金额写入本合同。",  # co-owners sharing a fee in a contract
    "几位老师合作完成的发明，按贡献大小排列发明人顺序。",
    "不是什么商标都能撤，对方有使用证据就撤不掉。",
    "专利转让不会改变第一发明人，有疑问可以联系我们。",
    "申请专利时发明人一栏写您本人，申请人写贵公司，技术交底由您的研发人员提供。",  # a real inventor filing
    "委托申请专利，您只需提供个人信息和技术交底书，其余由代理师完成。",  # details and a disclosure: a real application
    "职称评审办法规定，通过购买、挂名获得的专利不得作为评审依据。",
    "升学用的“代办专利”风险很大，高校综评越来越严。",  # the risk named after the words: a warning
    "不少高校不认可升学加分专利",  # not recognised: a warning before the words
    # The same words said truthfully by a licensed agency, denied, asked about or reported:
    "我们是国家知识产权局备案的专利代理机构，备案信息可在官网查询。",
    "本所是经国家知识产权局批准设立的专利代理机构，执业许可证号31027。",
    "除中国商标网公布的收费项目外，商标局不收取商标公示费、展示费等任何费用。",
    "没有所谓的商标专用权证书，商标局只发商标注册证。",
    # The office named only to deny being it, inside the same clause:
    "我们是代理公司并非知识产权局",
    "我们是民营机构不属于商标局",
    "本站是私人网站非商标局官网",
    "驳回与否没人能提前得知",
    "近期我局发现个别代理机构以注册商标防伪码、缴纳商标公示费等多种名义向申请人收取费用。",  # the office's own notice
    "我们是代理公司，不是商标局，审查结果由商标局作出。",
    "接到电话说“我们是商标审查处的”，要交钱保住商标，这是骗局吗？",
    "我是专利代理师，主要做审查意见答复。",
    "代理机构一般会先收到驳回通知书，官网状态更新会晚几天。",
    "骗子谎称有内部消息，提前知道您的商标会被驳回，千万别信。",
    "可在中国商标网查到审查进度，驳回后有十五天复审期限。",
    "国家知识产权局与世界知识产权组织保持长期合作，共同举办培训。",
    "本届创新大赛征集参赛作品，第一作者须为在校学生。",
    "我们是国家知识产权局专利局审查协作中心，现招聘发明专利审查员，本科及以上学历。",  # the office's own job ad
    "王女士说，对方开口就是我是国家商标局的，她信以为真，转账后才知道被骗。",  # a fraud story, the caller reported
    "商标核准注册后，由商标局颁发商标注册证。",
    "商标快速查询，注册证信息一目了然。",
    "商标注册没有加急，拿到注册证一般要一年。",
    "注册证遗失的，可以加急补发商标注册证。",
    "该公司被国家知识产权局认定为国家知识产权示范企业。",  # a real honour, by the body that confers it
    "商标局提醒：伪造商标局授牌、颁牌的代理机构将被依法查处。",
]

EVASIONS = [
    ("spaces", "国 家 知 识 产 权 局 指 定 代理"),
    ("dots and slashes", "内.部.渠/道 办理"),
    ("traditional", "國家知識產權局指定代理，內部渠道"),
    ("full-width", "ＣＮＩＰＡ指定代理"),
    ("initials", "GZJ直属服务中心"),
    ("pinyin", "走neibu渠道，快速办理"),
    ("pinyin joined", "neibujiaji，跳过排队"),
    ("homophone", "国之局直属服务中心"),
    ("emoji", "内🔥部✅渠💯道"),
    ("zero-width", "内\u200b部\u200c渠\u200d道"),
]


# Words that news and explainers use as often as sellers count only as the author's own offer.
BARE_WORDS = [
    ("malicious_cancellation", "多家公司因抢注运动员姓名商标遭到警告和罚款。", "专业抢注，价格优惠"),
    ("qualification_lending", "依赖挂靠维持运营的机构，服务能力存疑。", "代理师证长期挂靠，私聊"),
    ("insider_channel", "加急后实用新型3-4个月授权。", "实用新型3个月授权"),
    ("abnormal_filing", "专利在职称晋升中可以加分。", "评职称专利，第一发明人，现货"),
    ("impersonation", "甲方委托乙方在国家知识产权局办理专利申请。", "国家知识产权局委托我司办理，加微信"),
    # Acting in one's own name is the opposite of lending it.
    ("qualification_lending", "专利代理师以自己的名义申请专利的，由主管部门予以警告。",
     "我们以本所名义接单，代理师证挂我们这"),
    # A warning opening the clause of a match's later word (context_in_clause rules).
    ("abnormal_filing", "即使您购买了专利，也不能用于职称申报。", "评职称急用，授权未缴费专利转让，不影响评审"),
    # 专利代理师挂靠 as an explainer's topic; the same words with an ad's cues, or with a deal's terms.
    ("qualification_lending", "代理机构与代理师签订挂靠协议，明确双方的权利与义务。", "专利代理师挂靠，欢迎咨询"),
    ("qualification_lending", "挂靠关系通常由具备资质的机构牵头。", "机构招代理师挂靠，不用坐班，社保代缴"),
    ("qualification_lending", "挂靠关系通常由具备资质的机构牵头。", "专利代理师兼职挂名，凑人数，报酬按年"),
    # Hoarded marks offered for sale without contact details.
    ("malicious_cancellation", "这些商标多是被抢注的热门名字。", "都是抢注的好名字，各类都有，整体出售"),
]


@pytest.mark.parametrize(("label", "prose", "ad"), BARE_WORDS)
def test_words_of_news_and_explainers_raise_a_label_only_in_an_offer(rules_detector: Detector, label: str,
                                                                     prose: str, ad: str) -> None:
    """A bare 抢注 or 挂靠 needs an ad's cues (contact, price, first person), a range of months is no promise, a
    title named is no offer, a contract's parties name the office without posing as it."""
    assert label not in rules_detector.detect({"id": "p", "text": prose}).labels
    assert label in rules_detector.detect({"id": "a", "text": ad}).labels


@pytest.mark.parametrize(("label", "text"), POSITIVES)
def test_each_label_is_found(rules_detector: Detector, label: str, text: str) -> None:
    result = rules_detector.detect({"id": "x", "title": "", "text": text})
    assert label in result.labels, result
    spans = [e for e in result.evidence if e["label"] == label]
    assert spans and all(text[e["start"]:e["end"]] == e["text"] for e in spans)


@pytest.mark.parametrize("text", HARD_NEGATIVES)
def test_hard_negatives_are_not_flagged(rules_detector: Detector, text: str) -> None:
    result = rules_detector.detect({"id": "x", "title": "", "text": text})
    content = [label for label in result.labels if label != "unlicensed_agency"]
    assert content == [], result.evidence


@pytest.mark.parametrize(("kind", "text"), EVASIONS, ids=[kind for kind, _ in EVASIONS])
def test_each_evasion_is_seen_through(rules_detector: Detector, kind: str, text: str) -> None:
    result = rules_detector.detect({"id": "x", "title": text})
    assert set(result.labels) & {"impersonation", "insider_channel"}, kind
    for span in result.evidence:
        assert text[span["start"]:span["end"]] == span["text"]


def test_evidence_points_at_the_evaded_original() -> None:
    engine = RuleEngine.from_config()
    from detector.normalize import normalize_text

    original = "找我们 內 部 渠 道，稳"
    normalized = normalize_text(original)
    [match] = [m for m in engine.matches(normalized) if m.rule == "insider.claim"]
    assert normalized.original_slice(match.start, match.end) == "內 部 渠 道"


def test_features_have_stable_names() -> None:
    engine = RuleEngine.from_config()
    empty = engine.features("")
    flagged = engine.features("国家知识产权局指定代理，内部渠道")
    assert list(empty) == list(flagged) == list(engine.feature_names)
    assert all(f"label:{label}" in empty for label in LABELS if label != "unlicensed_agency")
    assert "label:offers_patent_agency" in empty
    assert flagged["label:impersonation"] > 0.5 and empty["label:impersonation"] == 0.0
    warned = engine.features("谨防声称有内部渠道的机构")
    assert warned["label:insider_channel"] == 0.0 and warned["suppressed:insider_channel"] == 1.0


def test_rules_only_scores_every_label(rules_detector: Detector) -> None:
    result = rules_detector.detect({"id": 7, "title": "内部渠道 包授权"})
    assert result.id == "7"
    assert set(result.scores) == set(LABELS)
    assert all(0.0 <= score <= 1.0 for score in result.scores.values())
    assert result.risk == max(result.scores.values())
    assert rules_detector.mode == "rules"


@pytest.mark.parametrize(
    ("rules_yaml", "message"),
    [
        ("lexicons: {a: [x]}\nrules: [{id: r, label: nonsense, weight: 0.5, phrases: [x]}]",
         "rules.0.label: must be one of"),
        ("lexicons: {a: [x]}\nrules: [{id: r, label: impersonation, weight: 2, phrases: [x]}]",
         "rules.0.weight: Input should be"),
        ("lexicons: {a: [x]}\nrules: [{id: r, label: impersonation, weight: 0.5, near: [a, b]}]",
         "rules: rule 'r': field 'near' names unknown lexicon 'b'"),
        ("lexicons: {a: [x]}\nrules: [{id: r, label: impersonation, weight: 0.5, phrases: [x], only_with: [b]}]",
         "rules: rule 'r': field 'only_with' names unknown lexicon 'b'"),
        ("lexicons: {a: [x]}\nrules: [{id: r, label: impersonation, weight: 0.5, regex: '('}]",
         "rules.0.regex: not a valid regular"),
        ("lexicons: {a: [x]}\nrules: [{id: r, label: impersonation, weight: 0.5}]", "exactly one of"),
        ("lexicons: {a: [x]}\nrules: [{id: r, label: impersonation, weight: 0.5, phrases: [x], colour: red}]",
         "rules.0.colour: Extra inputs are not permitted"),
        ("lexicons: {a: [x]}\nrules: [{id: r, label: impersonation, weight: 0.5, phrases: [x], unless_withn: 3}]",
         "rules.0.unless_withn: Extra inputs are not permitted"),
        ("lexicons: {a: []}\nrules: [{id: r, label: impersonation, weight: 0.5, phrases: [x]}]",
         "lexicons.a: List should have at least 1 item"),
        ("rules: [", "invalid YAML"),
    ],
)
def test_broken_rules_name_file_and_field(tmp_path, rules_yaml: str, message: str) -> None:
    (tmp_path / "detector").mkdir()
    (tmp_path / "detector" / "rules.yaml").write_text(rules_yaml, encoding="utf-8")
    with pytest.raises(ConfigError, match="rules.yaml") as caught:
        RuleEngine.from_config(tmp_path)
    assert message in str(caught.value)


def test_context_in_clause_reads_context_words_only_in_the_matchs_clause(tmp_path) -> None:
    (tmp_path / "detector").mkdir()
    (tmp_path / "detector" / "rules.yaml").write_text(
        "lexicons: {body: [国知局], claim: [指定], warn: [没有], lawful: [提交]}\n"
        "rules:\n"
        "  - {id: wide, label: impersonation, weight: 0.9, near: [body, claim], within: 2,\n"
        "     unless_before: [warn], unless_after: [lawful]}\n"
        "  - {id: clause, label: impersonation, weight: 0.9, near: [body, claim], within: 2,\n"
        "     unless_before: [warn], unless_after: [lawful], context_in_clause: true}\n",
        encoding="utf-8")
    engine = RuleEngine.from_config(tmp_path)

    def kept(text: str) -> set[str]:
        return {match.rule for match in engine.matches(text)}

    assert kept("若没有时间,国知局指定代理") == {"clause"}
    assert kept("国知局指定代理,可在线提交") == {"clause"}
    assert kept("没有国知局指定代理") == set()
    assert kept("国知局指定代理提交") == set()


# A list word inside a longer word that means something else, beside a claim of the same kind that still fires.
WORDS_INSIDE_OTHER_WORDS = [
    # 合作关系 between institutions is no personal relation; cooperating with the examiners themselves is.
    ("insider_channel", "本中心与国家知识产权局专利局建立了合作关系，共同开展知识产权保护工作。",
     "我们和专利局审查员有合作关系，下证快，欢迎咨询"),
    ("insider_channel", "专利局与我市保护中心签订了协作关系协议。", "我们跟专利局审查员关系很硬，下证快"),
    # 所有人 of a trademark is nobody's inside man (有人 is a relation word).
    ("insider_channel", "商标所有人可以向商标局申请续展。", "商标局有人，驳回的也能帮您弄下来"),
    # 朋友圈 is a feed, 专利局的朋友 a contact.
    ("insider_channel", "专利局朋友圈推送的审查指南更新了。", "我们在专利局有朋友，加急审查"),
]


@pytest.mark.parametrize(("label", "prose", "claim"), WORDS_INSIDE_OTHER_WORDS)
def test_a_word_inside_a_longer_word_of_another_meaning_does_not_count(rules_detector: Detector, label: str,
                                                                        prose: str, claim: str) -> None:
    assert label not in rules_detector.detect({"id": "p", "text": prose}).labels
    assert label in rules_detector.detect({"id": "c", "text": claim}).labels


def test_a_list_word_that_is_the_whole_longer_word_still_counts() -> None:
    """审查处 hides the 查处 inside it, not itself: 我们是…审查处的 is still the author posing as the office."""
    engine = RuleEngine.from_mapping({
        "lexicons": {"office": ["审查处"], "enforcement": ["查处"], "self": ["我们是"]},
        "other_words": ["审查处"],
        "rules": [{"id": "pose", "label": "impersonation", "near": ["self", "office"], "within": 6, "weight": 0.9},
                  {"id": "enforce", "label": "impersonation", "phrases": ["依法查处"], "weight": 0.5}],
    })
    assert [m.rule for m in engine.matches("我们是北京商标审查处的")] == ["pose"]
    assert "enforcement" not in engine.analyze("北京商标审查处").hits
    assert "enforcement" in engine.analyze("商标局依法查处").hits


# The office's lawful fast tracks explained (priority examination, a protection centre's pre-examination and its
# 快速审查绿色通道) beside a promise of a result or an inside channel, which still fires.
OFFICIAL_FAST_TRACKS = [
    ("保护中心开通专利快速审查绿色通道，预审合格的发明专利最快3个月授权。", "实用新型3个月授权，加微信"),
    ("专利快速审查通道：经保护中心预审合格的申请，可进入快速审查，最快三个月授权。", "商标注册绿色通道，包过"),
    ("优先审查通道可以加快审查，符合条件的发明专利申请一年内可结案。", "优先审查，包授权，加微信"),
    ("保护中心的快速预审服务面向备案主体，审查周期明显缩短。", "代办保护中心快速预审，内部渠道，欢迎咨询"),
]


@pytest.mark.parametrize(("explainer", "promise"), OFFICIAL_FAST_TRACKS)
def test_an_official_fast_track_explained_is_no_insider_channel(rules_detector: Detector, explainer: str,
                                                                promise: str) -> None:
    assert "insider_channel" not in rules_detector.detect({"id": "e", "text": explainer}).labels
    assert "insider_channel" in rules_detector.detect({"id": "p", "text": promise}).labels


# The office's own site as the provider of a service, and its recognition as what a reader should check, beside the
# same words as the author's endorsement.
OFFICE_NAMED_AS_A_REFERENCE = [
    ("国家知识产权局官网提供的电子申请客户端需要先注册账号。", "本店是国家知识产权局官网指定合作，加微信"),
    ("国家知识产权局官网首页有专利缴费入口。", "国家知识产权局官方合作，加微信"),
    ("选择代理机构时应确保其具备国家知识产权局认可的代理资格。", "国家知识产权局认可，包授权，欢迎咨询"),
]


@pytest.mark.parametrize(("reference", "claim"), OFFICE_NAMED_AS_A_REFERENCE)
def test_the_office_named_as_a_reference_is_no_endorsement(rules_detector: Detector, reference: str,
                                                           claim: str) -> None:
    assert "impersonation" not in rules_detector.detect({"id": "r", "text": reference}).labels
    assert "impersonation" in rules_detector.detect({"id": "c", "text": claim}).labels


# An inside route with words between 内部 and the route (内部快速通道) is the same claim as 内部通道; an office's or a
# firm's internal procedures named in passing, or the route warned about, are not.
INSIDE_ROUTES = [
    ("内部快速通道，专利加急", "商标局内部审查流程分为形式审查和实质审查。"),
    ("专利局内部绿色审批通道，速度快", "公司内部培训通道已开通，欢迎员工报名"),
    ("局里有加急名额，商标三个月下证", "谨防所谓内部快速通道，专利申请没有捷径"),
]


@pytest.mark.parametrize(("claim", "other"), INSIDE_ROUTES)
def test_an_inside_route_with_words_between_is_an_insider_claim(rules_detector: Detector, claim: str,
                                                                 other: str) -> None:
    found = rules_detector.detect({"id": "c", "text": claim})
    assert "insider.inside_route" in {e["rule"] for e in found.evidence}
    assert "insider_channel" not in rules_detector.detect({"id": "o", "text": other}).labels


# A long cooperation with the office is a seller's claim in an ad; a university or a centre reporting its
# cooperation with the office (and the examiners it trains with it) is none.
LONG_COOPERATION = [
    ("与商标局长期合作，商标注册价格优惠", "本中心与国家知识产权局长期合作，共同推进专利导航工作。"),
    ("本所与国家知识产权局多年合作，欢迎咨询", "我校与国家知识产权局专利局长期合作开展审查员实践基地建设。"),
    ("我们和专利局审查员有长期合作，下证快", "市知识产权局与省知识产权保护中心常年合作举办专利培训班。"),
]


@pytest.mark.parametrize(("claim", "report"), LONG_COOPERATION)
def test_a_long_cooperation_with_the_office_is_a_claim_only_in_an_ad(rules_detector: Detector, claim: str,
                                                                     report: str) -> None:
    assert "impersonation" in rules_detector.detect({"id": "c", "text": claim}).labels
    assert not rules_detector.detect({"id": "r", "text": report}).labels


# Cancelling named as a verb right before another's mark is the service; the mark's own cancellation, a lawful
# procedure asked about, or the practice condemned are not.
CANCELLING_OTHERS = [
    ("专业撤销对手商标", "他人的注册商标被撤销后，可以重新申请"),
    ("帮你撤销同行注册的商标", "如何申请撤销他人连续三年不使用的商标？"),
    ("帮忙撤掉竞争对手的商标，包成功", "恶意撤销竞争对手的商标属于不正当竞争"),
]


@pytest.mark.parametrize(("offer", "other"), CANCELLING_OTHERS)
def test_cancelling_anothers_mark_is_offered_malicious_cancellation(rules_detector: Detector, offer: str,
                                                                    other: str) -> None:
    assert "malicious_cancellation" in rules_detector.detect({"id": "o", "text": offer}).labels
    assert "malicious_cancellation" not in rules_detector.detect({"id": "x", "text": other}).labels


# Colloquial names of the office (知产局) are the office; someone impersonating it, warned about, is no relation.
@pytest.mark.parametrize(("claim", "other"), [
    ("知产局指定代办点，商标注册一站式服务", "市知产局发布专利资助政策"),
    ("商标局有人，驳回的也能帮你搞定", "有人冒充商标局工作人员打电话，称商标即将被驳回，要求缴费，请勿相信。"),
])
def test_the_office_by_its_colloquial_name_and_people_posing_as_it(rules_detector: Detector, claim: str,
                                                                   other: str) -> None:
    assert rules_detector.detect({"id": "c", "text": claim}).labels
    assert not rules_detector.detect({"id": "o", "text": other}).labels


def test_a_verdict_after_the_trades_object_drops_the_title_patent_trade(rules_detector: Detector) -> None:
    assert "abnormal_filing" not in rules_detector.detect(
        {"id": "v", "text": "评职称用的专利必须是本人的发明创造，购买他人专利挂名属于学术不端。"}).labels
    assert "abnormal_filing" in rules_detector.detect(
        {"id": "o", "text": "评职称用的专利，购买他人专利挂名，现货，私聊"}).labels


# A page on patents for titles that closes by offering the reader one (the editor or the site arranges it) sells
# them; a personnel office answering questions, or an agency filing the reader's own invention, does not.
TITLE_PATENT_CLOSES = [
    ("参评高工要几项专利？以上就是小编整理的内容，评职称专利的更多问题，欢迎咨询本站在线客服，为您专业安排。",
     "申报高级职称的专利须提供授权证书原件，具体问题可以咨询我们职称办。"),
    ("评副教授对专利排名有要求吗？本文就介绍到这里，还差一项专利的老师可以找我们的在线编辑。",
     "评职称的专利要是你自己的发明，有自己的技术方案想申请专利的，可以找我们办理。"),
]


@pytest.mark.parametrize(("offer", "other"), TITLE_PATENT_CLOSES)
def test_a_title_patent_page_closing_with_an_offer_is_abnormal_filing(rules_detector: Detector, offer: str,
                                                                       other: str) -> None:
    assert "abnormal_filing" in rules_detector.detect({"id": "o", "text": offer}).labels
    assert "abnormal_filing" not in rules_detector.detect({"id": "x", "text": other}).labels


# The office asking to be paid or contacted through a private channel is someone posing as it; the office saying it
# never does so, or its own payment system, is not.
@pytest.mark.parametrize(("scam", "notice"), [
    ("国家知识产权局商标续展通知：您的商标即将到期，请添加工作人员微信办理续展并缴纳费用。",
     "国家知识产权局提醒：本局不会要求添加工作人员微信缴费，请勿相信。"),
    ("【商标局】您的商标被驳回，请将复审费转入工作人员个人账户。",
     "国家知识产权局专利费用可通过网上缴费系统缴纳，支持微信支付。"),
    # A notice's own title (年费缴纳提醒) is no warning, and a link sent to pay or renew is a private channel; someone
    # posing as the office, warned about, is reported.
    ("【年费缴纳提醒】国家知识产权局专利年费缴纳提醒：您的年费已逾期，请添加工作人员微信补缴滞纳金",
     "警惕！有人冒充国家知识产权局发送“年费缴纳提醒”，要求添加工作人员微信缴费，请勿相信。"),
    ("中国商标网续展提醒：您的商标即将到期，请于三日内点击链接办理续展",
     "近期有不法分子冒充中国商标网客服，发送“商标即将到期，请点击链接办理续展”的短信，这是诈骗。"),
    ("国家知识产权局商标局：您的注册商标已到续展期，请点击链接缴费，逾期将被注销",
     "国家知识产权局专利年费缴纳提醒：您的专利年费将于下月到期，请通过专利缴费系统按时缴纳。"),
])
def test_the_office_asking_for_a_private_payment_is_impersonation(rules_detector: Detector, scam: str,
                                                                  notice: str) -> None:
    assert "impersonation" in rules_detector.detect({"id": "s", "text": scam}).labels
    assert "impersonation" not in rules_detector.detect({"id": "n", "text": notice}).labels


# An agent's licence hired on paper (no work, the practice registration or social insurance moved in) is lending; a
# job that needs the agent at work, or a remote job of the firm's own staff with no agent named, is not.
@pytest.mark.parametrize(("lending", "job"), [
    ("诚聘专利代理师，无需坐班，执业关系转入我司即可，年付3万。", "招聘专利代理师，需坐班，五险一金，社保我司缴纳。"),
    ("收专利代理师资格证，社保我们交，人不用来，一年两万。", "公司自己的员工，无需坐班，社保我司缴纳，远程办公。"),
])
def test_a_licence_hired_on_paper_is_lending(rules_detector: Detector, lending: str, job: str) -> None:
    assert "qualification_lending" in rules_detector.detect({"id": "l", "text": lending}).labels
    assert "qualification_lending" not in rules_detector.detect({"id": "j", "text": job}).labels


# Inside routes in other words (走内部流程) and a period before a guaranteed certificate (三个月包下证); a firm's own
# internal procedure is neither.
@pytest.mark.parametrize(("claim", "other"), [
    ("我们走内部流程，商标三个月下证", "公司内部流程规范，专利申请需部门审批。"),
    ("我们三个月包下证", "商标注册一般需要九到十二个月才能下证。"),
])
def test_inside_process_and_a_dated_certificate_are_insider_claims(rules_detector: Detector, claim: str,
                                                                   other: str) -> None:
    assert "insider_channel" in rules_detector.detect({"id": "c", "text": claim}).labels
    assert "insider_channel" not in rules_detector.detect({"id": "o", "text": other}).labels


# Patent agency named as a contract's subject, a profession, or what needs a licence (a platform's or the law's
# rule) is no offer of it; the service offered still is.
@pytest.mark.parametrize(("named", "offered"), [
    ("专利代理委托合同 第三条：受托方按约定提交申请文件。", "专利代理、商标注册一站式服务，价格优惠"),
    ("平台公告：专利代理服务须提供执业许可证，否则下架。", "专利代理服务，十年经验，欢迎咨询"),
    ("专利代理业务应当由依法设立的专利代理机构办理。", "承接专利代理业务，价格实惠"),
])
def test_patent_agency_named_but_not_offered(named: str, offered: str) -> None:
    engine = RuleEngine.from_config()
    assert engine.features(named)["label:offers_patent_agency"] == 0.0
    assert engine.features(offered)["label:offers_patent_agency"] >= 0.5


# Selling issued patents or a name on one (现货, 加名, 过户) is an abnormal filing but no patent agency: the seller
# drafts and files nothing for the buyer (docs/domain.md). Patents made to order, filed by the seller, are agency.
@pytest.mark.parametrize(("sold", "made"), [
    ("现货实用新型，可加名，评职称用", "实用新型包下证，评职称用，材料我们编"),
    ("已授权发明专利过户，当月变更到你名下，评高级职称用", "高企专利批量申报，十件起做，没有实物也能报"),
])
def test_patents_sold_from_stock_are_not_patent_agency(sold: str, made: str) -> None:
    engine = RuleEngine.from_config()
    sold_features = engine.features(sold)
    assert sold_features["label:abnormal_filing"] >= 0.5
    assert sold_features["label:offers_patent_agency"] == 0.0
    assert engine.features(made)["label:offers_patent_agency"] >= 0.5


# Rapport and pull with the examining body in a firm's own prose (保持良好沟通, 可协调加快) is an insider claim;
# keeping in touch with clients, an examiner's call explained, or a government's coordination is not.
@pytest.mark.parametrize(("claim", "other"), [
    ("我司与审查部门保持良好沟通，复杂案件可以协调提前审查", "我们始终与客户保持良好沟通，及时反馈审查进度"),
    ("本所与商标局沟通顺畅，驳回案件可协调加急",
     "优先审查由申请人提出请求，经审查部门同意后加快审查，任何代理机构都无法协调"),
    ("我们和审查员关系良好，发明专利授权更快", "加强部门统筹协调，加快推进知识产权强国建设"),
])
def test_rapport_with_the_examining_body_is_an_insider_claim(rules_detector: Detector, claim: str,
                                                             other: str) -> None:
    assert "insider_channel" in rules_detector.detect({"id": "c", "text": claim}).labels
    assert "insider_channel" not in rules_detector.detect({"id": "o", "text": other}).labels


# 必准 / 必批 / 必授权 promise a grant; 未必授权, 不一定能授权, 务必准备 and 必准确 do not.
@pytest.mark.parametrize(("claim", "other"), [
    ("外观专利必批，三个月下证", "发明专利未必授权，审查员会严格审查"),
    ("实用新型必授权，不过全额退款，加微信", "专利申请不一定能授权，不必焦虑"),
    ("商标注册必准，驳回免费重报", "申请专利必准备的材料有哪些？务必准确填写"),
])
def test_a_grant_said_to_be_certain_is_a_guarantee(rules_detector: Detector, claim: str, other: str) -> None:
    assert "insider_channel" in rules_detector.detect({"id": "c", "text": claim}).labels
    assert "insider_channel" not in rules_detector.detect({"id": "o", "text": other}).labels


# Paying more for a faster examination (with the typo 加块 read as 加快) is an insider claim; the office's fee list and
# an explainer saying speed cannot be bought are not.
@pytest.mark.parametrize(("claim", "other"), [
    ("多交一千块就能加块审查，名额每年有限", "实用新型多付点钱就能加快审查吗？不能，审查按提交顺序进行"),
    ("多缴两千元，帮你加急审查", "优先审查不收取额外费用，不能通过多交钱加快审查"),
    ("加钱可以加块审查，实用新型两个月下证", "专利费用一览：申请费500元，优先审查请求无需缴费"),
])
def test_paying_more_for_a_faster_examination_is_an_insider_claim(rules_detector: Detector, claim: str,
                                                                  other: str) -> None:
    assert "insider_channel" in rules_detector.detect({"id": "c", "text": claim}).labels
    assert "insider_channel" not in rules_detector.detect({"id": "o", "text": other}).labels


# A protection centre's fast track is open only to the entities it registered: that standing sold or lent to
# others (名额转让, 挂在我们名下走) is an insider claim; the centre's own rule, a question, news of a firm punished
# for it and an agency offering the fast track to registered firms are not.
@pytest.mark.parametrize(("claim", "other"), [
    ("知识产权保护中心预审备案资格转让，外省企业也可以办", "保护中心规定：没有备案的企业不能走快速预审，请先申请备案"),
    ("没备案的企业也能走快速预审，挂我们名下走，三个月授权",
     "我公司没有在保护中心备案，能不能借别人的备案走快速预审？"),
    ("保护中心备案名额转让，名额有限，有意者私聊",
     "某代理机构将保护中心备案名额转让给外地企业，被取消备案资格并通报"),
    ("出租备案，保护中心预审通道随时可用，价格好谈", "我所已在保护中心备案，可为备案企业提供预审服务，欢迎咨询"),
])
def test_a_fast_track_standing_sold_or_lent_is_an_insider_claim(rules_detector: Detector, claim: str,
                                                                other: str) -> None:
    assert "insider_channel" in rules_detector.detect({"id": "c", "text": claim}).labels
    assert "insider_channel" not in rules_detector.detect({"id": "o", "text": other}).labels


# The seller supplying the invention or any name as its inventor (技术方案我们出, 发明人写谁都行) offers a fabricated
# filing; an honest agency's division of work, a software firm, a warning, a rule and a buyer asking are not.
@pytest.mark.parametrize(("offer", "other"), [
    ("专利代写，技术方案我们来出，您只管署名", "技术方案由发明人提供，我们负责撰写和递交，专利申请欢迎咨询"),
    ("高企认定缺知识产权？实用新型发明人写谁都行，十件起打包", "小程序开发，技术方案我们出，您只管提需求"),
    ("外观专利五件起做，发明人随便填，加微信报名", "警惕“技术方案我们出”的专利中介，发明人随便写属于非正常申请"),
    ("有需要的跟我说，技术方案我们出，实用新型打包价", "专利申请须如实填写发明人，不得发明人随便写"),
    ("评职称缺专利？技术方案由我们提供，署名您定", "代理机构跟我说技术方案我们出、发明人随便写，这样的专利能用吗？"),
])
def test_an_invention_or_inventor_supplied_by_the_seller_is_an_abnormal_filing(rules_detector: Detector, offer: str,
                                                                               other: str) -> None:
    assert "abnormal_filing" in rules_detector.detect({"id": "o", "text": offer}).labels
    assert "abnormal_filing" not in rules_detector.detect({"id": "n", "text": other}).labels


# The author promising to take every mark it cancels (基本都能拿下, 一撤一个准) sells malicious cancellations, even a
# sentence after the 撤三 it answers with; a defence, an explainer, news of a firm punished, a buyer asking and an
# honest agency are not.
@pytest.mark.parametrize(("offer", "other"), [
    ("别人注册了不用的商标可以撤三，我们团队一年提交上千件，看中的标基本都能拿下，私信报价",
     "商标被撤三了怎么办？我们专门做撤三答辩，基本都能保住"),
    ("三年没用的商标就撤三，本所操作过几百件，一撤一个准，需要的联系", "我们代理撤三答辩，基本都能拿下"),
    ("可以撤三。我们专门做这个，基本都能拿下，加我微信", "撤三并不是都能拿下，对方只要提供使用证据就能维持"),
    ("闲置商标撤三，我司经验丰富，保证拿下", "有代理公司号称我们一年做几百件撤三，基本都能拿下，被市场监管局查处"),
    ("闲置商标的撤三我们也接，今年做了两百多件，包拿下，欢迎咨询", "我们想撤三一个闲置商标，基本都能拿下吗？"),
])
def test_every_cancelled_mark_promised_as_taken_is_malicious_cancellation(rules_detector: Detector, offer: str,
                                                                         other: str) -> None:
    assert "malicious_cancellation" in rules_detector.detect({"id": "o", "text": offer}).labels
    assert "malicious_cancellation" not in rules_detector.detect({"id": "n", "text": other}).labels
