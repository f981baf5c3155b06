"""Re-check (闭环管理): after a takedown deadline, fetch each listing again and record whether it is gone.

A listing counts as removed exactly when the crawl would take it as removed (`crawler.removal`): a removal status
(404/410), or a page showing one of its platform YAML's `detail.removed_markers` and no listing title; a page no
platform YAML describes (a capture) shows one of `unconfigured_removed_markers` of `config/casework/recheck.yaml`.
The re-fetch is a crawl of the due listings' URLs with the crawl's own settings (`crawler.refetch`: each platform's
download slot, delay and robots rule, retries, the browser for platforms that render their listing pages), so every
re-fetch is fresh evidence kept like the crawler's: in the
evidence archive (content-addressed body, WARC record, hash-chained log) with, for rendered pages, a screenshot. A
listing that cannot be reached is counted and left as it is: an outage is not proof of removal.

A listing still online is read again with its platform's selectors and run through the detector: when the seller
edited it so that no label fires any more it is `resolved_by_edit`, not `persisting`, and the re-check keeps both
versions' evidence (the lead keeps the first fetch; `recheck.edit` holds what it said then and says now).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parsel import Selector

from casework import workflow
from casework.config import RecheckConfig
from casework.export import write_csv
from core.lead import Detection, Lead, Listing, iso_utc
from core.settings import config_dir
from crawler.extract import field_text, main_text
from crawler.page_data import HtmlFields, PageDataError, read_fields
from crawler.platforms import DetailSelectors
from crawler.refetch import Refetched, RefetchTarget, refetch
from crawler.removal import REMOVED_STATUSES, removal_notice
from index.query import LeadQuery
from index.store import LeadStore

if TYPE_CHECKING:
    from detector.detector import Detector


@dataclass
class Verdict:
    lead_id: str
    outcome: str  # removed | persisting | resolved_by_edit | unreachable
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)


def platform_detail(lead: Lead) -> DetailSelectors | None:
    """How the lead's platform YAML reads its listing pages; None for a page no platform YAML describes (a capture
    of an unconfigured site)."""
    from crawler.platforms import load_platform

    path = config_dir() / "platforms" / f"{lead.platform}.yaml"
    return load_platform(path).detail if lead.platform and path.is_file() else None


def removal_reason(lead: Lead, fetched: Refetched, config: RecheckConfig) -> str | None:
    """Why the page shows the listing is gone, or None if it still looks online: decided as the crawl decides it
    (`crawler.removal`, the platform YAML's markers); recheck.yaml's markers serve pages no platform describes."""
    if fetched.status in REMOVED_STATUSES:
        return f"HTTP {fetched.status}"
    page = Selector(text=fetched.text or "<html></html>")
    detail = platform_detail(lead)
    if detail is None:
        marker = removal_notice(field_text(page, "body"), "", config.unconfigured_removed_markers)
    else:
        try:
            fields = read_fields(fetched.text, detail.source, detail.embedded, page=page)
        except PageDataError:  # whether it is online is told by listing_now, which reads the same data
            return None
        shown = field_text(page, "body") if detail.source == "html" else fetched.text
        marker = removal_notice(shown, fields.text(detail.title, " "), detail.removed_markers)
    return f"页面提示“{marker}”" if marker else None


def listing_now(lead: Lead, fetched: Refetched) -> Listing:
    """The listing as the re-fetched page shows it, read as the crawler reads its platform's listing pages
    (selectors, or JMESPath on the page's data); PageDataError when that data cannot be read."""
    page = Selector(text=fetched.text or "<html></html>")
    detail = platform_detail(lead)
    fields = read_fields(fetched.text, detail.source, detail.embedded, page=page) if detail else HtmlFields(page)
    title = fields.text(detail.title, " ") if detail else ""
    listing: Listing = {
        "id": lead.id, "url": fetched.final_url,
        "title": title or field_text(page, "title", " "),
        "text": fields.text(detail.text) if detail and detail.text else main_text(page),
        "seller": fields.text(detail.seller, " ") if detail else "",
        "location": fields.text(detail.location, " ") if detail else "",
    }
    if lead.platform:
        listing["platform"] = lead.platform
    return listing


def edit_evidence(lead: Lead, now: Mapping[str, Any], detection: Detection,
                  fetched_evidence: Mapping[str, Any]) -> dict[str, Any]:
    """Both versions of a listing: what the lead recorded at the first fetch, and what the re-fetch shows."""
    return {
        "before": {"title": lead.title, "text": lead.text, "labels": lead.labels, "evidence": lead.evidence,
                   "fetched_at": lead.fetched_at, "raw_path": lead.raw_path, "raw_sha256": lead.raw_sha256,
                   "screenshot_sha256": lead.screenshot_sha256},
        "after": {"title": now.get("title"), "text": now.get("text"), "labels": list(detection.labels),
                  "scores": dict(detection.scores), "evidence": list(detection.evidence),
                  "fetched_at": fetched_evidence.get("at"), "raw_path": fetched_evidence.get("raw_path"),
                  "raw_sha256": fetched_evidence.get("raw_sha256"),
                  "screenshot_sha256": fetched_evidence.get("screenshot_sha256")},
    }


def due(leads: Iterable[Lead], now: str, *, ignore_deadline: bool = False) -> Iterator[Lead]:
    """Leads whose takedown deadline has passed (a lead without a deadline is due)."""
    for lead in leads:
        if ignore_deadline or not lead.takedown_deadline or lead.takedown_deadline <= now:
            yield lead


class Rechecker:
    """Decides removed/persisting/resolved_by_edit from a re-fetch and records it in the store (with an audit event
    by `by`)."""

    def __init__(self, store: LeadStore, config: RecheckConfig, *, by: str = "recheck",
                 detector: Detector | None = None) -> None:
        self.store = store
        self._detector = detector
        self.config = config
        self.by = by

    @property
    def detector(self) -> Detector:
        if self._detector is None:
            from detector.detector import Detector

            self._detector = Detector.load()
        return self._detector

    def check(self, lead: Lead, fetched: Refetched) -> Verdict:
        if fetched.error is not None or fetched.status is None:  # counted, lead unchanged
            return Verdict(lead.id, "unreachable", (fetched.error or "no answer")[:200])
        reason = removal_reason(lead, fetched, self.config)
        outcome = "removed" if reason else "persisting"
        evidence: dict[str, Any] = {key: fetched.evidence[key] for key in (
            "raw_path", "raw_sha256", "warc_path", "warc_record_id", "screenshot_path", "screenshot_sha256")
            if fetched.evidence.get(key)}
        fetched_at = fetched.evidence.get("fetched_at")
        evidence.update(at=iso_utc(fetched_at) if fetched_at else workflow.now_iso(), url=fetched.final_url,
                        http_status=fetched.status)
        if outcome == "persisting":
            try:
                now = listing_now(lead, fetched)
            except PageDataError as exc:  # online, but whether it was edited cannot be told: it persists
                reason = f"页面仍在线 (HTTP {fetched.status})，但无法读取页面数据：{exc}"
                evidence.update(outcome=outcome, reason=reason)
                return Verdict(lead.id, outcome, reason, evidence)
            detection = self.detector.detect(now)
            evidence["edit"] = edit_evidence(lead, now, detection, evidence)
            if not detection.labels:
                outcome = "resolved_by_edit"
                reason = f"页面仍在线 (HTTP {fetched.status})，但已修改，检测不到违法情形"
        evidence.update(outcome=outcome, reason=reason or f"页面仍在线 (HTTP {fetched.status})")
        return Verdict(lead.id, outcome, evidence["reason"], evidence)

    def record(self, lead: Lead, verdict: Verdict) -> Lead | None:
        """Store the verdict: the status change with the fresh evidence (None when unreachable)."""
        if verdict.outcome == "unreachable":
            return None
        why = f"复查：{verdict.reason}"
        if lead.status == verdict.outcome:
            event = {"at": verdict.evidence["at"], "by": self.by, "action": "recheck", "from": lead.status,
                     "to": verdict.outcome, "why": why}
            change = workflow.Change(lead.id, {"recheck": verdict.evidence}, event)
        else:
            change = workflow.plan_status(lead, verdict.outcome, by=self.by, why=why, role="system",
                                          extra={"recheck": verdict.evidence})
        updated = workflow.apply(self.store, change)
        if verdict.outcome == "removed":
            updated = self.store.mark_removed(lead.id, verdict.evidence["at"]) or updated
        return updated

def recheck_leads(store: LeadStore, config: RecheckConfig, *, by: str = "recheck", statuses: list[str] | None = None,
                  ignore_deadline: bool = False, render: bool = True, now: datetime | None = None,
                  progress: Callable[[Verdict], None] | None = None,
                  detector: Detector | None = None) -> list[Verdict]:
    """Re-check every due lead; returns one verdict per lead checked."""
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    query = LeadQuery(statuses=statuses or ["takedown_requested"], sort="last_seen")
    leads = list(due(store.iter_leads(query), stamp, ignore_deadline=ignore_deadline))
    targets = [RefetchTarget(lead.url or lead.canonical_url or "", lead.platform) for lead in leads]
    fetched = refetch(targets, render=render, settings={"DOWNLOAD_TIMEOUT": config.timeout_seconds})
    checker = Rechecker(store, config, by=by, detector=detector)
    verdicts = []
    for lead, result in zip(leads, fetched, strict=True):
        verdict = checker.check(lead, result)
        checker.record(lead, verdict)
        verdicts.append(verdict)
        if progress is not None:
            progress(verdict)
    return verdicts


@dataclass(frozen=True)
class NotDue:
    """Why a re-check found nothing to do: how many leads wait, and the earliest deadline."""

    waiting: int
    next_deadline: str | None


def not_due(store: LeadStore, now: datetime | None = None, statuses: list[str] | None = None) -> NotDue:
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    deadlines = [lead.takedown_deadline for lead in
                 store.iter_leads(LeadQuery(statuses=statuses or ["takedown_requested"], sort="last_seen"))
                 if lead.takedown_deadline and lead.takedown_deadline > stamp]
    return NotDue(len(deadlines), min(deadlines) if deadlines else None)


RESULT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("lead_id", "线索编号"), ("url", "网址"), ("platform", "平台"), ("checked_at", "复查时间"),
    ("outcome", "复查结果"), ("reason", "依据"), ("http_status", "HTTP 状态"), ("labels_before", "原违法情形"),
    ("labels_after", "现违法情形"), ("raw_sha256", "复查网页原文SHA-256"), ("status", "当前状态"),
)


def result_row(lead: Lead) -> dict[str, Any]:
    """One re-checked lead as a row of the result table (CSV and console); the labels before and after as lists."""
    check = lead.recheck or {}
    edit = check.get("edit") or {}
    return {
        "lead_id": lead.id, "url": check.get("url") or lead.url or "", "platform": lead.platform or "",
        "checked_at": check.get("at") or "", "outcome": check.get("outcome") or "", "reason": check.get("reason") or "",
        "http_status": check.get("http_status") or "",
        "labels_before": list((edit.get("before") or {}).get("labels") or lead.labels),
        "labels_after": list((edit.get("after") or {}).get("labels") or []),
        "raw_sha256": check.get("raw_sha256") or "", "status": lead.status,
    }


def write_results_csv(store: LeadStore, verdicts: Iterable[Verdict], path: Path) -> int:
    """The per-URL result table of one re-check run (unreachable listings included, with their reason)."""
    def cells(verdict: Verdict) -> list[Any]:
        row = result_row(store.get(verdict.lead_id) or Lead(id=verdict.lead_id, status=""))
        if verdict.outcome == "unreachable":
            row.update(outcome="unreachable", reason=verdict.reason, checked_at="", http_status="")
        return ["、".join(row[key]) if isinstance(row[key], list) else row[key] for key, _ in RESULT_COLUMNS]

    return write_csv(Path(path), [title for _, title in RESULT_COLUMNS], map(cells, verdicts))
