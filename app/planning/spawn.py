"""Start the solver worker beside the web server (for `make run`), never inside it.

The web process only spawns `python -m app.cli worker` as a child and stops it on
shutdown; the solve itself runs in that child. Set JOINTOPS_SPAWN_WORKER=false when a
worker runs separately (docker-compose, several web processes). Tests never spawn one.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from app.config import ROOT, get_settings

log = logging.getLogger(__name__)


def _wanted() -> bool:
    if "PYTEST_CURRENT_TEST" in os.environ or get_settings().environment == "test":
        return False
    return get_settings().spawn_worker


def start_worker() -> subprocess.Popen[bytes]:
    """The worker as a child process that also exits when this process is gone."""
    command = [sys.executable, "-m", "app.cli", "worker", "--parent-pid", str(os.getpid())]
    return subprocess.Popen(command, cwd=ROOT)


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (the worker marks its current run failed), then SIGKILL after 10 s."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@asynccontextmanager
async def worker_lifespan(app: Any) -> AsyncIterator[None]:
    """Lifespan of the planning router: a worker child for the server's lifetime."""
    process = start_worker() if _wanted() else None
    if process is not None:
        log.info("solver worker started as pid %s", process.pid)
    try:
        yield
    finally:
        if process is not None:
            stop_worker(process)
