"""Solver runs: start one, stop one, list them, and mark those whose worker died."""

from __future__ import annotations

import os
import socket
from collections.abc import Collection
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select as sa_select
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from app import audit as trail
from app.access import sees_whole_board, visible_operations_query
from app.config import get_settings
from app.db import database_now
from app.errors import AppError, Conflict, Forbidden, NotFound
from app.i18n import N_, Joined, later
from app.models import (
    Operation,
    Plan,
    RunKind,
    RunStatus,
    SolverRun,
    User,
    utcnow,
)
from app.planning.notice import earliest_start, start_no_earlier_than
from app.planning.problems import problem_line
from app.planning.queue import defer_solve
from app.planning.scenario import pinned_for_solve, published_plan, solve_basis
from app.solver.loader import load_plan, load_scenario
from app.solver.schema import format_instant
from app.solver.solve import BEST_SO_FAR
from app.solver.validate import validate_plan

ACTIVE = (RunStatus.queued, RunStatus.running, RunStatus.cancelling)
WORKING = (RunStatus.running, RunStatus.cancelling)


def audit(
    session: Session, *, actor: User | None, action: str, object_type: str, object_id: Any,
    **details: Any,
) -> None:
    """Append one audit event."""
    trail.record(session, actor=actor, action=action, object_type=object_type,
                 object_id=object_id, details=details)


def start_run(
    session: Session,
    *,
    user: User,
    time_limit: float = 10.0,
    seed: int = 0,
    workers: int = 2,
    released: list[str] | tuple[str, ...] = (),
) -> SolverRun:
    """Queue a solve of the approved operations; published ones stay pinned unless released."""
    limit = get_settings().max_time_limit_seconds
    if not 1 <= time_limit <= limit:
        raise AppError(later("The time limit must be between 1 and %(limit)s seconds",
                             limit=limit), 422)
    if seed < 0 or not 1 <= workers <= 8:
        raise AppError(N_("The seed must be ≥ 0 and workers between 1 and 8"), 422)
    _check_released(session, user=user, released=released)
    # Kept while the board stands still (app.planning.scenario.solve_basis).
    basis = solve_basis(session)
    document, scenario = basis.document, basis.scenario
    if not scenario.operations:
        raise Conflict(N_("There are no approved operations to solve"))
    published = published_plan(session)
    fixed, fixed_documents = pinned_for_solve(session, basis, set(released), published)
    # Nothing in the past: this solve's horizon starts at now + notice (on the slot grid).
    now = utcnow()
    start_no_earlier_than(document, now=now, fixed=fixed)
    run = SolverRun(
        status=RunStatus.queued,
        params={
            "time_limit": time_limit,
            "seed": seed,
            "workers": workers,
            "released": sorted(set(released)),
            "pinned": [op.id for op in fixed],
            "fixed": fixed_documents,
            # Pinned operations may keep the horizon start in the past: new operations,
            # and their units' trips, still start no earlier than this (app.solver.instance).
            "not_before": format_instant(earliest_start(now)),
            "published_plan_id": published.id if published else None,
        },
        scenario=document,
        created_by_id=user.id,
    )
    session.add(run)
    session.flush()
    defer_solve(session, int(run.id or 0))
    audit(session, actor=user, action="solver_run.start", object_type="solver_run",
          object_id=run.id, time_limit=time_limit, seed=seed, released=sorted(set(released)))
    session.flush()
    return run


def _check_released(session: Session, *, user: User, released: Collection[str]) -> None:
    """Only operations the planner may see can be released (404 for any other, as for a
    missing one: releasing is acting on it, and need-to-know answers 404)."""
    wanted = set(released)
    if not wanted:
        return
    query = visible_operations_query(user).where(col(Operation.id).in_(wanted))
    seen = {op.id for op in session.exec(query)}
    missing = sorted(wanted - seen)
    if missing:
        raise NotFound(later("No such operation to release: %(id)s", id=missing[0]))


def may_stop(session: Session, *, run: SolverRun, user: User) -> bool:
    """Whether the user may stop the run: those who see the whole board, or a planner of
    the agency whose planner started it."""
    if sees_whole_board(user):
        return True
    starter = session.get(User, run.created_by_id) if run.created_by_id else None
    return (user.agency_id is not None and starter is not None
            and starter.agency_id == user.agency_id)


