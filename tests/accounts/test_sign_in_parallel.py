"""Parallel sign-ins: the throttle's count is atomic, and argon2 runs outside the write
lock. These need committed data and connections of their own, so each test builds a
scratch database (a SQLite file, or a fresh schema on the PostgreSQL test URL)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import TEST_PASSWORD, _drop_scratch, _scratch_engine, _test_password_hash
from sqlalchemy import Engine, event, text
from sqlmodel import Session, SQLModel, select

from app.accounts import service, throttle
from app.accounts.service import SignInLocked, sign_in
from app.models import AuditEvent, Role, User

PARALLEL = 12


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Engine]:
    engine, schema = _scratch_engine(tmp_path, "jt_par")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(User(username="somchai", role=Role.planner, full_name="",
                         password_hash=_test_password_hash()))
        session.commit()
    yield engine
    _drop_scratch(engine, schema)


pytestmark = pytest.mark.db


def _attempt(engine: Engine, barrier: threading.Barrier, password: str) -> str:
    with Session(engine) as session:
        barrier.wait()
        try:
            user = sign_in(session, username="somchai", password=password, address="192.0.2.1")
        except SignInLocked:
            session.commit()
            return "locked"
        session.commit()
        return "signed in" if user else "wrong"


def test_parallel_guesses_get_no_more_answers_than_the_limit(scratch: Engine) -> None:
    # Finding 6: on PostgreSQL 12 parallel attempts got 11 guesses checked against 5.
    barrier = threading.Barrier(PARALLEL)
    with ThreadPoolExecutor(PARALLEL) as pool:
        outcomes = list(pool.map(lambda _: _attempt(scratch, barrier, "wrong-guess"),
                                 range(PARALLEL)))
    assert outcomes.count("wrong") == throttle.MAX_PER_PAIR
    assert outcomes.count("locked") == PARALLEL - throttle.MAX_PER_PAIR
    with Session(scratch) as session:
        actions = session.exec(select(AuditEvent.action)).all()
        assert sorted(actions) == sorted(
            [service.SIGN_IN_FAILED] * throttle.MAX_PER_PAIR
            + [service.SIGN_IN_LOCKED] * (PARALLEL - throttle.MAX_PER_PAIR)
        )
        # and afterwards even the right password is refused, from that address
        with pytest.raises(SignInLocked):
            sign_in(session, username="somchai", password=TEST_PASSWORD, address="192.0.2.1")


def test_the_password_is_verified_with_no_transaction_open(
    scratch: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Finding 5: argon2 ran while SQLite's one write lock was held. Here a normal write
    # from another connection is made while the password is being verified: it must get
    # through at once, on either backend.
    open_transactions: list[bool] = []
    write_seconds: list[float] = []
    real_verify = service.verify_password

    def verify_while_someone_writes(password: str, hashed: str) -> bool:
        other = Session(scratch)
        start = time.perf_counter()
        with other:
            other.execute(text("UPDATE users SET full_name = 'written meanwhile'"))
            other.commit()
        write_seconds.append(time.perf_counter() - start)
        open_transactions.append(session.in_transaction())
        return real_verify(password, hashed)

    monkeypatch.setattr(service, "verify_password", verify_while_someone_writes)
    with Session(scratch) as session:
        if scratch.dialect.name == "sqlite":
            # Fail fast rather than wait out the busy timeout while the lock is held.
            @event.listens_for(scratch, "connect")
            def _short_busy(dbapi_conn, _record):  # type: ignore[no-untyped-def]
                dbapi_conn.execute("PRAGMA busy_timeout=200")

            scratch.dispose()
        user = sign_in(session, username="somchai", password=TEST_PASSWORD, address="192.0.2.2")
        session.commit()
    assert user is not None
    assert open_transactions == [False]
    assert write_seconds[0] < 1.0
