"""Token digests can change algorithm (ASVS 5.0 11.2.2, app/digests.py).

A new scheme is added and made current: new secrets are stored under it, and the session
tokens, feed tokens and recovery codes issued under the old one still work.
"""

from __future__ import annotations

import hashlib

import pytest
from sqlmodel import Session, select

from app import digests
from app.accounts import service, totp
from app.clock import utcnow
from app.feeds import service as feeds
from app.feeds import tokens
from app.models import RecoveryCode, Role, UserSession


@pytest.fixture
def sha3_current(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Call to add SHA3-256 as a scheme and make it the current one."""

    def switch() -> None:
        monkeypatch.setitem(digests.SCHEMES, "sha3-256",
                            lambda data: hashlib.sha3_256(data).hexdigest())
        monkeypatch.setattr(digests, "CURRENT", "sha3-256")

    return switch


def test_a_session_opened_under_the_old_digest_still_works(
    client, session: Session, make_user, login, sha3_current,
) -> None:
    user = make_user(session)
    old_browser = login(client, user)  # its token stored as SHA-256
    old_token = next(iter(old_browser.cookies.values()))
    sha3_current()
    new_token, new_row = service.start_session(session, user=user)
    assert new_row.id == hashlib.sha3_256(new_token.encode()).hexdigest()
    assert service.lookup_session(session, token=new_token) is not None
    assert service.lookup_session(session, token=old_token) is not None
    assert old_browser.get("/account", follow_redirects=False).status_code == 200
    service.end_session(session, token=old_token)
    assert service.lookup_session(session, token=old_token) is None
    assert session.exec(select(UserSession.id)).all() == [new_row.id]


def test_a_feed_token_issued_under_the_old_digest_still_serves(
    client, session: Session, world, make_user, sha3_current,
) -> None:
    officer = make_user(session, role=Role.unit_officer, agency="TH-RTP", unit="U-TH-2")
    old, _ = tokens.create_token(session, user=officer, label="old phone", choice_key="officer:")
    sha3_current()
    new, row = tokens.create_token(session, user=officer, label="new phone",
                                   choice_key="officer:")
    session.flush()
    assert row.token_hash == hashlib.sha3_256(new.encode()).hexdigest()
    for secret in (old, new):
        assert feeds.lookup(session, secret=secret) is not None
        assert client.get(f"/feeds/{secret}.ics").status_code == 200


def test_a_recovery_code_stored_under_the_old_digest_still_signs_in(
    session: Session, make_user, sha3_current,
) -> None:
    user = make_user(session)
    user.totp_secret = totp.new_secret()
    code = totp.new_recovery_codes()[0]
    session.add(RecoveryCode(user_id=user.id, code_hash=totp.recovery_digest(code)))
    session.flush()
    sha3_current()
    assert totp.recovery_digest(code) != session.exec(select(RecoveryCode.code_hash)).one()
    assert service.check_second_factor(session, user=user, code=code, now=utcnow())
    assert not service.check_second_factor(session, user=user, code=code, now=utcnow())
