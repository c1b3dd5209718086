"""Database engine, sessions and the per-backend connection setup."""

from __future__ import annotations

import asyncio
import select
import threading
import weakref
from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlmodel import Session, create_engine

from app.config import get_settings

READ_METHODS = {"GET", "HEAD"}
READER_OPTION = "jointops_sqlite_reader"
# Set in a connection's info while its transaction is a SQLite write transaction.
WRITER_INFO = "jointops_sqlite_writer"
# The one key of the board lock (PostgreSQL advisory lock): "JOPS" in ASCII.
BOARD_LOCK_KEY = 0x4A4F5053
# Connections a SQLite file engine may open. Writers wait for the write lock holding
# one, so a small pool (5 + 10) made page views queue behind them; SQLite connections
# are cheap, and the server's thread pool (40) is the real limit.
SQLITE_POOL = {"pool_size": 20, "max_overflow": 40}
F = TypeVar("F")
# Replicas starting together each run `jointops migrate`: on PostgreSQL the first takes
# this advisory lock (migrations/env.py) and the others wait, then find nothing to do.
MIGRATION_LOCK_KEY = 7_2611_2600


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for `url`, with SQLite set up for safe concurrent writes."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        settings = get_settings()
        pool = {"pool_size": settings.database_pool_size,
                "max_overflow": settings.database_max_overflow}
        engine = create_engine(url, **{**pool, **kwargs})
        _setup_postgresql(engine)
        return engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    if parsed.database and parsed.database != ":memory:":
        kwargs = {**SQLITE_POOL, **kwargs}
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

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        # A pooled connection the server ended (a restart, a fail-over, a terminated
        # backend) is replaced before a request gets it. pool_pre_ping did that with a
        # round trip at every checkout: under bench/load.py a seventh of a feed poll's
        # time. An idle connection in the pool receives nothing, so the server's goodbye
        # (its last message, then end of file) makes the socket readable: only then ping.
        if not _socket_readable(dbapi_conn):
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:  # noqa: BLE001 - any failure: the pool opens a new one
            raise DisconnectionError("the server ended this pooled connection") from exc


def _socket_readable(dbapi_conn: Any) -> bool:
    """Whether the server sent anything to this idle connection, or it is closed."""
    try:
        readable, _, _ = select.select([dbapi_conn.fileno()], [], [], 0)
    except Exception:  # noqa: BLE001 - closed: psycopg raises its own error for fileno()
        return True  # no socket any more: the ping fails and the pool replaces it
    return bool(readable)


