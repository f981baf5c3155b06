"""Server-side login sessions and login throttling for the review console.

The browser's cookie carries only an opaque session token (inside Starlette's signed session cookie); what it
grants lives here, in `<data dir>/casework/sessions.sqlite3`, keyed by the token's SHA-256. So a session ends for
good when its user signs out (the row is deleted: the old cookie, replayed, is nobody's), and when the user's
password changes by any means (the row remembers a digest of the hash it was opened with). Sessions also end 12
hours after sign-in and after 2 idle hours.

Failed sign-ins are counted per account and per client address (a moving window, in the console process); past
the limit, further attempts are refused before any password is checked, with a message in Chinese saying when to
try again.
"""
from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from casework.users import User
from core.settings import data_dir
from core.sqlite import open_database

SESSION_HOURS = 12
IDLE_HOURS = 2
ACCOUNT_FAILURES = parse("10 per 15 minutes")
ADDRESS_FAILURES = parse("30 per 15 minutes")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    token_sha256 TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    password_digest TEXT NOT NULL,
    created REAL NOT NULL,
    last_seen REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_username ON sessions (username);
"""


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def default_path() -> Path:
    return data_dir() / "casework" / "sessions.sqlite3"


class SessionStore:
    """Open sessions, one SQLite row each; safe to share between the console's threads."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()
        self._lock = threading.Lock()
        self._db = open_database(self.path)
        self._db.executescript(_SCHEMA)
        self.path.chmod(0o600)

    def open(self, user: User) -> str:
        """A new session for `user`; the token goes into the browser's cookie, only its digest is stored."""
        token = secrets.token_urlsafe(32)
        now = time.time()
        with self._lock:
            self._db.execute("DELETE FROM sessions WHERE created < ? OR last_seen < ?",
                             (now - SESSION_HOURS * 3600, now - IDLE_HOURS * 3600))
            self._db.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, ?)",
                             (_sha256(token), user.username, _sha256(user.password_hash), now, now))
        return token

    def user(self, token: str, users: Mapping[str, User]) -> User | None:
        """The user a live session token belongs to, or None (unknown, signed out, expired, idle too long, user
        removed, or the user's password changed since sign-in). A live session's idle clock restarts."""
        now = time.time()
        with self._lock:
            row = self._db.execute("SELECT username, password_digest, created, last_seen FROM sessions "
                                   "WHERE token_sha256 = ?", (_sha256(token),)).fetchone()
        if row is None:
            return None
        username, digest, created, last_seen = row
        user = users.get(username)
        if (user is None or _sha256(user.password_hash) != digest or created < now - SESSION_HOURS * 3600
                or last_seen < now - IDLE_HOURS * 3600):
            self.close(token)
            return None
        with self._lock:
            self._db.execute("UPDATE sessions SET last_seen = ? WHERE token_sha256 = ?", (now, _sha256(token)))
        return user

    def close(self, token: str) -> None:
        """End one session (sign-out)."""
        with self._lock:
            self._db.execute("DELETE FROM sessions WHERE token_sha256 = ?", (_sha256(token),))

    def close_all(self, username: str) -> None:
        """End every session of a user (a password reset by an admin)."""
        with self._lock:
            self._db.execute("DELETE FROM sessions WHERE username = ?", (username,))


@dataclass(frozen=True)
class Refusal:
    """Why a sign-in attempt is refused before its password is checked, and for how long."""

    message: str
    retry_after: int


class LoginThrottle:
    """Failed sign-ins per account and per client address, in a moving window."""

    def __init__(self) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def refusal(self, username: str, address: str) -> Refusal | None:
        """A refusal when the account or the address used up its failures, else None."""
        for limit, kind, key, message in (
            (ACCOUNT_FAILURES, "account", username, "该账户登录失败次数过多，已暂时锁定"),
            (ADDRESS_FAILURES, "address", address, "此地址登录失败次数过多，已暂时禁止登录"),
        ):
            if not self._limiter.test(limit, kind, key):
                wait = self._wait(limit, kind, key)
                return Refusal(f"{message}：请 {max(1, -(-wait // 60))} 分钟后再试。", wait)
        return None

    def failed(self, username: str, address: str) -> None:
        self._limiter.hit(ACCOUNT_FAILURES, "account", username)
        self._limiter.hit(ADDRESS_FAILURES, "address", address)

    def succeeded(self, username: str) -> None:
        """A correct password clears the account's failures (not the address's)."""
        self._limiter.clear(ACCOUNT_FAILURES, "account", username)

    def _wait(self, limit: RateLimitItem, kind: str, key: str) -> int:
        reset = self._limiter.get_window_stats(limit, kind, key).reset_time
        return max(1, int(reset - time.time()) + 1)
