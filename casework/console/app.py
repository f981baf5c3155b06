"""The review console: server-rendered pages over the lead store for reviewers and admins.

Everything crawled is hostile input: templates autoescape every value, listing text is shown through evidence
segments (never as markup), and a strict Content-Security-Policy forbids scripts altogether.
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.middleware.sessions import SessionMiddleware

from casework import agencies as agency_risk
from casework.agencies import MAX_AGENCIES
from casework import workflow
from casework.config import LABEL_NAMES_ZH, LABELS, load_risk_config
from casework.console.security import (
    LoginRequired, check_csrf, console_secret, csrf_token, current_user, require_admin,
)
from casework.export import CASE_STATUSES, evidence_package, resolve_path, write_cases_csv, write_cases_xlsx
from casework.highlight import segments
from casework.leads import contacts, labels
from casework.users import USER_ROLES, User, authenticate, load_users, save_user
from lantian.settings import ConfigError

TEMPLATES = Path(__file__).parent / "templates"
PAGE_SIZE = 50
DISTRICTS: tuple[str, ...] = (
    "浦东新区", "黄浦区", "徐汇区", "长宁区", "静安区", "普陀区", "虹口区", "杨浦区", "闵行区", "宝山区",
    "嘉定区", "金山区", "松江区", "青浦区", "奉贤区", "崇明区", "临港新片区",
)
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'none'; object-src 'none'; img-src 'self'; "
                               "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'; "
                               "base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
# How long the console reuses the agency documents before reading them again.
AGENCY_CACHE_SECONDS = 30


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.globals.update(LABEL_NAMES_ZH=LABEL_NAMES_ZH, STATUS_NAMES_ZH=workflow.STATUS_NAMES_ZH, LABELS=LABELS,
                       STATUSES=workflow.STATUSES, DISTRICTS=DISTRICTS)
    return env


class AgencyLookup:
    """Which stored agency document holds a lead (read from the store at most every few seconds)."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self._loaded = 0.0
        self._by_lead: dict[str, dict[str, Any]] = {}

    def invalidate(self) -> None:
        self._loaded = 0.0

    def of(self, lead_id: str) -> dict[str, Any] | None:
        if time.monotonic() - self._loaded > AGENCY_CACHE_SECONDS:
            self._by_lead = {lid: doc for doc in self.store.search_agencies(limit=MAX_AGENCIES)
                             for lid in doc.get("lead_ids") or []}
            self._loaded = time.monotonic()
        return self._by_lead.get(lead_id)


