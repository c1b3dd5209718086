"""Solver jobs on procrastinate, the PostgreSQL job queue; on SQLite, the local poll.

`solver_runs` stays the record planners see (status, progress, plan). On PostgreSQL a
procrastinate job dispatches each queued run to one of any number of `jointops worker`
processes on any machine that reaches the database. The job is deferred in the same
transaction that queues the run (procrastinate's own SQL function), so a run is never
queued without its job, nor a job sent for a run that was rolled back. The job claims the
run with the same compare-and-set as the SQLite worker, so a run is solved once however
many jobs name it. On SQLite there is no queue server: the worker that the web process
starts polls `solver_runs` (app/planning/worker.py `serve`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
from functools import lru_cache

import sqlalchemy as sa
from procrastinate import App, PsycopgConnector
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, select

from app.config import get_settings
from app.db import get_engine
from app.models import RunStatus, SolverRun

log = logging.getLogger(__name__)

QUEUE = "solver"
SOLVE_TASK = "jointops.solve_run"
REAP_TASK = "jointops.reap_runs"
RETENTION_TASK = "jointops.retention"


def uses_job_queue(session: Session) -> bool:
    """Whether runs are dispatched by procrastinate (PostgreSQL) or polled (SQLite)."""
    return session.get_bind().dialect.name == "postgresql"


def defer_solve(session: Session, run_id: int) -> None:
    """Defer the job that will solve this run, inside the caller's transaction."""
    if not uses_job_queue(session):
        return
    args = json.dumps({"run_id": run_id})
    try:
        with session.begin_nested():
            session.execute(
                text(
                    "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW(:queue, :task, 0, NULL,"
                    " :queueing_lock, CAST(:args AS jsonb), NULL)"
                    "::procrastinate_job_to_defer_v1])"
                ),
                {
                    "queue": QUEUE,
                    "task": SOLVE_TASK,
                    "queueing_lock": f"run-{run_id}",
                    "args": args,
                },
            )
    except sa.exc.IntegrityError:
        pass  # a job for this run is already waiting (its queueing lock)


def redefer_waiting_runs(session: Session) -> list[int]:
    """Give a job to every queued run that lacks one (the queueing lock skips the rest).

    A run queued again by the reaper gets its job there; this catches the rest, such as
    a job lost with a database restored from a backup taken between run and job.
    """
    if not uses_job_queue(session):
        return []
    waiting = [
        int(run_id or 0)
        for run_id in session.exec(
            select(SolverRun.id).where(col(SolverRun.status) == RunStatus.queued)
        ).all()
    ]
    for run_id in waiting:
        defer_solve(session, run_id)
    return waiting


def _libpq_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@lru_cache
def job_app() -> App:
    """The procrastinate app of this process, with the board's two tasks."""
    app = App(connector=PsycopgConnector(conninfo=_libpq_dsn(get_settings().database_url)))

    @app.task(name=SOLVE_TASK, queue=QUEUE)
    def solve_run(run_id: int) -> None:
        from app.planning.worker import claim_run, run_job

        with Session(get_engine()) as session:
            if not claim_run(session, run_id):
                log.info("run %s: already claimed, cancelled or finished", run_id)
                return
            log.info("solving run %s", run_id)
            run_job(run_id, session=session)

    @app.periodic(cron="* * * * *", periodic_id="reap")
    @app.task(name=REAP_TASK, queue=QUEUE, queueing_lock="reap")
    def reap_runs(timestamp: int) -> None:
        from app.planning.service import reap_stale_runs

        with Session(get_engine()) as session:
            reaped = reap_stale_runs(session)
            redefer_waiting_runs(session)
            session.commit()
        if reaped:
            log.info("runs given back or failed after losing their worker: %s", reaped)

    @app.periodic(cron="17 * * * *", periodic_id="retention")
    @app.task(name=RETENTION_TASK, queue=QUEUE, queueing_lock="retention")
    def retention(timestamp: int) -> None:
        from app.retention import apply_retention

        with Session(get_engine()) as session:
            report = apply_retention(session)
            session.commit()
        log.info("retention applied: %s", report)

    return app


def run_worker(*, once: bool = False) -> None:
    """Run a procrastinate worker on the solver queue until SIGTERM/SIGINT (or idle, once).

    The signals drain: the current solve stops at its best plan, which is stored
    (app.planning.worker.draining), then the worker leaves the queue.
    """
    from app.planning.worker import draining

    async def work() -> None:
        app = job_app()
        async with app.open_async():
            task = asyncio.create_task(
                app.run_worker_async(
                    queues=[QUEUE],
                    concurrency=1,
                    wait=not once,
                    install_signal_handlers=False,
                    name="solver",
                )
            )

            def drain() -> None:
                draining.set()
                task.cancel()

            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, drain)
            with contextlib.suppress(asyncio.CancelledError):
                await task  # cancelled by drain(): the worker stopped after its job

    asyncio.run(work())
