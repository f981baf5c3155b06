"""casework's commands through Typer: clear one-line errors, files written, users added with a hash."""
from __future__ import annotations

import typer
from typer.testing import CliRunner

from casework.cli import register
from casework.users import load_users, verify_password
from tests.fixtures.casework import detection, listing


def _cli() -> typer.Typer:
    cli = typer.Typer()
    register(cli)
    return cli


def test_add_user_prompts_and_stores_only_a_hash(tmp_path):
    path = tmp_path / "users.yaml"
    result = CliRunner().invoke(_cli(), ["console", "add-user", "alice", "--role", "admin", "--users", str(path)],
                                input="long-password-1\nlong-password-1\n")
    assert result.exit_code == 0, result.output
    user = load_users(path)["alice"]
    assert user.role == "admin" and verify_password("long-password-1", user.password_hash)
    assert "long-password-1" not in path.read_text()
    bad = CliRunner().invoke(_cli(), ["console", "add-user", "bob", "--role", "boss", "--password", "long-password-2",
                                      "--users", str(path)])
    assert bad.exit_code == 1 and "invalid role 'boss'" in bad.output and "Traceback" not in bad.output


def test_workflow_commands_refuse_invalid_transitions_in_one_line(store):
    item = listing(1)
    lead = store.upsert(item, detection(item))
    runner = CliRunner()
    refused = runner.invoke(_cli(), ["cases", "status", lead.id, "confirmed", "--by", "alice"])
    assert refused.exit_code == 1
    assert "cannot move lead" in refused.output and "allowed: reviewing" in refused.output
    assert "Traceback" not in refused.output
    assert runner.invoke(_cli(), ["cases", "status", lead.id, "reviewing", "--by", "alice"]).exit_code == 0
    done = runner.invoke(_cli(), ["cases", "status", lead.id, "confirmed", "--by", "alice", "--why", "ok"])
    assert done.exit_code == 0 and "reviewing → confirmed" in done.output
    missing = runner.invoke(_cli(), ["cases", "status", "no-such-lead", "reviewing"])
    assert missing.exit_code == 1 and "no lead no-such-lead" in missing.output


def test_workflow_commands_take_the_id_prefix_leads_list_shows(store, tmp_path):
    first, second = (store.upsert(item, detection(item)) for item in (listing(1), listing(2)))
    runner = CliRunner()
    moved = runner.invoke(_cli(), ["cases", "status", first.id[:12], "reviewing", "--by", "alice"])
    assert moved.exit_code == 0 and f"{first.id}: new → reviewing" in moved.output, moved.output
    assigned = runner.invoke(_cli(), ["cases", "assign", second.id[:6], "bob", "--by", "alice",
                                      "--users", str(tmp_path / "no-users-yet.yaml")])
    assert assigned.exit_code == 0 and f"{second.id}: assigned to bob" in assigned.output, assigned.output
    assert store.get(first.id).status == "reviewing" and store.get(second.id).assignee == "bob"
    too_short = runner.invoke(_cli(), ["cases", "status", first.id[:5], "reviewing"])
    assert too_short.exit_code == 1 and f"no lead {first.id[:5]}" in too_short.output


def test_report_reviews_and_agencies_commands_write_their_outputs(store, tmp_path, monkeypatch):
    from rich.console import Console

    from casework import cli

    monkeypatch.setattr(cli, "console", Console(width=200))
    for n in range(1, 4):
        item = listing(n, platform="market" if n < 3 else "services")
        store.upsert(item, detection(item, phone="13600000000"))
    runner = CliRunner()
    report = runner.invoke(_cli(), ["report", "--week", "--out", str(tmp_path), "--no-images"])
    assert report.exit_code == 0, report.output
    assert list(tmp_path.glob("weekly-*.html")) and list(tmp_path.glob("weekly-*.xlsx"))
    scored = runner.invoke(_cli(), ["agencies", "score", "--no-images"])
    assert scored.exit_code == 0 and "1 agencies" in scored.output
    listed = runner.invoke(_cli(), ["agencies", "list"])
    assert "某某知识产权" in listed.output
    exported = runner.invoke(_cli(), ["reviews", "export", "--out", str(tmp_path / "r.jsonl")])
    assert exported.exit_code == 0 and "0 positive and 0 negative" in exported.output
    wrong = runner.invoke(_cli(), ["cases", "export", "--out", str(tmp_path / "cases.pdf")])
    assert wrong.exit_code == 1 and "must end in .csv or .xlsx" in wrong.output
    bad_date = runner.invoke(_cli(), ["report", "--ending", "last tuesday"])
    assert bad_date.exit_code == 1 and "is not a date" in bad_date.output


