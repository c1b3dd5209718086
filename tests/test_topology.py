"""The production topology, natively: PostgreSQL, two migrating replicas, two web
processes and two solver workers, as docker-compose.yml runs them (Docker does not run
on these machines). Also the pieces compose relies on: secrets read from files, the
advisory lock around migrations, the worker's alive file.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sample_data import TINY
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from app.config import ROOT, file_settings, get_settings
from app.db import MIGRATION_LOCK_KEY, make_engine
from app.health import migration_heads
from app.models import RunStatus, SolverRun
from app.planning import worker
from app.planning.queue import defer_solve


def _pg_url() -> str:
    url = os.environ.get("JOINTOPS_TEST_DATABASE_URL")
    if url is None or make_url(url).get_backend_name() != "postgresql":
        pytest.skip("needs JOINTOPS_TEST_DATABASE_URL on PostgreSQL (make test sets it)")
    return url


def test_settings_are_read_from_files_named_by_variables(tmp_path: Path) -> None:
    secret = tmp_path / "secret_key"
    secret.write_text("s" * 40 + "\n")
    assert file_settings({"JOINTOPS_SECRET_KEY_FILE": str(secret), "PATH": "/bin"}) == {
        "secret_key": "s" * 40
    }
    with pytest.raises(ValueError, match="JOINTOPS_NO_SUCH_FILE: there is no setting"):
        file_settings({"JOINTOPS_NO_SUCH_FILE": str(secret)})
    with pytest.raises(ValueError, match="JOINTOPS_SECRET_KEY_FILE: cannot read .*missing"):
        file_settings({"JOINTOPS_SECRET_KEY_FILE": str(tmp_path / "missing")})


def test_get_settings_prefers_the_file_to_the_plain_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url_file = tmp_path / "database_url"
    url_file.write_text(f"sqlite:///{tmp_path / 'from-file.db'}\n")
    monkeypatch.setenv("JOINTOPS_DATABASE_URL", "sqlite:///elsewhere.db")
    monkeypatch.setenv("JOINTOPS_DATABASE_URL_FILE", str(url_file))
    get_settings.cache_clear()
    try:
        assert get_settings().database_url.endswith("from-file.db")
    finally:
        get_settings.cache_clear()


@pytest.mark.db
def test_a_replica_migrating_waits_for_the_one_holding_the_migration_lock(
    fresh_database: str,
) -> None:
    env = {**os.environ, "JOINTOPS_DATABASE_URL": fresh_database}
    engine = make_engine(fresh_database)
    try:
        with engine.connect() as holder:
            # What the first replica holds while it migrates (migrations/env.py).
            holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            replica = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "migrate"], env=env, cwd=ROOT
            )
            time.sleep(4)
            assert replica.poll() is None, "the replica migrated under another's lock"
            with engine.connect() as probe:
                assert "alembic_version" not in inspect(probe).get_table_names()
            holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
            holder.commit()
            assert replica.wait(120) == 0
        second = subprocess.run([sys.executable, "-m", "app.cli", "migrate"], env=env, cwd=ROOT)
        assert second.returncode == 0
        with engine.connect() as conn:
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars()
            assert set(versions) == set(migration_heads())
    finally:
        engine.dispose()


def test_the_worker_touches_its_alive_file_on_every_poll(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alive = tmp_path / "worker.alive"
    alive.touch()
    os.utime(alive, (0, 0))  # an old file: the poll must touch it again
    monkeypatch.setenv("JOINTOPS_WORKER_ALIVE_FILE", str(alive))
    get_settings.cache_clear()
    try:
        worker.serve(once=True, session_factory=lambda: _borrowed(session))
    finally:
        get_settings.cache_clear()
    # Touched: its time moved off the epoch. (Not compared with time.time(): under faketime
    # the process's clock, the file system's and libfaketime's utime disagree.)
    assert alive.stat().st_mtime > 86_400


class _borrowed:
    """The test's session as a context manager the worker may 'close' (it stays open)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def __enter__(self) -> Session:
        return self.session

    def __exit__(self, *exc: object) -> None:
        return None


# --- the whole topology -------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture
def fresh_database() -> Iterator[str]:
    """A database of its own on the PostgreSQL server, dropped afterwards."""
    admin = make_engine(_pg_url(), isolation_level="AUTOCOMMIT")
    name = f"jt_topology_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(_pg_url()).set(database=name).render_as_string(False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _login_role(fresh_database: str, prefix: str) -> Iterator[str]:
    """A login role of its own, with no rights until a migrate option grants them."""
    admin = make_engine(_pg_url(), isolation_level="AUTOCOMMIT")
    role = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
    try:
        yield role
    finally:
        with admin.connect() as conn:
            # Its rights live in the fresh database, dropped first (fixtures end in reverse).
            conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(fresh_database).database}"'
                              " WITH (FORCE)"))
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


