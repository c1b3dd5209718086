"""Cookies and headers (issue 10 finding 9): Secure and __Host- cookies, HSTS in
production, the security headers on 500s, and the OpenAPI document behind sign-in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import get_settings
from app.db import get_session
from app.main import create_app

from .test_auth import _form_login

SECRET = "s" * 40


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("JOINTOPS_ENVIRONMENT", "production")
    monkeypatch.setenv("JOINTOPS_SECRET_KEY", SECRET)
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def _https_client(session: Session) -> TestClient:
    app = create_app()
    app.dependency_overrides[get_session] = lambda: session
    return TestClient(app, base_url="https://testserver")


def test_compose_runs_the_stack_in_production() -> None:
    from app.config import ROOT

    assert "JOINTOPS_ENVIRONMENT: production" in (ROOT / "docker-compose.yml").read_text()


def test_production_cookies_are_secure_and_host_prefixed(
    production, session: Session, make_user, test_password
) -> None:
    make_user(session, role="liaison", agency=None, username="noy")
    client = _https_client(session)
    page = client.get("/login")
    csrf_cookie = page.headers["set-cookie"]
    assert csrf_cookie.startswith("__Host-jointops_csrf=") and "secure" in csrf_cookie.lower()
    assert "path=/" in csrf_cookie.lower() and "domain" not in csrf_cookie.lower()
    assert "samesite=lax" in csrf_cookie.lower()
    response = client.post("/login", data={
        "username": "noy", "password": test_password,
        "csrf_token": client.cookies.get("__Host-jointops_csrf"),
    }, follow_redirects=False)
    assert response.status_code == 303
    cookies = response.headers.get_list("set-cookie")
    [session_cookie] = [c for c in cookies if c.startswith("__Host-jointops_session=")]
    assert "secure" in session_cookie.lower() and "httponly" in session_cookie.lower()
    assert "samesite=lax" in session_cookie.lower()
    signed_out = client.post("/logout", data={"csrf_token": ""}, headers={
        "X-CSRF-Token": _csrf_of(session)}, follow_redirects=False)
    flash = [c for c in signed_out.headers.get_list("set-cookie") if "jointops_flash" in c]
    assert flash and flash[0].startswith("__Host-jointops_flash=")
    assert "secure" in flash[0].lower() and "samesite=lax" in flash[0].lower()


def _csrf_of(session: Session) -> str:
    from sqlmodel import select

    from app.models import UserSession

    return session.exec(select(UserSession.csrf_token)).first() or ""


def test_hsts_in_production_only(production, session: Session) -> None:
    client = _https_client(session)
    assert client.get("/login").headers["Strict-Transport-Security"].startswith("max-age=")


def test_no_hsts_in_dev(client: TestClient) -> None:
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_security_headers_on_500_responses(session: Session) -> None:
    app = create_app()
    app.dependency_overrides[get_session] = lambda: session

    @app.get("/boom", dependencies=[])
    def boom() -> None:
        raise RuntimeError("boom")

    client = TestClient(app, raise_server_exceptions=False)
    response = client.get("/boom")
    assert response.status_code == 500
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_openapi_document_only_for_signed_in_users(
    client: TestClient, session: Session, make_user, login
) -> None:
    assert client.get("/api/openapi.json").status_code == 401
    user = make_user(session, role="liaison")
    assert login(client, user).get("/api/openapi.json").json()["openapi"].startswith("3.")


def test_form_login_in_dev_still_works(client, session, make_user, test_password) -> None:
    make_user(session, username="bounmy")
    assert _form_login(client, "bounmy", test_password).status_code == 303
