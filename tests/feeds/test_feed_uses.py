"""Feed uses are written off the request path: all of them, on flush, in the background
and at shutdown, and none lost when a write fails."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, col, select

from app.db import get_session
from app.feeds import tokens
from app.feeds.uses import Use, UseLog
from app.feeds.views import feed_uses
from app.main import create_app
from app.models import AuditEvent, FeedPoll, FeedToken, Role, User, utcnow


def _uses(session: Session, token_id: int | None = None) -> list[FeedPoll]:
    query = select(FeedPoll)
    if token_id is not None:
        query = query.where(FeedPoll.token_id == token_id)
    return list(session.exec(query.order_by(col(FeedPoll.id))))


def _token_id(session: Session, user: User) -> int:
    ((token, _),) = tokens.list_tokens(session, user=user)
    assert token.id is not None
    return token.id


def test_every_use_is_audited_once_flushed(
    session: Session, client: TestClient, clock, world, make_user, subscribe
) -> None:
    officer = make_user(session, role=Role.unit_officer, agency="TH-RTP", unit="U-TH-1")
    path = subscribe(session, officer, "officer:")
    token_id = _token_id(session, officer)
    for minutes in (0, 5, 10):
        clock.now += timedelta(minutes=minutes)
        assert client.get(path).status_code == 200
    etag = client.get(path).headers["etag"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    # Misses are no uses.
    assert client.get("/feeds/" + "A" * 43 + ".ics").status_code == 404
    assert _uses(session, token_id) == []  # nothing written on the request path
    uses = feed_uses(client.app)  # type: ignore[arg-type]
    assert uses.pending() == 5
    assert uses.flush() == 5
    assert uses.pending() == 0 and uses.flush() == 0
    audited = _uses(session, token_id)
    assert len(audited) == 5
    assert {(a.user_id, a.token_id) for a in audited} == {(officer.id, token_id)}
    # Polls stay out of the hash-chained audit trail (app/retention.py says why).
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "feed.used")).all() == []
    token = session.get(FeedToken, token_id)
    assert token is not None
    session.refresh(token)
    assert token.last_used_at == clock.now  # the latest use


def test_uses_left_are_written_when_the_app_shuts_down(
    session: Session, world, make_user, subscribe
) -> None:
    officer = make_user(session, role=Role.unit_officer, agency="TH-RTP", unit="U-TH-1")
    path = subscribe(session, officer, "officer:")
    application = create_app()
    application.dependency_overrides[get_session] = lambda: session
    with TestClient(application) as client:
        assert client.get(path).status_code == 200
        assert client.get(path).status_code == 200
        assert _uses(session) == []
    assert len(_uses(session, _token_id(session, officer))) == 2


@pytest.fixture
def own_database(migration_engine: Engine) -> Engine:
    """A database of its own, committed to for real (as the background thread does)."""
    SQLModel.metadata.create_all(migration_engine)
    return migration_engine


def _officer_token(engine: Engine) -> tuple[int, int]:
    """A user and a feed token committed in `engine`; returns (user id, token id)."""
    with Session(engine) as session:
        user = User(username="officer", role=Role.unit_officer, password_hash="x")
        session.add(user)
        session.flush()
        assert user.id is not None
        token = FeedToken(user_id=user.id, label="phone", token_hash="0" * 64)
        session.add(token)
        session.commit()
        assert token.id is not None
        return user.id, token.id


def _sessions(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


def test_background_thread_writes_uses_and_stop_writes_the_rest(own_database: Engine) -> None:
    user_id, token_id = _officer_token(own_database)
    log = UseLog(contextmanager(lambda: _sessions(own_database)))
    log.start(interval=0.05)
    try:
        now = utcnow()
        for n in range(3):
            log.record(Use(token_id, user_id, at=now, served_at=now + timedelta(seconds=n)))
        deadline = time.monotonic() + 10
        while log.pending() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert log.pending() == 0
        log.record(Use(token_id, user_id, at=now, served_at=now + timedelta(minutes=1)))
    finally:
        log.stop()
    with Session(own_database) as session:
        assert len(_uses(session, token_id)) == 4
        token = session.get(FeedToken, token_id)
        assert token is not None and token.last_used_at == now + timedelta(minutes=1)


def test_a_failed_write_keeps_the_uses_for_the_next_one(own_database: Engine) -> None:
    user_id, token_id = _officer_token(own_database)
    down = True

    @contextmanager
    def flaky() -> Iterator[Session]:
        if down:
            raise ConnectionError("database restarting")
        with Session(own_database) as session:
            yield session

    log = UseLog(flaky)
    now = utcnow()
    log.record(Use(token_id, user_id, at=now, served_at=now))
    with pytest.raises(ConnectionError):
        log.flush()
    log.record(Use(token_id, user_id, at=now, served_at=now))
    assert log.pending() == 2
    down = False
    assert log.flush() == 2
    with Session(own_database) as session:
        assert len(_uses(session, token_id)) == 2
