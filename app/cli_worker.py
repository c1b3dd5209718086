"""`jointops worker`: the solver worker process (see app/planning/worker.py)."""

from __future__ import annotations

import logging
import signal
from typing import Annotated

import typer


def worker_command(
    once: Annotated[
        bool, typer.Option("--once", help="Handle at most one queued run, then exit.")
    ] = False,
    parent_pid: Annotated[
        int | None, typer.Option(help="Exit when this parent process is gone.", hidden=True)
    ] = None,
) -> None:
    """Solve queued solver runs in this process (the web server never solves)."""
    from app.planning.worker import draining, serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(message)s")
    _ship_logs()
    _yield_cpu_to_web()
    if _uses_job_queue():
        from app.planning.queue import run_worker

        run_worker(once=once)
        typer.echo("worker: left the solver queue")
        return
    # SIGTERM drains: the current search stops at its best plan, which is stored (a run
    # with no plan yet is queued again for another worker), and no new run is claimed.
    signal.signal(signal.SIGTERM, lambda signum, frame: draining.set())
    handled = serve(once=once, parent_pid=parent_pid)
    typer.echo(f"worker: {handled} run(s) handled")


def _ship_logs() -> None:
    """The worker's records go to the syslog collector too (JOINTOPS_LOG_SYSLOG)."""
    from app.config import get_settings
    from app.observability import syslog_handler

    target = get_settings().log_syslog
    if target:
        logging.getLogger().addHandler(syslog_handler(target))


def _yield_cpu_to_web() -> None:
    """Lower this process's CPU priority (JOINTOPS_WORKER_NICE): a web process on the same
    machine then answers pages first, and the solve takes the CPU they leave."""
    import os

    from app.config import get_settings

    nice = get_settings().worker_nice
    if nice and hasattr(os, "nice"):
        os.nice(nice)


def _uses_job_queue() -> bool:
    """PostgreSQL: runs come as procrastinate jobs; SQLite: the worker polls the table."""
    from sqlalchemy.engine import make_url

    from app.config import get_settings

    return make_url(get_settings().database_url).get_backend_name() == "postgresql"


def register(app: typer.Typer) -> None:
    """Add this area's commands to the `jointops` app."""
    app.command("worker")(worker_command)
