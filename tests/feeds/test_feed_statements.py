"""What a feed poll sends to the database: the cheap path every phone takes."""

from __future__ import annotations

from fastapi.testclient import TestClient
from planning.statements import recorded_statements  # tests/planning/statements.py
from psycopg.pq import TransactionStatus
from sqlalchemy import text
from sqlmodel import Session

from app.feeds.views import poll_reader
from app.models import Role

from .samples import PUBLISHED


def _queries(statements: list[str]) -> list[str]:
    """The statements without the test session's savepoints."""
    return [s for s in statements if not s.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK"))]


def _officer_feed(session, world, make_user, make_operation, make_tasking, subscribe):  # type: ignore[no-untyped-def]
    operation = make_operation(session, "TH-RTP", {"MM-TAC": {"border_patrol": 1}},
                               created_at=PUBLISHED, updated_at=PUBLISHED)
    make_tasking(session, operation, "U-TH-2", capability="border_patrol")
    officer = make_user(session, role=Role.unit_officer, agency="TH-RTP", unit="U-TH-2")
    return subscribe(session, officer, "officer:")


def test_a_304_poll_sends_two_statements(  # type: ignore[no-untyped-def]
    session: Session, client: TestClient, clock, world, make_user, make_operation,
    make_tasking, subscribe,
) -> None:
    path = _officer_feed(session, world, make_user, make_operation, make_tasking, subscribe)
    etag = client.get(path).headers["ETag"]
    session.expire_all()
    with recorded_statements(session) as statements:
        response = client.get(path, headers={"If-None-Match": etag})
    assert response.status_code == 304
    # The token with its owner and the address's throttle counter, then the taskings'
    # and escort trips' fingerprint: 2 statements (4 before: counter and trips apart).
    queries = _queries(statements)
    assert len(queries) == 2, queries
    lookup, fingerprint = queries
    assert "feed_tokens" in lookup and "sign_in_counters" in lookup
    assert "taskings" in fingerprint and "escort_trips" in fingerprint



def test_a_polls_read_pass_sends_no_begin_on_postgresql(session: Session) -> None:
    engine = session.get_bind().engine  # the test session's bind is a connection
    reader = poll_reader(engine)
    if engine.dialect.name != "postgresql":
        # SQLite keeps its deferred reader transaction (app/db.py).
        assert reader is engine
        return
    with Session(reader) as polling:
        connection = polling.connection()
        connection.execute(text("SELECT 1"))
        driver = connection.connection.driver_connection
        # Autocommit: no BEGIN went before the statement, and no ROLLBACK will follow.
        assert driver is not None and driver.info.transaction_status == TransactionStatus.IDLE
