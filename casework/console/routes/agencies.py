"""Agencies and their risk classes."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from casework import agencies as agency_risk
from casework.agencies import LICENCE_NAMES_ZH
from casework.config import load_risk_config
from casework.console.security import check_csrf, current_user, require_admin
from casework.console.web import back, flash, lead_store, render
from casework.users import User
from index.store import LeadStore

router = APIRouter()


@router.get("/agencies", response_class=HTMLResponse)
def agency_list(request: Request, q: str = "", level: str = "", user: User = Depends(current_user),
                store: LeadStore = Depends(lead_store)) -> Response:
    docs = store.search_agencies(q or None, risk_levels=[level] if level else None, limit=500)
    config = load_risk_config()
    return render(request, "agencies.html", agencies=docs, q=q, level=level, levels=list(config.classes),
                  unreviewed_factor=config.unreviewed_factor, LICENCE_NAMES_ZH=LICENCE_NAMES_ZH)


@router.post("/admin/agencies/refresh", dependencies=[Depends(check_csrf)])
def refresh_agencies(request: Request, user: User = Depends(require_admin),
                     store: LeadStore = Depends(lead_store)) -> Response:
    docs = agency_risk.refresh(store, load_risk_config())
    request.app.state.agencies.invalidate()
    flash(request, f"已更新 {len(docs)} 个机构的风险分类")
    return back("/agencies")
