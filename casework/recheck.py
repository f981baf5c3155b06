"""Re-check (闭环管理): after a takedown deadline, fetch each listing again and record whether it is gone.

A listing counts as removed when the platform answers a removal status (404/410) or shows a removal notice (a CSS
selector or phrase from `config/casework/recheck.yaml`). Every re-fetch is fresh evidence, kept like the crawler's:
in the evidence archive (`crawler.evidence`: content-addressed body, WARC record, hash-chained log) with, for
JavaScript platforms rendered in Chromium, a screenshot. A listing that cannot be reached is counted and left as it
is: an outage is not proof of removal.

A listing still online is read again with its platform's selectors and run through the detector: when the seller
edited it so that no label fires any more it is `resolved_by_edit`, not `persisting`, and the re-check keeps both
versions' evidence (the lead keeps the first fetch; `recheck.edit` holds what it said then and says now).
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

import httpx
from parsel import Selector

from casework import workflow
from casework.config import RecheckConfig
from casework.export import safe_cell
from casework.leads import as_dict, labels
from crawler.evidence import EvidenceArchive, Exchange
from crawler.evidence.anchor import sign_at_end
from crawler.extract import field_text, main_text
from lantian.settings import config_dir

USER_AGENT = "lantian-recheck/0.1 (IP-agency supervision; closed-loop takedown check)"


@dataclass
class Fetched:
    """One re-fetch: what the platform answered."""

    url: str
    status: int
    body: bytes
    text: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    screenshot: bytes | None = None


@dataclass
class Verdict:
    lead_id: str
    outcome: str  # removed | persisting | resolved_by_edit | unreachable
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)


def removal_reason(fetched: Fetched, config: RecheckConfig) -> str | None:
    """Why the page shows the listing is gone, or None if it still looks online."""
    if fetched.status in config.removed_status:
        return f"HTTP {fetched.status}"
    selector = Selector(text=fetched.text or "<html></html>")
    for css in config.removed_selectors:
        notice = selector.css(css)
        if notice:
            return f"下架提示 {css}: " + " ".join(notice.css("::text").getall()).strip()[:80]
    for phrase in config.removed_phrases:
        if phrase in fetched.text:
            return f"页面提示“{phrase}”"
    return None


class HttpFetcher:
    """Plain HTTP re-fetch (server-rendered platforms)."""

    def __init__(self, config: RecheckConfig) -> None:
        self.client = httpx.Client(follow_redirects=True, timeout=config.timeout_seconds,
                                   headers={"User-Agent": USER_AGENT})

    def fetch(self, url: str) -> Fetched:
        response = self.client.get(url)
        return Fetched(str(response.url), response.status_code, response.content, response.text,
                       list(response.headers.multi_items()))

    def close(self) -> None:
        self.client.close()


class BrowserFetcher:
    """Re-fetch in Debian's Chromium (JavaScript platforms): the rendered DOM and a full-page screenshot."""

    def __init__(self, config: RecheckConfig) -> None:
        from playwright.sync_api import sync_playwright

        from lantian.browser import launch_options

        self.timeout_ms = config.timeout_seconds * 1000
        self._playwright = sync_playwright().start()
        self.browser = self._playwright.chromium.launch(**launch_options())

    def fetch(self, url: str) -> Fetched:
        page = self.browser.new_page(user_agent=USER_AGENT)
        try:
            response = page.goto(url, wait_until="networkidle", timeout=self.timeout_ms)
            html = page.content()
            shot = page.screenshot(full_page=True)
            headers = list(response.headers.items()) if response else []
            return Fetched(page.url, response.status if response else 0, html.encode("utf-8"), html, headers, shot)
        finally:
            page.close()

    def close(self) -> None:
        self.browser.close()
        self._playwright.stop()


def listing_now(lead: Mapping[str, Any], fetched: Fetched) -> dict[str, Any]:
    """The listing as the re-fetched page shows it, read with its platform's detail selectors (the crawler's)."""
    from crawler.platforms import load_platform

    page = Selector(text=fetched.text or "<html></html>")
    path = config_dir() / "platforms" / f"{lead.get('platform')}.yaml"
    detail = load_platform(path).detail if lead.get("platform") and path.is_file() else None
    title = field_text(page, detail.title, " ") if detail and detail.title else ""
    return {
        "id": lead["id"], "url": fetched.url, "platform": lead.get("platform"),
        "title": title or field_text(page, "title", " "),
        "text": field_text(page, detail.text) if detail and detail.text else main_text(page),
        "seller": field_text(page, detail.seller, " ") if detail and detail.seller else "",
        "location": field_text(page, detail.location, " ") if detail and detail.location else "",
    }


