"""Login sessions, roles and CSRF tokens for the review console.

Starlette's signed session cookie (itsdangerous) carries an opaque token of a server-side session
(`casework.console.sessions`), one random CSRF token that every POST form sends back and the server compares in
constant time, and flash messages. Who is signed in, and with which role, is decided on the server at every request.
"""
from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

from fastapi import HTTPException, Request

from casework.users import User
from core.environment import environment
from core.settings import data_dir, main_settings

CSRF_FIELD = "csrf_token"
SESSION_FIELD = "session"


class LoginRequired(Exception):
    """Raised by `current_user` for anonymous requests; the app answers with a redirect to the login page."""


def console_secret() -> str:
    """`LANTIAN_CONSOLE_SECRET`, else a random key kept in the data dir (created once, readable only by us)."""
    configured = environment().console_secret
    if configured:
        return configured.get_secret_value()
    path: Path = data_dir() / "casework" / "console-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def served_over_tls() -> bool:
    """`console.tls` of config/lantian.yaml: the console is reached over HTTPS (its own certificate, or a reverse
    proxy that terminates TLS), so the session cookie is marked Secure and responses carry HSTS."""
    return main_settings().console.tls


def csrf_token(request: Request) -> str:
    """This session's CSRF token (created on first use)."""
    token = request.session.get(CSRF_FIELD)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[CSRF_FIELD] = token
    return token


async def check_csrf(request: Request) -> None:
    """Refuse a POST whose form does not carry this session's CSRF token (403)."""
    form = await request.form()
    sent = str(form.get(CSRF_FIELD) or "")
    expected = request.session.get(CSRF_FIELD) or ""
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise HTTPException(status_code=403, detail="表单已过期或来源不明（CSRF 校验失败）：请刷新页面后重试")


def current_user(request: Request) -> User:
    token = request.session.get(SESSION_FIELD)
    user = request.app.state.sessions.user(token, request.app.state.users) if isinstance(token, str) else None
    if user is None:
        raise LoginRequired()
    return user


def sign_in(request: Request, user: User) -> None:
    """A fresh session for `user` (a new cookie and CSRF token, so a token planted before sign-in is worthless)."""
    sign_out(request)
    request.session[SESSION_FIELD] = request.app.state.sessions.open(user)
    csrf_token(request)


def sign_out(request: Request) -> None:
    """End this browser's session on the server and forget the cookie's contents."""
    token = request.session.get(SESSION_FIELD)
    if isinstance(token, str):
        request.app.state.sessions.close(token)
    request.session.clear()


def require_admin(request: Request) -> User:
    user = current_user(request)
    if not user.is_admin:
        raise HTTPException(status_code=403, detail="只有管理员可以进行此操作")
    return user
