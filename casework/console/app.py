"""The review console: server-rendered pages over the lead store for reviewers and admins.

Everything crawled is hostile input: templates autoescape every value, listing text is shown through evidence
segments (never as markup), and a strict Content-Security-Policy forbids scripts altogether. The routes live in
`casework.console.routes`, one router per job; this module wires them to the store, users and sessions.
"""
from __future__ import annotations

from html import escape
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware

from casework.console.agency_lookup import AgencyLookup
from casework.console.routes import (
    agencies,
    auth,
    complaints,
    exports,
    lead,
    leads,
    platforms,
    rechecks,
    supervisor,
    users,
)
from casework.console.security import LoginRequired, console_secret, served_over_tls
from casework.console.sessions import SESSION_HOURS, LoginThrottle, SessionStore
from casework.console.web import back, environment, render
from casework.triage import Triage
from casework.users import UsersFile
from core.config import ConfigError
from index import StoreError
from index.store import LeadStore

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'none'; object-src 'none'; img-src 'self'; "
                               "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'; "
                               "base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
# Sent with every response when the console is served over TLS (`console.tls`): browsers then refuse plain HTTP to
# it for a year, so the session cookie never travels unencrypted.
HSTS = "max-age=31536000"
# How long the console ranks with one snapshot of shared contacts and agency classes.
TRIAGE_REUSE_SECONDS = 30
# Starlette's own errors (no such page, wrong method) in the console's language.
ERRORS_ZH: dict[int, str] = {404: "页面不存在", 405: "不支持这种请求方式"}
ROUTERS = (auth.router, leads.router, lead.router, agencies.router, rechecks.router, supervisor.router,
           platforms.router, exports.router, users.router, complaints.router)


def create_app(store: LeadStore, users_file: Path | None = None, secret: str | None = None,
               tls: bool | None = None, endpoints: Path | None = None) -> FastAPI:
    """The console app over `store`; users come from `users_file` (default `config/casework/users.yaml`, read again
    when it changes), sessions from the data dir. `tls` (default `console.tls` of config/lantian.yaml) marks the
    cookie Secure and sends HSTS. `endpoints` (JSON {platform: base_url}) is where the captures of complaints' links
    find the platforms, as `lantian crawl --endpoints` does: a link to an internal address is captured only when a
    platform is configured there."""
    tls = served_over_tls() if tls is None else tls
    app = FastAPI(title="蓝天 审核台", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(SessionMiddleware, secret_key=secret or console_secret(), session_cookie="lantian_session",
                       same_site="strict", max_age=SESSION_HOURS * 3600, https_only=tls)
    app.state.store = store
    app.state.endpoints = endpoints
    app.state.users = UsersFile(users_file)
    app.state.users.keys()  # a broken users file is an error now, not at the first sign-in
    app.state.sessions = SessionStore()
    app.state.throttle = LoginThrottle()
    app.state.agencies = AgencyLookup(store)
    app.state.templates = environment()
    app.state.triage = Triage(store, reuse_seconds=TRIAGE_REUSE_SECONDS)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        if tls:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, _: LoginRequired) -> Response:
        if request.method == "GET":
            return back("/login?" + urlencode({"next": request.url.path}))
        return HTMLResponse("请先登录", status_code=401)

    @app.exception_handler(ConfigError)
    async def config_broken(request: Request, exc: ConfigError) -> Response:
        # Plain text: the page template shows the signed-in user, and a broken users file is one cause.
        return HTMLResponse(f"<!doctype html><meta charset=utf-8><title>配置有误</title><p>配置有误，请管理员修正："
                            f"{escape(str(exc))}</p>", status_code=503)

    @app.exception_handler(StoreError)
    async def store_down(request: Request, exc: StoreError) -> Response:
        return render(request, "error.html", status_code=503, message=f"线索库暂时不可用：{exc}")

    @app.exception_handler(HTTPException)
    async def error_page(request: Request, exc: HTTPException) -> Response:
        """Every HTTP error as the console's error page (FastAPI's HTTPException is a Starlette one)."""
        generic = exc.detail == HTTPStatus(exc.status_code).phrase
        message = ERRORS_ZH.get(exc.status_code, f"请求无法处理（HTTP {exc.status_code}）") if generic else exc.detail
        return render(request, "error.html", status_code=exc.status_code, message=str(message))

    for router in ROUTERS:
        app.include_router(router)
    return app
