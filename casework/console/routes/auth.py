"""Signing in and out."""
from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from casework.console.security import check_csrf, sign_in, sign_out
from casework.console.web import back, render
from casework.users import authenticate, hash_password, needs_rehash, replace_user

router = APIRouter()


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/leads") -> HTMLResponse:
    return render(request, "login.html", next=next if next.startswith("/") else "/leads", error=None)


@router.post("/login", dependencies=[Depends(check_csrf)])
async def login(request: Request) -> Response:
    form = await request.form()
    username, password = str(form.get("username") or ""), str(form.get("password") or "")
    target = str(form.get("next") or "/leads")
    if not target.startswith("/") or target.startswith("//"):
        target = "/leads"
    throttle = request.app.state.throttle
    address = request.client.host if request.client else "unknown"
    refusal = throttle.refusal(username, address)
    if refusal is not None:
        response = render(request, "login.html", status_code=429, next=target, error=refusal.message)
        response.headers["Retry-After"] = str(refusal.retry_after)
        return response
    user = authenticate(request.app.state.users, username, password)
    if user is None:
        throttle.failed(username, address)
        return render(request, "login.html", status_code=401, next=target, error="用户名或密码错误")
    throttle.succeeded(username)
    if needs_rehash(user.password_hash):  # a hash of an older version or cost, replaced while the password is known
        user = replace_user(replace(user, password_hash=hash_password(password)), request.app.state.users.path)
    sign_in(request, user)
    return back(target)


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(request: Request) -> Response:
    sign_out(request)
    return back("/login")


@router.get("/")
def home() -> Response:
    return back("/leads")
