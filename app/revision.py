"""The board's revision: a number that moves after every committed change to board data.

Pages that derive much from the whole board (the run review exports and checks all of
it, 1 to 2 s of CPU on the large sample) keep what they derived under the revision they
read, and derive it again only when it has moved.

Why after the commit and not inside the transaction: a reader reads the revision before
its first query. If a writer bumped it before committing, a reader in between would see
the new number with the old data and keep stale results under it for good. Bumped after
the commit, a reader either sees the old number (and its results are replaced after the
bump) or the new one with data at least that new.

Where it lives:
- PostgreSQL: the sequence `board_revision` (migration 2026-12-03-1250), so that every
  web process of every machine sees every commit; `nextval` takes no lock and never
  blocks a writer.
- SQLite: a counter in this process. A SQLite board is served by one web process (the
  local solver worker writes runs and plans, which keyed results name themselves);
  several web processes belong on PostgreSQL. MAX_AGE bounds any miss, e.g. a change
  made with another tool.

What counts as a change: any flush or bulk UPDATE/DELETE of a table outside BOOKKEEPING,
the tables that record who did what and when without changing what the board holds.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import Engine, event, text
from sqlalchemy.orm import ORMExecuteState, SessionTransaction, UOWTransaction
from sqlmodel import Session

log = logging.getLogger(__name__)
T = TypeVar("T")

# Tables whose writes do not change what the board derives from: audit, sign-in and feed
# bookkeeping, notices, idempotency records, and the solver runs' progress ticks (a run's
# results are keyed by the run and its status, not by the revision).
BOOKKEEPING = frozenset({
    "audit_events", "user_sessions", "sign_in_counters", "feed_subscriptions",
    "feed_event_blocks", "feed_polls", "feed_poll_days", "feed_tokens", "notices",
    "idempotent_requests", "solver_runs", "recovery_codes",
})
# The sequence's statements, spelled out (no SQL is built from strings).
READ_REVISION = text("SELECT last_value FROM board_revision")
BUMP_REVISION = text("SELECT nextval('board_revision')")
CHANGED = "jointops_board_changed"
# Derived results older than this are derived again even if the revision did not move.
MAX_AGE = 60.0

_local = itertools.count(1)
_local_value = 0
_local_guard = threading.Lock()


def _bump_local() -> int:
    global _local_value
    with _local_guard:
        _local_value = next(_local)
        return _local_value


def current(session: Session) -> int | None:
    """The revision, for results `session` derives next; None when it cannot be read
    safely, and then nothing should be kept.

    PostgreSQL runs READ COMMITTED: each later statement sees at least what was
    committed before this read. A SQLite transaction reads one snapshot from its first
    query on, which may be older than the number: there it must be read before the
    session's transaction begins.
    """
    bind = _engine(session)
    if bind.dialect.name != "postgresql":
        return None if session.in_transaction() else _local_value
    with bind.connect() as connection:
        value = connection.execute(READ_REVISION).scalar_one()
    return int(value)


def current_within(session: Session) -> int | None:
    """The revision for results `session` derives next, also inside its transaction, as
    far as that is safe; None when it is not, and then nothing should be kept.

    - The transaction changed board data itself (flushed, or pending and flushed by the
      next query): what it derives holds changes nobody else sees, and may never see.
    - PostgreSQL: as `current` (READ COMMITTED: each later statement sees at least what
      was committed before this read).
    - SQLite: outside a transaction as `current`; inside one only if it holds the write
      lock (BEGIN IMMEDIATE, app/db.py): no other commit can come between its reads, and
      every commit before its first read was made before the bump that counts it, so the
      number is never newer than the data. A reader's snapshot may be (see `current`).
    """
    pending = itertools.chain(session.new, session.dirty, session.deleted)
    if session.info.get(CHANGED) or _touches_board(
            {getattr(type(obj), "__tablename__", "") for obj in pending}):
        return None
    bind = _engine(session)
    if bind.dialect.name == "postgresql" or not session.in_transaction():
        return current(session)
    from app.db import WRITER_INFO

    return _local_value if session.connection().info.get(WRITER_INFO) is True else None


def _engine(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def _bump(session: Session) -> None:
    bind = _engine(session)
    if bind.dialect.name != "postgresql":
        _bump_local()
        return
    try:
        with bind.connect() as connection:
            connection.execute(BUMP_REVISION)
            connection.commit()
    except Exception:  # noqa: BLE001 - the commit stands; MAX_AGE bounds the staleness
        log.warning("board revision not bumped after a commit", exc_info=True)


def _touches_board(tables: set[str]) -> bool:
    return bool(tables - BOOKKEEPING)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, flush_context: UOWTransaction) -> None:
    tables = {
        getattr(type(obj), "__tablename__", "")
        for obj in itertools.chain(session.new, session.dirty, session.deleted)
    }
    if _touches_board(tables):
        session.info[CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(state.statement, "table", None)
    if table is None or _touches_board({table.name}):
        state.session.info[CHANGED] = True


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    # Also called when a savepoint (begin_nested) is released, which commits nothing: the
    # mark waits for the transaction's commit (bumped now, a reader could keep the data
    # before it under the new number, and the commit would not bump again).
    if session.in_nested_transaction():
        return
    if session.info.pop(CHANGED, False):
        _bump(session)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    # The session's transaction ended without a commit (a commit took the mark above).
    # A savepoint's end leaves it, and what it flushed before the savepoint, going.
    if transaction.parent is None:
        session.info.pop(CHANGED, None)


class Derived:
    """Results derived from the board, kept per key and revision in this process (the
    newest `size` keys); `get` derives again when the revision moved or `max_age` seconds
    passed. Results that depend on no board data are kept under a constant revision."""

    def __init__(self, size: int = 32, max_age: float = MAX_AGE) -> None:
        self.size, self.max_age = size, max_age
        self._entries: OrderedDict[Hashable, tuple[int, float, Any]] = OrderedDict()
        self._guard = threading.Lock()
        _every.add(self)

    def get(self, revision: int | None, key: Hashable, derive: Callable[[], T]) -> T:
        """The result kept for `key` at `revision` (app.revision.current, read before
        the data `derive` reads), or derive()'s; revision None: derive, keep nothing."""
        if revision is None:
            return derive()
        now = time.monotonic()
        with self._guard:
            entry = self._entries.get(key)
            if entry is not None and entry[0] == revision and now - entry[1] < self.max_age:
                self._entries.move_to_end(key)
                return entry[2]  # type: ignore[no-any-return]
        value = derive()
        with self._guard:
            self._entries[key] = (revision, now, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._guard:
            self._entries.clear()


_every: weakref.WeakSet[Derived] = weakref.WeakSet()


def forget_derived() -> None:
    """Drop every kept result of this process: for a database that was replaced under
    it (a restore can set the sequence back to a number already used), and for tests,
    whose rolled-back boards reuse row ids."""
    for derived in list(_every):
        derived.clear()
