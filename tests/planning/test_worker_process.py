"""The real `jointops worker` process against a committed database (SQLite or PostgreSQL).

The shared test database lives inside one rolled-back transaction that another process
cannot see, so these tests build a database of their own: a SQLite file, or a fresh
schema on the PostgreSQL test server (reached through `search_path` in the URL).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sample_data import SMALL, TINY
from solver.solve_helpers import assert_not_fallback
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel, select

from app.clock import SettableClock, using_clock
from app.config import ROOT
from app.db import make_engine
from app.models import Plan, Role, RunStatus, SolverRun, User
from app.planning import service
from app.planning.review import review_run
from app.solver.loader import load_plan, load_scenario
from app.solver.validate import validate_plan
from app.transfer.service import import_scenario

pytestmark = pytest.mark.db


@pytest.fixture
def committed_db(tmp_path: Path) -> Iterator[tuple[Engine, str]]:
    """An engine and URL of a database that other processes can read."""
    base = os.environ.get("JOINTOPS_TEST_DATABASE_URL")
    schema = None
    if base and make_url(base).get_backend_name() != "sqlite":
        schema = f"jt_worker_{uuid.uuid4().hex[:10]}"
        admin = make_engine(base)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        url = f"{base}?options=-csearch_path%3D{schema}"
    else:
        url = f"sqlite:///{tmp_path / 'worker.db'}"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    yield engine, url
    engine.dispose()
    if schema and base:
        admin = make_engine(base)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _queue(engine: Engine, time_limit: float, scenario: Path = TINY) -> int:
    with Session(engine) as session:
        if session.exec(select(User)).first() is None:
            import_scenario(session, data=scenario.read_bytes())
            session.add(User(username="planner", role=Role.planner, password_hash="x"))
            session.flush()
        user = session.exec(select(User)).one()
        # The solve starts at now + notice: "now" is the sample's horizon start, any date.
        start = json.loads(scenario.read_text())["horizon"]["start"]
        with using_clock(SettableClock(datetime.fromisoformat(start))):
            run = service.start_run(session, user=user, time_limit=time_limit, seed=1)
        session.commit()
        return int(run.id or 0)


def _worker(url: str, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "JOINTOPS_DATABASE_URL": url, "JOINTOPS_HEARTBEAT_SECONDS": "0.3",
           "JOINTOPS_WORKER_POLL_SECONDS": "0.2"}
    return subprocess.Popen([sys.executable, "-m", "app.cli", "worker", *args], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_worker_once_solves_a_queued_run(committed_db: tuple[Engine, str]) -> None:
    engine, url = committed_db
    run_id = _queue(engine, time_limit=2)
    process = _worker(url, "--once")
    output, _ = process.communicate(timeout=90)
    assert process.returncode == 0, output.decode()
    with Session(engine) as session:
        run = session.get(SolverRun, run_id)
        assert run is not None and run.status == RunStatus.succeeded, run and run.error
        assert run.pid == process.pid and run.heartbeat_at is not None
        plan = session.exec(select(Plan).where(Plan.solver_run_id == run_id)).one()
        scenario = load_scenario(run.scenario or {})
        assert validate_plan(scenario, load_plan(plan.document)).valid
        assert_not_fallback(plan.document)


def _wait_until_running(engine: Engine, run_id: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with Session(engine) as session:
            run = session.get(SolverRun, run_id)
            progress = (run.progress if run is not None else None) or {}
            if run is not None and run.status == RunStatus.running and "priority" in progress:
                return
        time.sleep(0.2)
    pytest.fail("the worker never reported a plan for the run")


def test_a_killed_workers_run_is_queued_again_and_solved_by_another(
    committed_db: tuple[Engine, str],
) -> None:
    engine, url = committed_db
    # small.json keeps CP-SAT busy for the whole limit (tiny.json is proven optimal at once).
    run_id = _queue(engine, time_limit=60, scenario=SMALL)
    process = _worker(url)
    try:
        _wait_until_running(engine, run_id)
    finally:
        process.kill()
        process.communicate(timeout=30)
    with Session(engine) as session:
        assert service.reap_stale_runs(session) == [run_id]
        session.commit()
        run = session.get(SolverRun, run_id)
        assert run is not None and run.status == RunStatus.queued
        assert "gone" in (run.error or "") and "queued again (attempt 1 of 3)" in (run.error or "")
        assert session.exec(select(Plan)).first() is None
        run.params = {**run.params, "time_limit": 2}  # the retry need not take a minute
        session.add(run)
        session.commit()

    retry = _worker(url, "--once")
    output, _ = retry.communicate(timeout=90)
    assert retry.returncode == 0, output.decode()
    with Session(engine) as session:
        run = session.get(SolverRun, run_id)
        assert run is not None and run.status == RunStatus.succeeded, run and run.error
        assert run.attempts == 2 and run.pid == retry.pid and run.error is None
        plan = session.exec(select(Plan).where(Plan.solver_run_id == run_id)).one()
        assert validate_plan(load_scenario(run.scenario or {}), load_plan(plan.document)).valid


def test_sigterm_drains_the_worker_at_its_best_plan(committed_db: tuple[Engine, str]) -> None:
    engine, url = committed_db
    run_id = _queue(engine, time_limit=60, scenario=SMALL)
    process = _worker(url)
    try:
        _wait_until_running(engine, run_id)
        stopped_at = time.monotonic()
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=45)
    finally:
        process.kill()
    assert process.returncode == 0, output.decode()
    # It stopped long before its minute was up (the drain, not the limit).
    assert time.monotonic() - stopped_at < 30
    with Session(engine) as session:
        run = session.get(SolverRun, run_id)
        assert run is not None and run.status == RunStatus.succeeded, run and run.error
        assert (run.progress or {}).get("stopped_early") == "the worker was shutting down"
        plan = session.exec(select(Plan).where(Plan.solver_run_id == run_id)).one()
        assert validate_plan(load_scenario(run.scenario or {}), load_plan(plan.document)).valid


def _wait_for_best_plan(engine: Engine, run_id: int) -> dict:
    """The best plan so far the worker stored in the run while it searches."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        with Session(engine) as session:
            run = session.get(SolverRun, run_id)
            if run is not None and service.best_so_far_attempt(run.plan) == 1:
                assert run.status == RunStatus.running
                return dict(run.plan or {})
        time.sleep(0.2)
    pytest.fail("the worker never stored a best plan so far")


