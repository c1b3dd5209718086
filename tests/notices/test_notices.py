"""Issue 11, amendment notices: an amended or cancelled published order writes a notice to
each officer of the unit, in the same transaction; the board shows the unread ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import (
    TLP,
    MailStatus,
    Notice,
    NoticeKind,
    Operation,
    OperationState,
    Role,
    Tasking,
    User,
)
from app.operations import service

H_HOUR = datetime(2026, 12, 2, 20, 30, tzinfo=UTC)


def scheduled(session: Session, make_operation: Any, *, tlp: TLP = TLP.AMBER,
              code_name: str = "Golden Nett") -> Operation:
    """A scheduled operation with one published order, for RTP-2 (U-TH-2)."""
    op = make_operation(session, "TH-RTP", {"MM-TAC": {"tactical": 1}}, op_id="OP-LIVE",
                        state=OperationState.scheduled, code_name=code_name, tlp=tlp)
    session.add(Tasking(uid="t-live@jointops", operation_id=op.id, unit_id="U-TH-2",
                        site_id=op.sites[0].id, capability="tactical", start=H_HOUR,
                        end=H_HOUR + timedelta(hours=4), depart=H_HOUR - timedelta(hours=2),
                        return_at=H_HOUR + timedelta(hours=6), sequence=1))
    session.flush()
    return op


@pytest.fixture
def crew(session: Session, world: Any, make_user: Any) -> dict[str, User]:
    """The lead liaison, two officers of RTP-2, one retired, one of another unit."""
    return {
        "liaison": make_user(session, Role.liaison, "TH-RTP", username="th-liaison"),
        "officer": make_user(session, Role.unit_officer, "TH-RTP", "U-TH-2",
                             username="rtp2-a"),
        "officer2": make_user(session, Role.unit_officer, "TH-RTP", "U-TH-2",
                              username="rtp2-b"),
        "retired": make_user(session, Role.unit_officer, "TH-RTP", "U-TH-2",
                             username="rtp2-old", is_active=False),
        "other": make_user(session, Role.unit_officer, "TH-RTP", "U-TH-1", username="rtp1"),
    }


def edit(session: Session, op: Operation, actor: User, **changes: Any) -> None:
    session.refresh(op)
    data = service.validate(session, data={**service.as_input(op), **changes})
    service.update_operation(session, operation=op, data=data, version=op.version,
                             actor=actor, confirm_cancel=True)


def notices_of(session: Session, user: User) -> list[Notice]:
    session.expire_all()
    return list(session.exec(select(Notice).where(Notice.user_id == user.id)
                             .order_by(Notice.id)))  # type: ignore[arg-type]


def test_a_descriptive_amendment_notifies_each_active_officer_of_the_unit(
    session: Session, make_operation: Any, crew: dict[str, User]
) -> None:
    op = scheduled(session, make_operation)
    edit(session, op, crew["liaison"], description="Rendezvous moved to gate 2")
    for name in ("officer", "officer2"):
        (notice,) = notices_of(session, crew[name])
        assert notice.kind == NoticeKind.amended and notice.operation_id == "OP-LIVE"
        assert notice.title == "Golden Nett: the order of RTP-2 was amended"
        assert "description" in notice.body and notice.read_at is None
        assert notice.tlp == TLP.AMBER and notice.mail_status == MailStatus.none
    assert notices_of(session, crew["retired"]) == []
    assert notices_of(session, crew["other"]) == []
    assert notices_of(session, crew["liaison"]) == []


def test_a_change_to_what_was_approved_and_an_abort_notify_a_cancellation(
    session: Session, make_operation: Any, crew: dict[str, User]
) -> None:
    op = scheduled(session, make_operation)
    edit(session, op, crew["liaison"], duration_minutes=300)
    (notice,) = notices_of(session, crew["officer"])
    assert notice.kind == NoticeKind.cancelled
    assert "back to the host countries" in notice.body and "duration minutes" in notice.body

    session.exec(select(Tasking)).one().status = "active"  # type: ignore[assignment]
    session.flush()
    op = session.get(Operation, "OP-LIVE")  # type: ignore[assignment]
    service.abort(session, operation=op, actor=crew["liaison"], reason="Target moved")
    last = notices_of(session, crew["officer"])[-1]
    assert last.kind == NoticeKind.cancelled
    assert last.body == "The operation was aborted: Target moved"


def test_the_notices_roll_back_with_the_change(
    session: Session, make_operation: Any, crew: dict[str, User]
) -> None:
    op = scheduled(session, make_operation)
    session.commit()
    session.refresh(op)
    edit(session, op, crew["liaison"], description="Never saved")
    assert len(notices_of(session, crew["officer"])) == 1
    session.rollback()
    assert notices_of(session, crew["officer"]) == []


def test_the_board_shows_the_unread_count_and_the_page_marks_them_read(
    session: Session, client: TestClient, make_operation: Any, crew: dict[str, User],
    login: Any,
) -> None:
    op = scheduled(session, make_operation)
    edit(session, op, crew["liaison"], description="First")
    op = session.get(Operation, "OP-LIVE")  # type: ignore[assignment]
    edit(session, op, crew["liaison"], description="Second")
    officer = login(client, crew["officer"])
    board = officer.get("/tasking").text
    assert 'aria-label="Notices, 2 unread"' in board
    assert '<span class="badge badge-unread" id="unread-notices">2</span>' in board

    page = officer.get("/notices").text
    assert page.count('<h2 class="notice-title"><span class="badge">New</span> Golden Nett: '
                      'the order of RTP-2 was amended</h2>') == 2
    first, second = notices_of(session, crew["officer"])
    marked = officer.post(f"/notices/{first.id}/read", follow_redirects=False)
    assert marked.status_code == 303
    assert 'aria-label="Notices, 1 unread"' in officer.get("/notices").text

    # Another officer's notice is not there to mark: the same 404 as a missing one.
    theirs = notices_of(session, crew["officer2"])[0]
    assert officer.post(f"/notices/{theirs.id}/read").status_code == 404
    assert officer.post("/notices/999999/read").status_code == 404
    assert notices_of(session, crew["officer2"])[0].read_at is None

    fragment = officer.post("/notices/read-all", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "Marked 1 notice(s) read." in fragment.text
    assert "<html" not in fragment.text
    assert all(n.read_at is not None for n in notices_of(session, crew["officer"]))
    assert 'aria-label="Notices, none unread"' in officer.get("/tasking").text
    # The other officer's page lists only their own notices.
    other = login(client, crew["other"]).get("/notices").text
    assert "Golden Nett" not in other and "No notices." in other


def test_the_unread_count_is_one_indexed_query(
    session: Session, make_operation: Any, crew: dict[str, User]
) -> None:
    from sqlalchemy import event

    from app.notices.service import unread_count

    statements: list[str] = []
    connection = session.connection()

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", record)
    try:
        assert unread_count(session, user_id=crew["officer"].id or 0) == 0
    finally:
        event.remove(connection, "before_cursor_execute", record)
    assert len(statements) == 1 and "count(" in statements[0].lower()
    indexes = {i.name: [c.name for c in i.columns] for i in Notice.__table__.indexes}  # type: ignore[attr-defined]
    assert indexes["ix_notices_user_unread"] == ["user_id", "read_at"]
