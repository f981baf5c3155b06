"""Console users, managed by admins."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from casework.console.security import check_csrf, require_admin
from casework.console.web import back, flash, render
from casework.users import USER_ROLES, User, save_user
from core.config import ConfigError

router = APIRouter()


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, user: User = Depends(require_admin)) -> HTMLResponse:
    return render(request, "users.html", all_users=list(request.app.state.users.values()), roles=USER_ROLES)


@router.post("/admin/users", dependencies=[Depends(check_csrf)])
async def add_user(request: Request, user: User = Depends(require_admin)) -> Response:
    form = await request.form()
    try:
        saved = save_user(str(form.get("username") or ""), str(form.get("role") or ""),
                          str(form.get("password") or ""), request.app.state.users.path)
        request.app.state.sessions.close_all(saved.username)
        flash(request, f"用户 {saved.username} 已保存")
    except ConfigError as exc:
        flash(request, str(exc), "error")
    return back("/admin/users")
