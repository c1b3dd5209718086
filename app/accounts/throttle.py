"""Counters raised atomically in the database, for the sign-in throttle and the other
rate limits (every process of the board shares them).

The policy (SECURITY.md, "Accounts and sessions" and "Rate limits"):
- a username *from one address* gets MAX_PER_PAIR wrong passwords per WINDOW;
- one address gets MAX_PER_ADDRESS wrong passwords per WINDOW, over all usernames;
- there is no lock on a username alone: someone guessing from their own address cannot
  lock the real user out from another address (administrators included);
- a TOTP or recovery code: MAX_PER_PAIR wrong ones per user per WINDOW;
- the current password when changing it: MAX_PER_PAIR wrong ones per user per WINDOW;
- calendar feeds: MAX_FEED_MISSES unknown tokens per address per WINDOW;
- unsafe requests (writes): JOINTOPS_WRITES_PER_MINUTE per user per WRITE_WINDOW
  (reads are counted in each process's memory instead: app/read_limit.py).

Each failure raises its counters with one INSERT .. ON CONFLICT DO UPDATE .. RETURNING,
so parallel attempts each see their own number and only the first MAX get an answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import case, delete, literal
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from app.models import SignInCounter

WINDOW = timedelta(minutes=15)
MAX_PER_PAIR = 5
MAX_PER_ADDRESS = 20
# Feed tokens carry 256 bits: guessing is hopeless, but a prober is still stopped. Set
# well above what calendar servers polling a few revoked feeds from one address send.
MAX_FEED_MISSES = 30
WRITE_WINDOW = timedelta(minutes=1)


def pair_key(username: str, address: str) -> str:
    return f"pair:{username.lower()[:64]}|{address[:64]}"


def address_key(address: str) -> str:
    return f"addr:{address[:64]}"


def totp_key(user_id: int) -> str:
    return f"totp:{user_id}"


def password_change_key(user_id: int) -> str:
    return f"pwchange:{user_id}"


def feed_miss_key(address: str) -> str:
    return f"feed:{address[:64]}"


def writes_key(user_id: int) -> str:
    return f"write:{user_id}"


def limits(username: str, address: str) -> list[tuple[str, int]]:
    """The counters a password attempt is held to, with their limits."""
    return [(pair_key(username, address), MAX_PER_PAIR),
            (address_key(address), MAX_PER_ADDRESS)]


def over_limit(
    session: Session, keys: Sequence[tuple[str, int]], now: datetime
) -> timedelta | None:
    """A read-only look: how long until the attempt may be made, or None if it may now."""
    rows = session.exec(
        select(SignInCounter).where(col(SignInCounter.key).in_([k for k, _ in keys]))
    ).all()
    limit_of = dict(keys)
    waits = [wait_of(row.window_start, row.failures, limit_of[row.key], now) for row in rows]
    return max((wait for wait in waits if wait is not None), default=None)


def wait_of(
    window_start: datetime | None, failures: int | None, most: int, now: datetime
) -> timedelta | None:
    """The wait a counter (its window's start and failures; None: no counter) imposes at
    `now` on a key allowed `most` failures per WINDOW, or None."""
    if window_start is None or failures is None:
        return None
    if window_start > now - WINDOW and failures >= most:
        return window_start + WINDOW - now
    return None


def count_failure(
    session: Session, keys: Sequence[tuple[str, int]], now: datetime
) -> timedelta | None:
    """Count one failure on every key, atomically; returns the wait if any key went over
    its limit with it (this attempt's answer is then withheld), else None."""
    waits = []
    for key, limit in keys:
        failures, started = _bump(session, key, now)
        if failures > limit:
            waits.append(started + WINDOW - now)
    return max(waits) if waits else None


def hit(
    session: Session, key: str, *, most: int, now: datetime, window: timedelta = WINDOW
) -> timedelta | None:
    """Count one use of `key`, atomically: the wait when this use is beyond `most` in
    its `window` (at most WINDOW: `purge` forgets older counters), else None."""
    assert window <= WINDOW
    count, started = _bump(session, key, now, window)
    return started + window - now if count > most else None


def within_limits(session: Session, keys: Sequence[tuple[str, int]], now: datetime) -> bool:
    """Under the write lock (SQLite) or row locks (PostgreSQL): may a success be answered?"""
    query = select(SignInCounter).where(col(SignInCounter.key).in_([k for k, _ in keys]))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    limit_of = dict(keys)
    return all(
        row.window_start <= now - WINDOW or row.failures < limit_of[row.key]
        for row in session.exec(query)
    )


def clear(session: Session, key: str) -> None:
    session.exec(delete(SignInCounter).where(col(SignInCounter.key) == key))  # type: ignore[call-overload]


def purge(session: Session, now: datetime) -> int:
    """Forget counters whose window has passed."""
    result = session.exec(  # type: ignore[call-overload]
        delete(SignInCounter).where(col(SignInCounter.window_start) <= now - WINDOW)
    )
    return int(result.rowcount or 0)


def _bump(
    session: Session, key: str, now: datetime, window: timedelta = WINDOW
) -> tuple[int, datetime]:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = SignInCounter.__table__  # type: ignore[attr-defined]
    stmt = insert(table).values(key=key, window_start=now, failures=1)
    expired = table.c.window_start <= literal(now - window, table.c.window_start.type)
    upsert = stmt.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "failures": case((expired, 1), else_=table.c.failures + 1),
            "window_start": case((expired, stmt.excluded.window_start),
                                 else_=table.c.window_start),
        },
    ).returning(table.c.failures, table.c.window_start)
    failures, started = session.execute(upsert).one()
    return int(failures), started
