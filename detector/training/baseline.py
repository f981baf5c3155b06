"""The plain keyword baseline: what a simple filter does (substring match on the raw text, no normalisation).

Its words are the typical wording of docs/domain.md. Eval and the benchmark print its figures next to the detector's,
so the gain of normalisation, context rules and the models is visible.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from core.labels import CONTENT_LABELS, UNLICENSED_AGENCY
from core.lead import Detection, Listing
from detector.registry import AgencyRegistry

KEYWORDS: dict[str, tuple[str, ...]] = {
    "impersonation": ("国家知识产权局指定", "商标局官方", "国知局直属", "官方受理", "知识产权局商标注册中心",
                      "官方指定", "官方合作", "官方授权"),
    "insider_channel": ("内部渠道", "包授权", "包下证", "审查员关系", "绿色通道", "特批", "不过全额退款",
                        "保证授权", "快速下证", "包过"),
    "malicious_cancellation": ("专业撤三", "撤三", "抢注", "拿下别人的商标", "囤积商标", "商标转让"),
    "abnormal_filing": ("评职称专利", "批量申请", "凑高企", "专利挂名", "当天出证", "现成专利", "挂名"),
    "qualification_lending": ("专利代理师证", "挂证", "资质挂靠", "挂靠", "开票走账", "出租资质"),
}
OFFERS_KEYWORDS = ("专利申请", "代写专利", "代办专利", "专利代理", "专利撰写", "申请专利")


class KeywordBaseline:
    """Labels a listing when any keyword of a label occurs in its title or text; same registry rule as the Detector."""

    def __init__(self, registry: AgencyRegistry | None = None,
                 keywords: Mapping[str, Iterable[str]] | None = None) -> None:
        self.registry = registry
        self.keywords = {label: tuple(words) for label, words in (keywords or KEYWORDS).items()}

    def detect(self, listing: Mapping[str, Any]) -> Detection:
        text = f"{listing.get('title') or ''}\n{listing.get('text') or ''}"
        labels = [label for label in CONTENT_LABELS if any(word in text for word in self.keywords.get(label, ()))]
        if self.registry is not None and any(word in text for word in OFFERS_KEYWORDS):
            seller = listing.get("seller") or ""
            if not self.registry.check([seller] if seller else [], []).licensed:
                labels.append(UNLICENSED_AGENCY)
        return Detection(id=listing.get("id"), labels=labels)

    def detect_many(self, listings: Iterable[Listing]) -> list[Detection]:
        return [self.detect(listing) for listing in listings]
