"""The database away for a moment: users get a clear 503, and the board recovers by itself."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, TextClause, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.db import get_session, make_engine
from app.errors import BOARD_BUSY, DATABASE_AWAY
from app.main import create_app


def _unreachable() -> Iterator[Session]:
    raise sa_exc.OperationalError(
        "SELECT 1", {}, Exception("connection to server at 127.0.0.1 failed: refused")
    )
    yield  # pragma: no cover  (a generator dependency, as get_session is)


@pytest.fixture
def cut_off_client() -> Iterator[TestClient]:
    application = create_app()
    application.dependency_overrides[get_session] = _unreachable
    with TestClient(application, raise_server_exceptions=False) as client:
        yield client


def test_a_page_says_the_database_is_away_and_to_try_again(cut_off_client: TestClient) -> None:
    answer = cut_off_client.get("/login")
    assert answer.status_code == 503
    assert "The database is not answering" in answer.text
    assert "nothing of it was saved" in answer.text
    assert answer.headers["Retry-After"] == "5"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_the_api_says_so_in_json(cut_off_client: TestClient) -> None:
    answer = cut_off_client.get("/api/v1/operations")
    assert answer.status_code == 503
    assert answer.json()["detail"] == DATABASE_AWAY


def _pool_exhausted() -> Iterator[Session]:
    raise sa_exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached, connection "
                              "timed out, timeout 30.00")
    yield  # pragma: no cover  (a generator dependency, as get_session is)


def test_an_exhausted_pool_says_the_board_is_busy_not_broken(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every pooled connection taken for the pool's whole wait (an overloaded server):
    a clear 503 to try again, on pages, the API and the calendar feed, never a bare 500."""
    from app.feeds import views as feed_views

    def busy_feed(*_: object) -> None:
        next(_pool_exhausted())

    monkeypatch.setattr(feed_views, "_serve", busy_feed)
    application = create_app()
    application.dependency_overrides[get_session] = _pool_exhausted
    with TestClient(application, raise_server_exceptions=False) as client:
        page = client.get("/login")
        api = client.get("/api/v1/operations")
        feed = client.get("/feeds/" + "A" * 43 + ".ics")
    assert page.status_code == api.status_code == feed.status_code == 503
    assert "The board is too busy to answer now" in page.text
    assert "nothing of it was saved" in page.text
    assert api.json()["detail"] == BOARD_BUSY
    assert "too busy" in feed.text
    assert page.headers["Retry-After"] == feed.headers["Retry-After"] == "5"


BACKENDS_NAMED = text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name")
BACKEND = text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid")


def _wait_until_gone(conn: Connection, still: TextClause, params: dict[str, object]) -> None:
    """pg_terminate_backend only signals: wait until the backends have ended, as after a
    server restart."""
    deadline = time.monotonic() + 10
    while conn.execute(still, params).scalar_one() and time.monotonic() < deadline:
        time.sleep(0.02)


@pytest.mark.db
def test_the_board_reconnects_by_itself_after_its_connections_are_killed() -> None:
    url = os.environ.get("JOINTOPS_TEST_DATABASE_URL")
    if url is None or make_url(url).get_backend_name() != "postgresql":
        pytest.skip("needs JOINTOPS_TEST_DATABASE_URL on PostgreSQL (make test sets it)")
    name = f"jt_outage_{uuid.uuid4().hex[:8]}"
    engine = make_engine(url, connect_args={"application_name": name})
    application = create_app()

    def session() -> Iterator[Session]:
        with Session(engine) as db:
            yield db

    application.dependency_overrides[get_session] = session
    try:
        with TestClient(application) as client:
            assert client.get("/readyz").json()["checks"]["database"] == "ok"
            # What a server restart does to the board's pooled connections (only ours:
            # other test runs share this server).
            killer = make_engine(url, isolation_level="AUTOCOMMIT")
            with killer.connect() as conn:
                killed = conn.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        " WHERE application_name = :name"
                    ),
                    {"name": name},
                ).scalar_one()
                _wait_until_gone(conn, BACKENDS_NAMED, {"name": name})
            killer.dispose()
            assert killed >= 1
            # No restart of the board: the pool notices the dead connection and reconnects.
            assert client.get("/readyz").json()["checks"]["database"] == "ok"
    finally:
        engine.dispose()


@pytest.mark.db
def test_a_live_pooled_connection_is_handed_out_without_a_ping_and_a_dead_one_replaced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A ping at every checkout cost a round trip per request (bench/load.py); only a
    connection whose server said goodbye is pinged, and then replaced."""
    url = os.environ.get("JOINTOPS_TEST_DATABASE_URL")
    if url is None or make_url(url).get_backend_name() != "postgresql":
        pytest.skip("needs JOINTOPS_TEST_DATABASE_URL on PostgreSQL (make test sets it)")
    engine = make_engine(url, pool_size=1, max_overflow=0)
    pings: list[object] = []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping",
                        lambda conn: pings.append(conn) or real_ping(conn))
    backend = text("SELECT pg_backend_pid()")
    try:
        with engine.connect() as conn:
            first = conn.execute(backend).scalar_one()
        for _ in range(3):
            with engine.connect() as conn:
                assert conn.execute(backend).scalar_one() == first
        assert pings == []
        killer = make_engine(url, isolation_level="AUTOCOMMIT")
        with killer.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first}).scalar()
            _wait_until_gone(conn, BACKEND, {"pid": first})
        killer.dispose()
        with engine.connect() as conn:
            assert conn.execute(backend).scalar_one() != first
        assert len(pings) == 1
    finally:
        engine.dispose()
