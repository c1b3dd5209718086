"""Online password guessing: a username is locked after repeated failures, for a while."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from app.accounts import service
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
    assert actions == [service.SIGN_IN_FAILED] * MAX_FAILED_SIGN_INS


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
