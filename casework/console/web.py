"""What every console router shares: the template environment, rendering, flash messages and the lead lookup.

The routers (`casework.console.routes`) are plain `APIRouter`s; everything they need lives on `request.app.state`,
set up once by `casework.console.app.create_app`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from casework import workflow
from casework.console.security import LoginRequired, csrf_token, current_user
from casework.contacts import ENTITY_NAMES_ZH, PLACE_NAMES_ZH
from casework.dates import minute_zh
from casework.users import User
from core.beijing import stamp_zh
from core.districts import load_districts
from core.labels import LABEL_NAMES_ZH, LABELS
from core.lead import SOURCE_NAMES_ZH, STATUS_NAMES_ZH, Lead, screenshot_shows_zh
from core.visible import shown_in_template
from crawler.platforms import display_names
from index.store import LeadStore

TEMPLATES = Path(__file__).parent / "templates"
# What the button moving a lead to a status says (the status names say what a lead is, these what a user does).
ACTION_NAMES_ZH: dict[str, str] = {
    "new": "退回新线索", "reviewing": "开始审核", "escalated": "提交主管", "confirmed": "确认违法", "dismissed": "排除",
    "takedown_requested": "请求删除", "removed": "标记已删除", "persisting": "标记仍在线",
    "resolved_by_edit": "标记已修改整改",
}


# What an audit event's `action` says (a lead's audit: casework.workflow, recheck, complaints; a complaint's own).
AUDIT_ACTION_NAMES_ZH: dict[str, str] = {
    "status": "变更状态", "assignee": "分配承办人", "district": "设所属区", "recheck": "复查",
    "complaint": "关联举报投诉", "complaint_reply": "答复举报投诉", "received": "受理", "lead": "关联线索",
    "capture": "抓取链接", "screenshot": "附截图", "reply": "答复",
}


def environment() -> Environment:
    """The Jinja2 environment: autoescaping on for every template, and invisible format characters shown in every
    value printed (crawled text is hostile: a bidi override makes a title or URL read as something else)."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True, finalize=shown_in_template)
    env.globals.update(LABEL_NAMES_ZH=LABEL_NAMES_ZH, STATUS_NAMES_ZH=STATUS_NAMES_ZH, LABELS=LABELS,
                       ACTION_NAMES_ZH=ACTION_NAMES_ZH, AUDIT_ACTION_NAMES_ZH=AUDIT_ACTION_NAMES_ZH,
                       SOURCE_NAMES_ZH=SOURCE_NAMES_ZH, ENTITY_NAMES_ZH=ENTITY_NAMES_ZH, PLACE_NAMES_ZH=PLACE_NAMES_ZH,
                       screenshot_shows_zh=screenshot_shows_zh,
                       STATUSES=workflow.STATUSES, DISTRICTS=list(load_districts()))
    # Stored instants are UTC; staff in Shanghai read every time in Beijing, as the letters and exports print it.
    env.filters.update(beijing=stamp_zh, beijing_minute=minute_zh)
    # Platforms by the names staff know them by (config/platforms `display_name`); the code stays in URLs and forms.
    names = display_names()
    env.filters["platform_name"] = lambda code: names.get(code, code)
    return env


def lead_store(request: Request) -> LeadStore:
    """The app's lead store (a FastAPI dependency)."""
    store: LeadStore = request.app.state.store
    return store


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Template `name` with the signed-in user (if any), the CSRF token and the pending flash messages."""
    try:
        user: User | None = current_user(request)
    except LoginRequired:
        user = None
    env: Environment = request.app.state.templates
    body = env.get_template(name).render(request=request, user=user, csrf=csrf_token(request),
                                         flashes=request.session.pop("flash", []), **context)
    return HTMLResponse(body, status_code=status_code)


def flash(request: Request, message: str, kind: str = "info") -> None:
    """Queue a message for the next page this session renders."""
    request.session.setdefault("flash", [])
    request.session["flash"] = [*request.session["flash"], {"kind": kind, "text": message}]


def back(url: str) -> RedirectResponse:
    """See-other redirect: the browser follows a POST with a GET of `url`."""
    return RedirectResponse(url, status_code=303)


def lead_or_404(store: LeadStore, lead_id: str) -> Lead:
    lead = store.get(lead_id)
    if lead is None:
        raise HTTPException(status_code=404, detail=f"没有编号为 {lead_id} 的线索")
    return lead
