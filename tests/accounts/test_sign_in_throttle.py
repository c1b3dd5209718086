"""Online password guessing: a username is locked after repeated failures, for a while."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from app.accounts import service, throttle
from app.accounts.service import MAX_FAILED_SIGN_INS, SIGN_IN_WINDOW, SignInLocked, sign_in
from app.config import get_settings
from app.models import AuditEvent, utcnow

from .test_auth import _form_login

COOKIE = get_settings().session_cookie_name


def _fail(session: Session, username: str, times: int, at: object = None) -> None:
    for _ in range(times):
        assert sign_in(session, username=username, password="wrong", now=at) is None  # type: ignore[arg-type]


def test_repeated_wrong_passwords_lock_the_username(
    client, session: Session, make_user, test_password
) -> None:
    make_user(session, username="somchai")
    for _ in range(MAX_FAILED_SIGN_INS):
        assert _form_login(client, "somchai", "wrong-password").status_code == 401
    locked = _form_login(client, "somchai", test_password)  # even the right password
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.text and "somchai" in locked.text
    assert 0 < int(locked.headers["Retry-After"]) <= SIGN_IN_WINDOW.total_seconds() + 1
    assert COOKIE not in locked.cookies
    actions = session.exec(
        select(AuditEvent.action).where(col(AuditEvent.object_id) == "somchai")
    ).all()
    # The attempt made while locked is on record too (finding 10.6), with the address.
    assert actions == [service.SIGN_IN_FAILED] * MAX_FAILED_SIGN_INS + [service.SIGN_IN_LOCKED]
    locked_row = session.exec(
        select(AuditEvent).where(col(AuditEvent.action) == service.SIGN_IN_LOCKED)
    ).one()
    assert locked_row.address == "testclient"


def test_the_lock_ends_when_the_failures_leave_the_window(
    session: Session, make_user, test_password
) -> None:
    user = make_user(session, username="somchai")
    start = utcnow()
    _fail(session, "somchai", MAX_FAILED_SIGN_INS, start)
    with pytest.raises(SignInLocked) as locked:
        sign_in(session, username="somchai", password=test_password, now=start)
    assert locked.value.status == 429
    assert timedelta(minutes=14) < locked.value.retry_after <= SIGN_IN_WINDOW
    later = start + SIGN_IN_WINDOW + timedelta(seconds=1)
    assert sign_in(session, username="somchai", password=test_password, now=later) == user


def test_a_successful_sign_in_clears_the_count(session: Session, make_user, test_password) -> None:
    make_user(session, username="somchai")
    now = utcnow()
    _fail(session, "somchai", MAX_FAILED_SIGN_INS - 1, now)
    assert sign_in(session, username="somchai", password=test_password, now=now) is not None
    _fail(session, "somchai", MAX_FAILED_SIGN_INS - 1, now + timedelta(seconds=1))
    assert sign_in(session, username="somchai", password=test_password, now=now) is not None


def test_a_lock_from_one_address_does_not_lock_the_user_out_elsewhere(
    session: Session, make_user, test_password
) -> None:
    # Someone guessing from their own address cannot lock the real user out.
    user = make_user(session, username="admin-th", role="admin")
    for _ in range(MAX_FAILED_SIGN_INS):
        assert sign_in(session, username="admin-th", password="x", address="203.0.113.9") is None
    with pytest.raises(SignInLocked):
        sign_in(session, username="admin-th", password=test_password, address="203.0.113.9")
    assert sign_in(session, username="admin-th", password=test_password,
                   address="198.51.100.4") == user


def test_one_address_is_limited_over_all_usernames(session: Session, make_user,
                                                   test_password) -> None:
    make_user(session, username="victim")
    address = "203.0.113.7"
    for i in range(throttle.MAX_PER_ADDRESS):
        # a different username each time: the per-pair limit never trips
        assert sign_in(session, username=f"guess-{i}", password="x", address=address) is None
    with pytest.raises(SignInLocked):
        sign_in(session, username="victim", password=test_password, address=address)
    assert sign_in(session, username="victim", password=test_password, address="10.0.0.2")


def test_other_usernames_are_not_locked_and_unknown_ones_are(
    session: Session, make_user, test_password
) -> None:
    make_user(session, username="somchai")
    make_user(session, username="bounmy")
    _fail(session, "somchai", MAX_FAILED_SIGN_INS)
    assert sign_in(session, username="bounmy", password=test_password) is not None
    # An unknown username locks the same way: the answer tells nothing of who exists.
    _fail(session, "nobody", MAX_FAILED_SIGN_INS)
    with pytest.raises(SignInLocked):
        sign_in(session, username="nobody", password="anything")