def test_agencies_list_names_the_platforms_as_staff_know_them(store, monkeypatch):
    from rich.console import Console

    from casework import cli
    from crawler.platforms import display_names

    monkeypatch.setattr(cli, "console", Console(width=250))
    for n, platform in ((1, "market"), (2, "services")):
        item = listing(n, platform=platform)
        store.upsert(item, detection(item, phone="13600000000"))  # one agency, on both platforms
    runner = CliRunner()
    assert runner.invoke(_cli(), ["agencies", "score", "--no-images"]).exit_code == 0
    listed = runner.invoke(_cli(), ["agencies", "list"])
    assert listed.exit_code == 0, listed.output
    [row] = [line for line in listed.output.splitlines() if "某某知识产权" in line]
    names = display_names()
    assert f"{names['market']}、{names['services']}" in row, listed.output
    assert "market" not in row and "services" not in row

def test_broken_config_files_name_the_file_and_field(tmp_path):
    import pytest

    from casework.config import load_risk_config, load_takedown_config
    from core.config import ConfigError

    risk = tmp_path / "risk.yaml"
    risk.write_text("indicators: {leads: {weight: 1}}\nclasses: {A: 0, B: 10}\ntrigger_class: E\n")
    with pytest.raises(ConfigError, match=r"risk\.yaml: .*trigger_class 'E'"):
        load_risk_config(risk)
    takedown = tmp_path / "takedown.yaml"
    takedown.write_text("complainant: {office: X, address: A, contact: C, phone: 021-63211234}\n"
                        "letter: {title: T, opening: O}\nfollow_up: {title: T2, opening: O2}\n"
                        "violations: {impersonaton: {name: N, basis: B}}\n")
    with pytest.raises(ConfigError, match=r"takedown\.yaml: violations: .*unknown labels \['impersonaton'\]"):
        load_takedown_config(takedown)
    users = tmp_path / "users.yaml"
    users.write_text("users:\n  - {username: alice, role: reviewer, password_hash: plain-text}\n")
    with pytest.raises(ConfigError, match=r"users\.yaml: users\.0\.password_hash: not an Argon2id hash"):
        load_users(users)
    users.write_text("users:\n  - {username: alice, role: reviewr, password_hash: $argon2id$x}\n")
    with pytest.raises(ConfigError, match=r"users\.yaml: users\.0\.role: "):
        load_users(users)
    users.write_text("users:\n  - {username: alice, role: reviewer, password_hash: $argon2id$x, pasword: x}\n")
    with pytest.raises(ConfigError, match=r"users\.yaml: users\.0\.pasword: Extra inputs"):
        load_users(users)
    users.write_text("users: [\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_users(users)


def test_a_lead_is_assigned_only_to_a_console_user_once_there_are_users(store, tmp_path):
    """`cases assign ID bbo` handed the lead to no one, silently; the console refuses a name it does not know."""
    from casework.users import save_user

    users = tmp_path / "users.yaml"
    save_user("alice", "reviewer", "reviewer-pass-1", users)
    save_user("bob", "reviewer", "reviewer-pass-2", users)
    lead = store.upsert(listing(1), detection(listing(1)))
    runner = CliRunner()
    typo = runner.invoke(_cli(), ["cases", "assign", lead.id, "bbo", "--by", "alice", "--users", str(users)])
    assert typo.exit_code == 2 and "no console user 'bbo': the users are alice, bob" in typo.output
    assert store.get(lead.id).assignee is None
    done = runner.invoke(_cli(), ["cases", "assign", lead.id, "bob", "--by", "alice", "--users", str(users)])
    assert done.exit_code == 0 and store.get(lead.id).assignee == "bob"
    unassigned = runner.invoke(_cli(), ["cases", "assign", lead.id, "", "--by", "alice", "--users", str(users)])
    assert unassigned.exit_code == 0 and not store.get(lead.id).assignee


def test_the_console_refuses_a_port_in_use_before_saying_it_serves_there(store, tmp_path):
    import socket

    from casework.users import save_user

    users = tmp_path / "users.yaml"
    save_user("root", "admin", "admin-pass-123", users)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(_cli(), ["console", "--port", str(port), "--users", str(users)])
    assert result.exit_code == 1, result.output
    assert f"cannot listen on 127.0.0.1:{port}" in result.output and "choose another with --port" in result.output
    assert "review console on" not in result.output
