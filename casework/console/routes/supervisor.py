"""The supervisor's queue: leads reviewers escalated, with who asked, when and why (admins decide them)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from casework.console.security import require_admin
from casework.console.web import lead_store, render
from casework.users import User
from index import LeadQuery
from index.store import LeadStore

router = APIRouter()


def escalation(lead: Mapping[str, Any]) -> dict[str, Any]:
    """The audit event that escalated the lead (the latest one)."""
    return next((e for e in reversed(lead.get("audit") or [])
                 if e.get("action") == "status" and e.get("to") == "escalated"), {})


@router.get("/supervisor", response_class=HTMLResponse)
def supervisor_queue(request: Request, user: User = Depends(require_admin),
                     store: LeadStore = Depends(lead_store)) -> HTMLResponse:
    rows = [{"lead": lead, "asked": escalation(lead)}
            for lead in store.iter_leads(LeadQuery(statuses=["escalated"]))]
    rows.sort(key=lambda row: row["asked"].get("at") or "")
    return render(request, "supervisor.html", rows=rows)
