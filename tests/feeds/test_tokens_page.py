"""My calendar subscriptions: create (shown once, with links and QR), list, revoke."""

from __future__ import annotations

import re

import segno
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.feeds import tokens
from app.feeds.views import feed_uses
from app.models import Role
from app.web import fmt_utc

SECRET_URL = re.compile(r"https://testserver/feeds/([A-Za-z0-9_-]+)\.ics")


def _officer_client(session: Session, client: TestClient, make_user, login):  # type: ignore[no-untyped-def]
    officer = make_user(session, role=Role.unit_officer, agency="TH-RTP", unit="U-TH-1")
    return officer, login(client, officer)


def test_create_shows_the_address_once_with_webcal_and_qr(
    session: Session, client: TestClient, world, make_user, login
) -> None:
    officer, browser = _officer_client(session, client, make_user, login)
    page = browser.get("/calendar")
    assert page.status_code == 200
    assert "My calendar subscriptions" in page.text
    created = browser.post("/calendar/tokens", data={"label": "iPhone", "feed": "officer:"})
    assert created.status_code == 200
    match = SECRET_URL.search(created.text)
    assert match is not None
    secret = match.group(1)
    webcal = f"webcal://testserver/feeds/{secret}.ics"
    assert webcal in created.text
    # The QR code holds the webcal:// address, which phones open in their calendar app.
    qr = segno.make(webcal, error="m").svg_inline(scale=4, title="Feed address as QR code")
    assert qr in created.text
    assert created.headers["cache-control"] == "no-store"
    assert browser.get(f"/feeds/{secret}.ics").status_code == 200
    feed_uses(client.app).flush()  # type: ignore[arg-type]  (the app does it within 0.5 s)
    listing = browser.get("/calendar")
    assert secret not in listing.text
    assert "iPhone" in listing.text
    assert "never" not in listing.text  # used once above: "last used" has a time
    [(token, _)] = tokens.list_tokens(session, user=officer)
    row = re.search(r"<td>iPhone</td>.*?</tr>", listing.text, re.S)
    assert row is not None and row.group().count("<td>") == 5
    assert f"<td>{fmt_utc(token.created_at)}</td>" in row.group()  # created
    assert token.last_used_at is not None
    assert f"<td>{fmt_utc(token.last_used_at)}</td>" in row.group()  # last used


def test_htmx_requests_get_only_the_fragment(
    session: Session, client: TestClient, world, make_user, login
) -> None:
    _, browser = _officer_client(session, client, make_user, login)
    fragment = browser.post(
        "/calendar/tokens",
        data={"label": "Desk Outlook", "feed": "unit:U-TH-1"},
        headers={"HX-Request": "true"},
    )
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="subscriptions"')
    assert "<html" not in fragment.text
    assert "Desk Outlook" in fragment.text


def test_revoke_one_and_revoke_all(
    session: Session, client: TestClient, world, make_user, login, subscribe
) -> None:
    officer, browser = _officer_client(session, client, make_user, login)
    paths = [subscribe(session, officer, "officer:", label=name) for name in ("A", "B", "C")]
    first_id = tokens.list_tokens(session, user=officer)[0][0].id
    response = browser.post(f"/calendar/tokens/{first_id}/revoke")
    assert response.status_code == 200
    assert "Revoked “A”" in response.text
    assert [client.get(p).status_code for p in paths] == [404, 200, 200]
    response = browser.post("/calendar/tokens/revoke-all")
    assert "Revoked 2 subscription(s)" in response.text
    assert [client.get(p).status_code for p in paths] == [404, 404, 404]


def test_cannot_revoke_someone_elses_token(
    session: Session, client: TestClient, world, make_user, login, subscribe
) -> None:
    _, browser = _officer_client(session, client, make_user, login)
    other = make_user(session, role=Role.unit_officer, agency="TH-RTP", unit="U-TH-2")
    path = subscribe(session, other, "officer:")
    other_id = tokens.list_tokens(session, user=other)[0][0].id
    assert browser.post(f"/calendar/tokens/{other_id}/revoke").status_code == 404
    assert client.get(path).status_code == 200


def test_page_needs_sign_in_and_csrf(
    session: Session, client: TestClient, world, make_user, login
) -> None:
    assert client.get("/calendar", follow_redirects=False).status_code == 303
    _, browser = _officer_client(session, client, make_user, login)
    del browser.headers["X-CSRF-Token"]
    refused = browser.post("/calendar/tokens", data={"label": "x", "feed": "officer:"})
    assert refused.status_code == 403
