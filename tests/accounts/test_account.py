"""The user's own account (issue 10 findings 7 and 8): TOTP, recovery codes, password
change, sessions with idle timeout, and the TOTP requirement outside dev."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from app.accounts import service, totp
from app.config import get_settings
from app.models import RecoveryCode, Role, UserSession

from .test_auth import _form_login

NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
# The identity check an administrator makes before removing a lost second factor.
IDENTITY = {"identity_method": "video_call_with_liaison",
            "identity_reference": "confirmed by liaison officer Vongsa"}


def test_totp_matches_the_rfc_6238_vectors() -> None:
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # "12345678901234567890"
    for unix, code in [(59, "94287082"), (1111111109, "07081804"), (2000000000, "69279037")]:
        step = unix // totp.STEP_SECONDS
        assert totp.hotp(secret, step, digits=8) == code


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
    done = signed_in.post("/account/totp",
                          data={"secret": secret, "code": totp.code_at(secret, NOW),
                                "current": test_password})
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
    replay = fresh.post("/login/second-factor", data={"code": totp.code_at(secret, NOW),
                                                       "csrf_token": csrf})
    assert replay.status_code == 401
    set_clock(NOW + timedelta(seconds=30))
    ok = fresh.post("/login/second-factor", follow_redirects=False, data={
        "code": totp.code_at(secret, NOW + timedelta(seconds=30)), "csrf_token": csrf})
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
    service.enrol_totp(session, user=user, secret=secret, code=totp.code_at(secret, NOW),
                       current=None)
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
    service.enrol_totp(session, user=planner, secret=secret, code=totp.code_at(secret, NOW),
                       current=None)
    planner_client = login(client, planner)
    done = login(client, admin).post(f"/admin/users/{planner.id}/remove-totp",
                                      data=IDENTITY, follow_redirects=False)
    assert done.status_code == 303
    session.refresh(planner)
    assert planner.totp_secret is None
    assert service.unused_recovery_codes(session, user_id=planner.id) == 0
    assert planner_client.get("/account", follow_redirects=False).status_code == 303
    assert login(client, planner).post(f"/admin/users/{admin.id}/remove-totp").status_code == 403
