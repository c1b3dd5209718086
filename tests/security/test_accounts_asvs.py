"""ASVS 5.0 V6, V7 and V9 requirements on accounts, sessions and the second-factor
cookie (docs/asvs-l2.md)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlmodel import Session

from app.accounts import service
from app.accounts.passwords import password_problem
from app.config import get_settings
from app.models import Role, User, UserSession, utcnow

COOKIE = get_settings().session_cookie_name


def _form_login(client, username: str, password: str):  # type: ignore[no-untyped-def]
    client.get("/login")
    data = {"username": username, "password": password,
            "csrf_token": client.cookies.get("jointops_csrf")}
    return client.post("/login", data=data, follow_redirects=False)


def test_signing_in_again_ends_the_session_the_browser_held(
    client, session: Session, world, make_user, test_password,
) -> None:
    # 7.2.4: a new token on every authentication, and the current one terminated.
    make_user(session, role=Role.liaison, agency="TH-RTP", username="somsak")
    make_user(session, role=Role.liaison, agency="TH-RTP", username="noi")
    first = _form_login(client, "somsak", test_password).cookies.get(COOKIE)
    assert first
    # Signing in again from a browser that holds a live session (its CSRF token sent):
    held = session.get(UserSession, service.token_digest(first))
    assert held is not None
    again = client.post("/login", data={"username": "noi", "password": test_password},
                        headers={"X-CSRF-Token": held.csrf_token}, follow_redirects=False)
    assert again.status_code == 303
    second = again.cookies.get(COOKIE)
    assert second and second != first
    session.expire_all()
    assert session.get(UserSession, service.token_digest(first)) is None
    assert session.get(UserSession, service.token_digest(second)) is not None


def test_session_tokens_are_long_random_and_stored_as_digests(session: Session, make_user) -> None:
    # 7.2.2, 7.2.3: reference tokens from a CSPRNG, at least 128 bits; only a digest kept.
    user = make_user(session)
    tokens = [service.start_session(session, user=user)[0] for _ in range(20)]
    assert len(set(tokens)) == 20
    assert all(len(token) >= 43 for token in tokens)  # 32 bytes, base64url
    assert all(session.get(UserSession, token) is None for token in tokens)


def test_passwords_of_any_composition_up_to_128_are_taken_exactly_as_typed(
    client, session: Session, make_user,
) -> None:
    # 6.2.5 any composition, 6.2.8 verified exactly as received, 6.2.9 64+ characters.
    long = "ກ" * 40 + " Mekong night river 🌙 " + "x" * 30
    assert len(long) >= 64 and password_problem(long) is None
    assert password_problem("correct horse battery staple") is None  # no composition rule
    make_user(session, username="khamla", password=long)
    assert _form_login(client, "khamla", long.upper()).status_code == 401
    assert _form_login(client, "khamla", long[:64]).status_code == 401  # no truncation
    assert _form_login(client, "khamla", long + " ").status_code == 401  # no trimming
    assert _form_login(client, "khamla", long).status_code == 303


def test_password_fields_are_masked_and_pasting_is_allowed(
    client, session: Session, make_user, login,
) -> None:
    # 6.2.6 type=password, 6.2.7 paste and password managers permitted.
    browser = login(client, make_user(session))
    for url, page in (("/login", client.get("/login")),
                      ("/account/password", browser.get("/account/password"))):
        assert page.status_code == 200, url
        fields = re.findall(r"<input[^>]*name=\"(?:password|current|new|confirm)\"[^>]*>",
                            page.text)
        assert fields, url
        for field in fields:
            assert 'type="password"' in field, (url, field)
            assert 'autocomplete="off"' not in field, (url, field)
        assert "onpaste" not in page.text.lower(), url


def test_every_signed_in_page_offers_sign_out(
    client, session: Session, world, make_user, login,
) -> None:
    # 7.4.4: logout is on every page that needs authentication (the base layout).
    browser = login(client, make_user(session, role=Role.liaison, agency="TH-RTP"))
    for url in ("/board", "/account", "/account/password", "/calendar"):
        page = browser.get(url)
        assert page.status_code == 200, url
        assert 'action="/logout"' in page.text, url


def test_the_second_factor_cookie_is_checked_for_its_mac_and_its_expiry() -> None:
    # 9.1.1 MAC validated, 9.1.2 one fixed algorithm (no header to choose one),
    # 9.2.1 the validity time span enforced.
    now = utcnow()
    token = service.pending_token(42, now=now)
    assert service.read_pending_token(token, now=now) == 42
    body, _, mac = token.rpartition(".")
    uid, expires, nonce = body.split(".")
    assert service.read_pending_token(f"43.{expires}.{nonce}.{mac}", now=now) is None
    later = str(int(expires) + 3600)
    assert service.read_pending_token(f"{uid}.{later}.{nonce}.{mac}", now=now) is None
    assert service.read_pending_token(f"{body}.", now=now) is None
    flipped = mac[:-1] + ("1" if mac[-1] == "0" else "0")
    assert service.read_pending_token(f"{body}.{flipped}", now=now) is None
    assert service.read_pending_token(token, now=now + timedelta(minutes=6)) is None


def test_recovery_codes_carry_at_least_112_bits_so_a_plain_hash_may_keep_them() -> None:
    # 6.5.2: lookup secrets under 112 bits of entropy need a salted password hash; these
    # are stored as SHA-256, so they must carry 112 bits or more. 6.5.3: from `secrets`.
    import math

    from app.accounts import totp

    codes = totp.new_recovery_codes()
    assert len(codes) == 10 and len(set(codes)) == 10
    for code in codes:
        symbols = code.replace("-", "")
        alphabet = set("abcdefghjkmnpqrstuvwxyz23456789")
        assert set(symbols) <= alphabet
        assert len(symbols) * math.log2(len(alphabet)) >= 112, code
        assert len(code) <= 32  # fits the second-factor form field
        assert totp.recovery_digest(code.upper().replace("-", " ")) == totp.recovery_digest(code)


def test_enrolling_a_second_factor_ends_the_other_sessions(
    client, session: Session, make_user, login, test_password,
) -> None:
    # 7.4.3: after a change of an authentication factor the other sessions end (as for a
    # password change): a thief's session does not outlive the owner's new second factor.
    from app.accounts import totp

    user = make_user(session, role=Role.liaison)
    browser = login(client, user)
    stolen, _ = service.start_session(session, user=user, user_agent="elsewhere")
    session.flush()
    secret = totp.new_secret()
    code = totp.code_at(secret, utcnow(), algorithm="sha256")
    done = browser.post("/account/totp", data={"secret": secret, "code": code,
                                               "current": test_password})
    assert done.status_code == 200
    session.expire_all()
    assert session.get(UserSession, service.token_digest(stolen)) is None
    assert "any other device or browser was signed out" in done.text
    assert browser.get("/account").status_code == 200  # this browser stays signed in
    (row,) = [e for e in _audit(session, "auth.totp_enrolled") if e.actor_id == user.id]
    assert row.details.get("sessions_ended") == 1


def test_enrolling_a_second_factor_asks_for_the_password_again(
    client, session: Session, make_user, login, test_password,
) -> None:
    # 7.5.1: a session left open (or stolen) is not enough to put another phone on the
    # account or to replace its recovery codes: the current password is asked again.
    from app.accounts import totp

    user = make_user(session, role=Role.planner)
    browser = login(client, user)
    form = browser.get("/account/totp")
    assert 'name="current"' in form.text and 'autocomplete="current-password"' in form.text
    secret = form.text.split('name="secret" value="')[1].split('"')[0]
    code = totp.code_at(secret, utcnow(), algorithm="sha256")
    missing = browser.post("/account/totp", data={"secret": secret, "code": code})
    assert missing.status_code == 422
    wrong = browser.post("/account/totp", data={"secret": secret, "code": code,
                                                "current": test_password + "x"})
    assert wrong.status_code == 422 and "The current password is wrong" in wrong.text
    assert secret in wrong.text  # the same set-up, to try again
    session.expire_all()
    assert session.get(User, user.id).totp_secret is None
    (refused,) = [e for e in _audit(session, "auth.password_change_failed")
                  if e.actor_id == user.id]
    assert refused.details["purpose"] == "totp_enrolment"
    # Wrong passwords here count with those of the password form: the throttle holds.
    for _ in range(6):
        last = browser.post("/account/totp", data={"secret": secret, "code": code,
                                                   "current": "guess-" + secret})
    assert last.status_code == 429 and last.headers.get("Retry-After")
    session.expire_all()
    assert session.get(User, user.id).totp_secret is None


def test_ending_another_session_asks_for_the_password_again(
    client, session: Session, make_user, login, test_password,
) -> None:
    # 7.5.2: a stolen session must not end the owner's sessions (and so keep the thief
    # signed in alone) without the password; signing out here needs none.
    user = make_user(session, role=Role.liaison)
    browser = login(client, user)
    _, phone = service.start_session(session, user=user, user_agent="phone")
    _, tablet = service.start_session(session, user=user, user_agent="tablet")
    session.flush()
    phone_id, tablet_id = phone.id, tablet.id
    page = browser.get("/account").text
    assert 'form="end-sessions"' in page and 'autocomplete="current-password"' in page
    for data in ({}, {"current": test_password + "x"}):
        refused = browser.post(f"/account/sessions/{phone_id}/end", data=data)
        assert refused.status_code == 422 and "The current password is wrong" in refused.text
        refused = browser.post("/account/sessions/end-others", data=data)
        assert refused.status_code == 422
    session.expire_all()
    assert session.get(UserSession, phone_id) and session.get(UserSession, tablet_id)
    purposes = {e.details["purpose"] for e in _audit(session, "auth.password_change_failed")
                if e.actor_id == user.id}
    assert purposes == {"session_end", "sessions_end"}
    one = browser.post(f"/account/sessions/{phone_id}/end", data={"current": test_password},
                       follow_redirects=False)
    assert one.status_code == 303
    session.expire_all()
    assert session.get(UserSession, phone_id) is None
    assert session.get(UserSession, tablet_id) is not None
    rest = browser.post("/account/sessions/end-others", data={"current": test_password},
                        follow_redirects=False)
    assert rest.status_code == 303
    session.expire_all()
    assert session.get(UserSession, tablet_id) is None
    (row,) = [e for e in _audit(session, "auth.session_ended")
              if e.actor_id == user.id and e.details.get("others") is not None]
    assert row.details["others"] == 1
    assert browser.get("/account").status_code == 200  # this browser stays signed in


def _audit(session: Session, action: str):  # type: ignore[no-untyped-def]
    from sqlmodel import col, select

    from app.models import AuditEvent

    return session.exec(select(AuditEvent).where(col(AuditEvent.action) == action)).all()


def test_passwords_made_of_the_boards_own_words_are_refused() -> None:
    # 6.1.2 a documented list of context-specific words; 6.2.11 it is used.
    from app.accounts.passwords import CONTEXT_WORDS

    assert {"jointops", "mekong", "police", "liaison"} <= set(CONTEXT_WORDS)
    for weak in ("JointOps2026!!!", "Mekong-Police-2026", "police police police",
                 "Liaison_Officer_1", "ADMINISTRATOR-2026"):
        problem = password_problem(weak)
        assert problem and "words" in problem, weak
    for fine in ("mekong-river-2026", "Mekong river cruise at dawn", "correct-horse-battery",
                 "4815162342-lost-numbers", "1234-5678-9012-3456-7890"):
        assert password_problem(fine) is None, fine


BREACHED = ("!qaz2wsx#edc", "!Winston1209", "#xcbdbsn00ps")  # 12+ characters, each


def test_breached_passwords_are_refused_offline(
    client, session: Session, make_user, login, test_password,
) -> None:
    # 6.2.12: checked against a local set of breached passwords at every password set.
    from app.accounts.passwords import breached_passwords
    from app.models import UserCreate

    assert len(breached_passwords()) > 40_000
    for weak in BREACHED:
        problem = password_problem(weak)
        assert problem and "data breach" in problem, weak
    me = login(client, make_user(session, role=Role.liaison))
    changed = me.post("/account/password", data={
        "current": test_password, "new": BREACHED[0], "confirm": BREACHED[0]})
    assert changed.status_code == 422 and "data breach" in changed.text
    # UserCreate validates every account made (create-admin, the services).
    with pytest.raises(ValidationError, match="data breach"):
        UserCreate(username="chief", role=Role.admin, full_name="Chief", password=BREACHED[1])
