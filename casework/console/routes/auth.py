"""Signing in and out."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from casework.console.security import check_csrf, csrf_token
from casework.console.web import back, render
from casework.users import authenticate

router = APIRouter()


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/leads") -> HTMLResponse:
    return render(request, "login.html", next=next if next.startswith("/") else "/leads", error=None)


@router.post("/login", dependencies=[Depends(check_csrf)])
async def login(request: Request) -> Response:
    form = await request.form()
    user = authenticate(request.app.state.users, str(form.get("username") or ""), str(form.get("password") or ""))
    target = str(form.get("next") or "/leads")
    if not target.startswith("/") or target.startswith("//"):
        target = "/leads"
    if user is None:
        return render(request, "login.html", status_code=401, next=target, error="用户名或密码错误")
    request.session.clear()
    request.session["user"] = user.username
    csrf_token(request)
    return back(target)


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(request: Request) -> Response:
    request.session.clear()
    return back("/login")


@router.get("/")
def home() -> Response:
    return back("/leads")
