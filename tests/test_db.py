"""SQLite write transactions take the write lock at BEGIN, so no update is lost."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from datetime import UTC
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from app.db import make_engine
from app.models import AuditEvent, UTCDateTime  # noqa: F401


def test_concurrent_read_modify_write_loses_nothing(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'race.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO counter VALUES (0)"))

    def bump() -> None:
        for _ in range(25):
            with Session(engine) as session:
                n = session.execute(text("SELECT n FROM counter")).scalar_one()
                session.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
                session.commit()

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM counter")).scalar_one() == 100
        assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
    engine.dispose()


def test_instants_round_trip_as_aware_utc(session: Session) -> None:
    from datetime import datetime, timedelta, timezone

    from app.models import AuditEvent

    bangkok = timezone(timedelta(hours=7))
    event = AuditEvent(
        at=datetime(2026, 12, 2, 10, 0, tzinfo=bangkok),
        action="test",
        object_type="x",
        object_id="1",
    )
    session.add(event)
    session.flush()
    session.expire(event)
    assert event.at.utcoffset() == timedelta(0)
    assert event.at == datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
    with pytest.raises(Exception, match="timezone-aware"):
        session.add(
            AuditEvent(at=datetime(2026, 12, 2), action="t", object_type="x", object_id="2")
        )
        session.flush()


def _sqlite_engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'readers.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
    return engine


def test_readers_do_not_take_the_write_lock(tmp_path: Path) -> None:
    from app.db import READER_OPTION

    engine = _sqlite_engine(tmp_path)
    reader = engine.execution_options(**{READER_OPTION: True})
    with Session(reader) as browsing:
        assert browsing.execute(text("SELECT n FROM t")).scalar_one() == 1
        # A page view is still open; a writer (with no busy wait) must get the lock at once.
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA busy_timeout=0")
            conn.execute(text("UPDATE t SET n = 2"))
            conn.commit()
    with Session(engine) as writer:
        writer.execute(text("SELECT n FROM t"))
        with reader.connect() as conn:
            conn.exec_driver_sql("PRAGMA busy_timeout=0")
            # A second writer waits for the first, but a reader still reads its snapshot.
            assert conn.execute(text("SELECT n FROM t")).scalar_one() == 2
    engine.dispose()


def test_get_session_reads_for_get_and_writes_for_unsafe_or_marked_routes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from starlette.requests import Request

    from app import db

    engine = _sqlite_engine(tmp_path)
    monkeypatch.setattr(db, "get_engine", lambda: engine)

    @db.writes_on_read
    def records_its_use() -> None: ...

    def begins_as_reader(method: str, endpoint: object = None) -> bool:
        request = Request({"type": "http", "method": method, "endpoint": endpoint})

        async def first() -> bool:
            sessions = db.get_session(request)
            session = await anext(sessions)
            options = session.connection().get_execution_options()
            await sessions.aclose()
            return bool(options.get(db.READER_OPTION))

        return asyncio.run(first())

    assert begins_as_reader("GET") and begins_as_reader("HEAD")
    assert not begins_as_reader("POST") and not begins_as_reader("DELETE")
    assert not begins_as_reader("GET", records_its_use)
    engine.dispose()


def test_reading_first_holds_no_write_lock_then_writes_in_a_write_transaction(
    tmp_path: Path,
) -> None:
    from app.db import lock_board, reading_first

    engine = _sqlite_engine(tmp_path)
    # Another process's writer, which does not wait for the lock.
    other = sqlite3.connect(tmp_path / "readers.db", timeout=0, isolation_level=None)
    with Session(engine) as session:
        with reading_first(session):
            assert session.execute(text("SELECT n FROM t")).scalar_one() == 1
            with pytest.raises(RuntimeError, match="write transaction"):
                lock_board(session)
            # Slow work here (a password check): another writer is not kept waiting.
            other.execute("UPDATE t SET n = 2")
        session.execute(text("UPDATE t SET n = n + 10"))
        lock_board(session)  # a write transaction now
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("UPDATE t SET n = 0")
        session.commit()
    assert other.execute("SELECT n FROM t").fetchone() == (12,)
    with (Session(engine) as session, pytest.raises(RuntimeError, match="must not write"),
          reading_first(session)):
        session.execute(text("SELECT n FROM t"))
        session.add(AuditEvent(action="x", object_type="t", object_id="1"))
    other.close()
    engine.dispose()


@pytest.mark.db
def test_changes_share_the_board_lock_and_publishing_takes_it_alone(engine: Engine) -> None:
    """PostgreSQL: edits and decisions take the board lock shared (they do not queue
    behind one another), a publish takes it alone (it waits for them, they for it)."""
    from app.db import lock_board

    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's write transaction is the board lock (see above)")
    first, second, publisher = (Session(engine) for _ in range(3))
    try:
        for session in (first, second, publisher):
            session.execute(text("SET lock_timeout = '300ms'"))
        lock_board(first, shared=True)
        lock_board(second, shared=True)  # does not wait for the first change
        with pytest.raises(OperationalError, match="lock timeout"):
            lock_board(publisher)
        publisher.rollback()
        first.rollback()
        second.rollback()
        lock_board(publisher)
        first.execute(text("SET lock_timeout = '300ms'"))  # the rollback undid the SET
        with pytest.raises(OperationalError, match="lock timeout"):
            lock_board(first, shared=True)
    finally:
        for session in (first, second, publisher):
            session.rollback()
            session.close()