def get_run(session: Session, *, run_id: int, lazy: bool = False) -> SolverRun:
    """The run, or 404; `lazy`: its scenario and parameters are read when first used (the
    run page reads them only to derive what it keeps: app.planning.review)."""
    query = select(SolverRun).where(col(SolverRun.id) == run_id)
    if lazy:
        query = query.options(defer(SolverRun.scenario), defer(SolverRun.params),  # type: ignore[arg-type]
                              defer(SolverRun.plan_checks))  # type: ignore[arg-type]
    run = session.exec(query).first()
    # Hand-over runs live in app/repatriation; a capacity analysis has no plan to review
    # (its campaign's capacity page shows it).
    if run is None or run.kind != RunKind.raid:
        raise NotFound(N_("No such solver run"))
    return run


def cancel_run(session: Session, *, run: SolverRun, user: User) -> SolverRun:
    """Stop a run: a queued one at once, a running one at the worker's next check."""
    if not may_stop(session, run=run, user=user):
        raise Forbidden(N_("Only a planner of the agency that started this run, or a "
                           "coordinator, may stop it"))
    now = utcnow()
    stopped = _set_status(session, run, RunStatus.queued, status=RunStatus.cancelled,
                          finished_at=now)
    if not stopped:
        stopped = _set_status(session, run, RunStatus.running, status=RunStatus.cancelling)
    session.refresh(run)
    if not stopped and run.status != RunStatus.cancelling:
        raise Conflict(later("This run has already finished (%(status)s)",
                             status=str(getattr(run.status, "value", run.status))))
    audit(session, actor=user, action="solver_run.cancel", object_type="solver_run",
          object_id=run.id, status=str(run.status))
    session.flush()
    return run