def edit_evidence(lead: Mapping[str, Any], now: Mapping[str, Any], detection: Mapping[str, Any],
                  fetched_evidence: Mapping[str, Any]) -> dict[str, Any]:
    """Both versions of a listing: what the lead recorded at the first fetch, and what the re-fetch shows."""
    return {
        "before": {"title": lead.get("title"), "text": lead.get("text"), "labels": labels(lead),
                   "evidence": lead.get("evidence") or [], "fetched_at": lead.get("fetched_at"),
                   "raw_path": lead.get("raw_path"), "raw_sha256": lead.get("raw_sha256"),
                   "screenshot_sha256": lead.get("screenshot_sha256")},
        "after": {"title": now.get("title"), "text": now.get("text"), "labels": list(detection.get("labels") or []),
                  "scores": dict(detection.get("scores") or {}), "evidence": list(detection.get("evidence") or []),
                  "fetched_at": fetched_evidence.get("at"), "raw_path": fetched_evidence.get("raw_path"),
                  "raw_sha256": fetched_evidence.get("raw_sha256"),
                  "screenshot_sha256": fetched_evidence.get("screenshot_sha256")},
    }


def due(leads: Iterable[Mapping[str, Any]], now: str, *, ignore_deadline: bool = False) -> Iterator[dict[str, Any]]:
    """Leads whose takedown deadline has passed (a lead without a deadline is due)."""
    for lead in leads:
        doc = as_dict(lead)
        deadline = doc.get("takedown_deadline")
        if ignore_deadline or not deadline or str(deadline) <= now:
            yield doc


def _store_evidence(archive: EvidenceArchive, requested: str, stamp: str, fetched: Fetched) -> dict[str, Any]:
    record = archive.record_fetch(
        Exchange(final_url=fetched.url, status=fetched.status, body=fetched.body, fetched_at=stamp,
                 request_headers=[("User-Agent", USER_AGENT)], response_headers=fetched.headers),
        request_url=requested)
    evidence: dict[str, Any] = {key: record[key] for key in ("raw_path", "raw_sha256", "warc_path",
                                                             "warc_record_id")}
    if fetched.screenshot:
        shot = archive.record_screenshot(fetched.url, fetched.screenshot, source="lantian recheck (Chromium)",
                                         taken_at=stamp)
        evidence.update(shot.as_item_fields())
    return evidence


class Rechecker:
    """Re-fetches leads and records removed/persisting in the store (with an audit event by `by`)."""

    def __init__(self, store: Any, config: RecheckConfig, *, by: str = "recheck", render: bool = True,
                 archive: EvidenceArchive | None = None, detector: Any = None) -> None:
        self.store = store
        self._detector = detector
        self.config = config
        self.by = by
        self.render = render
        self.archive = archive or EvidenceArchive()
        self._http: HttpFetcher | None = None
        self._browser: BrowserFetcher | None = None

    def _fetcher(self, platform: str | None) -> HttpFetcher | BrowserFetcher:
        if self.render and platform in self.config.render_platforms:
            if self._browser is None:
                self._browser = BrowserFetcher(self.config)
            return self._browser
        if self._http is None:
            self._http = HttpFetcher(self.config)
        return self._http

    @property
    def detector(self) -> Any:
        if self._detector is None:
            from detector.detector import Detector

            self._detector = Detector.load()
        return self._detector

    def check(self, lead: Mapping[str, Any]) -> Verdict:
        doc = as_dict(lead)
        url = doc.get("url") or doc.get("canonical_url")
        stamp = workflow.now_iso()
        try:
            fetched = self._fetcher(doc.get("platform")).fetch(url)
        except Exception as exc:  # network errors of httpx and Playwright alike: counted, lead unchanged
            return Verdict(doc["id"], "unreachable", f"{type(exc).__name__}: {exc}"[:200])
        reason = removal_reason(fetched, self.config)
        outcome = "removed" if reason else "persisting"
        evidence = _store_evidence(self.archive, url, stamp, fetched)
        evidence.update(at=stamp, url=fetched.url, http_status=fetched.status)
        if outcome == "persisting":
            now = listing_now(doc, fetched)
            detection = self.detector.detect(now)
            evidence["edit"] = edit_evidence(doc, now, detection, evidence)
            if not detection.get("labels"):
                outcome = "resolved_by_edit"
                reason = f"页面仍在线 (HTTP {fetched.status})，但已修改，检测不到违法情形"
        evidence.update(outcome=outcome, reason=reason or f"页面仍在线 (HTTP {fetched.status})")
        return Verdict(doc["id"], outcome, evidence["reason"], evidence)

    def record(self, lead: Mapping[str, Any], verdict: Verdict) -> dict[str, Any] | None:
        """Store the verdict: the status change with the fresh evidence (None when unreachable)."""
        if verdict.outcome == "unreachable":
            return None
        doc = as_dict(lead)
        why = f"复查：{verdict.reason}"
        if doc.get("status") == verdict.outcome:
            event = {"at": verdict.evidence["at"], "by": self.by, "action": "recheck", "from": doc.get("status"),
                     "to": verdict.outcome, "why": why}
            change = workflow.Change(doc["id"], {"recheck": verdict.evidence}, event)
        else:
            change = workflow.plan_status(doc, verdict.outcome, by=self.by, why=why, role="system",
                                          extra={"recheck": verdict.evidence})
        updated = workflow.apply(self.store, change)
        if verdict.outcome == "removed":
            updated = self.store.mark_removed(doc["id"], verdict.evidence["at"]) or updated
        return updated

    def close(self) -> None:
        for fetcher in (self._http, self._browser):
            if fetcher is not None:
                fetcher.close()
        self.archive.close()
        sign_at_end(self.archive.log)


