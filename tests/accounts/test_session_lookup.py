"""The session cookie's lookup, which every signed-in request makes."""

from __future__ import annotations

from datetime import timedelta

from planning.statements import recorded_statements  # tests/planning/statements.py
from sqlmodel import Session

from app.accounts import service
from app.models import TLP, Notice, NoticeKind, Role, utcnow


def _queries(statements: list[str]) -> list[str]:
    return [s for s in statements if not s.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK"))]


def test_the_session_and_its_user_are_read_in_one_statement(  # type: ignore[no-untyped-def]
    session: Session, world, make_user
) -> None:
    user = make_user(session, role=Role.planner, agency="TH-RTP")
    token, _ = service.start_session(session, user=user)
    session.flush()
    session.expire_all()
    with recorded_statements(session) as statements:
        found = service.lookup_session(session, token=token)
    assert found is not None and found[0].id == user.id
    assert found[1].user_id == user.id
    # Two primary-key reads before (the session, then its user).
    assert len(_queries(statements)) == 1, statements


def test_a_disabled_user_or_an_ended_session_is_not_found(  # type: ignore[no-untyped-def]
    session: Session, world, make_user
) -> None:
    user = make_user(session, role=Role.planner, agency="TH-RTP")
    token, row = service.start_session(session, user=user)
    session.flush()
    assert service.lookup_session(session, token="not-a-token") is None
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.flush()
    assert service.lookup_session(session, token=token) is None
    other, _ = service.start_session(session, user=user)
    user.is_active = False
    session.flush()
    assert service.lookup_session(session, token=other) is None


def test_a_page_reads_its_caller_and_the_unread_badge_in_one_statement(  # type: ignore[no-untyped-def]
    client, session: Session, world, make_user, login
) -> None:
    user = make_user(session, role=Role.planner, agency="TH-RTP")
    browser = login(client, user)
    assert user.id is not None
    session.add_all([Notice(user_id=user.id, unit_id="U-TH-1", kind=NoticeKind.amended,
                            title=title, tlp=TLP.GREEN) for title in ("One", "Two")])
    session.flush()
    session.expire_all()
    with recorded_statements(session) as statements:
        page = browser.get("/calendar")
    assert page.status_code == 200
    caller = [s for s in _queries(statements) if "user_sessions" in s]
    # Session, user and the count of unread notices: one statement (the count was a
    # second one before).
    assert len(caller) == 1 and "notices" in caller[0], caller
    assert not [s for s in _queries(statements) if s.lstrip().startswith("SELECT count(*)")
                and "FROM notices" in s]
    # The badge still shows the count.
    assert '<span class="badge badge-unread" id="unread-notices">2</span>' in page.text
