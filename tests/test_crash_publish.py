"""kill -9 in the middle of publishing, many times: all or nothing, and nothing acknowledged lost.

A child process (forked: no start-up cost, so the kills can be many) publishes two plans
in turn, as a web process does on each request, and reports each one after its commit.
The parent kills it at a random moment, then checks the database as the next request
would find it: intact and writable, exactly one published plan, the live orders exactly
that plan's (never a mix of two), and that plan the last one acknowledged or the one in
flight when the process died.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sample_data import SMALL
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel, select

from app.db import make_engine
from app.models import AuditEvent, Plan, Role, RunStatus, Tasking, TaskingStatus, User
from app.planning import service
from app.planning.publish import publish_plan
from app.planning.worker import run_job
from app.solver.loader import load_plan
from app.transfer.service import import_scenario

KILLS = int(os.environ.get("JOINTOPS_CRASH_KILLS", "50"))
pytestmark = pytest.mark.db


@pytest.fixture
def board(tmp_path: Path) -> Iterator[tuple[Engine, str]]:
    """A committed database other processes can use: a SQLite file or a PostgreSQL one."""
    base = os.environ.get("JOINTOPS_TEST_DATABASE_URL")
    admin = None
    name = f"jt_crash_{uuid.uuid4().hex[:8]}"
    if base and make_url(base).get_backend_name() == "postgresql":
        admin = make_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(base).set(database=name).render_as_string(False)
    else:
        url = f"sqlite:///{tmp_path / 'crash.db'}"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    try:
        yield engine, url
    finally:
        engine.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def _two_plans(engine: Engine) -> tuple[int, int]:
    """Two valid plans of the small board that give different orders."""
    with Session(engine) as session:
        import_scenario(session, data=SMALL.read_bytes())
        # The coordination centre plans and publishes the whole board.
        session.add(User(username="planner", role=Role.coordinator, password_hash="x"))
        session.commit()
        planner = session.exec(select(User)).one()
        plans: list[Plan] = []
        for seed in (1, 2, 3, 4):
            run = service.start_run(session, user=planner, time_limit=1, seed=seed, workers=1)
            session.commit()
            assert run_job(int(run.id or 0), session=session) == RunStatus.succeeded
            plan = session.exec(select(Plan).where(Plan.solver_run_id == run.id)).one()
            if not plans or _orders(plan) != _orders(plans[0]):
                plans.append(plan)
            if len(plans) == 2:
                return int(plans[0].id or 0), int(plans[1].id or 0)
    pytest.skip("the solver gave the same orders for every seed")


def _orders(plan: Plan) -> set[tuple[str, str]]:
    document = load_plan(plan.document)
    return {(op.id, a.unit) for op in document.operations for a in op.assignments}


def _publish_forever(url: str, plan_ids: tuple[int, int], report_fd: int) -> None:
    """The child: publish the plans in turn, writing each plan id after its commit."""
    engine = make_engine(url)
    n = 0
    while True:
        plan_id = plan_ids[n % 2]
        with Session(engine) as session:
            planner = session.exec(select(User).where(User.username == "planner")).one()
            plan = session.get(Plan, plan_id)
            assert plan is not None
            publish_plan(session, plan=plan, user=planner)
            session.commit()
        os.write(report_fd, f"{plan_id}\n".encode())
        n += 1


def _kill_while_publishing(
    url: str, plan_ids: tuple[int, int], rng: random.Random, span: float
) -> list[int]:
    """Fork a publisher, kill -9 it at a random moment; the plan ids it acknowledged."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child never returns into pytest
        os.close(read_fd)
        try:
            _publish_forever(url, plan_ids, write_fd)
        finally:
            os._exit(1)
    os.close(write_fd)
    time.sleep(rng.uniform(0.0, span))
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    chunks = []
    while chunk := os.read(read_fd, 65536):
        chunks.append(chunk)
    os.close(read_fd)
    return [int(line) for line in b"".join(chunks).decode().split()]


def _check_board(
    engine: Engine,
    url: str,
    plans: dict[int, set[tuple[str, str]]],
    acknowledged: list[int],
    plan_ids: tuple[int, int],
) -> None:
    if make_url(url).get_backend_name() == "sqlite":
        path = make_url(url).database or ""
        with sqlite3.connect(path) as raw:
            assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with Session(engine) as session:
        published = session.exec(select(Plan).where(Plan.is_published)).all()
        live = {
            (t.operation_id, t.unit_id)
            for t in session.exec(
                select(Tasking).where(Tasking.status == TaskingStatus.active)
            ).all()
        }
        if not acknowledged:
            assert len(published) <= 1
        else:
            assert len(published) == 1, [p.id for p in published]
            last = acknowledged[-1]
            in_flight = plan_ids[1] if last == plan_ids[0] else plan_ids[0]
            assert published[0].id in (last, in_flight)
        if published:
            assert live == plans[int(published[0].id or 0)], "orders of two plans mixed"
        # Writable: the next request can write.
        session.add(AuditEvent(action="crash.check", object_type="test", object_id="x"))
        session.commit()


def test_kill_9_while_publishing_leaves_one_whole_plan(
    board: tuple[Engine, str], set_clock: Callable[[datetime], object]
) -> None:
    engine, url = board
    # The board's clock at the sample's horizon: a solve refuses a horizon already past
    # (the suite also runs a year ahead under faketime). Forked publishers inherit it.
    set_clock(datetime.fromisoformat(json.loads(SMALL.read_bytes())["horizon"]["start"]))
    plan_ids = _two_plans(engine)
    with Session(engine) as session:
        plans = {pid: _orders(session.get(Plan, pid)) for pid in plan_ids}  # type: ignore[arg-type]
        # One publication timed here sets the span the kills fall in (five, 1.5 s at most).
        started = time.monotonic()
        publish_plan(
            session,
            plan=session.get(Plan, plan_ids[1]),  # type: ignore[arg-type]
            user=session.exec(select(User)).one(),
        )
        session.commit()
        span = min(5 * (time.monotonic() - started), 1.5)
    engine.dispose()  # no pooled connection crosses the fork
    rng = random.Random(2026)
    acknowledged: list[int] = [plan_ids[1]]
    for _ in range(KILLS):
        acknowledged += _kill_while_publishing(url, plan_ids, rng, span)
        _check_board(engine, url, plans, acknowledged, plan_ids)
        engine.dispose()
    print(
        f"\n{KILLS} kills -9 while publishing on {engine.dialect.name}: "
        f"{len(acknowledged) - 1} publications acknowledged, every check held"
    )
