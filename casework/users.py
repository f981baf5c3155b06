"""Console users: `config/casework/users.yaml` holds username, role and an Argon2id password hash.

Add a user with `lantian console add-user NAME --role reviewer|admin` (it prompts for the password and writes the
hash); the file never holds a clear-text password, is written with mode 0600 and is not tracked in git
(`users.example.yaml` shows its shape). Hashes are Argon2id at OWASP's recommended cost (19 MiB, 2 passes, 1 lane);
scrypt hashes written by older versions are still accepted, and `needs_rehash` says when to replace one.
The running console reads the file again whenever it changes (`UsersFile`), so a reset or removal takes effect at
once.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import field_validator

from core.config import ConfigError, StrictModel, load_model
from core.files import write_atomic
from core.settings import config_dir

Role = Literal["reviewer", "admin"]
USER_ROLES: tuple[str, ...] = get_args(Role)
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)  # OWASP Password Storage, Argon2id
_HASH_PREFIXES = ("$argon2id$", "scrypt$")
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
    """An Argon2id hash (PHC string, random salt)."""
    return _HASHER.hash(password)


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` matches `stored` (Argon2id, or the `scrypt$n$r$p$salt$hash` of older versions)."""
    if stored.startswith("scrypt$"):
        return _verify_scrypt(password, stored)
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether a hash that just verified should be replaced by one at today's cost."""
    return stored.startswith("scrypt$") or _HASHER.check_needs_rehash(stored)


def _verify_scrypt(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r),
                                p=int(p), maxmem=2**28, dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


class UserEntry(StrictModel):
    """One user of users.yaml: a valid name, a known role and a hash (never a clear-text password)."""

    username: str
    role: Role
    password_hash: str

    @field_validator("username")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("letters, digits, Chinese, _ . - (at most 64)")
        return value

    @field_validator("password_hash")
    @classmethod
    def _a_hash(cls, value: str) -> str:
        if not value.startswith(_HASH_PREFIXES):
            raise ValueError("not an Argon2id hash (use `lantian console add-user`)")
        return value


class UsersConfig(StrictModel):
    """The shape of users.yaml (see users.example.yaml); a name may appear once."""

    users: list[UserEntry] = []

    @field_validator("users", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value

    @field_validator("users")
    @classmethod
    def _distinct_names(cls, value: list[UserEntry]) -> list[UserEntry]:
        names = [entry.username for entry in value]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"duplicate users {twice}")
        return value


def load_users(path: Path | None = None) -> dict[str, User]:
    """Users by name; a missing file means no users yet, a malformed one is a ConfigError naming the field."""
    path = path or users_path()
    if not path.exists():
        return {}
    return {entry.username: User(entry.username, entry.role, entry.password_hash)
            for entry in load_model(UsersConfig, path).users}


def save_user(username: str, role: str, password: str, path: Path | None = None) -> User:
    """Add or replace one user in the users file (other users are kept)."""
    if not _NAME.match(username):
        raise ConfigError(f"invalid username {username!r}: letters, digits, Chinese, _ . - (max 64)")
    if role not in USER_ROLES:
        raise ConfigError(f"invalid role {role!r}: must be one of {', '.join(USER_ROLES)}")
    if len(password) < 8:
        raise ConfigError("password too short: at least 8 characters")
    return replace_user(User(username, role, hash_password(password)), path)


def replace_user(user: User, path: Path | None = None) -> User:
    """Write `user` (a new hash, a new role) into the users file, keeping the others."""
    path = path or users_path()
    users = load_users(path)
    users[user.username] = user
    body = {"users": [{"username": u.username, "role": u.role, "password_hash": u.password_hash}
                      for u in users.values()]}
    header = "# Console users. Add one with `lantian console add-user NAME --role reviewer|admin`.\n"
    write_atomic(path, (header + yaml.safe_dump(body, allow_unicode=True, sort_keys=False)).encode("utf-8"),
                 mode=0o600)
    return user


def authenticate(users: dict[str, User], username: str, password: str) -> User | None:
    user = users.get(username)
    if user is None:
        hash_password(password)  # same work whether or not the user exists
        return None
    return user if verify_password(password, user.password_hash) else None


class UsersFile(Mapping[str, User]):
    """The users of a users file, read again whenever the file changes (checked on every look-up, by inode, size
    and modification time), so a password reset, a role change or a removal takes effect at once. A file that
    becomes invalid raises ConfigError: nobody signs in with a users list the console cannot read."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or users_path()
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._users: dict[str, User] = {}

    def _current(self) -> dict[str, User]:
        try:
            info = os.stat(self.path)
            stamp: tuple[int, int, int] | None = (info.st_ino, info.st_size, info.st_mtime_ns)
        except FileNotFoundError:
            stamp = None
        with self._lock:
            if stamp != self._stamp or (stamp is None and self._users):
                self._users = load_users(self.path)
                self._stamp = stamp
            return self._users

    def __getitem__(self, name: str) -> User:
        return self._current()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(dict(self._current()))

    def __len__(self) -> int:
        return len(self._current())
