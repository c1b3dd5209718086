"""Server-side timing shared by the benchmarks: an ASGI wrapper, the 95th percentile, and
the fresh database each in-process benchmark points the app at."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from app.config import get_settings
from app.db import get_engine, make_engine


class ServerTimer:
    """ASGI wrapper: time from receiving a request to handing over its last body byte.

    The clock stops when the app passes its last body message to `send`, before that
    call returns: Starlette's TestClient hands the body over through an unbuffered
    stream, so its `send` returns only once the client thread has woken up and taken it.
    That wait is the test client's, not the server's: on this 2-core machine it was
    0.7-0.8 ms of every request (bench/feeds.py's no-database floor went from 1.0 to
    0.3 ms at p50 with this change alone).
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.samples: list[float] = []
        # Process CPU time per request: a figure that other jobs on the machine barely move.
        self.cpu: list[float] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began, began_cpu = time.perf_counter(), time.process_time()

        async def timed_send(message: Any) -> None:
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.samples.append((time.perf_counter() - began) * 1000)
                self.cpu.append((time.process_time() - began_cpu) * 1000)
            await send(message)

        await self.app(scope, receive, timed_send)


def p95(samples: list[float]) -> float:
    """The 95th percentile of the samples (milliseconds in, milliseconds out)."""
    return statistics.quantiles(samples, n=100, method="inclusive")[94]


def bench_engine(name: str) -> tuple[Engine, str | None]:
    """A fresh SQLite file, or a fresh schema on JOINTOPS_BENCH_DATABASE_URL (PostgreSQL).

    The app is pointed at it through its settings, as `jointops serve` would be, so the
    requests run on the app's own engines (readers and writers) and its background
    writers run as in production. No solver worker is started beside it.
    """
    url = os.environ.get("JOINTOPS_BENCH_DATABASE_URL")
    schema = None
    if not url:
        url = f"sqlite:///{tempfile.mkdtemp(prefix=f'{name}-bench-')}/board.db"
    else:
        schema = f"{name}_bench_{os.getpid()}"
        with make_engine(url).begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        options = {"options": f"-csearch_path={schema}"}
        url = make_url(url).update_query_dict(options).render_as_string(hide_password=False)
    os.environ["JOINTOPS_DATABASE_URL"] = url
    os.environ["JOINTOPS_SPAWN_WORKER"] = "false"
    get_settings.cache_clear()
    get_engine.cache_clear()
    return get_engine(), schema


def drop_schema(schema: str) -> None:
    """Remove a benchmark's PostgreSQL schema."""
    admin = make_engine(os.environ["JOINTOPS_BENCH_DATABASE_URL"])
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()
