"""Rate limits beyond sign-in (ASVS 5.0 2.4.1): the current password when changing it,
unknown calendar-feed tokens per address, and unsafe requests per user. Each answers 429
with Retry-After, and counts in the database, so every process of the board shares it."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts import service, throttle, totp
from app.config import get_settings
from app.feeds.tokens import create_token
from app.main import create_app
from app.models import AuditEvent, Role

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
NEW = "mekong-river-cruise-2026"


@pytest.fixture
def writes_per_minute(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    monkeypatch.setenv("JOINTOPS_WRITES_PER_MINUTE", "3")
    get_settings.cache_clear()
    yield 3
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def reads_per_minute(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    monkeypatch.setenv("JOINTOPS_READS_PER_MINUTE", "4")
    get_settings.cache_clear()
    yield 4
    monkeypatch.undo()
    get_settings.cache_clear()


def test_wrong_current_passwords_are_throttled_per_user(
    client, session: Session, make_user, login, test_password, set_clock
) -> None:
    set_clock(NOW)
    user = make_user(session, role=Role.liaison)
    me = login(client, user)
    wrong = {"current": "not-my-password-at-all", "new": NEW, "confirm": NEW}
    for _ in range(throttle.MAX_PER_PAIR):
        answer = me.post("/account/password", data=wrong)
        assert answer.status_code == 422 and "current password is wrong" in answer.text
    locked = me.post("/account/password", data=wrong)
    assert locked.status_code == 429
    assert 0 < int(locked.headers["Retry-After"]) <= throttle.WINDOW.total_seconds()
    assert "Too many attempts" in locked.text
    # Now even the right password waits: a stolen session cannot go on guessing.
    right = {"current": test_password, "new": NEW, "confirm": NEW}
    assert me.post("/account/password", data=right).status_code == 429
    assert not service.verify_password(NEW, user.password_hash)
    failed = session.exec(select(AuditEvent).where(
        AuditEvent.action == "auth.password_change_failed")).all()
    # Every attempt is on record; the last two were refused unchecked.
    assert [e.details["password_checked"] for e in failed] == [True] * 5 + [False] * 2
    set_clock(NOW + throttle.WINDOW + timedelta(seconds=1))
    changed = me.post("/account/password", data=right, follow_redirects=False)
    assert changed.status_code == 303


def test_guessing_feed_tokens_from_one_address_is_refused(
    client, session: Session, world, make_user, set_clock
) -> None:
    set_clock(NOW)
    officer = make_user(session, role=Role.unit_officer, agency="TH-RTP", unit="U-TH-2")
    secret, _ = create_token(session, user=officer, label="phone", choice_key="officer:")
    assert client.get(f"/feeds/{secret}.ics").status_code == 200
    for _ in range(throttle.MAX_FEED_MISSES):
        assert client.get(f"/feeds/{secrets.token_urlsafe(32)}.ics").status_code == 404
    refused = client.get(f"/feeds/{secrets.token_urlsafe(32)}.ics")
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= throttle.WINDOW.total_seconds()
    # A blocked address is refused a right token too, so no guess can be told right.
    assert client.get(f"/feeds/{secret}.ics").status_code == 429
    set_clock(NOW + throttle.WINDOW + timedelta(seconds=1))
    assert client.get(f"/feeds/{secret}.ics").status_code == 200


def test_unsafe_requests_are_limited_per_user(
    writes_per_minute: int, client, session: Session, make_user, login, set_clock
) -> None:
    set_clock(NOW)
    me = login(client, make_user(session, role=Role.liaison))
    other = login(client, make_user(session, role=Role.liaison))
    for _ in range(writes_per_minute - 1):
        answer = me.post("/account/language", data={"language": "en"}, follow_redirects=False)
        assert answer.status_code == 303
    # A refused write counts too (in the transaction that audits the refusal).
    assert me.post("/api/v1/operations/OP-NONE/abort", json={}).status_code == 404
    page = me.post("/account/language", data={"language": "en"}, follow_redirects=False)
    assert page.status_code == 429
    assert 0 < int(page.headers["Retry-After"]) <= 60
    # The API says so in JSON.
    api = me.post("/api/v1/operations/OP-NONE/abort", json={})
    assert api.status_code == 429 and "Too many attempts" in api.json()["detail"]
    assert "Retry-After" in api.headers
    assert me.get("/account").status_code == 200  # reading goes on
    # Another user is not held back by this one.
    assert other.post("/account/language", data={"language": "vi"},
                      follow_redirects=False).status_code == 303
    set_clock(NOW + throttle.WRITE_WINDOW + timedelta(seconds=1))
    assert me.post("/account/language", data={"language": "en"},
                   follow_redirects=False).status_code == 303


def test_second_factor_and_recovery_codes_are_throttled_per_user(
    client, session: Session, make_user, test_password, set_clock
) -> None:
    set_clock(NOW)
    user = make_user(session, role=Role.planner, username="kham")
    user.totp_secret, user.totp_algorithm = totp.new_secret(), "sha256"
    session.add(user)
    session.flush()
    client.get("/login")
    csrf = client.cookies.get("jointops_csrf")
    step_one = client.post("/login", data={"username": "kham", "password": test_password,
                                           "csrf_token": csrf})
    assert step_one.status_code == 200 and "Two-step sign-in" in step_one.text
    # Wrong TOTP codes and wrong recovery codes count alike.
    for code in ["000000", "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE"] * 2 + ["111111"]:
        wrong = client.post("/login/second-factor", data={"code": code, "csrf_token": csrf})
        assert wrong.status_code == 401
    locked = client.post("/login/second-factor", data={
        "code": totp.code_at(user.totp_secret, NOW, algorithm="sha256"), "csrf_token": csrf})
    assert locked.status_code == 429
    assert 0 < int(locked.headers["Retry-After"]) <= throttle.WINDOW.total_seconds() + 1
    assert get_settings().session_cookie_name not in locked.cookies


def test_reads_are_limited_per_user_in_each_process(
    reads_per_minute: int, client, session: Session, make_user, login, set_clock
) -> None:
    set_clock(NOW)
    me = login(client, make_user(session, role=Role.liaison))
    other = login(client, make_user(session, role=Role.liaison))
    for _ in range(reads_per_minute):
        assert me.get("/account").status_code == 200
    page = me.get("/account")
    assert page.status_code == 429
    assert 0 < int(page.headers["Retry-After"]) <= 60
    api = me.get("/api/v1/operations")
    assert api.status_code == 429 and "Retry-After" in api.headers
    assert other.get("/account").status_code == 200  # another user reads on
    # Counted in this process's memory: another process (app) has its own count.
    elsewhere = TestClient(create_app())
    elsewhere.app.dependency_overrides = client.app.dependency_overrides
    elsewhere.cookies = me.cookies
    assert elsewhere.get("/account").status_code == 200
    set_clock(NOW + timedelta(minutes=1, seconds=1))
    assert me.get("/account").status_code == 200
