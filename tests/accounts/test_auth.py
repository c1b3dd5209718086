"""Sign in, sign out, server-side sessions, disabled accounts, CSRF and password hashing."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from app.accounts import service
from app.config import get_settings
from app.models import Role, UserCreate, UserSession

COOKIE = get_settings().session_cookie_name


def _csrf(client) -> str:  # type: ignore[no-untyped-def]
    client.get("/login")
    return client.cookies.get("jointops_csrf")


def _form_login(client, username: str, password: str):  # type: ignore[no-untyped-def]
    data = {"username": username, "password": password, "csrf_token": _csrf(client)}
    return client.post("/login", data=data, follow_redirects=False)


def test_login_with_good_password_opens_a_session(
    client, session: Session, make_user, test_password
) -> None:
    user = make_user(session, role=Role.planner, username="somchai")
    response = _form_login(client, "somchai", test_password)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    token = response.cookies.get(COOKIE)
    assert token and "httponly" in response.headers["set-cookie"].lower()
    stored = session.exec(select(UserSession).where(UserSession.user_id == user.id)).one()
    assert stored.id == service.token_digest(token) != token
    page = client.get("/", follow_redirects=False)
    assert page.status_code in (200, 303) and page.headers.get("location") != "/login"


def test_login_with_bad_password_is_refused(
    client, session: Session, make_user, test_password
) -> None:
    make_user(session, username="somchai")
    response = _form_login(client, "somchai", "wrong-password")
    assert response.status_code == 401
    assert "Wrong username or password" in response.text
    assert COOKIE not in response.cookies
    assert session.exec(select(UserSession)).first() is None
    assert _form_login(client, "nobody", test_password).status_code == 401


def test_anonymous_page_redirects_to_login(client) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    htmx = client.get("/", headers={"HX-Request": "true"}, follow_redirects=False)
    assert htmx.headers["HX-Redirect"] == "/login"


def test_logout_ends_the_session_at_once(client, session: Session, make_user, login) -> None:
    user = make_user(session)
    signed_in = login(client, user)
    token = signed_in.cookies.get(COOKIE)
    assert signed_in.get("/", follow_redirects=False).headers.get("location") != "/login"
    response = signed_in.post("/logout", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert session.get(UserSession, service.token_digest(token)) is None
    # The old cookie is dead even if a client keeps sending it.
    replay = client.__class__(client.app)
    replay.cookies.set(COOKIE, token)
    assert replay.get("/", follow_redirects=False).headers["location"] == "/login"


def test_disabling_a_user_kills_their_session(
    client, session: Session, make_user, login, test_password
) -> None:
    user = make_user(session)
    signed_in = login(client, user)
    service.set_active(session, user=user, active=False)
    session.commit()
    assert session.exec(select(UserSession).where(UserSession.user_id == user.id)).first() is None
    assert signed_in.get("/", follow_redirects=False).headers["location"] == "/login"
    assert _form_login(client, user.username, test_password).status_code == 401


def test_inactive_user_row_is_rejected_even_with_live_session(
    client, session: Session, make_user, login
) -> None:
    user = make_user(session)
    signed_in = login(client, user)
    user.is_active = False  # disabled behind the service's back: lookup still refuses
    session.flush()
    assert signed_in.get("/", follow_redirects=False).headers["location"] == "/login"


def test_expired_session_is_rejected(client, session: Session, make_user, login) -> None:
    user = make_user(session)
    signed_in = login(client, user)
    row = session.exec(select(UserSession).where(UserSession.user_id == user.id)).one()
    row.expires_at = row.created_at - timedelta(seconds=1)
    session.flush()
    assert signed_in.get("/", follow_redirects=False).headers["location"] == "/login"


def test_unsafe_request_without_csrf_token_is_forbidden(
    client, session: Session, make_user, login
) -> None:
    user = make_user(session)
    signed_in = login(client, user)
    good = signed_in.headers.pop("X-CSRF-Token")
    assert signed_in.post("/logout").status_code == 403
    assert signed_in.post("/logout", headers={"X-CSRF-Token": "forged"}).status_code == 403
    htmx = signed_in.post("/logout", headers={"HX-Request": "true"})
    assert htmx.status_code == 403 and htmx.headers["HX-Retarget"] == "#toasts"
    assert "CSRF" in htmx.text and "<html" not in htmx.text
    form = signed_in.post("/logout", data={"csrf_token": good}, follow_redirects=False)
    assert form.status_code == 303


def test_login_form_needs_its_csrf_token(
    client, session: Session, make_user, test_password
) -> None:
    make_user(session, username="somchai")
    data = {"username": "somchai", "password": test_password}
    assert client.post("/login", data=data).status_code == 403


def test_password_hash_is_argon2id(session: Session) -> None:
    user = service.create_user(
        session,
        user_in=UserCreate(username="lan", role=Role.liaison, password="s3cret-pass-word"),
    )
    assert user.password_hash.startswith("$argon2id$")
    assert "s3cret" not in user.password_hash
    assert service.authenticate(session, username="lan", password="s3cret-pass-word") == user
    assert service.authenticate(session, username="lan", password="nope-nope") is None


def test_next_parameter_never_leaves_the_site(
    client, session: Session, make_user, test_password
) -> None:
    make_user(session, username="somchai")
    data = {
        "username": "somchai",
        "password": test_password,
        "next": "//evil.example/x",
        "csrf_token": _csrf(client),
    }
    response = client.post("/login", data=data, follow_redirects=False)
    assert response.headers["location"] == "/"


def test_api_errors_are_json(client) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def test_pages_send_security_headers(client) -> None:
    response = client.get("/login")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["vary"] == "HX-Request"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert '<meta name="csrf-token"' in response.text
    static = client.get("/static/css/app.css")
    assert static.headers["x-content-type-options"] == "nosniff"
    assert "no-store" not in static.headers.get("cache-control", "")
