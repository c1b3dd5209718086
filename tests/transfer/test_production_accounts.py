"""Finding 1 of issue 10: no demo accounts in production.

Outside JOINTOPS_ENVIRONMENT=dev the demo seed refuses to run, the first administrator
comes from `jointops create-admin`, and the served app refuses to start while any
account still has a (published) demo password.
"""

from __future__ import annotations

import getpass
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, SQLModel, select
from typer.testing import CliRunner

from app.accounts.service import hash_password, verify_password
from app.cli import app as cli_app
from app.config import ROOT, get_settings
from app.db import get_engine
from app.main import create_served_app
from app.models import AuditEvent, Country, Role, User
from app.seed import DemoRefused, demo_password_accounts, refuse_demo_passwords


@pytest.fixture
def scratch_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("JOINTOPS_DATABASE_URL", f"sqlite:///{tmp_path / 'prod.db'}")
    get_settings.cache_clear()
    get_engine.cache_clear()
    SQLModel.metadata.create_all(get_engine())
    yield
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch, scratch_db: None) -> None:
    monkeypatch.setenv("JOINTOPS_ENVIRONMENT", "production")
    monkeypatch.setenv("JOINTOPS_SECRET_KEY", secrets.token_urlsafe(48))
    get_settings.cache_clear()


def _users() -> list[User]:
    with Session(get_engine()) as session:
        return list(session.exec(select(User)))


def test_the_demo_seed_refuses_to_run_outside_dev(production: None) -> None:
    result = CliRunner().invoke(cli_app, ["seed-demo", "--if-empty"])
    assert result.exit_code == 2
    assert "refusing to seed demo data: JOINTOPS_ENVIRONMENT is 'production'" in result.output
    assert "jointops create-admin" in result.output
    with Session(get_engine()) as session:
        assert session.exec(select(Country)).first() is None
    assert _users() == []


def test_compose_no_longer_seeds_the_demo() -> None:
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "seed-demo" not in compose and "create-admin" in compose


def test_create_admin_reads_the_password_from_a_file(production: None, tmp_path: Path) -> None:
    secret = tmp_path / "admin-password"
    secret.write_text("correct horse battery staple\n")
    runner = CliRunner()
    result = runner.invoke(cli_app, ["create-admin", "chief", "--password-file", str(secret)])
    assert result.exit_code == 0, result.output
    (user,) = _users()
    assert (user.username, user.role) == ("chief", Role.admin)
    assert verify_password("correct horse battery staple", user.password_hash)
    # The first administrator only: later ones are added on the Users page.
    again = runner.invoke(cli_app, ["create-admin", "second", "--password-file", str(secret)])
    assert again.exit_code == 1 and "already has an administrator" in again.output


def test_create_admin_asks_twice_and_refuses_a_mismatch_or_a_demo_password(
    production: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = iter(["correct horse battery staple", "correct horse battery stapel"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(answers))
    differ = CliRunner().invoke(cli_app, ["create-admin"])
    assert differ.exit_code == 2 and "the two passwords differ" in differ.output
    answers = iter(["demo-admin", "demo-admin"])
    demo = CliRunner().invoke(cli_app, ["create-admin"])
    assert demo.exit_code == 2 and "demo password" in demo.output
    answers = iter(["correct horse battery staple"] * 2)
    made = CliRunner().invoke(cli_app, ["create-admin"])
    assert made.exit_code == 0, made.output
    assert [u.username for u in _users()] == ["admin"]


def test_the_served_app_refuses_to_start_with_a_demo_password(production: None) -> None:
    with Session(get_engine()) as session:
        session.add_all([
            User(username="admin", role=Role.admin, password_hash=hash_password("demo-admin")),
            User(username="th-rtp-planner", role=Role.planner,
                 password_hash=hash_password("demo-planner")),
        ])
        session.commit()
    with pytest.raises(DemoRefused) as refused:
        create_served_app()
    assert "refusing to start in production: 2 account(s) still have a demo password" in str(
        refused.value)
    assert "admin, th-rtp-planner" in str(refused.value)
    with Session(get_engine()) as session:
        for user in session.exec(select(User)):
            user.password_hash = hash_password(f"a new password for {user.username}")
            session.add(user)
        session.commit()
        assert demo_password_accounts(session) == []
        refuse_demo_passwords(session, "production")  # starts now


def _created_rows() -> list[AuditEvent]:
    with Session(get_engine()) as session:
        return list(session.exec(select(AuditEvent).where(
            AuditEvent.action == "admin.user.created")))


def test_create_admin_audits_the_bootstrap_or_the_identity_check_given(
    production: None, tmp_path: Path
) -> None:
    # ASVS 5.0 6.4.3/6.4.4: no administrator exists yet to check the first one, so the
    # trail says so (method `bootstrap`, with the operator), or records the check given.
    secret = tmp_path / "admin-password"
    secret.write_text("correct horse battery staple\n")
    runner = CliRunner()
    unknown = runner.invoke(cli_app, ["create-admin", "chief", "--password-file", str(secret),
                                      "--identity-method", "in_person"])
    assert unknown.exit_code == 2 and "--identity-reference: is required" in unknown.output
    assert _users() == []
    made = runner.invoke(cli_app, ["create-admin", "chief", "--password-file", str(secret),
                                   "--identity-reference", "change ticket OPS-1187"])
    assert made.exit_code == 0, made.output
    [row] = _created_rows()
    assert row.actor_id is None and row.details["username"] == "chief"
    assert row.details["identity_method"] == "bootstrap"
    assert row.details["identity_reference"] == "change ticket OPS-1187"
    assert row.details["identity_checked_by"].startswith("cli:")
    assert row.details["via"] == "jointops create-admin"
    assert "correct horse" not in str(row.details)


def test_create_user_needs_an_identity_check_and_audits_it(production: None) -> None:
    runner = CliRunner()
    base = ["create-user", "noy", "--role", "planner", "--password", "mekong-dawn-2026!"]
    missing = runner.invoke(cli_app, base)
    assert missing.exit_code == 2 and "--identity-method" in missing.output
    refused = runner.invoke(cli_app, [*base, "--identity-method", "phoned_me",
                                      "--identity-reference", "  "])
    assert refused.exit_code == 2
    assert "--identity-method: choose one of 'in_person'" in refused.output
    assert "--identity-reference: is required" in refused.output
    assert _users() == []
    made = runner.invoke(cli_app, [*base, "--identity-method", "agency_callback",
                                   "--identity-reference", " TH-RTP duty desk, ticket 88 "])
    assert made.exit_code == 0, made.output
    [row] = _created_rows()
    assert (row.details["identity_method"], row.details["identity_reference"]) == (
        "agency_callback", "TH-RTP duty desk, ticket 88")
    assert row.details["via"] == "jointops create-user"
