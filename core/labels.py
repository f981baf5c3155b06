"""The fixed label names of docs/domain.md, used everywhere (detector output, lead fields, reports, letters)."""
from __future__ import annotations

CONTENT_LABELS: tuple[str, ...] = (
    "impersonation",
    "insider_channel",
    "malicious_cancellation",
    "abnormal_filing",
    "qualification_lending",
)
UNLICENSED_AGENCY = "unlicensed_agency"
LABELS: tuple[str, ...] = (*CONTENT_LABELS, UNLICENSED_AGENCY)
LABEL_NAMES_ZH: dict[str, str] = {
    "impersonation": "冒用官方名义、标识",
    "insider_channel": "声称内部渠道、快速授权",
    "malicious_cancellation": "恶意“撤三”等",
    "abnormal_filing": "非正常专利申请",
    "qualification_lending": "出租出借代理资质",
    "unlicensed_agency": "无资质专利代理",
}
"""What reports, letters, exports and the console call each label (one name a label, in the order of LABELS)."""


def label_names_zh(labels: list[str] | tuple[str, ...]) -> str:
    """Several labels in one cell, by their Chinese names, separated by "；": the names themselves hold "、"
    (冒用官方名义、标识), so joined by "、" two labels read as four."""
    return "；".join(LABEL_NAMES_ZH.get(label, label) for label in labels)
# Auxiliary signal of the models and rules (not a label): the listing offers patent agency services.
OFFERS_PATENT_AGENCY = "offers_patent_agency"

# Genres of a text (the same vocabulary in the template corpus and the real-world corpus). A text of a soliciting
# genre is its author's offer to win business; the others report, regulate, explain, ask or hire.
GENRES = (
    "ad", "agency_site", "penalty_decision", "case_announcement", "regulator_notice", "platform_rule", "news",
    "explainer", "qa", "forum", "recruitment", "contract", "other",
)
SOLICITING_GENRES = frozenset({"ad", "agency_site"})
# The detector's score (0..1) that the author is soliciting business (not a label).
SOLICITATION = "solicitation"