def recheck_leads(store: Any, config: RecheckConfig, *, by: str = "recheck", statuses: list[str] | None = None,
                  ignore_deadline: bool = False, render: bool = True, now: datetime | None = None,
                  progress: Any = None, detector: Any = None) -> list[Verdict]:
    """Re-check every due lead; returns one verdict per lead checked."""
    from index import LeadQuery

    stamp = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")
    query = LeadQuery(statuses=statuses or ["takedown_requested"], sort="last_seen")
    leads = list(due(store.iter_leads(query), stamp, ignore_deadline=ignore_deadline))
    checker = Rechecker(store, config, by=by, render=render, detector=detector)
    verdicts = []
    try:
        for lead in leads:
            verdict = checker.check(lead)
            checker.record(lead, verdict)
            verdicts.append(verdict)
            if progress is not None:
                progress(verdict)
    finally:
        checker.close()
    return verdicts


@dataclass(frozen=True)
class NotDue:
    """Why a re-check found nothing to do: how many leads wait, and the earliest deadline."""

    waiting: int
    next_deadline: str | None


def not_due(store: Any, now: datetime | None = None, statuses: list[str] | None = None) -> NotDue:
    from index import LeadQuery

    stamp = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")
    deadlines = [str(lead.get("takedown_deadline")) for lead in
                 store.iter_leads(LeadQuery(statuses=statuses or ["takedown_requested"], sort="last_seen"))
                 if lead.get("takedown_deadline") and str(lead.get("takedown_deadline")) > stamp]
    return NotDue(len(deadlines), min(deadlines) if deadlines else None)


RESULT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("lead_id", "线索编号"), ("url", "网址"), ("platform", "平台"), ("checked_at", "复查时间"),
    ("outcome", "复查结果"), ("reason", "依据"), ("http_status", "HTTP 状态"), ("labels_before", "原违法情形"),
    ("labels_after", "现违法情形"), ("raw_sha256", "复查网页原文SHA-256"), ("status", "当前状态"),
)


def result_row(lead: Mapping[str, Any]) -> dict[str, Any]:
    """One re-checked lead as a row of the result table (CSV and console)."""
    doc = as_dict(lead)
    check = doc.get("recheck") or {}
    edit = check.get("edit") or {}
    return {
        "lead_id": doc["id"], "url": check.get("url") or doc.get("url") or "", "platform": doc.get("platform") or "",
        "checked_at": check.get("at") or "", "outcome": check.get("outcome") or "", "reason": check.get("reason") or "",
        "http_status": check.get("http_status") or "",
        "labels_before": "、".join((edit.get("before") or {}).get("labels") or labels(doc)),
        "labels_after": "、".join((edit.get("after") or {}).get("labels") or []),
        "raw_sha256": check.get("raw_sha256") or "", "status": doc.get("status") or "",
    }


def write_results_csv(store: Any, verdicts: Iterable[Verdict], path: Path) -> int:
    """The per-URL result table of one re-check run (unreachable listings included, with their reason)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with open(out, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([title for _, title in RESULT_COLUMNS])
        for verdict in verdicts:
            lead = store.get(verdict.lead_id) or {"id": verdict.lead_id}
            row = result_row(lead)
            if verdict.outcome == "unreachable":
                row.update(outcome="unreachable", reason=verdict.reason, checked_at="", http_status="")
            writer.writerow([safe_cell(row[key]) for key, _ in RESULT_COLUMNS])
            count += 1
    return count