class FifoLock:
    """A lock handed to its waiters in the order they came.

    `threading.Lock` lets the releasing thread take it straight back: a writer that
    commits and begins again could starve the others until their wait ran out.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._held = False
        self._waiters: deque[threading.Lock] = deque()

    def acquire(self, timeout: float) -> bool:
        with self._guard:
            if not self._held:
                self._held = True
                return True
            turn = threading.Lock()
            turn.acquire()
            self._waiters.append(turn)
        if turn.acquire(timeout=timeout):
            return True  # handed over by release()
        with self._guard:
            if turn in self._waiters:
                self._waiters.remove(turn)
                return False
        return True  # handed over just as the wait ran out

    def release(self) -> None:
        with self._guard:
            if self._waiters:
                self._waiters.popleft().release()  # still held: now by the next in line
            else:
                self._held = False


def _setup_sqlite(engine: Engine) -> None:
    settings = get_settings()
    busy_ms = settings.sqlite_busy_timeout_ms
    synchronous = settings.sqlite_synchronous
    # Writers of this process queue here, in order, rather than in SQLite's busy handler,
    # which polls with growing sleeps (up to 100 ms): under 50 users that polling, not the
    # writes, made the write p95 (measured: seconds). Other processes still meet the
    # busy timeout.
    writers = FifoLock()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (pysqlite's implicit BEGIN is DEFERRED).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
        # NORMAL (the default) may lose the last commits on power loss, never corrupts;
        # FULL syncs the WAL on every commit (cost: bench/sqlite_sync.py).
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A deferred read transaction that later writes loses updates under concurrency
        # (measured: 593 of 800); taking the write lock at BEGIN serialises writers.
        # Pure readers begin deferred: with WAL they never block each other, whereas an
        # IMMEDIATE reader queues every page view behind the one being rendered.
        if conn.get_execution_options().get(READER_OPTION, False):
            conn.info[WRITER_INFO] = False
            conn.exec_driver_sql("BEGIN")
            return
        if not writers.acquire(timeout=busy_ms / 1000):
            raise OperationalError(
                "BEGIN IMMEDIATE",
                None,
                Exception(f"database is locked: no write lock within {busy_ms} ms"),
            )
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            writers.release()
            raise
        conn.info[WRITER_INFO] = True

    def _release(conn: Any) -> None:
        if conn.info.pop(WRITER_INFO, False):
            writers.release()

    @event.listens_for(engine, "commit")
    def _on_commit(conn: Any) -> None:
        # This event comes before the commit: commit here, so the next writer is let in
        # after it (SQLAlchemy's own commit then finds no transaction and does nothing).
        conn.connection.dbapi_connection.commit()
        _release(conn)

    @event.listens_for(engine, "rollback")
    def _on_rollback(conn: Any) -> None:
        _release(conn)


def lock_board(session: Session, *, shared: bool = False) -> None:
    """Serialise publishing with every change it can conflict with (abort, edit,
    decisions, steps): call it first in the write transaction; it holds to commit.

    Publishing takes it alone; the changes take it `shared`: a change waits for a
    publish and a publish for the changes under way, but changes do not wait for each
    other (each locks its operation's row with its compare-and-set). Taken alone by every
    edit and approval, it queued them all behind one another, holding their pooled
    connections, and bench/load.py saw approvals wait 36 s and pages time out.

    PostgreSQL: a transaction-scoped advisory lock on one fixed key. It needs no row (a
    `board_config` row that only an import creates did not lock anything without one).
    SQLite: the write transaction (BEGIN IMMEDIATE) is the lock already; refused in a
    read transaction, which could not be upgraded safely.
    """
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        kind = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        conn.exec_driver_sql(f"SELECT {kind}({BOARD_LOCK_KEY})")
    elif conn.info.get(WRITER_INFO) is False:
        raise RuntimeError("lock_board needs a write transaction, not a reader's")


@contextmanager
def reading_first(session: Session) -> Iterator[Session]:
    """Do slow reading work (a password check) in a read transaction of its own.

    On SQLite the block begins deferred, without the write lock, and ends at its exit;
    the writes that follow begin a new write transaction, so no writer waits behind the
    slow work. Objects loaded in the block are expired at its end and read again when
    used. The block must not write.
    """
    if session.in_transaction():
        raise RuntimeError("reading_first must come before the session's first query")
    session.connection(execution_options={READER_OPTION: True})
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    if session.new or session.dirty or session.deleted:
        session.rollback()
        raise RuntimeError("reading_first blocks must not write")
    session.commit()


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


# Requests of one process admitted at a time on SQLite, writers and readers apart. The
# others wait here, on the event loop, holding no thread:
# - writers that waited for the write lock in the server's thread pool (40 threads) once
#   took every thread, and the writer holding the lock then had none to finish in
#   (measured: 10 s stalls, "database is locked" 500s);
# - the writer holding the lock shares the GIL with every running request: with 40 page
#   renders running, its few milliseconds of Python took a second.
# - 16 writers: a sign-in holds its slot while it checks a password outside the write
#   lock, and with 8 slots the sign-ins kept the writes out (write p50 2.1 s against
#   54 ms with 16, bench/README.md); 16 + 4 still leaves the pool threads to spare.
SQLITE_ADMITTED = {"writers": 16, "readers": 4}
_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Semaphore]] = (
    weakref.WeakKeyDictionary()
)


def _gate(kind: str) -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    gates = _gates.get(loop)
    if gates is None:
        gates = _gates[loop] = {k: asyncio.Semaphore(n) for k, n in SQLITE_ADMITTED.items()}
    return gates[kind]


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request; the use case commits, anything uncommitted rolls back."""
    engine = get_engine()
    endpoint = request.scope.get("endpoint")
    reader = request.method in READ_METHODS and not getattr(endpoint, "writes_on_read", False)
    if reader:
        engine = _reader_engine(engine)
    gate = None
    if engine.dialect.name == "sqlite":
        gate = _gate("readers" if reader else "writers")
    if gate is not None:
        await gate.acquire()
    try:
        with Session(engine) as session:
            yield session
    finally:
        if gate is not None:
            gate.release()


SessionDep = Annotated[Session, Depends(get_session)]


# The board revision's session events (after every commit that changed board data).
from app import revision as _revision  # noqa: E402,F401