def _set_status(session: Session, run: SolverRun, expected: RunStatus, **values: Any) -> bool:
    """UPDATE the run only if it is still in `expected` (atomic against the worker)."""
    result = session.execute(
        sa.update(SolverRun)
        .where(col(SolverRun.id) == run.id, col(SolverRun.status) == expected)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# A run's scenario snapshot and plan are the size of the board: lists and the reaper,
# which the planning page runs on every poll, read neither.
_WITHOUT_DOCUMENTS = (defer(SolverRun.scenario), defer(SolverRun.plan),  # type: ignore[arg-type]
                      defer(SolverRun.plan_checks))  # type: ignore[arg-type]
# Lists and the reaper read neither the documents nor the parameters: those hold every
# pinned operation's assignments (decoding 20 runs' took 40 ms of each 2-second poll).
_LISTED = (*_WITHOUT_DOCUMENTS, defer(SolverRun.params))  # type: ignore[arg-type]


def list_runs(session: Session, *, limit: int = 20) -> list[SolverRun]:
    """The latest runs, newest first, without their scenario and plan documents, and
    without their parameters (time_limits reads the one a list shows)."""
    # Raid runs only: hand-over runs and capacity analyses have their own pages.
    query = (
        select(SolverRun)
        .options(*_LISTED)
        .where(col(SolverRun.kind) == RunKind.raid)
        .order_by(col(SolverRun.id).desc())
        .limit(limit)
    )
    return list(session.exec(query).all())


def run_settings(session: Session, runs: list[SolverRun]) -> dict[int, dict[str, Any]]:
    """Each run's time limit and seed, from their own columns: not from its parameters,
    which also hold every pinned operation's assignments (see _LISTED)."""
    rows = session.execute(sa_select(col(SolverRun.id), col(SolverRun.time_limit),
                                     col(SolverRun.seed))
                           .where(col(SolverRun.id).in_([run.id for run in runs]))).all()
    return {run_id: {"time_limit": limit, "seed": seed} for run_id, limit, seed in rows}


def list_plans(session: Session, *, limit: int = 50) -> list[Plan]:
    """The latest plans, newest first."""
    return list(session.exec(select(Plan).order_by(col(Plan.id).desc()).limit(limit)).all())


def get_plan(session: Session, *, plan_id: int) -> Plan:
    """The plan, or 404."""
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(N_("No such plan"))
    return plan


def plan_of_run(session: Session, *, run: SolverRun) -> Plan | None:
    """The plan row of the run's plan as it stands, if any: the one a finished run stored,
    or the best plan so far of an interrupted attempt that a planner kept."""
    if run.plan is None:
        return None
    rows = session.exec(
        select(Plan).where(Plan.solver_run_id == run.id).order_by(col(Plan.id).desc())
    ).all()
    return next((row for row in rows if row.document == run.plan), None)


def best_so_far_attempt(document: dict[str, Any] | None) -> int | None:
    """The attempt that stored this run plan as its best so far (None: a finished plan)."""
    solver = (document or {}).get("solver") or {}
    if solver.get("status") != BEST_SO_FAR:
        return None
    return int(solver.get("attempt") or 0)


def interrupted_attempt(run: SolverRun) -> int | None:
    """The attempt whose best plan so far the run holds, if that attempt was interrupted
    (its worker killed or stopped): the plan is then offered for keeping and publishing."""
    attempt = best_so_far_attempt(run.plan)
    if attempt is None:
        return None
    if run.status == RunStatus.running and attempt == run.attempts:
        return None  # the attempt storing it is still searching
    return attempt


def keep_best_plan(session: Session, *, run: SolverRun, attempt: int, user: User) -> Plan:
    """Keep an interrupted attempt's best plan so far as a plan that can be published.

    `attempt` is the one the planner saw: a retry that stored a better plan meanwhile
    makes this a conflict (they review the new one), never a silent switch. The plan is
    checked against the scenario it was solved on before it is kept.
    """
    # Lock the run's row (PostgreSQL) so the check and the copy see the same plan.
    locked = session.exec(
        select(SolverRun).where(SolverRun.id == run.id).with_for_update()
    ).one()
    session.refresh(locked)
    shown = interrupted_attempt(locked)
    if shown is None or shown != attempt:
        raise Conflict(later("The run no longer holds the best plan so far of attempt "
                             "%(attempt)s: reload the run to see its plan as it stands",
                             attempt=attempt))
    kept = plan_of_run(session, run=locked)
    if kept is not None:
        return kept
    document = dict(locked.plan or {})
    report = validate_plan(load_scenario(locked.scenario or {}), load_plan(document))
    if not report.valid:
        raise Conflict(later("The best plan so far does not pass the plan check: "
                             "%(problems)s",
                             problems=Joined([problem_line(v)
                                              for v in report.violations[:3]])))
    plan = Plan(document=document, solver_run_id=locked.id)
    session.add(plan)
    session.flush()
    audit(session, actor=user, action="solver_run.keep_best_plan", object_type="solver_run",
          object_id=locked.id, attempt=attempt, plan_id=plan.id)
    session.flush()
    return plan


# A run whose worker died is queued again this many times in all, then failed.
MAX_ATTEMPTS = 3


def worker_identity() -> dict[str, str]:
    """Where a worker runs: host name and boot id (two machines may share a host name)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        boot = ""
    return {"host": socket.gethostname(), "boot": boot}


def reap_stale_runs(
    session: Session, *, now: datetime | None = None, stale_seconds: float | None = None
) -> list[int]:
    """Give back, or fail, the runs whose worker died (stale heartbeat, or pid gone here).

    Heartbeats are judged on the database's clock (`now` overrides it in tests). A run
    that was running is queued again for another worker until MAX_ATTEMPTS; its lease is
    cleared, so the lost worker, should it wake, cannot store anything.
    """
    now = now or database_now(session)
    stale = timedelta(seconds=stale_seconds or get_settings().worker_stale_seconds)
    working = select(SolverRun).options(*_LISTED)
    runs = session.exec(working.where(col(SolverRun.status).in_(WORKING))).all()
    reaped = []
    for run in runs:
        beat = run.heartbeat_at or run.started_at or run.created_at
        reason = None
        if beat < now - stale:
            reason = f"the worker stopped: no heartbeat since {beat:%Y-%m-%d %H:%M:%S}Z"
        elif _pid_gone(run):
            reason = f"the worker process {run.pid} is gone"
        if reason is None:
            continue
        if run.status == RunStatus.running and run.attempts < MAX_ATTEMPTS:
            values: dict[str, Any] = {
                "status": RunStatus.queued, "lease": None, "pid": None,
                "error": f"{reason}; queued again (attempt {run.attempts} of {MAX_ATTEMPTS})",
            }
        else:
            values = {
                "status": RunStatus.failed, "finished_at": now, "lease": None,
                "error": reason + "; the published plan is unchanged",
            }
        if _set_status(session, run, RunStatus(run.status), **values):
            if values["status"] == RunStatus.queued:
                defer_solve(session, int(run.id or 0))
            session.expire(run)
            reaped.append(int(run.id or 0))
    session.flush()
    return reaped


def _pid_gone(run: SolverRun) -> bool:
    """Whether the run's worker ran on this host and its process no longer exists."""
    where = run.progress or {}
    if run.pid is None or {k: where.get(k) for k in ("host", "boot")} != worker_identity():
        return False
    try:
        os.kill(run.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
