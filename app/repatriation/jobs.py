"""The worker's side of a repatriation run: solve in a thread, beat, store under the lease.

Called by app/planning/worker.py for a claimed run of kind `repatriation`, so these runs
share the raid runs' queue, worker process, lease, heartbeat, reaper and Stop button. As
there, only the main thread touches the database: about once a second it writes progress
and a heartbeat (while the lease is still this attempt's) and reads the status, whose
`cancelling` stops the search at its best plan so far (every stage of the model starts
from a complete plan, so that plan is valid).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.config import get_settings
from app.db import database_now
from app.models import RepatriationPlan, RunStatus, SolverRun
from app.solver.repatriation.load import load_problem
from app.solver.repatriation.model import StageResult, solve_model
from app.solver.repatriation.schema import Problem
from app.solver.repatriation.schema import RepatriationPlan as PlanDocument
from app.solver.repatriation.validate import validate

log = logging.getLogger(__name__)
WORKING = (RunStatus.running, RunStatus.cancelling)


@dataclass
class _Job:
    run_id: int
    lease: str
    stop: threading.Event = field(default_factory=threading.Event)
    stages: list[StageResult] = field(default_factory=list)
    plan: PlanDocument | None = None
    error: str | None = None
    fenced: bool = False
    started: float = field(default_factory=time.monotonic)

    def run(self, problem: Problem, params: dict[str, Any]) -> None:
        try:
            self.plan, _ = solve_model(
                problem, time_limit=float(params.get("time_limit", 10)),
                workers=int(params.get("workers", 2)), seed=int(params.get("seed", 0)),
                on_stage=self.stages.append, should_stop=self.stop.is_set)
        except Exception as exc:  # a solver bug fails the run, not the worker
            log.exception("repatriation solve failed")
            self.error = f"the solver failed: {exc}"

    def progress(self) -> dict[str, Any]:
        data: dict[str, Any] = {"elapsed": round(time.monotonic() - self.started, 1),
                                "stages": [s.__dict__ for s in self.stages]}
        if self.plan is not None and self.plan.objective is not None:
            data["objective"] = self.plan.objective.model_dump()
        return data


def solve_run(session: Session, run: SolverRun) -> RunStatus:
    """Solve a claimed repatriation run to the end and store its plan."""
    job = _Job(run_id=int(run.id or 0), lease=run.lease or "")
    try:
        problem = load_problem(run.scenario or {})
    except Exception as exc:
        job.error = f"the run's problem cannot be solved: {exc}"
        return _store(session, run, job, None)
    params = dict(run.params)
    thread = threading.Thread(target=job.run, args=(problem, params), daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(get_settings().heartbeat_seconds)
            _tick(session, job)
    except BaseException:
        job.stop.set()
        job.error = "the worker was stopped during the solve"
        _store(session, run, job, problem)
        raise
    return _store(session, run, job, problem)


def _tick(session: Session, job: _Job) -> None:
    if job.fenced:
        return
    try:
        updated = session.execute(
            sa.update(SolverRun)
            .where(col(SolverRun.id) == job.run_id, col(SolverRun.lease) == job.lease)
            .values(progress=job.progress(), heartbeat_at=database_now(session))
            .execution_options(synchronize_session=False))
        status = session.execute(select(SolverRun.status)
                                 .where(col(SolverRun.id) == job.run_id)).scalar_one()
        session.commit()
    except sa.exc.OperationalError:
        session.rollback()
        log.warning("run %s: heartbeat not written, the database is unreachable", job.run_id)
        return
    if not updated.rowcount:  # type: ignore[attr-defined]
        job.fenced = True
        job.stop.set()
    elif status != RunStatus.running:
        job.stop.set()


def _store(session: Session, run: SolverRun, job: _Job, problem: Problem | None) -> RunStatus:
    """The outcome and the plan row in one transaction, only while the lease is ours."""
    session.refresh(run)
    if job.fenced or run.lease != job.lease or run.status not in WORKING:
        session.rollback()
        return RunStatus(run.status)
    document, error = None, job.error
    if job.plan is not None and problem is not None and error is None:
        report = validate(problem, job.plan)
        if report.valid:
            document = job.plan.model_dump(mode="json", by_alias=True)
        else:
            error = "the solver's plan is invalid: " + "; ".join(report.violations[:5])
    final = (RunStatus.failed if document is None else
             RunStatus.cancelled if run.status == RunStatus.cancelling else RunStatus.succeeded)
    now = database_now(session)
    stored = session.execute(
        sa.update(SolverRun)
        .where(col(SolverRun.id) == run.id, col(SolverRun.lease) == job.lease,
               col(SolverRun.status).in_(WORKING))
        .values(status=final, finished_at=now, heartbeat_at=now, error=error, plan=document,
                progress=job.progress())
        .execution_options(synchronize_session=False))
    if not stored.rowcount:  # type: ignore[attr-defined]
        session.rollback()
        session.refresh(run)
        return RunStatus(run.status)
    if document is not None:
        session.add(RepatriationPlan(holding_country=run.params["country"], document=document,
                                     solver_run_id=run.id))
    session.commit()
    session.refresh(run)
    return RunStatus(run.status)