def test_a_killed_workers_best_plan_is_kept_offered_and_the_retry_completes(
    committed_db: tuple[Engine, str],
) -> None:
    engine, url = committed_db
    run_id = _queue(engine, time_limit=60, scenario=SMALL)
    process = _worker(url)
    try:
        stored = _wait_for_best_plan(engine, run_id)
        time.sleep(1.0)  # mid-solve: the search is on, well before its minute is up
        assert process.poll() is None
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL

    with Session(engine) as session:
        assert service.reap_stale_runs(session) == [run_id]
        session.commit()
        run = session.get(SolverRun, run_id)
        assert run is not None and run.status == RunStatus.queued
        # Kept through the kill: the best plan so far, valid, offered as interrupted.
        best = dict(run.plan or {})
        assert service.best_so_far_attempt(best) == 1
        scenario = load_scenario(run.scenario or {})
        assert validate_plan(scenario, load_plan(best)).valid
        assert best["objective"]["priority"] >= stored["objective"]["priority"]
        assert service.interrupted_attempt(run) == 1
        coordinator = User(username="coordinator", role=Role.coordinator, password_hash="x")
        session.add(coordinator)
        session.commit()
        review = review_run(session, run=run, user=coordinator)
        assert review.interrupted == 1 and review.best_so_far and review.timeline is not None
        # The planner keeps it: a plan row, checked, that the publish form offers.
        kept = service.keep_best_plan(session, run=run, attempt=1, user=coordinator)
        session.commit()
        assert kept.document == best
        assert review_run(session, run=run, user=coordinator).plan_row == kept
        kept_id = kept.id
        run.params = {**run.params, "time_limit": 3}  # the retry need not take a minute
        session.add(run)
        session.commit()

    retry = _worker(url, "--once")
    output, _ = retry.communicate(timeout=120)
    assert retry.returncode == 0, output.decode()
    with Session(engine) as session:
        run = session.get(SolverRun, run_id)
        assert run is not None and run.status == RunStatus.succeeded, run and run.error
        assert run.attempts == 2 and run.error is None
        # Started from the interrupted attempt's plan: the retry's is no worse.
        final = dict(run.plan or {})
        assert service.best_so_far_attempt(final) is None
        assert (final["objective"]["priority"], -final["objective"]["travel_minutes"]) >= (
            best["objective"]["priority"], -best["objective"]["travel_minutes"])
        assert validate_plan(load_scenario(run.scenario or {}), load_plan(final)).valid
        assert service.interrupted_attempt(run) is None
        assert session.exec(
            select(SolverRun).where(SolverRun.status == RunStatus.running)
        ).first() is None
        plans = session.exec(select(Plan).where(Plan.solver_run_id == run_id)).all()
        assert {p.id for p in plans} >= {kept_id}
        assert service.plan_of_run(session, run=run) is not None
