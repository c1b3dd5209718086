"""ASVS 5.0 3.5.3: sensitive functionality is reached by POST, PUT, PATCH or DELETE (behind
the CSRF check), never by GET. Every GET route without a path parameter is requested as an
administrator and as a liaison officer: no row is added to or removed from any table,
except the audit trail (reads of notes, refusals) and the feed-use tables. Known benign
updates on GET: the session's last use, and notices marked read when their page is shown."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session, SQLModel

from app.models import OperationState

READ_LOGS = {"audit_events", "feed_polls", "feed_event_blocks", "alembic_version"}


def _counts(session: Session) -> dict[str, int]:
    session.flush()
    return {
        table.name: session.execute(select(func.count()).select_from(table)).scalar_one()
        for table in SQLModel.metadata.sorted_tables
        if table.name not in READ_LOGS
    }


def test_no_get_route_adds_or_removes_anything(
    client, session: Session, world, make_operation, make_user, login,
) -> None:
    make_operation(session, "TH-RTP", {"TH-CKG": {"tactical": 1}}, op_id="OP-GET",
                   code_name="Quiet Reed", state=OperationState.proposed)
    browsers = [login(client, make_user(session, role="admin")),
                login(client, make_user(session, role="liaison", agency="TH-RTP"))]
    from test_routes_access import _routes

    paths = sorted({route.path for route in _routes(client.app)
                    if "GET" in route.methods and "{" not in route.path})
    assert len(paths) > 20
    before = _counts(session)
    answered = 0
    for browser in browsers:
        for path in paths:
            response = browser.get(path, follow_redirects=False)
            assert response.status_code < 500 or path == "/readyz", path  # no alembic here
            answered += response.status_code == 200
    session.expire_all()
    assert _counts(session) == before
    print(f"GET routes: {len(paths)}, answered 200: {answered} of {2 * len(paths)}")
    assert answered > 20
