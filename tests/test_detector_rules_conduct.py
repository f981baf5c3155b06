"""Rules for conduct named in docs/domain.md that no rule read before 2026-12-07: an agency's ties to the examining
units sold as a faster grant, an agency saying it is an official body's unit or appointee, patents copied or made by
the batch, filings with no invention behind them, papers and patents sold together, a price per name put on a
patent, the buyer's name put on a patent sold for it, an official body's recommendation claimed, and an attorney's
name hired without their work; from the real corpus's thirteenth collection, patents sold before their certificate
issues, acceleration promised to succeed and a refused parcel "deemed served"; a patent for a person's title or
points handled for them; an examining body's serving staff taking work on the side, an agent's certificate lent
under the trade's short name 专代, and not a news item's list of cases (出租出借资质等案件) (2026-12-07 evening);
from two probes written apart from the rules (2026-12-07 night), a firm disclaiming any tie to the body it names or
turning such clients away, 实新 as sellers shorten 实用新型 (not inside 落实新), a name hung with nothing else asked,
another firm's licence borrowed, and not a licence the author refuses to lend (不出借); and
licensed agencies' facts read as claims before (the office's own fees, an agency registered with its filing system);
from a probe of long seller pages (2026-12-08), strings pulled at the examination (可以打点…审查员) and others'
published patents reworded and filed again (以国外专利文献为蓝本…改写后递交, 查重率低), filings with no research
material of the client's (没有研发资料也能报, 不需要您审核技术内容), and the office's leaders known (与专利局领导熟,
not 熟悉) or strings pulled at the substantive examination (实审阶段可以帮您打招呼); from a probe of hard
negatives, a grant the author cannot promise (没办法保证授权) and a refund beside a disclaimed outcome (我们不说包过…
服务费原路退回).
Each claim is paired with a text that shares its words and makes no such claim. Examples written for this test, not
taken from the training data."""

from __future__ import annotations

import pytest

from detector.normalize import normalize_text
from detector.rules import RuleEngine

