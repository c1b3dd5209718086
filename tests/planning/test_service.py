"""Solver runs: queue, solve in-process, cancel, dead workers, pinned operations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from solver.solve_helpers import assert_not_fallback
from sqlmodel import Session, select

from app.db import database_now
from app.errors import AppError
from app.models import Plan, RunStatus, SolverRun, User, utcnow
from app.planning import service, worker
from app.planning.scenario import planning_scenario
from app.planning.worker import claim_next_run, run_job
from app.solver.instance import Instance
from app.solver.loader import load_plan, load_scenario
from app.solver.schema import parse_instant
from app.solver.solve import SolveOptions, solve
from app.solver.validate import validate_plan

from .statements import recorded_statements


def _solved(session: Session, planner: User, seed: int = 1) -> SolverRun:
    run = service.start_run(session, user=planner, time_limit=2, seed=seed)
    session.commit()
    assert run_job(int(run.id or 0), session=session) in (RunStatus.succeeded,)
    session.refresh(run)
    plan = session.exec(select(Plan).where(Plan.solver_run_id == run.id)).one()
    assert_not_fallback(plan.document)
    return run


def test_start_run_queues_the_approved_operations(tiny_board: Session, planner: User) -> None:
    run = service.start_run(tiny_board, user=planner, time_limit=2, seed=3)
    assert run.status == RunStatus.queued
    assert run.params["time_limit"] == 2 and run.params["seed"] == 3
    assert [op["id"] for op in (run.scenario or {})["operations"]] == [
        "OP-0001", "OP-0002", "OP-0003", "OP-0004", "OP-0005"]
    load_scenario(run.scenario or {})  # a valid scenario snapshot


def test_start_run_refuses_bad_limits_and_an_empty_board(
    session: Session, planner: User, world: object
) -> None:
    with pytest.raises(AppError) as exc:
        service.start_run(session, user=planner, time_limit=0)
    assert exc.value.status == 422
    with pytest.raises(AppError) as exc:
        service.start_run(session, user=planner, time_limit=5)
    assert exc.value.status == 409


def test_run_job_stores_a_valid_plan(tiny_board: Session, planner: User) -> None:
    run = _solved(tiny_board, planner)
    assert run.status == RunStatus.succeeded and run.error is None
    assert run.progress and {"priority", "bound", "gap", "elapsed"} <= run.progress.keys()
    plan_row = tiny_board.exec(select(Plan).where(Plan.solver_run_id == run.id)).one()
    assert not plan_row.is_published
    report = validate_plan(load_scenario(run.scenario or {}), load_plan(plan_row.document))
    assert report.valid
    assert plan_row.document["operations"], "tiny has schedulable operations"


def test_claim_takes_each_queued_run_once(tiny_board: Session, planner: User) -> None:
    run = service.start_run(tiny_board, user=planner, time_limit=1)
    tiny_board.commit()
    assert claim_next_run(tiny_board) == run.id
    assert claim_next_run(tiny_board) is None
    tiny_board.refresh(run)
    assert run.status == RunStatus.running and run.pid is not None


def test_cancel_a_queued_run_stops_it_at_once(tiny_board: Session, planner: User) -> None:
    run = service.start_run(tiny_board, user=planner, time_limit=2)
    service.cancel_run(tiny_board, run=run, user=planner)
    assert run.status == RunStatus.cancelled
    assert run_job(int(run.id or 0), session=tiny_board) == RunStatus.cancelled
    with pytest.raises(AppError) as exc:
        service.cancel_run(tiny_board, run=run, user=planner)
    assert exc.value.status == 409


def test_cancel_a_running_run_keeps_the_best_plan(tiny_board: Session, planner: User) -> None:
    run = service.start_run(tiny_board, user=planner, time_limit=30)
    tiny_board.commit()
    claim_next_run(tiny_board)
    service.cancel_run(tiny_board, run=run, user=planner)
    assert run.status == RunStatus.cancelling
    tiny_board.commit()
    started = utcnow()
    assert run_job(int(run.id or 0), session=tiny_board) == RunStatus.cancelled
    assert utcnow() - started < timedelta(seconds=25), "the stop request was honoured"
    tiny_board.refresh(run)
    assert run.plan is not None
    scenario = load_scenario(run.scenario or {})
    assert validate_plan(scenario, load_plan(run.plan)).valid
    assert tiny_board.exec(select(Plan).where(Plan.solver_run_id == run.id)).one()


def _claimed_then_silent(session: Session, run: SolverRun) -> None:
    """Claim the run, then make its heartbeat five minutes old on the database's clock."""
    assert claim_next_run(session) == run.id
    session.refresh(run)
    run.heartbeat_at = database_now(session) - timedelta(minutes=5)
    session.add(run)
    session.commit()


