"""Database engine, sessions and the per-backend connection setup."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, create_engine

from app.config import get_settings

READ_METHODS = {"GET", "HEAD"}
READER_OPTION = "jointops_sqlite_reader"
F = TypeVar("F")
# Replicas starting together each run `jointops migrate`: on PostgreSQL the first takes
# this advisory lock (migrations/env.py) and the others wait, then find nothing to do.
MIGRATION_LOCK_KEY = 7_2611_2600


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for `url`, with SQLite set up for safe concurrent writes."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(url, pool_pre_ping=True, **kwargs)
        _setup_postgresql(engine)
        return engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
    _setup_sqlite(engine)
    return engine


def _setup_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Sessions in UTC, spelled "UTC": psycopg then tags instants with timezone.utc
        # itself, where a server zone such as "Etc/UTC" made every value a ZoneInfo one
        # that had to be converted (a tenth of loading a 500-event feed).
        with dbapi_conn.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")
        dbapi_conn.commit()


def _setup_sqlite(engine: Engine) -> None:
    busy_ms = get_settings().sqlite_busy_timeout_ms

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (pysqlite's implicit BEGIN is DEFERRED).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A deferred read transaction that later writes loses updates under concurrency
        # (measured: 593 of 800); taking the write lock at BEGIN serialises writers.
        # Pure readers begin deferred: with WAL they never block each other, whereas an
        # IMMEDIATE reader queues every page view behind the one being rendered.
        reader = conn.get_execution_options().get(READER_OPTION, False)
        conn.exec_driver_sql("BEGIN" if reader else "BEGIN IMMEDIATE")


def database_now(session: Session) -> datetime:
    """The database server's clock (UTC): the one clock every machine of the board shares.

    Heartbeats are written and judged by it, so a worker whose host clock runs behind
    is not declared dead (each host's own clock did exactly that, 45 s behind).
    """
    if session.get_bind().dialect.name == "postgresql":
        value = session.execute(text("SELECT clock_timestamp()")).scalar_one()
        return value.astimezone(UTC)
    text_value = session.execute(text("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')")).scalar_one()
    return datetime.fromisoformat(text_value).replace(tzinfo=UTC)


@lru_cache
def get_engine() -> Engine:
    """The process-wide engine for the configured database."""
    return make_engine(get_settings().database_url)


def writes_on_read(endpoint: F) -> F:
    """Mark a GET route that also writes (records a use, reaps dead runs).

    Its SQLite transaction then begins as a writer's, like every unsafe request's; other
    GET and HEAD requests begin as readers.
    """
    endpoint.writes_on_read = True  # type: ignore[attr-defined]
    return endpoint


@lru_cache
def _reader_engine(engine: Engine) -> Engine:
    return engine.execution_options(**{READER_OPTION: True})


def get_reader_engine() -> Engine:
    """The process-wide engine for transactions that only read (SQLite: deferred BEGIN)."""
    return _reader_engine(get_engine())


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; the use case commits, anything uncommitted rolls back."""
    engine = get_engine()
    endpoint = request.scope.get("endpoint")
    if request.method in READ_METHODS and not getattr(endpoint, "writes_on_read", False):
        engine = _reader_engine(engine)
    with Session(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
