"""Console sessions can be revoked: sign-out and password changes end them for good (restarts included), the users
file is read again when it changes, sign-ins are throttled per account and per address, the cookie is Secure with
HSTS over TLS, passwords are Argon2id hashes in a users file only its owner can read."""
from __future__ import annotations

import base64
import hashlib
import os
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from casework.console.app import create_app
from casework.users import load_users, save_user
from core.settings import project_root
from lantian.cli import app as lantian_app
from tests.test_casework_console import _token

SECRET = "test-secret-not-for-production"


def console(store: Any, users_file: Path, **options: Any) -> TestClient:
    return TestClient(create_app(store, users_file, SECRET, **options), follow_redirects=False)


def signed_in(client: TestClient) -> bool:
    return client.get("/leads").status_code == 200


def attempt(client: TestClient, username: str, password: str) -> Any:
    token = _token(client.get("/login").text)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token,
                                       "next": "/leads"})


def test_a_signed_out_cookie_is_dead_even_after_a_restart(store: Any, users_file: Path) -> None:
    browser = console(store, users_file)
    assert attempt(browser, "alice", "reviewer-pass-1").status_code == 303
    cookie = dict(browser.cookies)
    assert signed_in(browser)
    assert browser.post("/logout", data={"csrf_token": _token(browser.get("/leads").text)}).status_code == 303
    thief = console(store, users_file)
    thief.cookies.update(cookie)
    assert not signed_in(thief), "a copy of the cookie taken before sign-out still works"
    restarted = console(store, users_file)
    restarted.cookies.update(cookie)
    assert not signed_in(restarted)


def test_a_session_survives_a_restart_until_it_ends(store: Any, users_file: Path) -> None:
    browser = console(store, users_file)
    assert attempt(browser, "alice", "reviewer-pass-1").status_code == 303
    restarted = console(store, users_file)
    restarted.cookies.update(dict(browser.cookies))
    assert signed_in(restarted)


def test_a_password_change_ends_every_session_of_the_user(store: Any, users_file: Path) -> None:
    browser = console(store, users_file)
    assert attempt(browser, "alice", "reviewer-pass-1").status_code == 303
    assert signed_in(browser)
    save_user("alice", "reviewer", "a-new-password-2", users_file)  # `lantian console add-user`, another process
    assert not signed_in(browser)
    assert attempt(browser, "alice", "reviewer-pass-1").status_code == 401
    assert attempt(browser, "alice", "a-new-password-2").status_code == 303 and signed_in(browser)


def test_the_users_file_is_read_again_when_it_changes(store: Any, users_file: Path) -> None:
    browser = console(store, users_file)
    save_user("bob", "admin", "bob-password-1", users_file)
    assert attempt(browser, "bob", "bob-password-1").status_code == 303
    assert browser.get("/admin/users").status_code == 200
    users = yaml.safe_load(users_file.read_text())
    for user in users["users"]:
        user["role"] = "reviewer" if user["username"] == "bob" else user["role"]
    users_file.write_text(yaml.safe_dump(users))
    assert signed_in(browser) and browser.get("/admin/users").status_code == 403, "the role taken away counts"
    users["users"] = [u for u in users["users"] if u["username"] != "bob"]
    users_file.write_text(yaml.safe_dump(users))
    assert not signed_in(browser), "a removed user is signed out"


def test_wrong_passwords_are_throttled_per_account(store: Any, users_file: Path) -> None:
    browser = console(store, users_file)
    answers = [attempt(browser, "alice", f"wrong-{n}").status_code for n in range(10)]
    assert answers == [401] * 10
    refused = attempt(browser, "alice", "reviewer-pass-1")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 60
    assert "该账户登录失败次数过多" in refused.text and "分钟后再试" in refused.text
    assert not signed_in(browser)
    assert attempt(browser, "root", "admin-pass-123").status_code == 303, "other accounts are not locked"


def test_wrong_passwords_are_throttled_per_client_address(store: Any, users_file: Path) -> None:
    browser = console(store, users_file)
    assert {attempt(browser, f"guess{n}", "password").status_code for n in range(30)} == {401}
    refused = attempt(browser, "alice", "reviewer-pass-1")
    assert refused.status_code == 429 and "此地址登录失败次数过多" in refused.text


def test_over_tls_the_cookie_is_secure_and_hsts_is_sent(store: Any, users_file: Path) -> None:
    browser = TestClient(create_app(store, users_file, SECRET, tls=True), base_url="https://testserver",
                         follow_redirects=False)
    signed = attempt(browser, "alice", "reviewer-pass-1")
    assert "secure" in signed.headers["set-cookie"].lower()
    assert signed.headers["strict-transport-security"] == "max-age=31536000"
    plain = attempt(console(store, users_file), "alice", "reviewer-pass-1")
    assert "secure" not in plain.headers["set-cookie"].lower() and "strict-transport-security" not in plain.headers


def test_tls_is_a_setting_of_the_main_config(store: Any, users_file: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config"
    shutil.copytree(project_root() / "config", config)
    settings = yaml.safe_load((config / "lantian.yaml").read_text("utf-8"))
    (config / "lantian.yaml").write_text(yaml.safe_dump({**settings, "console": {"tls": True}}), "utf-8")
    monkeypatch.setenv("LANTIAN_CONFIG_DIR", str(config))
    response = TestClient(create_app(store, users_file, SECRET)).get("/login")
    assert response.headers["strict-transport-security"] == "max-age=31536000"


def test_passwords_are_argon2id_at_owasp_cost_and_old_scrypt_hashes_are_replaced(store: Any,
                                                                                 users_file: Path) -> None:
    assert load_users(users_file)["alice"].password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    salt = os.urandom(16)
    digest = hashlib.scrypt(b"legacy-password-1", salt=salt, n=2**14, r=8, p=1, dklen=32)
    legacy = f"scrypt$16384$8$1${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"
    users = yaml.safe_load(users_file.read_text())
    users["users"].append({"username": "old", "role": "reviewer", "password_hash": legacy})
    users_file.write_text(yaml.safe_dump(users))
    browser = console(store, users_file)
    assert attempt(browser, "old", "legacy-password-1").status_code == 303 and signed_in(browser)
    assert load_users(users_file)["old"].password_hash.startswith("$argon2id$")


def test_the_users_file_is_private_and_untracked(tmp_path: Path, casework_env: Path) -> None:
    path = tmp_path / "casework" / "users.yaml"
    result = CliRunner().invoke(lantian_app, ["console", "add-user", "root", "--role", "admin", "--users", str(path)],
                                input="admin-pass-123\nadmin-pass-123\n")
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    tracked = subprocess.run(["git", "ls-files", "config/casework"], cwd=project_root(), capture_output=True,
                             text=True, check=True).stdout.split()
    assert "config/casework/users.example.yaml" in tracked and "config/casework/users.yaml" not in tracked
    ignored = subprocess.run(["git", "check-ignore", "-q", "config/casework/users.yaml"], cwd=project_root())
    assert ignored.returncode == 0, "a users file written in the checkout would be committed"
