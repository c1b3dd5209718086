"""SQLite write transactions take the write lock at BEGIN, so no update is lost."""

from __future__ import annotations

import threading
from datetime import UTC
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session

from app.db import make_engine
from app.models import UTCDateTime  # noqa: F401


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