def test_a_run_whose_worker_died_is_queued_again_then_failed(
    tiny_board: Session, planner: User
) -> None:
    published = _solved(tiny_board, planner)
    plan_row = tiny_board.exec(select(Plan).where(Plan.solver_run_id == published.id)).one()
    from app.planning.publish import publish_plan

    publish_plan(tiny_board, plan=plan_row, user=planner)
    run = service.start_run(tiny_board, user=planner, time_limit=2)
    tiny_board.commit()
    for attempt in range(1, service.MAX_ATTEMPTS):
        _claimed_then_silent(tiny_board, run)
        assert service.reap_stale_runs(tiny_board, stale_seconds=30) == [run.id]
        tiny_board.refresh(run)
        assert run.status == RunStatus.queued and run.lease is None
        assert f"queued again (attempt {attempt} of {service.MAX_ATTEMPTS})" in (run.error or "")
    _claimed_then_silent(tiny_board, run)
    assert service.reap_stale_runs(tiny_board, stale_seconds=30) == [run.id]
    tiny_board.refresh(run)
    assert run.status == RunStatus.failed and "heartbeat" in (run.error or "")
    assert run.attempts == service.MAX_ATTEMPTS
    # The worker coming back late does not overwrite the verdict or add a plan.
    assert run_job(int(run.id or 0), session=tiny_board) == RunStatus.failed
    tiny_board.refresh(plan_row)
    assert plan_row.is_published
    assert tiny_board.exec(select(Plan).where(Plan.solver_run_id == run.id)).first() is None


def test_a_worker_that_lost_its_lease_stores_nothing(tiny_board: Session, planner: User) -> None:
    run = service.start_run(tiny_board, user=planner, time_limit=2)
    tiny_board.commit()
    _claimed_then_silent(tiny_board, run)
    paused = worker._Job(run_id=int(run.id or 0), lease=run.lease or "")
    service.reap_stale_runs(tiny_board, stale_seconds=30)
    assert claim_next_run(tiny_board) == run.id  # another worker retries it
    tiny_board.refresh(run)
    assert run.lease and run.lease != paused.lease and run.attempts == 2

    # The paused worker wakes with a best plan so far to store: its heartbeat finds the
    # lease gone, stores nothing and stops its search...
    instance = Instance(load_scenario(run.scenario or {}))
    paused.best_plan = solve(instance, SolveOptions(time_limit=1, workers=1)).plan
    worker._tick(tiny_board, run, paused, instance)
    assert paused.fenced and paused.stop.is_set()
    tiny_board.refresh(run)
    assert run.plan is None and paused.stored is None
    # ...and its result, even a failure, is not stored over the new attempt's.
    paused.error = "late"
    assert worker._finish(tiny_board, run, paused, None) == RunStatus.running
    tiny_board.refresh(run)
    assert run.error is None or "late" not in run.error
    assert tiny_board.exec(select(Plan).where(Plan.solver_run_id == run.id)).first() is None
    # The new attempt finishes normally.
    assert run_job(int(run.id or 0), session=tiny_board) == RunStatus.succeeded


def test_heartbeats_are_written_and_judged_on_the_database_clock(
    tiny_board: Session, planner: User, set_clock: Callable[[datetime], object]
) -> None:
    run = service.start_run(tiny_board, user=planner, time_limit=2)
    tiny_board.commit()
    # A worker host whose own clock runs a day behind the database's.
    set_clock(database_now(tiny_board) - timedelta(days=1))
    assert claim_next_run(tiny_board) == run.id
    tiny_board.refresh(run)
    assert run.heartbeat_at is not None
    assert abs(run.heartbeat_at - database_now(tiny_board)) < timedelta(minutes=1)
    assert service.reap_stale_runs(tiny_board, stale_seconds=30) == []


