"""The lead list: filters, paging and bulk actions on the selected leads."""
from __future__ import annotations

from collections.abc import Collection, Sequence
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from casework import workflow
from casework.console.security import check_csrf, current_user
from casework.console.web import back, flash, lead_or_404, lead_store, render
from casework.triage import ORDERS
from casework.users import User
from core.districts import load_districts
from crawler.health import load_health
from index import LeadQuery
from index.store import LeadStore

router = APIRouter()
PAGE_SIZE = 50
SORT_NAMES_ZH: dict[str, str] = {
    "priority": "分拣优先级", "uncertain": "最不确定优先（模型学得最快）", "risk": "风险分", "last_seen": "最近发现",
    "first_seen": "首次发现",
}


def query_from(params: dict[str, str]) -> LeadQuery:
    """The store query a list page's URL parameters ask for (400 on a malformed one)."""
    def listed(name: str) -> list[str]:
        value = params.get(name) or ""
        return [value] if value else []

    sort = params.get("sort") or "priority"
    try:
        min_risk = float(params["min_risk"]) if params.get("min_risk") else None
        page = max(int(params.get("page") or 1), 1)
        return LeadQuery(text=params.get("q") or None, labels=listed("label"), platforms=listed("platform"),
                         districts=listed("district"), statuses=listed("status"),
                         assignees=listed("assignee"), min_risk=min_risk,
                         read_without_rendering=True if params.get("unrendered") else None,
                         since=params.get("since") or None, until=params.get("until") or None,
                         date_field="last_seen", sort="risk" if sort in ORDERS else sort,
                         offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    except ValueError as exc:
        raise HTTPException(status_code=400, detail=f"筛选条件无效：{exc}") from exc


@router.get("/leads", response_class=HTMLResponse)
def lead_list(request: Request, user: User = Depends(current_user),
              store: LeadStore = Depends(lead_store)) -> HTMLResponse:
    params = {k: v.strip() for k, v in request.query_params.items() if v.strip()}
    query = query_from(params)
    order = params.get("sort") or "priority"
    page = request.app.state.triage.rank(query, order) if order in ORDERS else store.search(query)
    platforms = sorted(store.counts(by="platform"))
    number = query.offset // PAGE_SIZE + 1
    rest = {k: v for k, v in params.items() if k != "page"}
    pages = {"number": number, "last": max((page.total - 1) // PAGE_SIZE + 1, 1),
             "prev": "/leads?" + urlencode({**rest, "page": number - 1}),
             "next": "/leads?" + urlencode({**rest, "page": number + 1})}
    return render(request, "leads.html", page=page, params=params, platforms=platforms, pages=pages,
                  here="/leads?" + urlencode(params), users=sorted(request.app.state.users),
                  sorts=SORT_NAMES_ZH, sort=order,
                  unhealthy=[h for h in load_health().values() if not h.healthy])


def change_lead(store: LeadStore, users: Collection[str], user: User, lead_id: str, action: str, value: str,
                why: str, labels: Sequence[str] | None = None) -> None:
    """One audited change to one lead: its status (a confirmation with the `labels` found to hold, default all),
    its assignee or its district.

    A reviewer takes an unassigned lead or hands one of theirs to a colleague (with a reason); changing who
    handles a colleague's lead is an admin's (the supervisor's) call."""
    lead = lead_or_404(store, lead_id)
    if action == "status":
        workflow.apply(store, workflow.plan_status(lead, value, by=user.username, why=why, role=user.role,
                                                   labels=labels))
    elif action == "assign":
        current = lead.assignee or ""
        if value and value not in users:
            raise workflow.WorkflowError(f"no console user {value!r}", f"没有用户“{value}”")
        if not user.is_admin and current not in ("", user.username):
            raise workflow.WorkflowError("only an admin may reassign a colleague's lead",
                                         f"该线索由 {current} 承办，只有管理员可以改派")
        if not user.is_admin and not current and value not in ("", user.username):
            raise workflow.WorkflowError("only an admin may assign an unassigned lead to someone else",
                                         "未分配的线索只能分配给自己；分配给他人需要管理员")
        if value not in ("", user.username) and current == user.username and not why.strip():
            raise workflow.WorkflowError("handing a lead to a colleague needs a reason", "转交同事必须说明原因")
        workflow.apply(store, workflow.plan_field(lead, "assignee", value, by=user.username, why=why))
    elif action == "district":
        if value and value not in load_districts():
            raise workflow.WorkflowError(f"unknown district {value!r}", f"没有“{value}”这个区")
        workflow.apply(store, workflow.plan_field(lead, "district", value, by=user.username, why=why))
    else:
        raise workflow.WorkflowError(f"unknown action {action!r}", f"不支持的操作“{action}”")


# What a bulk confirmation tells the reviewer it did: unlike the lead page's form, where a label can be unticked, it
# confirms every label of each lead, and letters will state them all (`Lead.confirmed_violations`).
BULK_CONFIRMS_ALL = ("批量确认已确认所选每条线索的全部违法类型，函件将全部列明；如某一类型不成立，"
                     "请在该线索页面将其改回审核中，取消勾选该类型后再确认")

# Refusals a bulk action shows, one a lead (the count says how many more there were).
BULK_REASONS = 5


def _named(store: LeadStore, lead_id: str) -> str:
    """A lead as a refusal names it: its title, shortened, in quotes (its id's start when it has none)."""
    lead = store.get(lead_id)
    title = (lead.title or "").strip() if lead else ""
    return f"“{title[:30]}{'…' if len(title) > 30 else ''}”" if title else f"线索 {lead_id[:12]}"


@router.post("/leads/bulk", dependencies=[Depends(check_csrf)])
async def bulk(request: Request, user: User = Depends(current_user),
               store: LeadStore = Depends(lead_store)) -> Response:
    form = await request.form()
    ids = [str(v) for v in form.getlist("ids")]
    action, _, value = str(form.get("action") or "").partition(":")
    if action == "assign" and value == "me":
        value = user.username
    why = str(form.get("why") or "").strip()
    done, refused = 0, []
    for lead_id in ids:
        try:
            change_lead(store, request.app.state.users, user, lead_id, action, value, why)
            done += 1
        except workflow.WorkflowError as exc:
            refused.append(f"{_named(store, lead_id)}：{exc.zh}")
        except HTTPException as exc:
            refused.append(str(exc.detail))
    store.flush()  # the list the user returns to must show the new statuses (Elasticsearch refresh)
    if not ids:
        flash(request, "没有选择线索", "error")
    else:
        # Which leads were refused and why, each by its title: "已处理 0 条" and the same refusal twice named none.
        shown = "，原因如下" if len(refused) <= BULK_REASONS else f"，前 {BULK_REASONS} 条的原因如下"
        flash(request, f"已处理 {done} 条" + (f"，{len(refused)} 条未处理{shown}" if refused else ""),
              "error" if refused and not done else "info")
    if action == "status" and value == "confirmed" and done:
        flash(request, BULK_CONFIRMS_ALL, "info")
    for reason in refused[:BULK_REASONS]:
        flash(request, reason, "error")
    target = str(form.get("back") or "/leads")
    return back(target if target.startswith("/leads") else "/leads")