def create_app(store: Any, users_file: Path | None = None, secret: str | None = None) -> FastAPI:
    """The console app over `store`; users come from `users_file` (default `config/casework/users.yaml`)."""
    from index import LeadQuery, StoreError

    app = FastAPI(title="蓝天 审核台", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(SessionMiddleware, secret_key=secret or console_secret(), session_cookie="lantian_session",
                       same_site="strict", max_age=12 * 3600)
    app.state.store = store
    app.state.users_file = users_file
    app.state.users = load_users(users_file)
    app.state.agencies = AgencyLookup(store)
    env = _environment()

    def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        try:
            user: User | None = current_user(request)
        except LoginRequired:
            user = None
        body = env.get_template(name).render(request=request, user=user, csrf=csrf_token(request),
                                             flashes=request.session.pop("flash", []), **context)
        return HTMLResponse(body, status_code=status_code)

    def flash(request: Request, message: str, kind: str = "info") -> None:
        request.session.setdefault("flash", [])
        request.session["flash"] = [*request.session["flash"], {"kind": kind, "text": message}]

    def back(url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=303)

    def lead_or_404(lead_id: str) -> dict[str, Any]:
        lead = store.get(lead_id)
        if lead is None:
            raise HTTPException(status_code=404, detail=f"no lead {lead_id}")
        return lead

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        return response

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, _: LoginRequired) -> Response:
        if request.method == "GET":
            return back("/login?" + urlencode({"next": request.url.path}))
        return HTMLResponse("login required", status_code=401)

    @app.exception_handler(StoreError)
    async def store_down(request: Request, exc: StoreError) -> Response:
        return render(request, "error.html", status_code=503, message=f"线索库暂时不可用 (lead store unavailable): {exc}")

    @app.exception_handler(HTTPException)
    async def error_page(request: Request, exc: HTTPException) -> Response:
        return render(request, "error.html", status_code=exc.status_code, message=str(exc.detail))

    # --- login ---------------------------------------------------------------------------------------------

    @app.get("/login", response_class=HTMLResponse)
    def login_page(request: Request, next: str = "/leads") -> HTMLResponse:
        return render(request, "login.html", next=next if next.startswith("/") else "/leads", error=None)

    @app.post("/login", dependencies=[Depends(check_csrf)])
    async def login(request: Request) -> Response:
        form = await request.form()
        user = authenticate(app.state.users, str(form.get("username") or ""), str(form.get("password") or ""))
        target = str(form.get("next") or "/leads")
        if not target.startswith("/") or target.startswith("//"):
            target = "/leads"
        if user is None:
            return render(request, "login.html", status_code=401, next=target, error="用户名或密码错误")
        request.session.clear()
        request.session["user"] = user.username
        csrf_token(request)
        return back(target)

    @app.post("/logout", dependencies=[Depends(check_csrf)])
    def logout(request: Request) -> Response:
        request.session.clear()
        return back("/login")

    @app.get("/")
    def home() -> Response:
        return back("/leads")

    # --- lead list -----------------------------------------------------------------------------------------

    def query_from(params: dict[str, str]) -> LeadQuery:
        def listed(name: str) -> list[str]:
            value = params.get(name) or ""
            return [value] if value else []

        try:
            min_risk = float(params["min_risk"]) if params.get("min_risk") else None
            page = max(int(params.get("page") or 1), 1)
            return LeadQuery(text=params.get("q") or None, labels=listed("label"), platforms=listed("platform"),
                             districts=listed("district"), statuses=listed("status"),
                             assignees=listed("assignee"), min_risk=min_risk,
                             since=params.get("since") or None, until=params.get("until") or None,
                             date_field="last_seen", sort=params.get("sort") or "risk",
                             offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
        except ValueError as exc:
            raise HTTPException(status_code=400, detail=f"invalid filter: {exc}") from exc

    @app.get("/leads", response_class=HTMLResponse)
    def lead_list(request: Request, user: User = Depends(current_user)) -> HTMLResponse:
        params = {k: v.strip() for k, v in request.query_params.items() if v.strip()}
        query = query_from(params)
        page = store.search(query)
        platforms = sorted(store.counts(by="platform"))
        number = query.offset // PAGE_SIZE + 1
        rest = {k: v for k, v in params.items() if k != "page"}
        pages = {"number": number, "last": max((page.total - 1) // PAGE_SIZE + 1, 1),
                 "prev": "/leads?" + urlencode({**rest, "page": number - 1}),
                 "next": "/leads?" + urlencode({**rest, "page": number + 1})}
        return render(request, "leads.html", page=page, params=params, platforms=platforms, pages=pages,
                      here="/leads?" + urlencode(params), users=sorted(app.state.users),
                      labels_of=labels)

    def bulk_change(user: User, lead_id: str, action: str, value: str, why: str) -> None:
        lead = lead_or_404(lead_id)
        if action == "status":
            workflow.apply(store, workflow.plan_status(lead, value, by=user.username, why=why, role=user.role))
        elif action == "assign":
            if not user.is_admin and value not in ("", user.username):
                raise workflow.WorkflowError("only an admin may assign leads to someone else")
            workflow.apply(store, workflow.plan_field(lead, "assignee", value, by=user.username, why=why))
        elif action == "district":
            if value and value not in DISTRICTS:
                raise workflow.WorkflowError(f"unknown district {value!r}")
            workflow.apply(store, workflow.plan_field(lead, "district", value, by=user.username, why=why))
        else:
            raise workflow.WorkflowError(f"unknown action {action!r}")

    @app.post("/leads/bulk", dependencies=[Depends(check_csrf)])
    async def bulk(request: Request, user: User = Depends(current_user)) -> Response:
        form = await request.form()
        ids = [str(v) for v in form.getlist("ids")]
        action, _, value = str(form.get("action") or "").partition(":")
        if action == "assign" and value == "me":
            value = user.username
        why = str(form.get("why") or "").strip()
        done, refused = 0, []
        for lead_id in ids:
            try:
                bulk_change(user, lead_id, action, value, why)
                done += 1
            except (workflow.WorkflowError, HTTPException) as exc:
                refused.append(str(getattr(exc, "detail", exc)))
        store.flush()  # the list the user returns to must show the new statuses (Elasticsearch refresh)
        if not ids:
            flash(request, "没有选择线索 (no leads selected)", "error")
        else:
            flash(request, f"已处理 {done} 条", "info")
        for reason in refused[:5]:
            flash(request, reason, "error")
        target = str(form.get("back") or "/leads")
        return back(target if target.startswith("/leads") else "/leads")

    # --- one lead ------------------------------------------------------------------------------------------

    @app.get("/leads/{lead_id}", response_class=HTMLResponse)
    def lead_page(request: Request, lead_id: str, user: User = Depends(current_user)) -> HTMLResponse:
        lead = lead_or_404(lead_id)
        spans = lead.get("evidence") or []
        reposts: list[dict[str, Any]] = []
        if lead.get("cluster_id"):
            reposts = [d for d in store.iter_leads(LeadQuery(cluster_id=lead["cluster_id"], limit=100))
                       if d["id"] != lead_id][:50]
        agency = app.state.agencies.of(lead_id)
        agency_leads: list[dict[str, Any]] = []
        if agency:
            others = [i for i in agency.get("lead_ids") or [] if i != lead_id][:50]
            if others:
                agency_leads = store.search(LeadQuery(ids=others, limit=len(others))).leads
        elif lead.get("agency_code"):
            agency_leads = [d for d in store.search(LeadQuery(agency_codes=[lead["agency_code"]], limit=51)).leads
                            if d["id"] != lead_id]
        return render(
            request, "lead.html", lead=lead, labels_of=labels,
            title_segments=segments(lead.get("title") or "", spans, "title"),
            text_segments=segments(lead.get("text") or "", spans, "text"),
            seller_segments=segments(lead.get("seller") or "", spans, "seller"),
            contacts=contacts(lead), reposts=reposts, agency=agency, agency_leads=agency_leads,
            next_statuses=workflow.allowed_next(lead.get("status") or "new", user.role),
            has_screenshot=resolve_path(lead.get("screenshot_path")) is not None,
            users=sorted(app.state.users),
        )

    @app.post("/leads/{lead_id}/status", dependencies=[Depends(check_csrf)])
    async def change_status(request: Request, lead_id: str, user: User = Depends(current_user)) -> Response:
        form = await request.form()
        lead = lead_or_404(lead_id)
        try:
            workflow.apply(store, workflow.plan_status(lead, str(form.get("to") or ""), by=user.username,
                                                       why=str(form.get("why") or ""), role=user.role))
            app.state.agencies.invalidate()
        except workflow.WorkflowError as exc:
            flash(request, str(exc), "error")
        return back(f"/leads/{lead_id}")

    @app.post("/leads/{lead_id}/field", dependencies=[Depends(check_csrf)])
    async def change_field(request: Request, lead_id: str, user: User = Depends(current_user)) -> Response:
        form = await request.form()
        field = str(form.get("field") or "")
        try:
            lead_or_404(lead_id)
            bulk_change(user, lead_id, "assign" if field == "assignee" else field, str(form.get("value") or ""),
                        str(form.get("why") or ""))
        except workflow.WorkflowError as exc:
            flash(request, str(exc), "error")
        return back(f"/leads/{lead_id}")

    @app.post("/leads/{lead_id}/note", dependencies=[Depends(check_csrf)])
    async def note(request: Request, lead_id: str, user: User = Depends(current_user)) -> Response:
        form = await request.form()
        lead_or_404(lead_id)
        text = str(form.get("text") or "").strip()
        if text:
            store.add_note(lead_id, {"at": workflow.now_iso(), "by": user.username, "text": text[:5000]})
        else:
            flash(request, "备注不能为空 (empty note)", "error")
        return back(f"/leads/{lead_id}")

    @app.get("/leads/{lead_id}/screenshot")
    def screenshot(lead_id: str, user: User = Depends(current_user)) -> Response:
        path = resolve_path(lead_or_404(lead_id).get("screenshot_path"))
        if path is None:
            raise HTTPException(status_code=404, detail="no screenshot stored for this lead")
        return FileResponse(path, media_type="image/png")

    @app.get("/leads/{lead_id}/evidence.zip")
    def evidence_zip(lead_id: str, user: User = Depends(current_user)) -> Response:
        lead = lead_or_404(lead_id)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"{lead_id}.zip"
            evidence_package(lead, path)
            data = path.read_bytes()
        return Response(data, media_type="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="evidence-{lead_id}.zip"'})

    # --- agencies ------------------------------------------------------------------------------------------

    @app.get("/agencies", response_class=HTMLResponse)
    def agency_list(request: Request, q: str = "", level: str = "", user: User = Depends(current_user)) -> Response:
        docs = store.search_agencies(q or None, risk_levels=[level] if level else None, limit=500)
        return render(request, "agencies.html", agencies=docs, q=q, level=level,
                      levels=list(load_risk_config().classes))

    # --- admin ---------------------------------------------------------------------------------------------

    @app.post("/admin/agencies/refresh", dependencies=[Depends(check_csrf)])
    def refresh_agencies(request: Request, user: User = Depends(require_admin)) -> Response:
        docs = agency_risk.refresh(store, load_risk_config())
        app.state.agencies.invalidate()
        flash(request, f"已更新 {len(docs)} 个机构的风险分类")
        return back("/agencies")

    @app.get("/admin/export.{fmt}")
    def export_cases(fmt: str, user: User = Depends(require_admin)) -> Response:
        if fmt not in ("csv", "xlsx"):
            raise HTTPException(status_code=404, detail="export as .csv or .xlsx")
        leads = store.iter_leads(LeadQuery(statuses=list(CASE_STATUSES), sort="last_seen"))
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"cases.{fmt}"
            (write_cases_csv if fmt == "csv" else write_cases_xlsx)(leads, path)
            data = path.read_bytes()
        media = "text/csv; charset=utf-8" if fmt == "csv" else \
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return Response(data, media_type=media,
                        headers={"Content-Disposition": f'attachment; filename="lantian-cases.{fmt}"'})

    @app.get("/admin/users", response_class=HTMLResponse)
    def users_page(request: Request, user: User = Depends(require_admin)) -> HTMLResponse:
        return render(request, "users.html", all_users=list(app.state.users.values()), roles=USER_ROLES)

    @app.post("/admin/users", dependencies=[Depends(check_csrf)])
    async def add_user(request: Request, user: User = Depends(require_admin)) -> Response:
        form = await request.form()
        try:
            save_user(str(form.get("username") or ""), str(form.get("role") or ""),
                      str(form.get("password") or ""), app.state.users_file)
            app.state.users = load_users(app.state.users_file)
            flash(request, f"用户 {form.get('username')} 已保存")
        except ConfigError as exc:
            flash(request, str(exc), "error")
        return back("/admin/users")

    return app
