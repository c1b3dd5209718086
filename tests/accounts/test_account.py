"""The user's own account (issue 10 findings 7 and 8): TOTP, recovery codes, password
change, sessions with idle timeout, and the TOTP requirement outside dev."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import Session, col, select

from app.accounts import service, totp
from app.config import get_settings
from app.models import AuditEvent, RecoveryCode, Role, UserSession

from .test_auth import _form_login

NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
# The identity check an administrator makes before removing a lost second factor.
IDENTITY = {"identity_method": "video_call_with_liaison",
            "identity_reference": "confirmed by liaison officer Vongsa"}


def test_totp_matches_the_rfc_6238_vectors() -> None:
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # "12345678901234567890"
    for unix, code in [(59, "94287082"), (1111111109, "07081804"), (2000000000, "69279037")]:
        step = unix // totp.STEP_SECONDS
        assert totp.hotp(secret, step, digits=8, algorithm="sha1") == code


# RFC 6238 Appendix B: the SHA-256 key is 32 ASCII bytes, "1234567890" repeated.
SHA256_KEY = base64.b32encode(b"12345678901234567890123456789012").decode().rstrip("=")


def test_totp_matches_the_rfc_6238_sha256_vectors() -> None:
    # ASVS 5.0 11.4.1: new enrolments make HMAC-SHA-256 codes (RFC 6238 section 1.2).
    for unix, code in [(59, "46119246"), (1111111109, "68084774"), (1111111111, "67062674"),
                       (1234567890, "91819424"), (2000000000, "90698825"),
                       (20000000000, "77737706")]:
        step = unix // totp.STEP_SECONDS
        assert totp.hotp(SHA256_KEY, step, digits=8, algorithm="sha256") == code
        assert totp.hotp(SHA256_KEY, step, digits=8, algorithm="sha1") != code
    with pytest.raises(ValueError, match="unknown TOTP algorithm 'md5'"):
        totp.hotp(SHA256_KEY, 1, algorithm="md5")


def _codes_around(secret: str, at: datetime, algorithm: str) -> set[str]:
    """The codes accepted at `at` (the step before, this one and the next)."""
    return {totp.code_at(secret, at + timedelta(seconds=s), algorithm=algorithm)
            for s in (-totp.STEP_SECONDS, 0, totp.STEP_SECONDS)}


def _second_factor(client, username: str, password: str, code: str):  # type: ignore[no-untyped-def]
    """Sign in with the password, then `code`, in a new browser; the last response."""
    browser = client.__class__(client.app)
    step_one = _form_login(browser, username, password)
    assert step_one.status_code == 200 and "Two-step sign-in" in step_one.text
    return browser.post("/login/second-factor", follow_redirects=False,
                        data={"code": code, "csrf_token": browser.cookies.get("jointops_csrf")})


def test_a_new_enrolment_is_sha256_with_a_256_bit_secret(
    client, session: Session, make_user, set_clock, test_password
) -> None:
    # ASVS 5.0 11.4.1: no new TOTP secret is made for HMAC-SHA1.
    set_clock(NOW)
    user = make_user(session, role=Role.planner, username="vanh")
    signed_in = _signed_in(client, "vanh", test_password)
    page = signed_in.get("/account/totp")
    secret = page.text.split('name="secret" value="')[1].split('"')[0]
    uri = unescape(page.text.split('id="totp-uri">')[1].split("</code>")[0])
    assert parse_qs(urlsplit(uri).query) == {
        "secret": [secret], "issuer": ["JointOps"], "algorithm": ["SHA256"],
        "digits": ["6"], "period": ["30"]}
    assert len(base64.b32decode(secret + "=" * (-len(secret) % 8))) == 32  # 256 bits
    assert "must support SHA-256 codes" in page.text and "FreeOTP" in page.text
    # The app that reads the page's key ignores the algorithm, a SHA-1 one: said so.
    sha1_code = totp.code_at(SHA256_KEY, NOW, algorithm="sha1")
    assert sha1_code not in _codes_around(SHA256_KEY, NOW, "sha256")
    wrong = signed_in.post("/account/totp", data={"secret": SHA256_KEY, "code": sha1_code,
                                                  "current": test_password})
    assert wrong.status_code == 422 and "does not match" in wrong.text
    assert "SHA-1 codes only" in wrong.text and "supports SHA-256" in wrong.text
    assert "Aegis, 2FAS, Bitwarden or 1Password" in wrong.text
    assert user.totp_secret is None
    done = signed_in.post("/account/totp", data={
        "secret": SHA256_KEY, "code": totp.code_at(SHA256_KEY, NOW, algorithm="sha256"),
        "current": test_password})
    assert done.status_code == 200
    session.refresh(user)
    assert (user.totp_secret, user.totp_algorithm) == (SHA256_KEY, "sha256")
    (enrolled,) = session.exec(select(AuditEvent).where(
        col(AuditEvent.action) == "auth.totp_enrolled", col(AuditEvent.actor_id) == user.id)).all()
    assert enrolled.details["algorithm"] == "sha256"
    # A new secret is 256 bits every time, in base32 without padding.
    assert all(len(base64.b32decode(totp.new_secret() + "====")) == 32 for _ in range(20))


def test_a_sha1_code_does_not_sign_in_a_sha256_enrolment(
    client, session: Session, make_user, set_clock, test_password
) -> None:
    set_clock(NOW)
    user = make_user(session, role=Role.planner, username="bounmy")
    service.enrol_totp(session, user=user, secret=SHA256_KEY,
                       code=totp.code_at(SHA256_KEY, NOW, algorithm="sha256"), current=None)
    assert user.totp_algorithm == "sha256"
    later = NOW + timedelta(minutes=5)
    set_clock(later)
    sha1_code = totp.code_at(SHA256_KEY, later, algorithm="sha1")
    assert sha1_code not in _codes_around(SHA256_KEY, later, "sha256")
    assert _second_factor(client, "bounmy", test_password, sha1_code).status_code == 401
    ok = _second_factor(client, "bounmy", test_password,
                        totp.code_at(SHA256_KEY, later, algorithm="sha256"))
    assert ok.status_code == 303


@pytest.mark.parametrize("stored", ["sha1", None])
def test_an_enrolment_made_with_sha1_before_still_signs_in(
    client, session: Session, make_user, set_clock, test_password, stored
) -> None:
    # ASVS 5.0 Appendix V: SHA-1 may still verify existing material. A secret enrolled
    # before SHA-256 (the migration wrote "sha1"; None is a row it never saw) keeps
    # signing in with the user's app, and a SHA-256 code from its secret does not.
    set_clock(NOW)
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # 160 bits, as enrolments were made
    user = make_user(session, role=Role.planner, username="khamla")
    user.totp_secret, user.totp_algorithm = secret, stored
    session.add(user)
    session.flush()
    sha256_code = totp.code_at(secret, NOW, algorithm="sha256")
    assert sha256_code not in _codes_around(secret, NOW, "sha1")
    assert _second_factor(client, "khamla", test_password, sha256_code).status_code == 401
    ok = _second_factor(client, "khamla", test_password,
                        totp.code_at(secret, NOW, algorithm="sha1"))
    assert ok.status_code == 303
    session.refresh(user)
    assert user.totp_algorithm == stored  # verified, not re-enrolled


def test_the_setting_sha1_makes_new_enrolments_sha1(
    client, session: Session, make_user, set_clock, test_password,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # JOINTOPS_TOTP_ALGORITHM=SHA1, for a fleet whose app makes SHA-1 codes only.
    set_clock(NOW)
    monkeypatch.setenv("JOINTOPS_TOTP_ALGORITHM", "SHA1")
    get_settings.cache_clear()
    try:
        user = make_user(session, role=Role.planner, username="soukan")
        signed_in = _signed_in(client, "soukan", test_password)
        page = signed_in.get("/account/totp")
        assert "algorithm=SHA1&" in page.text and "must support SHA-256" not in page.text
        secret = SHA256_KEY  # as the page's, but its codes are known to differ
        sha256_code = totp.code_at(secret, NOW, algorithm="sha256")
        assert sha256_code not in _codes_around(secret, NOW, "sha1")
        refused = signed_in.post("/account/totp", data={
            "secret": secret, "code": sha256_code, "current": test_password})
        assert refused.status_code == 422 and "does not match" in refused.text
        assert "SHA-1 codes only" not in refused.text
        done = signed_in.post("/account/totp", data={
            "secret": secret, "code": totp.code_at(secret, NOW, algorithm="sha1"),
            "current": test_password})
        assert done.status_code == 200
        session.refresh(user)
        assert (user.totp_secret, user.totp_algorithm) == (secret, "sha1")
        # Only new enrolments follow the setting: back to SHA256, this one stays SHA-1.
        monkeypatch.setenv("JOINTOPS_TOTP_ALGORITHM", "SHA256")
        get_settings.cache_clear()
        later = NOW + timedelta(minutes=5)
        set_clock(later)
        ok = _second_factor(client, "soukan", test_password,
                            totp.code_at(secret, later, algorithm="sha1"))
        assert ok.status_code == 303
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_enrol_then_sign_in_with_a_code_and_a_recovery_code(
    client, session: Session, make_user, set_clock, test_password
) -> None:
    set_clock(NOW)
    user = make_user(session, role=Role.planner, username="kham")
    signed_in = _signed_in(client, "kham", test_password)
    page = signed_in.get("/account/totp")
    assert page.status_code == 200 and "otpauth://totp/JointOps%3Akham?secret=" in page.text
    secret = page.text.split('name="secret" value="')[1].split('"')[0]
    wrong = signed_in.post("/account/totp", data={"secret": secret, "code": "000000",
                                                  "current": test_password})
    assert wrong.status_code == 422 and "does not match" in wrong.text
    code = totp.code_at(secret, NOW, algorithm="sha256")  # the default for new enrolments
    done = signed_in.post("/account/totp",
                          data={"secret": secret, "code": code, "current": test_password})
    assert done.status_code == 200
    assert user.totp_secret == secret
    codes = session.exec(select(RecoveryCode).where(col(RecoveryCode.user_id) == user.id)).all()
    assert len(codes) == 10 and all(len(c.code_hash) == 64 for c in codes)
    shown = done.text.split('id="recovery-codes"')[1].split("</ul>")[0]
    recovery = shown.split("<code>")[1].split("</code>")[0]
    assert recovery not in {c.code_hash for c in codes}  # stored hashed only
    # The password alone no longer opens a session.
    fresh = client.__class__(client.app)
    step_one = _form_login(fresh, "kham", test_password)
    assert step_one.status_code == 200 and "Two-step sign-in" in step_one.text
    assert get_settings().session_cookie_name not in step_one.cookies
    csrf = fresh.cookies.get("jointops_csrf")
    # the code used for enrolment cannot be replayed
    replay = fresh.post("/login/second-factor", data={"code": code, "csrf_token": csrf})
    assert replay.status_code == 401
    set_clock(NOW + timedelta(seconds=30))
    ok = fresh.post("/login/second-factor", follow_redirects=False, data={
        "code": totp.code_at(secret, NOW + timedelta(seconds=30), algorithm="sha256"),
        "csrf_token": csrf})
    assert ok.status_code == 303
    # a recovery code works once
    other = client.__class__(client.app)
    _form_login(other, "kham", test_password)
    data = {"code": recovery, "csrf_token": other.cookies.get("jointops_csrf")}
    assert other.post("/login/second-factor", data=data,
                      follow_redirects=False).status_code == 303
    again = client.__class__(client.app)
    _form_login(again, "kham", test_password)
    data["csrf_token"] = again.cookies.get("jointops_csrf")
    assert again.post("/login/second-factor", data=data).status_code == 401


def _signed_in(client, username: str, password: str):  # type: ignore[no-untyped-def]
    response = _form_login(client, username, password)
    assert response.status_code == 303, response.text
    client.headers["X-CSRF-Token"] = ""
    token = client.cookies.get(get_settings().session_cookie_name)
    session = client.app.dependency_overrides
    from app.db import get_session

    db = session[get_session]()
    row = db.get(UserSession, service.token_digest(token))
    client.headers["X-CSRF-Token"] = row.csrf_token
    return client


@pytest.fixture
def outside_dev(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """JOINTOPS_ENVIRONMENT=test (not dev) for the body of the test, dev again after."""
    monkeypatch.setenv("JOINTOPS_ENVIRONMENT", "test")
    monkeypatch.setenv("JOINTOPS_SECRET_KEY", "k" * 40)
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.mark.parametrize("role", list(Role))
def test_totp_required_for_every_role_outside_dev(
    client, session: Session, world, make_user, login, set_clock, test_password, outside_dev,
    role,
) -> None:
    # ASVS 5.0 6.3.3: liaison and unit officers too, not only those who plan.
    set_clock(NOW)
    user = make_user(session, role=role, agency="TH-RTP",
                     unit="U-TH-1" if role == Role.unit_officer else None)
    signed_in = _form_login(client, user.username, test_password)
    assert signed_in.headers["location"] == "/account/totp"  # sent to enrol first
    blocked = client.get("/", follow_redirects=False)
    assert blocked.status_code == 303 and blocked.headers["location"] == "/account/totp"
    assert client.get("/account/totp").status_code == 200
    api = login(client, user).get("/api/v1/units")
    assert api.status_code == 403 and "two-step" in api.json()["detail"]
    secret = totp.new_secret()
    service.enrol_totp(session, user=user, secret=secret,
                       code=totp.code_at(secret, NOW, algorithm="sha256"), current=None)
    # enrolled: the role's own rights apply (a unit officer has no API)
    assert "two-step" not in login(client, user).get("/api/v1/units").text
    home = login(client, user).get("/", follow_redirects=False)
    assert home.status_code == 200 or home.headers["location"] != "/account/totp"
    # the password alone opens no session any more: the code is asked for
    fresh = client.__class__(client.app)
    step_one = _form_login(fresh, user.username, test_password)
    assert step_one.status_code == 200 and "Two-step sign-in" in step_one.text
    assert get_settings().session_cookie_name not in step_one.cookies


def test_totp_is_optional_in_dev_for_the_demo_logins(
    client, session: Session, world, make_user, login, test_password
) -> None:
    # in dev (make run) the demo logins work with the password alone, whatever the role
    for role in Role:
        user = make_user(session, role=role, agency="TH-RTP",
                         unit="U-TH-1" if role == Role.unit_officer else None)
        signed_in = _form_login(client.__class__(client.app), user.username, test_password)
        assert signed_in.headers["location"] == "/", role
        home = login(client, user).get("/", follow_redirects=False)
        assert home.status_code == 200 or home.headers["location"] != "/account/totp", role


def test_calendar_feeds_stay_token_based_outside_dev(
    client, session: Session, world, make_user, outside_dev
) -> None:
    # A feed URL is read by a calendar app, which has no second factor: its token is
    # a read-only credential of one feed, not a sign-in.
    from app.feeds.tokens import create_token

    officer = make_user(session, role=Role.unit_officer, agency="TH-RTP", unit="U-TH-1")
    secret, _ = create_token(session, user=officer, label="phone", choice_key="officer:")
    assert client.get(f"/feeds/{secret}.ics").status_code == 200
    assert client.get("/calendar", follow_redirects=False).headers["location"].startswith(
        "/login")


def test_change_own_password(client, session: Session, make_user, login, test_password) -> None:
    user = make_user(session, role=Role.liaison, username="noy")
    me = login(client, user)
    other_device = login(client, user)
    for form, message in [
        ({"current": test_password, "new": "password", "confirm": "password"},
         "at least 12 characters"),
        ({"current": test_password, "new": "password1234", "confirm": "password1234"},
         "common passwords"),
        ({"current": test_password, "new": " " * 14, "confirm": " " * 14}, "blank"),
        ({"current": "not-my-password", "new": "mekong-river-2026",
          "confirm": "mekong-river-2026"}, "current password is wrong"),
        ({"current": test_password, "new": "mekong-river-2026", "confirm": "other-thing-2026"},
         "differ"),
    ]:
        refused = me.post("/account/password", data=form)
        assert refused.status_code == 422 and message in refused.text, message
    changed = me.post("/account/password", follow_redirects=False, data={
        "current": test_password, "new": "mekong-river-2026", "confirm": "mekong-river-2026"})
    assert changed.status_code == 303
    assert service.verify_password("mekong-river-2026", user.password_hash)
    assert me.get("/account").status_code == 200  # this session stays
    assert other_device.get("/account", follow_redirects=False).status_code == 303


def test_sessions_listed_ended_and_idle(
    client, session: Session, make_user, login, set_clock, test_password
) -> None:
    set_clock(NOW)
    user = make_user(session, role=Role.liaison)
    me = login(client, user)
    phone = client.__class__(client.app)
    token, row = service.start_session(
        session, user=user, address="203.0.113.5",
        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Safari/604.1")
    phone.cookies.set(get_settings().session_cookie_name, token)
    page = me.get("/account")
    assert "Safari on iPhone" in page.text and "203.0.113.5" in page.text
    assert me.post(f"/account/sessions/{row.id}/end", data={"current": test_password},
                   follow_redirects=False).status_code == 303
    assert phone.get("/account", follow_redirects=False).status_code == 303
    # someone else's session id is not found
    stranger = make_user(session, role=Role.liaison)
    _, theirs = service.start_session(session, user=stranger)
    assert me.post(f"/account/sessions/{theirs.id}/end",
                   data={"current": test_password}).status_code == 404
    # idle: unused for longer than the idle limit ends the session, use keeps it alive
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    set_clock(NOW + idle - timedelta(minutes=1))
    assert me.get("/account").status_code == 200  # a use: last_used_at moves
    set_clock(NOW + 2 * idle - timedelta(minutes=2))
    assert me.get("/account").status_code == 200
    set_clock(NOW + 3 * idle)
    assert me.get("/account", follow_redirects=False).status_code == 303
    assert service.purge_expired_sessions(session) >= 1


def test_admin_ends_all_sessions_of_a_user(client, session, make_user, login) -> None:
    admin = make_user(session, role=Role.admin)
    user = make_user(session, role=Role.liaison)
    victim_laptop, victim_phone = login(client, user), login(client, user)
    done = login(client, admin).post(f"/admin/users/{user.id}/end-sessions",
                                      follow_redirects=False)
    assert done.status_code == 303
    for device in (victim_laptop, victim_phone):
        assert device.get("/account", follow_redirects=False).status_code == 303


def test_purge_sessions_cli(tmp_path, monkeypatch) -> None:
    from sqlmodel import SQLModel
    from typer.testing import CliRunner

    from app.cli import app as cli_app
    from app.clock import utcnow
    from app.db import get_engine
    from app.models import User

    monkeypatch.setenv("JOINTOPS_DATABASE_URL", f"sqlite:///{tmp_path / 'p.db'}")
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        SQLModel.metadata.create_all(get_engine())
        with Session(get_engine()) as db:
            user = User(username="old", role=Role.liaison, password_hash="x")
            db.add(user)
            db.flush()
            # Expired by the clock the command reads (the fixed NOW is in the future under
            # faketime -365d).
            now = utcnow()
            db.add(UserSession(id="a" * 64, user_id=user.id, csrf_token="c",
                               created_at=now - timedelta(days=2),
                               expires_at=now - timedelta(days=1)))
            db.commit()
        result = CliRunner().invoke(cli_app, ["purge-sessions"])
        assert result.exit_code == 0 and "Purged 1 expired session(s)" in result.output
    finally:
        get_engine().dispose()
        get_settings.cache_clear()
        get_engine.cache_clear()


@pytest.mark.parametrize("password", ["password", "12345678", " " * 8, " " * 14,
                                      "password1234", "qwertyuiop123"])
def test_weak_passwords_are_refused_everywhere_accounts_are_made(password: str) -> None:
    # UserCreate is what `jointops create-user` and the account service take.
    from pydantic import ValidationError

    from app.models import UserCreate

    with pytest.raises(ValidationError):
        UserCreate(username="somchai", role=Role.liaison, password=password)
    assert UserCreate(username="somchai", role=Role.liaison, password="mekong-river-2026")


def test_admin_removes_a_lost_second_factor(client, session: Session, make_user, login,
                                            set_clock) -> None:
    set_clock(NOW)
    admin = make_user(session, role=Role.admin)
    planner = make_user(session, role=Role.planner)
    secret = totp.new_secret()
    service.enrol_totp(session, user=planner, secret=secret,
                       code=totp.code_at(secret, NOW, algorithm="sha256"), current=None)
    planner_client = login(client, planner)
    done = login(client, admin).post(f"/admin/users/{planner.id}/remove-totp",
                                      data=IDENTITY, follow_redirects=False)
    assert done.status_code == 303
    session.refresh(planner)
    assert planner.totp_secret is None and planner.totp_algorithm is None
    assert service.unused_recovery_codes(session, user_id=planner.id) == 0
    assert planner_client.get("/account", follow_redirects=False).status_code == 303
    assert login(client, planner).post(f"/admin/users/{admin.id}/remove-totp").status_code == 403
