"""ASVS 5.0 gaps closed on signing out (docs/asvs-l2.md).

16.3.1: every authentication operation is logged, signing out and ending a session from
the account page included, with the source address. 14.3.1: data of the signed-in user
is cleared from the browser when the session ends (`Clear-Site-Data`).
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.accounts import service
from app.config import get_settings
from app.models import AuditEvent

COOKIE = get_settings().session_cookie_name


def _rows(session: Session, action: str, user_id: int | None) -> list[AuditEvent]:
    query = select(AuditEvent).where(col(AuditEvent.action) == action,
                                     col(AuditEvent.actor_id) == user_id)
    return list(session.exec(query).all())


def test_signing_out_is_audited_and_clears_the_browser(
    client, session: Session, make_user, login,
) -> None:
    user = make_user(session)
    signed_in = login(client, user)
    response = signed_in.post("/logout", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["clear-site-data"] == '"cache", "storage"'
    (row,) = _rows(session, "auth.sign_out", user.id)
    assert row.object_type == "user" and row.object_id == str(user.id)
    assert row.address  # the TestClient's peer


def test_ending_a_session_from_the_list_is_audited(
    client, session: Session, make_user, login, test_password,
) -> None:
    user = make_user(session)
    signed_in = login(client, user)
    _, other = service.start_session(session, user=user, user_agent="other phone")
    session.flush()
    response = signed_in.post(f"/account/sessions/{other.id}/end",
                              data={"current": test_password}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/account"
    (row,) = _rows(session, "auth.session_ended", user.id)
    assert row.details.get("current") is False
    assert "clear-site-data" not in response.headers  # this browser stays signed in