CLAIMS_AND_TWINS = [
    (
        "insider.office_ties_benefit",
        "本所与专利局各审查部门保持良好的合作关系，发明专利授权周期可缩短一半",
        "我们与审查部门没有任何合作关系，无法缩短审查周期",
    ),
    (
        "insider.office_ties_benefit",
        "复审部门那边有熟人，无效案子稳赢",
        "谨防声称与审查部门有合作关系、能缩短审查周期的机构",
    ),
    (
        "impersonation.self_declared_standing",
        "本公司系国家知识产权局指定的商标业务受理单位",
        "本所为经国家知识产权局批准设立的专利代理机构",
    ),
    (
        "impersonation.self_declared_standing",
        "我们是商标局下属的注册服务平台，官费标准统一",
        "本公司不是国家知识产权局下属单位，是依法备案的商标代理机构",
    ),
    (
        "abnormal.copied_filing",
        "照着别人已授权的专利仿写一份，改几处就能报，评职称够用",
        "警惕：有中介仿写他人专利批量申报，属于非正常专利申请",
    ),
    (
        "abnormal.copied_filing",
        "洗稿改写他人专利，查重无压力，评职称专利包下证",
        "专利撰写培训：如何避免仿写他人专利导致无效",
    ),
    ("abnormal.patent_mill", "专利工厂直供，发明专利按领域下单", "本厂专注注塑模具加工，欢迎来图定制"),
    ("abnormal.patents_by_period", "团队每月产出实用新型30件，量大从优", "我所去年代理发明专利申请120件"),
    (
        "abnormal.patents_by_period",
        "企业补贴专利套餐：一年帮您申报50件实用新型，材料我们准备",
        "公司每年申报专利20件以上，是国家高新技术企业",
    ),
    ("abnormal.no_invention_needed", "零技术基础也能有发明专利，我们全程代写", "申请专利不是零技术基础就能做的事"),
    (
        "abnormal.paper_patent_bundle",
        "副高评审：论文加专利一起办，立减八百",
        "平台规则：禁止发布论文专利套餐等职称材料买卖信息",
    ),
    ("abnormal.paid_inventor_change", "已授权新型，增加发明人2000元一位", "变更发明人手续费200元，由申请人缴纳"),
    (
        "lending.no_casework",
        "招聘专利代理人，只需配合机构年报，每月补贴1500元",
        "专利代理师岗位：负责撰写和办案，不需要实际工作经验也可培养",
    ),
    (
        "lending.no_casework",
        "招聘专利代理人，只需挂名，无需办案，每年2万",
        "专利代理师助理岗位：无需办案经验，我们提供系统培训",
    ),
    (
        "abnormal.name_on_sold_patent",
        "实审中的发明专利出让，现在把申请人变更过去，到时候证书直接就是您的，评职称可用",
        "已授权专利按流程办理转让，专利权变更到您名下，受让人享有专利权",
    ),
    (
        "abnormal.name_on_sold_patent",
        "团队参赛要专利？我们帮忙申请，成员都可以写进发明人，按人数收费",
        "发明人是对发明创造作出创造性贡献的人，不能按人数收费写进去",
    ),
    (
        "abnormal.unissued_patent_sold",
        "2020年3月未下证特价实用新型专利转让清单",
        "警示：网上出售未缴费专利的，多为非正常申请",
    ),
    ("insider.guaranteed_grant", "商标加急，100%加急成功，当天提交", "商标加急须经审查同意，无法保证成功"),
    ("abnormal.purpose_patent_service", "积分落户专利快速办理，材料齐全", "落户需要专利吗？可以代办吗？"),
    (
        "impersonation.receipt_threat",
        "商标公告快递，拒签视为该公告送达，请务必签收",
        "快递单上写明：拒签视为该公告送达，请务必签收。这是骗局。",
    ),
    ("impersonation.endorsed_by_body", "国家知识产权局官方指定，收费透明", "国家知识产权局官方收费标准，代理费透明"),
    (
        "impersonation.self_as_office",
        "我们是商标局注册处的，你的商标有问题",
        "我们是国知局专利电子申请系统注册的代理机构",
    ),
    (
        "impersonation.endorsed_by_body",
        "专利审查协作广东中心推荐代理机构，撰写质量有保障",
        "优先审查请求经省知识产权局推荐后，由国家知识产权局审核",
    ),
    (
        "insider.office_staff_side_job",
        "审查协作中心在职老师，私下接单做OA答复",
        "据报道，审查协作中心在职人员私下接单被查处",
    ),
    ("lending.licence", "刚考过专代，有机构收挂靠的吗，只挂不去", "考过专代，可以挂靠吗？"),
    ("lending.phrases", "本所出借资质，合作方以我所名义接案", "三省一市建立出租出借资质等案件移送机制"),
    (
        "impersonation.endorsed_by_body",
        "本中心为国家知识产权局下属的商标受理单位，当天受理",
        "本公司为民营代理机构，与国家知识产权局及其下属单位无任何隶属关系",
    ),
    (
        "impersonation.official_wording",
        "官方窗口直办，商标三天出受理书",
        "本公司与官方窗口没有隶属关系，商标也可自行到窗口办理",
    ),
    ("abnormal.purpose", "综评用的实新，一个月出申请号，私我", "各地要落实新的综评办法"),
    (
        "lending.name_only",
        "所里缺个代理师凑许可条件，就挂个名，其他啥也不用干，价格好商量",
        "只挂个名，其他啥也不用干的代理师岗位，这样合法吗？",
    ),
    (
        "lending.licence",
        "我们自己没有代理资质，但借用合作机构的资质帮您提交专利申请",
        "我们自己有代理资质，从不借用合作机构的资质",
    ),
    ("lending.licence", "可出借执业许可证，年费面议", "请各单位承诺不挂证、不出借执业许可证，并报送承诺书"),
    ("abnormal.named_offers", "评职称、凑指标的专利都能做，私聊", "为评职称、凑指标而申请的，请勿咨询"),
    (
        "insider.examination_greased",
        "发明卡在实审，我们能打点一下审查员那边，费用另谈",
        "有人说实审阶段花钱打点审查员就能过，这靠谱吗？",
    ),
    (
        "insider.examination_greased",
        "驳回复审别担心，花钱疏通审查部门，两个月出结果",
        "警惕所谓花钱疏通审查部门的中介，审查依法进行",
    ),
    (
        "abnormal.published_patent_rewritten",
        "以国外专利文献为蓝本重新组织语言，改写后递交，件数有保障",
        "撰写前检索国外专利文献，避免与现有技术重复后再提交",
    ),
    (
        "abnormal.published_patent_rewritten",
        "照搬失效专利，稍作修改再申报，评职称够用",
        "失效专利可以免费使用，稍作修改就能投产",
    ),
    ("abnormal.copied_filing", "实用新型代写，查重率低，适合凑件数", "论文代写，查重率低，欢迎咨询"),
    (
        "abnormal.no_invention_needed",
        "没有研发资料也能报专利，文字附图我们全写，不需要您审核技术内容",
        "没有研发资料的话，能申请专利吗？",
    ),
    ("insider.examiner_relation", "我司与专利局领导熟，加急件当月可批", "我司熟悉专利局审查标准，加急件按规定办理"),
    (
        "insider.examiner_relation",
        "实审阶段可以帮您打招呼，授权把握大大的",
        "实审阶段谁也不能打招呼，只能认真答复审查意见",
    ),
    ("insider.guaranteed_grant", "专利加急，保证授权，价格美丽", "亲，我们这边没办法保证授权哦，可以先帮您检索"),
    ("insider.refund_on_failure", "商标包过，注册失败的，服务费原路退回", "我们不说包过。注册失败的，服务费原路退回。"),
]



def fired(rule_engine: RuleEngine, text: str) -> set[str]:
    return {match.rule for match in rule_engine.matches(normalize_text(text).text)}


@pytest.mark.parametrize(("rule", "claim", "twin"), CLAIMS_AND_TWINS, ids=[rule for rule, _, _ in CLAIMS_AND_TWINS])
def test_the_claim_fires_the_rule_and_its_twin_does_not(rule_engine: RuleEngine, rule: str, claim: str,
                                                        twin: str) -> None:
    assert rule in fired(rule_engine, claim)
    assert rule not in fired(rule_engine, twin)
