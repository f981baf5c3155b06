"""Re-check results: one row per re-checked listing, newest first (the table `lantian recheck` writes as CSV)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from casework.console.security import current_user
from casework.console.web import lead_store, render
from casework.recheck import RESULT_COLUMNS, result_row
from casework.users import User
from index import LeadQuery
from index.store import LeadStore

router = APIRouter()
RECHECKED_STATUSES = ["takedown_requested", "removed", "persisting", "resolved_by_edit"]


@router.get("/rechecks", response_class=HTMLResponse)
def recheck_results(request: Request, user: User = Depends(current_user),
                    store: LeadStore = Depends(lead_store)) -> HTMLResponse:
    rows = [result_row(lead) for lead in store.iter_leads(LeadQuery(statuses=RECHECKED_STATUSES))
            if lead.recheck]
    rows.sort(key=lambda row: row["checked_at"], reverse=True)
    return render(request, "rechecks.html", rows=rows, columns=RESULT_COLUMNS)