def test_a_database_outage_pauses_the_heartbeat_not_the_search(
    tiny_board: Session, planner: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = service.start_run(tiny_board, user=planner, time_limit=2)
    tiny_board.commit()
    claim_next_run(tiny_board)
    tiny_board.refresh(run)
    job = worker._Job(run_id=int(run.id or 0), lease=run.lease or "")

    def unreachable(*args: object, **kwargs: object) -> None:
        raise sa.exc.OperationalError("UPDATE solver_runs", {}, Exception("server closed"))

    with monkeypatch.context() as patch:
        patch.setattr(tiny_board, "execute", unreachable)
        worker._tick(tiny_board, run, job)
    assert not job.stop.is_set() and not job.fenced
    worker._tick(tiny_board, run, job)  # the database is back: the beat goes through
    assert not job.stop.is_set()


def test_a_run_whose_process_is_gone_is_marked_failed(
    tiny_board: Session, planner: User
) -> None:
    run = service.start_run(tiny_board, user=planner, time_limit=2)
    tiny_board.commit()
    claim_next_run(tiny_board)
    tiny_board.refresh(run)
    run.pid = 2**22 + 12345  # above pid_max on this kind of machine: no such process
    tiny_board.add(run)
    tiny_board.commit()
    assert service.reap_stale_runs(tiny_board) == [run.id]


def test_published_operations_stay_pinned_unless_released(
    tiny_board: Session, planner: User
) -> None:
    from app.planning.publish import publish_plan

    first = _solved(tiny_board, planner)
    plan_row = tiny_board.exec(select(Plan).where(Plan.solver_run_id == first.id)).one()
    publish_plan(tiny_board, plan=plan_row, user=planner)
    tiny_board.commit()
    published = {op["id"]: op for op in plan_row.document["operations"]}
    second = _solved(tiny_board, planner, seed=7)
    assert sorted(second.params["pinned"]) == sorted(published)
    again = {op["id"]: op for op in (second.plan or {})["operations"]}
    for op_id, op in published.items():
        assert again[op_id] == op, "a pinned operation keeps its start and units"
    released = sorted(published)[:1]
    # The published plan was parsed for the second solve: not decoded again for the third.
    tiny_board.expire_all()
    with recorded_statements(tiny_board) as statements:
        third = service.start_run(tiny_board, user=planner, time_limit=2, released=released)
    assert not [s for s in statements if s.startswith("SELECT plans.document")]
    assert third.params["released"] == released
    assert released[0] not in third.params["pinned"]
    _, scenario = planning_scenario(tiny_board)
    assert released[0] in {op.id for op in scenario.operations}


def test_units_out_on_an_executing_operation_are_not_planned_then(
    tiny_board: Session, planner: User
) -> None:
    from app.models import Operation, OperationState, Tasking
    from app.planning.publish import publish_plan

    first = _solved(tiny_board, planner)
    plan_row = tiny_board.exec(select(Plan).where(Plan.solver_run_id == first.id)).one()
    publish_plan(tiny_board, plan=plan_row, user=planner)
    busy_op = tiny_board.get(Operation, plan_row.document["operations"][0]["id"])
    assert busy_op is not None
    busy_op.state = OperationState.executing
    tiny_board.add(busy_op)
    tiny_board.commit()
    out = tiny_board.exec(select(Tasking).where(Tasking.operation_id == busy_op.id)).all()
    second = _solved(tiny_board, planner, seed=5)
    units = {u["id"]: u for u in (second.scenario or {})["units"]}
    assert busy_op.id not in {op["id"] for op in (second.scenario or {})["operations"]}
    for tasking in out:
        for window in units[tasking.unit_id]["available"]:
            start, end = parse_instant(window["start"]), parse_instant(window["end"])
            assert end <= tasking.depart or start >= tasking.return_at
    assert validate_plan(load_scenario(second.scenario or {}), load_plan(second.plan or {})).valid
