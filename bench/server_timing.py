"""Server-side timing shared by the benchmarks: an ASGI wrapper and the 95th percentile."""

from __future__ import annotations

import statistics
import time
from typing import Any


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
