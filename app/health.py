"""Probes and metrics for the machines around the board: /healthz, /readyz, /metrics.

/healthz answers while the process runs (a liveness probe must not depend on the
database, or a database outage restarts every web process). /readyz says whether this
process can serve: database reachable, schema at the migrations' head, solver queue
readable. /metrics is for Prometheus, behind a bearer token or the loopback address.
"""

from __future__ import annotations

import hmac
from functools import lru_cache
from typing import Any

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, SummaryMetricFamily
from sqlalchemy import func, text
from sqlmodel import Session, select

from app.config import ROOT, get_settings
from app.db import SessionDep
from app.deps import Public
from app.errors import AppError
from app.models import RunStatus, SolverRun
from app.observability import MULTIPROCESS, REGISTRY

router = APIRouter(tags=["health"])
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@lru_cache
def migration_heads() -> frozenset[str]:
    """The revisions a database at head carries (read once from migrations/)."""
    script = ScriptDirectory.from_config(Config(str(ROOT / "alembic.ini")))
    return frozenset(script.get_heads())


def readiness(session: Session) -> tuple[bool, dict[str, Any]]:
    """Each check's verdict, and whether all passed."""
    checks: dict[str, Any] = {}
    try:
        session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any driver error means "not reachable"
        session.rollback()
        checks["database"] = f"unreachable: {type(exc).__name__}"
        return False, checks
    try:
        current = set(MigrationContext.configure(session.connection()).get_current_heads())
    except Exception as exc:
        session.rollback()
        current, checks["migrations"] = set(), f"unreadable: {type(exc).__name__}"
    else:
        heads = migration_heads()
        checks["migrations"] = (
            "at head"
            if current == heads
            else f"at {', '.join(sorted(current)) or 'nothing'}; head is {', '.join(sorted(heads))}"
        )
    try:
        queued = session.exec(
            select(func.count()).select_from(SolverRun).where(SolverRun.status == RunStatus.queued)
        ).one()
        checks["queue"] = f"ok, {queued} queued"
    except Exception as exc:
        session.rollback()
        checks["queue"] = f"unreadable: {type(exc).__name__}"
    ready = checks["migrations"] == "at head" and checks["queue"].startswith("ok")
    return ready, checks


@router.get("/healthz", dependencies=[Public], include_in_schema=False)
def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/readyz", dependencies=[Public], include_in_schema=False)
def readyz(session: SessionDep) -> JSONResponse:
    """Readiness: 200 when this process can serve the board, 503 with the failing check."""
    ready, checks = readiness(session)
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
    )


def _may_scrape(request: Request) -> bool:
    token = get_settings().metrics_token
    if token:
        sent = request.headers.get("authorization", "")
        return hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())
    return request.client is not None and request.client.host in LOOPBACK


def _board_metrics(session: Session) -> CollectorRegistry:
    """Figures read from the database, so every web process reports the same ones."""
    registry = CollectorRegistry(auto_describe=True)
    by_status = dict(
        session.exec(select(SolverRun.status, func.count()).group_by(SolverRun.status)).all()
    )
    runs = GaugeMetricFamily("jointops_solver_runs", "Solver runs by status", labels=["status"])
    for status in RunStatus:
        runs.add_metric([status.value], by_status.get(status, 0))
    depth = GaugeMetricFamily("jointops_solver_queue_depth", "Solver runs waiting for a worker")
    depth.add_metric([], by_status.get(RunStatus.queued, 0))
    finished = session.exec(
        select(SolverRun.started_at, SolverRun.finished_at).where(
            SolverRun.started_at.is_not(None),  # type: ignore[union-attr]
            SolverRun.finished_at.is_not(None),  # type: ignore[union-attr]
        )
    ).all()
    durations = SummaryMetricFamily(
        "jointops_solver_run_duration_seconds", "Wall time of finished solver runs"
    )
    durations.add_metric(
        [],
        count_value=len(finished),
        sum_value=sum((end - start).total_seconds() for start, end in finished if start and end),
    )

    class _Fixed:
        def collect(self) -> list[Any]:
            return [runs, depth, durations]

    registry.register(_Fixed())  # type: ignore[arg-type]
    return registry


@router.get("/metrics", dependencies=[Public], include_in_schema=False)
def metrics(request: Request, session: SessionDep) -> Response:
    """Prometheus text format: requests and latencies by route, feed polls, solver runs."""
    if not _may_scrape(request):
        raise AppError(
            "Metrics need JOINTOPS_METRICS_TOKEN as a bearer token (or a loopback client)",
            403,
        )
    if MULTIPROCESS:
        from prometheus_client import multiprocess

        process_registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(process_registry)  # type: ignore[no-untyped-call]
    else:
        process_registry = REGISTRY
    body = generate_latest(process_registry) + generate_latest(_board_metrics(session))
    return Response(body, media_type=CONTENT_TYPE_LATEST)