@pytest.fixture
def board_role(fresh_database: str) -> Iterator[str]:
    """The web processes' login role, with no rights until `migrate --grant-to`."""
    yield from _login_role(fresh_database, "jt_app")


@pytest.fixture
def worker_role(fresh_database: str) -> Iterator[str]:
    """The solver workers' login role, with no rights until `--grant-worker-to`."""
    yield from _login_role(fresh_database, "jt_wrk")


@pytest.mark.db
def test_two_web_processes_and_two_workers_share_one_postgresql(
    fresh_database: str, board_role: str, worker_role: str, tmp_path: Path
) -> None:
    """As docker-compose.yml runs them: the owner migrates and grants; web processes
    connect as a role that may only read and change rows, the workers as their own role
    that writes only what a worker writes (ASVS 5.0 13.2.1)."""
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "migration_database_url").write_text(fresh_database)
    board_url = make_url(fresh_database).set(username=board_role)
    (secrets / "database_url").write_text(board_url.render_as_string(False))
    worker_url = make_url(fresh_database).set(username=worker_role)
    (secrets / "worker_database_url").write_text(worker_url.render_as_string(False))
    env = {
        **os.environ,
        "JOINTOPS_DATABASE_URL_FILE": str(secrets / "database_url"),
        "JOINTOPS_SPAWN_WORKER": "false",
        "JOINTOPS_WORKER_POLL_SECONDS": "0.2",
        "JOINTOPS_LOG_FORMAT": "json",
    }
    env.pop("JOINTOPS_DATABASE_URL", None)
    env.pop("JOINTOPS_MIGRATION_DATABASE_URL", None)
    cli = [sys.executable, "-m", "app.cli"]
    owner_env = {**env, "JOINTOPS_MIGRATION_DATABASE_URL_FILE": str(secrets /
                                                                     "migration_database_url")}
    migrations = [subprocess.Popen([*cli, "migrate", "--grant-to", board_role,
                                    "--grant-worker-to", worker_role], env=owner_env,
                                   cwd=ROOT) for _ in range(2)]
    assert [m.wait(120) for m in migrations] == [0, 0]

    ports = [_free_port(), _free_port()]
    processes = [
        subprocess.Popen(
            [*cli, "serve", "--port", str(port)], env=env, cwd=ROOT, stderr=subprocess.PIPE
        )
        for port in ports
    ]
    processes += [
        subprocess.Popen([*cli, "worker"], cwd=ROOT, stderr=subprocess.DEVNULL, env={
            **env, "JOINTOPS_DATABASE_URL_FILE": str(secrets / "worker_database_url")})
        for _ in range(2)
    ]
    engine = make_engine(fresh_database)
    try:
        for port in ports:
            # Four processes import the board at once: on a loaded 2-core machine a
            # web process took 20 s to start alone, and 60 s was missed by 0.2 s.
            deadline = time.monotonic() + 180
            while True:
                try:
                    status, body = _get(f"http://127.0.0.1:{port}/readyz")
                    break
                except OSError:
                    assert time.monotonic() < deadline, f"web on {port} never answered"
                    time.sleep(0.2)
            assert status == 200, body
            assert json.loads(body)["checks"]["migrations"] == "at head"

        scenario = json.loads(TINY.read_text())
        with Session(engine) as db:
            runs = [
                SolverRun(scenario=scenario, params={"time_limit": 2, "workers": 1})
                for _ in range(4)
            ]
            db.add_all(runs)
            db.flush()
            for run in runs:
                defer_solve(db, int(run.id or 0))  # as start_run does: one job per run
            db.commit()
            ids = [run.id for run in runs]

        deadline = time.monotonic() + 120
        while True:
            with Session(engine) as db:
                done = db.exec(select(SolverRun).where(SolverRun.id.in_(ids))).all()  # type: ignore[union-attr]
            if all(run.status == RunStatus.succeeded for run in done):
                break
            assert not any(run.status == RunStatus.failed for run in done), [
                run.error for run in done
            ]
            assert time.monotonic() < deadline, [run.status for run in done]
            time.sleep(0.5)
        worker_pids = {p.pid for p in processes[2:]}
        assert {run.pid for run in done} <= worker_pids
        assert all(run.plan for run in done)
        # Each web process sees the same board.
        for port in ports:
            assert _get(f"http://127.0.0.1:{port}/healthz")[0] == 200
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        codes = [process.wait(30) for process in processes]
        logs = [process.stderr.read().decode() for process in processes[:2] if process.stderr]
        engine.dispose()
    # uvicorn shuts down cleanly, then re-raises SIGTERM so a supervisor sees why it ended.
    assert codes == [-signal.SIGTERM, -signal.SIGTERM, 0, 0]
    for log in logs:
        lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
        assert any(line["message"] == "Application shutdown complete." for line in lines)
