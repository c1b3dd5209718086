"""Identity proofing (ASVS 5.0 6.4.3, 6.4.4): opening an account, resetting a forgotten
password and removing a lost second factor each need the administrator's identity check
of the holder (a method from one fixed list and a reference), recorded in the action's
audit row with the administrator; an administrator's own password or factor is reset by
another; and a reset never skips the second factor at the next sign-in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from app.accounts import service, totp
from app.admin import users
from app.admin.common import FieldErrors
from app.config import get_settings
from app.errors import Conflict
from app.models import Role, User

from .helpers import IDENTITY, audit_rows, field_error

NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
NEW_USER = {"username": "som.chai", "full_name": "Somchai P.", "role": "unit_officer",
            "agency_id": "", "unit_id": "U-TH-2", "password": "mekong-dawn-2026!"}
CALLBACK = {"identity_method": "agency_callback",
            "identity_reference": "  call-back to TH-RTP duty desk, ticket 5521  "}
# (what is posted instead of a good check, the field named, its message)
REFUSED = [
    ({"identity_method": ""}, "identity_method", "is required"),
    ({"identity_method": "phoned_me"}, "identity_method",
     "choose one of 'in_person', 'video_call_with_liaison' or 'agency_callback'"),
    ({"identity_reference": ""}, "identity_reference", "is required"),
    ({"identity_reference": "    "}, "identity_reference", "is required"),
    ({"identity_reference": " 47 "}, "identity_reference", "must have at least 4 characters"),
    ({"identity_reference": "x" * 201}, "identity_reference",
     "must have at most 200 characters"),
]


@pytest.fixture
def admin(client, admin_user: User, login, set_clock):  # type: ignore[no-untyped-def]
    """The administrator, signed in at NOW (the board's clock stands there, whatever the
    machine's date: the suite also runs under faketime)."""
    set_clock(NOW)
    return login(client, admin_user)


def _user(session: Session, username: str) -> User:
    return session.exec(select(User).where(User.username == username)).one()


def _with_totp(session: Session, user: User) -> str:
    secret = totp.new_secret()
    code = totp.code_at(secret, NOW, algorithm="sha256")
    service.enrol_totp(session, user=user, secret=secret, code=code, current=None)
    return secret


@pytest.mark.parametrize(("change", "field", "message"), REFUSED)
def test_opening_an_account_needs_an_identity_check(
    admin, session: Session, change, field, message
) -> None:
    refused = admin.post("/admin/users", data={**NEW_USER, **IDENTITY, **change})
    assert refused.status_code == 422
    assert field_error(refused, field) == message
    assert session.exec(select(User).where(User.username == "som.chai")).first() is None
    # the form comes back as typed (the password excepted), to correct the one field
    assert 'value="som.chai"' in refused.text
    if field == "identity_method":
        assert 'value="police ID ending 4711"' in refused.text
    else:
        assert '<option value="in_person" selected>' in refused.text
    assert 'for="f-identity_method"' in refused.text
    assert 'for="f-identity_reference"' in refused.text
    assert audit_rows(session, "admin.user.created") == []


@pytest.mark.parametrize(("change", "field", "message"), REFUSED)
def test_a_password_reset_needs_an_identity_check(
    admin, session: Session, make_user, test_password, change, field, message
) -> None:
    liaison = make_user(session, role=Role.liaison, agency="LA-MPS")
    refused = admin.post(f"/admin/users/{liaison.id}/password",
                         data={"password": "new-secret-99", **IDENTITY, **change})
    assert refused.status_code == 422
    assert field_error(refused, field) == message
    assert service.verify_password(test_password, liaison.password_hash)
    assert not liaison.password_must_change
    assert 'id="reset-password"' in refused.text
    reset_form = refused.text.split('id="reset-password"')[1].split("</form>")[0]
    assert 'for="reset-identity_method"' in reset_form
    assert 'for="reset-identity_reference"' in reset_form
    if field == "identity_method":
        assert 'value="police ID ending 4711"' in reset_form
    else:
        assert '<option value="in_person" selected>' in reset_form
    assert "new-secret-99" not in refused.text  # a password is never echoed
    assert audit_rows(session, "admin.user.password_reset") == []


@pytest.mark.parametrize(("change", "field", "message"), REFUSED)
def test_removing_a_second_factor_needs_an_identity_check(
    admin, session: Session, make_user, set_clock, change, field, message
) -> None:
    set_clock(NOW)
    planner = make_user(session, role=Role.planner, agency="TH-RTP")
    secret = _with_totp(session, planner)
    refused = admin.post(f"/admin/users/{planner.id}/remove-totp",
                         data={**IDENTITY, **change})
    assert refused.status_code == 422
    assert field_error(refused, field) == message
    session.refresh(planner)
    assert planner.totp_secret == secret
    totp_form = refused.text.split('id="remove-totp"')[1].split("</form>")[0]
    assert 'for="totp-identity_method"' in totp_form
    assert f'id="err-{field}"' in totp_form
    if field == "identity_method":
        assert 'value="police ID ending 4711"' in totp_form
    else:
        assert '<option value="in_person" selected>' in totp_form
    assert audit_rows(session, "auth.totp_removed") == []


def test_the_services_refuse_without_an_identity_check(
    session: Session, world, make_user, admin_user
) -> None:
    """What any other caller of the use cases (an API, a script) meets: the field named."""
    officer = make_user(session, role=Role.liaison, agency="LA-MPS")
    calls = [
        lambda data: users.create_user(session, data={**NEW_USER, **data}, actor=admin_user),
        lambda data: users.reset_password(session, user=officer, data=data, actor=admin_user),
        lambda data: users.remove_second_factor(session, user=officer, data=data,
                                                actor=admin_user),
    ]
    for call in calls:
        with pytest.raises(FieldErrors) as missing:
            call({})
        assert set(missing.value.errors) >= {"identity_method", "identity_reference"}
        with pytest.raises(FieldErrors) as blank:
            call({"identity_method": "in_person", "identity_reference": " \t "})
        assert {k: str(v) for k, v in blank.value.errors.items()} == {
            "identity_reference": "is required"}


def test_each_action_audits_the_identity_check_with_the_administrator(
    admin, session: Session, admin_user, set_clock
) -> None:
    set_clock(NOW)
    created = admin.post("/admin/users", data={**NEW_USER, **IDENTITY},
                         follow_redirects=False)
    assert created.status_code == 303
    user = _user(session, "som.chai")
    reset = admin.post(f"/admin/users/{user.id}/password",
                       data={"password": "", **CALLBACK})
    assert reset.status_code == 200
    _with_totp(session, user)
    video = {"identity_method": "video_call_with_liaison",
             "identity_reference": "liaison officer Aye Chan (MM-MPF)"}
    removed = admin.post(f"/admin/users/{user.id}/remove-totp", data=video,
                         follow_redirects=False)
    assert removed.status_code == 303
    expected = [
        ("admin.user.created", "in_person", "police ID ending 4711"),
        ("admin.user.password_reset", "agency_callback",
         "call-back to TH-RTP duty desk, ticket 5521"),  # trimmed
        ("auth.totp_removed", "video_call_with_liaison", "liaison officer Aye Chan (MM-MPF)"),
    ]
    for action, method, reference in expected:
        [row] = audit_rows(session, action)
        assert row.actor_id == admin_user.id and row.object_id == str(user.id)
        assert row.details["identity_method"] == method
        assert row.details["identity_reference"] == reference
        assert row.details["identity_checked_by"] == "root-admin"


def test_the_audit_page_shows_the_identity_check(
    admin, session: Session, make_user, set_clock
) -> None:
    set_clock(NOW)
    officer = make_user(session, role=Role.liaison, agency="LA-MPS")
    assert admin.post(f"/admin/users/{officer.id}/password",
                      data={"password": "", **CALLBACK}).status_code == 200
    page = admin.get("/admin/audit?action=admin.user.password_reset")
    assert page.status_code == 200
    row = page.text.split('id="audit-rows"')[1].split("</tr>")[1]
    assert "admin.user.password_reset" in row
    assert "identity_method: agency_callback" in row
    assert "identity_reference: call-back to TH-RTP duty desk, ticket 5521" in row
    assert "identity_checked_by: root-admin" in row


def test_an_administrator_cannot_reset_their_own_password_or_factor(
    client, session: Session, admin_user, make_user, login, set_clock, test_password
) -> None:
    set_clock(NOW)
    secret = _with_totp(session, admin_user)
    admin = login(client, admin_user)
    own_password = admin.post(f"/admin/users/{admin_user.id}/password",
                              data={"password": "", **IDENTITY})
    assert own_password.status_code == 409
    assert "You cannot reset your own password here" in own_password.text
    own_factor = admin.post(f"/admin/users/{admin_user.id}/remove-totp", data=IDENTITY)
    assert own_factor.status_code == 409
    assert "You cannot remove your own two-step sign-in" in own_factor.text
    session.refresh(admin_user)
    assert admin_user.totp_secret == secret and not admin_user.password_must_change
    assert service.verify_password(test_password, admin_user.password_hash)
    with pytest.raises(Conflict):
        users.reset_password(session, user=admin_user, data=IDENTITY, actor=admin_user)
    with pytest.raises(Conflict):
        users.remove_second_factor(session, user=admin_user, data=IDENTITY, actor=admin_user)
    # another administrator can, with an identity check
    other = login(client, make_user(session, role=Role.admin, username="deputy-admin"))
    assert other.post(f"/admin/users/{admin_user.id}/remove-totp", data=IDENTITY,
                      follow_redirects=False).status_code == 303
    session.refresh(admin_user)
    assert admin_user.totp_secret is None


def test_a_password_reset_does_not_bypass_the_second_factor(
    admin, client, session: Session, make_user, set_clock
) -> None:
    set_clock(NOW)
    officer = make_user(session, role=Role.liaison, agency="LA-MPS", username="khamla")
    secret = _with_totp(session, officer)
    reset = admin.post(f"/admin/users/{officer.id}/password",
                       data={"password": "new-secret-99", **IDENTITY}, follow_redirects=False)
    assert reset.status_code == 303
    session.refresh(officer)
    assert officer.totp_secret == secret and officer.password_must_change  # the factor stays
    browser = client.__class__(client.app)
    browser.get("/login")
    csrf = browser.cookies.get("jointops_csrf")
    step_one = browser.post("/login", follow_redirects=False, data={
        "username": "khamla", "password": "new-secret-99", "csrf_token": csrf})
    # the temporary password alone opens nothing: the code is asked for first
    assert step_one.status_code == 200 and "Two-step sign-in" in step_one.text
    assert get_settings().session_cookie_name not in browser.cookies
    for path in ("/account/password", "/account", "/"):
        page = browser.get(path, follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/login"), path
    changed = browser.post("/account/password", follow_redirects=False, data={
        "current": "new-secret-99", "new": "a river at dawn, mine",
        "confirm": "a river at dawn, mine", "csrf_token": csrf})
    assert changed.status_code in (303, 401, 403)
    assert changed.headers.get("location", "/login").startswith("/login")
    session.refresh(officer)
    assert officer.password_must_change
    wrong = browser.post("/login/second-factor", data={"code": "000000", "csrf_token": csrf})
    assert wrong.status_code == 401
    set_clock(NOW + timedelta(seconds=30))
    ok = browser.post("/login/second-factor", follow_redirects=False, data={
        "code": totp.code_at(secret, NOW + timedelta(seconds=30), algorithm="sha256"),
        "csrf_token": csrf})
    # only after the code: the temporary password is replaced, before anything else
    assert ok.status_code == 303 and ok.headers["location"] == "/account/password"
