"""One lead: its page, workflow actions on it, notes, its screenshot and its evidence package."""
from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from casework import workflow
from casework.console.routes.leads import change_lead
from casework.console.security import check_csrf, current_user
from casework.console.web import back, flash, lead_or_404, lead_store, render
from casework.contacts import shown_entities
from casework.evidence_files import resolve_path
from casework.export import evidence_package
from casework.highlight import segments
from casework.local_links import LOCAL_LINK_ZH, on_this_machine
from casework.users import User
from core.lead import Lead
from core.visible import invisible_count
from crawler.evidence.warc import RecordHeaders, find_response_headers
from index import LeadQuery
from index.store import LeadStore

router = APIRouter()
# Triage keys on the lead page (HTML accesskeys: Alt+key in Chromium and Firefox; they work with scripts off).
SHORTCUTS: dict[str, str] = {"reviewing": "r", "confirmed": "c", "dismissed": "d", "escalated": "e",
                             "takedown_requested": "t"}


@router.get("/leads/{lead_id}", response_class=HTMLResponse)
def lead_page(request: Request, lead_id: str, user: User = Depends(current_user),
              store: LeadStore = Depends(lead_store)) -> HTMLResponse:
    lead = lead_or_404(store, lead_id)
    spans = lead.evidence
    reposts: list[Lead] = []
    if lead.cluster_id:
        reposts = [d for d in store.iter_leads(LeadQuery(cluster_id=lead.cluster_id, limit=100))
                   if d.id != lead_id][:50]
    agency = request.app.state.agencies.of(lead_id)
    agency_leads: list[Lead] = []
    if agency:
        others = [i for i in agency.lead_ids if i != lead_id][:50]
        if others:
            agency_leads = store.search(LeadQuery(ids=others, limit=len(others))).leads
    elif sharing := sorted(request.app.state.triage.sharing(lead))[:50]:
        # Before agencies are scored: the leads sharing its agency code or a contact, which its priority counts
        # ("另有 2 条线索"); an agency code alone left the page saying 无 beside that count.
        agency_leads = store.search(LeadQuery(ids=sharing, limit=len(sharing))).leads
    return render(
        request, "lead.html", lead=lead,
        title_segments=segments(lead.title or "", spans, "title"),
        text_segments=segments(lead.text or "", spans, "text"),
        seller_segments=segments(lead.seller or "", spans, "seller"),
        entities=shown_entities(lead), reposts=reposts, agency=agency, agency_leads=agency_leads,
        next_statuses=workflow.allowed_next(lead.status, user.role),
        has_screenshot=resolve_path(lead.screenshot_path) is not None,
        has_raw=resolve_path(lead.raw_path) is not None, warc=warc_headers(lead), shortcuts=SHORTCUTS,
        invisible={name: n for name, value in (("网址", lead.url), ("标题", lead.title), ("正文", lead.text),
                                               ("发布者", lead.seller)) if (n := invisible_count(value or ""))},
        users=sorted(request.app.state.users), priority=request.app.state.triage.priority(lead),
        local_link=LOCAL_LINK_ZH if on_this_machine(lead.url) else "",
    )


@router.post("/leads/{lead_id}/change", dependencies=[Depends(check_csrf)])
async def change(request: Request, lead_id: str, user: User = Depends(current_user),
                 store: LeadStore = Depends(lead_store)) -> Response:
    """The lead page's status, assignee and district forms: one audited change (`action` status, assign or
    district to `value`, with `why`), checked as the lead list's bulk actions are (`change_lead`)."""
    form = await request.form()
    # The confirm form lists the lead's labels as boxes (`choose_labels`): the ones left ticked are confirmed.
    labels = [str(label) for label in form.getlist("label")] if form.get("choose_labels") else None
    try:
        change_lead(store, request.app.state.users, user, lead_id, str(form.get("action") or ""),
                    str(form.get("value") or ""), str(form.get("why") or ""), labels)
    except workflow.WorkflowError as exc:
        flash(request, exc.zh, "error")
    return back(f"/leads/{lead_id}")


@router.post("/leads/{lead_id}/note", dependencies=[Depends(check_csrf)])
async def note(request: Request, lead_id: str, user: User = Depends(current_user),
               store: LeadStore = Depends(lead_store)) -> Response:
    form = await request.form()
    lead_or_404(store, lead_id)
    text = str(form.get("text") or "").strip()
    if text:
        store.add_note(lead_id, {"at": workflow.now_iso(), "by": user.username, "text": text[:5000]})
    else:
        flash(request, "备注不能为空", "error")
    return back(f"/leads/{lead_id}")


@router.get("/leads/{lead_id}/screenshot")
def screenshot(lead_id: str, user: User = Depends(current_user), store: LeadStore = Depends(lead_store)) -> Response:
    path = resolve_path(lead_or_404(store, lead_id).screenshot_path)
    if path is None:
        raise HTTPException(status_code=404, detail="该线索没有保存截图")
    return FileResponse(path, media_type="image/png")


# The stored page is shown as the platform served it, but in a sandbox: no scripts, no requests out, its own
# origin; only the console may frame it.
RAW_PAGE_HEADERS = {
    "Content-Security-Policy": "sandbox; default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'",
    "X-Frame-Options": "SAMEORIGIN",
    "Content-Disposition": "inline",
}


@router.get("/leads/{lead_id}/raw")
def raw_page(lead_id: str, user: User = Depends(current_user), store: LeadStore = Depends(lead_store)) -> Response:
    path = resolve_path(lead_or_404(store, lead_id).raw_path)
    if path is None:
        raise HTTPException(status_code=404, detail="该线索没有保存网页原文")
    return Response(path.read_bytes(), media_type="text/html", headers=RAW_PAGE_HEADERS)


def warc_headers(lead: Lead) -> RecordHeaders | None:
    """The WARC record's and the HTTP response's headers of the lead's stored fetch."""
    path = resolve_path(lead.warc_path)
    if path is None:
        return None
    for uri in dict.fromkeys(filter(None, (lead.url, lead.canonical_url))):
        found = find_response_headers(path, uri, lead.raw_sha256 or None)
        if found is not None:
            return found
    return None


@router.get("/leads/{lead_id}/evidence.zip")
def evidence_zip(lead_id: str, user: User = Depends(current_user), store: LeadStore = Depends(lead_store)) -> Response:
    lead = lead_or_404(store, lead_id)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{lead_id}.zip"
        evidence_package(lead, path)
        data = path.read_bytes()
    return Response(data, media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="evidence-{lead_id}.zip"'})
