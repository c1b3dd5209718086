"""The solver worker: claims queued runs and solves them, outside the web process.

One run at a time. The solve runs in a thread of the worker process while the main
thread, about once a second, writes progress and a heartbeat to the run's row and
reads the row's status: `cancelling` (a planner pressed Stop) makes the solver's
`should_stop` answer yes, and the best plan found so far is kept. Only the main thread
touches the database.

Liveness is judged on the database's clock, never a host's. Each claim takes a lease,
and every later write of the attempt is conditional on still holding it: a worker that
was paused, or cut off, past the point where its run was given to another cannot store a
plan (fencing). A database that goes away for a few seconds pauses the heartbeats, not
the search. SIGTERM drains: the search stops at its best plan, which is stored.

The best plan so far is stored too, under the same lease, at the first plan and then at
most every BEST_PLAN_SECONDS while it improves. A worker killed mid-solve (kill -9, a
lost machine) thus leaves a checked plan in the run: the planner is offered it, labelled
as coming from an interrupted attempt, and the retried attempt starts from it (as the
solver's preferred choices) and replaces it only with a better one.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.config import get_settings
from app.db import database_now, get_engine
from app.models import Plan, RunKind, RunStatus, SolverRun
from app.planning import plan_checks
from app.planning.service import WORKING, best_so_far_attempt, reap_stale_runs, worker_identity
from app.solver.instance import Instance
from app.solver.loader import load_plan, load_scenario
from app.solver.schema import Plan as PlanDocument
from app.solver.schema import ScheduledOperation, parse_instant
from app.solver.solve import Progress, SolveOptions, SolveResult, solve
from app.solver.validate import ValidationReport, validate_plan

log = logging.getLogger(__name__)

# Set by SIGTERM (cli_worker): finish the current run at its best plan, claim no other.
draining = threading.Event()
# How long a finished solve keeps trying to store its plan while the database is away.
STORE_RETRY_SECONDS = 60.0
# How often at most an improving best plan so far is written to the run (it is the size
# of the board: writing each of the LNS's many small improvements would be most of the
# worker's traffic).
BEST_PLAN_SECONDS = 5.0


@dataclass
class _Job:
    """What the solver thread shares with the main thread."""

    stop: threading.Event = field(default_factory=threading.Event)
    progress: Progress | None = None
    result: SolveResult | None = None
    error: str | None = None
    # The lease this attempt holds, and whether it was lost to another attempt.
    run_id: int = 0
    lease: str = ""
    fenced: bool = False
    started: float = field(default_factory=time.monotonic)
    # A capacity analysis (app/solver/what_if.py): its step, and its ranked outcome.
    extra: dict[str, Any] = field(default_factory=dict)
    outcome: dict[str, Any] | None = None
    attempt: int = 0
    # The best plan so far the solver handed over, and the one stored in the run (an
    # earlier attempt's, until this attempt stores a better one).
    best_plan: PlanDocument | None = None
    stored: dict[str, Any] | None = None

    def on_progress(self, progress: Progress) -> None:
        self.progress = progress

    def on_best_plan(self, plan: PlanDocument) -> None:
        self.best_plan = plan  # one reference swap: the main thread reads it at its tick

    def run(self, instance: Instance, options: SolveOptions) -> None:
        try:
            self.result = solve(instance, options)
        except Exception as exc:  # a solver bug must fail the run, not the worker
            log.exception("solve failed")
            self.error = f"the solver failed: {exc}"


def claim_next_run(session: Session) -> int | None:
    """Take the oldest queued run (an atomic UPDATE … WHERE status='queued'), or None."""
    query = select(SolverRun.id).where(SolverRun.status == RunStatus.queued)
    for run_id in session.exec(query.order_by(col(SolverRun.id)).limit(5)).all():
        if _claim(session, int(run_id or 0)):
            return run_id
    session.commit()
    return None


def claim_run(session: Session, run_id: int) -> bool:
    """Take this run if it is still queued (the procrastinate job's way in)."""
    return _claim(session, run_id)


def _claim(session: Session, run_id: int) -> bool:
    now = database_now(session)
    result = session.execute(
        sa.update(SolverRun)
        .where(col(SolverRun.id) == run_id, col(SolverRun.status) == RunStatus.queued)
        .values(
            status=RunStatus.running,
            started_at=now,
            heartbeat_at=now,
            pid=os.getpid(),
            lease=uuid.uuid4().hex,
            attempts=SolverRun.attempts + 1,
            progress={**worker_identity(), "elapsed": 0.0},
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def run_job(run_id: int, *, session: Session | None = None) -> RunStatus:
    """Solve one run to the end and store its plan; returns the run's final status."""
    if session is None:
        with Session(get_engine()) as own:
            return _run(own, run_id)
    return _run(session, run_id)


def _run(session: Session, run_id: int) -> RunStatus:
    run = session.get(SolverRun, run_id)
    if run is None:
        raise LookupError(f"no solver run {run_id}")
    if run.status == RunStatus.queued:
        _claim(session, run_id)  # run directly (tests, tools): claim it like the loop does
    session.refresh(run)
    if run.status not in WORKING:
        return RunStatus(run.status)
    if run.kind == RunKind.repatriation:
        from app.repatriation.jobs import solve_run

        return solve_run(session, run)
    job = _Job(run_id=run_id, lease=run.lease or "", attempt=run.attempts)
    if run.kind == RunKind.capacity:
        return _run_analysis(session, run, job)
    job.stored = run.plan if best_so_far_attempt(run.plan) is not None else None
    try:
        floor = (run.params or {}).get("not_before")
        instance = Instance(load_scenario(run.scenario or {}),
                            not_before=parse_instant(floor) if floor else None)
        options = _options(run, job)
    except Exception as exc:
        job.error = f"the run's scenario cannot be solved: {exc}"
        return _finish(session, run, job, None)
    thread = threading.Thread(target=job.run, args=(instance, options), daemon=True)
    thread.start()
    alive_file = get_settings().worker_alive_file
    try:
        while thread.is_alive():
            thread.join(get_settings().heartbeat_seconds)
            if draining.is_set():
                job.stop.set()
            _tick(session, run, job, instance)
            if alive_file is not None:
                alive_file.touch()  # a long solve is a live worker, not a hung one
    except BaseException:
        job.stop.set()
        job.error = "the worker was stopped during the solve"
        _finish(session, run, job, instance)
        raise
    return _finish(session, run, job, instance)


def _options(run: SolverRun, job: _Job) -> SolveOptions:
    params = run.params
    fixed = [ScheduledOperation.model_validate(op) for op in params.get("fixed", [])]
    # A retry starts from the interrupted attempt's best plan: its choices are preferred.
    pinned = {op.id for op in fixed}
    preferred = [
        op for op in (load_plan(job.stored).operations if job.stored else [])
        if op.id not in pinned
    ]
    return SolveOptions(
        time_limit=float(params.get("time_limit", 10)),
        workers=int(params.get("workers", 2)),
        seed=int(params.get("seed", 0)),
        fixed=fixed,
        preferred=preferred,
        on_progress=job.on_progress,
        should_stop=job.stop.is_set,
        on_best_plan=job.on_best_plan,
        best_plan_seconds=BEST_PLAN_SECONDS,
    )


def _better(document: dict[str, Any], than: dict[str, Any] | None) -> bool:
    """Lexicographically better: higher priority, or equal priority and less travel."""
    if than is None:
        return True
    mine, theirs = document.get("objective") or {}, than.get("objective") or {}
    key_mine = (mine.get("priority", 0), -mine.get("travel_minutes", 0))
    key_theirs = (theirs.get("priority", 0), -theirs.get("travel_minutes", 0))
    return bool(key_mine > key_theirs)


def _best_plan_to_store(
    job: _Job, instance: Instance
) -> tuple[dict[str, Any], ValidationReport] | None:
    """The solver's latest best plan so far, checked (and its check), if it beats the
    stored one."""
    plan = job.best_plan
    if plan is None:
        return None
    job.best_plan = None
    document = plan.to_json_dict()
    document["solver"] = {**document.get("solver", {}), "attempt": job.attempt}
    if not _better(document, job.stored):
        return None
    report = validate_plan(instance.scenario, plan)
    if not report.valid:  # a solver bug: never offer it, the finished plan is checked too
        log.error("run %s: best plan so far is invalid: %s", job.run_id,
                  "; ".join(v.message for v in report.violations[:3]))
        return None
    return document, report


def _progress(run: SolverRun, job: _Job) -> dict[str, Any]:
    """The progress JSON: the latest solver report, with a live elapsed time."""
    data: dict[str, Any] = dict(run.progress or {})
    data["elapsed"] = round(time.monotonic() - job.started, 1)
    data.update(job.extra)
    if job.progress is not None:
        p = job.progress
        data.update(
            priority=p.priority,
            bound=p.bound,
            gap=p.gap,
            travel_minutes=p.travel_minutes,
            solver_status=p.status,
        )
    if job.result is not None:
        r = job.result
        data.update(
            priority=r.priority,
            bound=r.priority_bound,
            gap=r.priority_bound - r.priority,
            travel_minutes=r.travel_minutes,
            solver_status=r.status,
        )
    return data


def _tick(
    session: Session, run: SolverRun, job: _Job, instance: Instance | None = None
) -> None:
    """Heartbeat, progress and the best plan so far out, the stop request in; the lease
    decides all of them."""
    if job.fenced:
        return
    values: dict[str, Any] = {"progress": _progress(run, job)}
    checked = None if instance is None else _best_plan_to_store(job, instance)
    best = None if checked is None else checked[0]
    try:
        if checked is not None and instance is not None:
            values["plan"] = best
            values["plan_checks"] = plan_checks.checks(*checked)
        values["heartbeat_at"] = database_now(session)
        updated = session.execute(
            sa.update(SolverRun)
            .where(col(SolverRun.id) == job.run_id, col(SolverRun.lease) == job.lease)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        status = session.execute(
            select(SolverRun.status).where(col(SolverRun.id) == job.run_id)
        ).scalar_one()
        # Commit last: no transaction (on SQLite, the write lock) stays open between beats.
        session.commit()
    except sa.exc.OperationalError:
        # The database is away (restart, failover): keep searching, beat again later.
        session.rollback()
        log.warning("run %s: heartbeat not written, the database is unreachable", job.run_id)
        if best is not None and job.best_plan is None:
            job.best_plan = load_plan(best)  # store it at the next beat
        return
    if best is not None and updated.rowcount:  # type: ignore[attr-defined]
        job.stored = best
    if not updated.rowcount:  # type: ignore[attr-defined]
        log.warning("run %s: lease lost to another attempt; stopping without storing", job.run_id)
        job.fenced = True
        job.stop.set()
    elif status != RunStatus.running:
        # cancelling (stop asked) or failed (declared dead): stop the search either way.
        job.stop.set()


def _finish(session: Session, run: SolverRun, job: _Job, instance: Instance | None) -> RunStatus:
    """Store the result (the plan, validated, or the reason), if the lease is still ours."""
    deadline = time.monotonic() + STORE_RETRY_SECONDS
    while True:
        try:
            return _store(session, run, job, instance)
        except sa.exc.OperationalError:
            session.rollback()
            if time.monotonic() > deadline:
                raise
            log.warning("run %s: result not stored yet, the database is unreachable", job.run_id)
            time.sleep(1.0)


def _store(session: Session, run: SolverRun, job: _Job, instance: Instance | None) -> RunStatus:
    session.refresh(run)
    if job.fenced or run.lease != job.lease or run.status not in WORKING:
        session.rollback()
        return RunStatus(run.status)  # retried elsewhere or declared dead: not ours
    document, error, report = None, job.error, None
    if job.result is not None and instance is not None and error is None:
        report = validate_plan(instance.scenario, job.result.plan)
        if report.valid:
            document = job.result.plan.to_json_dict()
        else:
            error = "the solver's plan is invalid: " + "; ".join(
                v.message for v in report.violations[:5]
            )
    progress = _progress(run, job)
    if document is not None and job.stored is not None and _better(job.stored, document):
        # The retry ended below an interrupted attempt's best plan: that one stands.
        kept = best_so_far_attempt(job.stored)
        document = {**job.stored, "solver": {**job.stored["solver"], "status": "FEASIBLE",
                                             "kept_from_attempt": kept}}
        progress["kept_from_attempt"] = kept
        report = None  # another plan's: checked again below
    if draining.is_set() and run.status == RunStatus.running:
        if document is None:
            # Shut down before any plan: give the run back for another worker.
            values: dict[str, Any] = {"status": RunStatus.queued, "lease": None, "pid": None}
            return _conditional_store(session, run, job, values, None)
        progress["stopped_early"] = "the worker was shutting down"
    final = (
        RunStatus.failed
        if document is None
        else (RunStatus.cancelled if run.status == RunStatus.cancelling else RunStatus.succeeded)
    )
    now = database_now(session)
    values = {
        "status": final,
        "finished_at": now,
        "heartbeat_at": now,
        "error": error,
        "progress": progress,
    }
    if document is not None and instance is not None:
        values["plan"] = document
        if report is None:
            report = validate_plan(instance.scenario, load_plan(document))
        values["plan_checks"] = plan_checks.checks(document, report)
    # else a best plan so far stored earlier stays in the run, offered to the planner.
    return _conditional_store(session, run, job, values, document)


def _conditional_store(
    session: Session,
    run: SolverRun,
    job: _Job,
    values: dict[str, Any],
    document: dict[str, Any] | None,
) -> RunStatus:
    """One transaction: the run's outcome and its Plan, only while the lease is ours."""
    stored = session.execute(
        sa.update(SolverRun)
        .where(
            col(SolverRun.id) == run.id,
            col(SolverRun.lease) == job.lease,
            col(SolverRun.status).in_(WORKING),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if not stored.rowcount:  # type: ignore[attr-defined]
        session.rollback()
        session.refresh(run)
        return RunStatus(run.status)
    if document is not None:
        session.add(Plan(document=document, solver_run_id=run.id))
    session.commit()
    session.refresh(run)
    return RunStatus(run.status)


# --- capacity analyses ---------------------------------------------------------------------

# `params.kind` of a run that is a "what would help most" analysis, not a plan.
ANALYSIS = "capacity"


def _run_analysis(session: Session, run: SolverRun, job: _Job) -> RunStatus:
    """Solve the baseline and each hypothesis in a thread, with heartbeats and progress
    like a plan's run; store the ranking on the run's CapacityAnalysis (no Plan row: a
    hypothetical plan is never published)."""
    from app.solver.what_if import analyse

    params = run.params or {}
    job.extra = {"kind": ANALYSIS, "step": 0, "steps": 1, "current": "baseline"}

    def on_step(step: int, steps: int, label: str) -> None:
        job.extra = {"kind": ANALYSIS, "step": step, "steps": steps, "current": label}

    def work() -> None:
        try:
            job.outcome = analyse(
                run.scenario or {}, offers=params.get("offers", []),
                focus=set(params["focus"]) if params.get("focus") is not None else None,
                time_limit=float(params.get("time_limit", 10)),
                workers=int(params.get("workers", 2)), seed=int(params.get("seed", 0)),
                on_step=on_step, on_progress=job.on_progress, should_stop=job.stop.is_set)
        except Exception as exc:  # a solver bug must fail the run, not the worker
            log.exception("capacity analysis failed")
            job.error = f"the analysis failed: {exc}"

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    alive_file = get_settings().worker_alive_file
    try:
        while thread.is_alive():
            thread.join(get_settings().heartbeat_seconds)
            if draining.is_set():
                job.stop.set()
            _tick(session, run, job)
            if alive_file is not None:
                alive_file.touch()
    except BaseException:
        job.stop.set()
        job.error = "the worker was stopped during the analysis"
        _store_analysis(session, run, job)
        raise
    return _store_analysis(session, run, job)


def _store_analysis(session: Session, run: SolverRun, job: _Job) -> RunStatus:
    from app.models import CapacityAnalysis

    session.refresh(run)
    if job.fenced or run.lease != job.lease or run.status not in WORKING:
        session.rollback()
        return RunStatus(run.status)
    if draining.is_set() and run.status == RunStatus.running and job.outcome is None:
        values: dict[str, Any] = {"status": RunStatus.queued, "lease": None, "pid": None}
    else:
        final = (RunStatus.failed if job.outcome is None else
                 RunStatus.cancelled if run.status == RunStatus.cancelling or job.stop.is_set()
                 else RunStatus.succeeded)
        now = database_now(session)
        job.extra["step"] = job.extra.get("steps", 1) if final == RunStatus.succeeded \
            else job.extra.get("step", 0)
        values = {"status": final, "finished_at": now, "heartbeat_at": now,
                  "error": job.error if job.outcome is None else None,
                  "progress": _progress(run, job)}
    stored = session.execute(
        sa.update(SolverRun)
        .where(col(SolverRun.id) == run.id, col(SolverRun.lease) == job.lease,
               col(SolverRun.status).in_(WORKING))
        .values(**values)
        .execution_options(synchronize_session=False))
    if not stored.rowcount:  # type: ignore[attr-defined]
        session.rollback()
        session.refresh(run)
        return RunStatus(run.status)
    if job.outcome is not None:
        session.execute(sa.update(CapacityAnalysis)
                        .where(col(CapacityAnalysis.solver_run_id) == run.id)
                        .values(result=job.outcome)
                        .execution_options(synchronize_session=False))
    session.commit()
    session.refresh(run)
    return RunStatus(run.status)


def _apply_retention(factory: Callable[[], Session]) -> float:
    """Apply retention (app/retention.py); the seconds until it is due again."""
    from app.retention import EVERY, apply_retention

    try:
        with factory() as session:
            report = apply_retention(session)
            session.commit()
        log.info("retention applied: %s", report)
    except Exception:  # retention waits for the next round; solving goes on
        log.exception("retention failed; retrying in an hour")
    return EVERY.total_seconds()


def serve(
    *,
    once: bool = False,
    session_factory: Callable[[], Session] | None = None,
    parent_pid: int | None = None,
) -> int:
    """Poll for queued runs and solve them; with `once`, handle at most one and return."""
    factory = session_factory or (lambda: Session(get_engine()))
    handled = 0
    alive_file = get_settings().worker_alive_file
    retention_due = 0.0
    while not draining.is_set():
        run_id = None
        if time.monotonic() >= retention_due:
            retention_due = time.monotonic() + _apply_retention(factory)
        if alive_file is not None:
            alive_file.touch()
        try:
            with factory() as session:
                reap_stale_runs(session)
                session.commit()
                run_id = claim_next_run(session)
                if run_id is not None:
                    log.info("solving run %s", run_id)
                    run_job(run_id, session=session)
                    handled += 1
        except Exception:  # the database away for a moment must not end the worker
            log.exception("worker iteration failed; retrying")
        if once or draining.is_set() or (parent_pid is not None and os.getppid() != parent_pid):
            return handled
        if run_id is None:
            draining.wait(get_settings().worker_poll_seconds)
    return handled
