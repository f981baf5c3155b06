"""The supervisor's queue: leads reviewers escalated, with who asked, when and why (admins decide them)."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from casework.console.security import require_admin
from casework.console.web import lead_store, render
from casework.users import User
from casework.workflow import last_status_event
from core.lead import AuditEvent, Lead
from index import LeadQuery
from index.store import LeadStore

router = APIRouter()


def escalation(lead: Lead) -> AuditEvent:
    """The audit event that escalated the lead (the latest one)."""
    return last_status_event(lead, "escalated")


@router.get("/supervisor", response_class=HTMLResponse)
def supervisor_queue(request: Request, user: User = Depends(require_admin),
                     store: LeadStore = Depends(lead_store)) -> HTMLResponse:
    rows: list[dict[str, Any]] = [{"lead": lead, "asked": escalation(lead)}
            for lead in store.iter_leads(LeadQuery(statuses=["escalated"]))]
    rows.sort(key=lambda row: row["asked"].get("at") or "")
    return render(request, "supervisor.html", rows=rows)
