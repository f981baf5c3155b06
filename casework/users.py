"""Console users: `config/casework/users.yaml` holds username, role and a scrypt password hash (stdlib only).

Add a user with `lantian console add-user NAME --role reviewer|admin` (it prompts for the password and writes the
hash); the file never holds a clear-text password.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from lantian.settings import ConfigError, config_dir, read_yaml

USER_ROLES: tuple[str, ...] = ("reviewer", "admin")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_NAME = re.compile(r"^[A-Za-z0-9_.\-\u4e00-\u9fff]{1,64}$")


@dataclass(frozen=True)
class User:
    username: str
    role: str
    password_hash: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def users_path() -> Path:
    return config_dir() / "casework" / "users.yaml"


def hash_password(password: str) -> str:
    """`scrypt$n$r$p$salt$hash` with a random salt (base64)."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, **_SCRYPT, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r),
                                p=int(p), dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def load_users(path: Path | None = None) -> dict[str, User]:
    """Users by name; a missing file means no users yet, a malformed one is a ConfigError naming the field."""
    path = path or users_path()
    if not path.exists():
        return {}
    data = read_yaml(path) or {}
    if not isinstance(data, dict) or not isinstance(data.get("users", []), list):
        raise ConfigError(f"{path}: expected a mapping with a `users` list")
    users: dict[str, User] = {}
    for i, entry in enumerate(data.get("users") or []):
        where = f"{path}: users[{i}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: expected a mapping with username, role, password_hash")
        name, role, pw = entry.get("username"), entry.get("role"), entry.get("password_hash")
        if not isinstance(name, str) or not _NAME.match(name):
            raise ConfigError(f"{where}.username: missing or invalid")
        if role not in USER_ROLES:
            raise ConfigError(f"{where}.role: must be one of {', '.join(USER_ROLES)}, got {role!r}")
        if not isinstance(pw, str) or not pw.startswith("scrypt$"):
            raise ConfigError(f"{where}.password_hash: missing or not a scrypt hash (use `lantian console add-user`)")
        if name in users:
            raise ConfigError(f"{where}.username: duplicate user {name!r}")
        users[name] = User(name, role, pw)
    return users


def save_user(username: str, role: str, password: str, path: Path | None = None) -> User:
    """Add or replace one user in the users file (other users are kept)."""
    path = path or users_path()
    if not _NAME.match(username):
        raise ConfigError(f"invalid username {username!r}: letters, digits, Chinese, _ . - (max 64)")
    if role not in USER_ROLES:
        raise ConfigError(f"invalid role {role!r}: must be one of {', '.join(USER_ROLES)}")
    if len(password) < 8:
        raise ConfigError("password too short: at least 8 characters")
    users = load_users(path)
    users[username] = User(username, role, hash_password(password))
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"users": [{"username": u.username, "role": u.role, "password_hash": u.password_hash}
                      for u in users.values()]}
    header = "# Console users. Add one with `lantian console add-user NAME --role reviewer|admin`.\n"
    path.write_text(header + yaml.safe_dump(body, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return users[username]


def authenticate(users: dict[str, User], username: str, password: str) -> User | None:
    user = users.get(username)
    if user is None:
        hash_password(password)  # same work whether or not the user exists
        return None
    return user if verify_password(password, user.password_hash) else None
