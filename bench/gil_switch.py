"""How long a feed poll waits for the interpreter while page renders run beside it.

    .venv/bin/python bench/gil_switch.py [--busy 2] [--requests 300] [--no-readme]

A web process answers many requests in threads that share one interpreter lock. A 304
feed poll needs only a few milliseconds of Python, but between its database round
trips it gives the lock up and must take it back, and a thread that wants it back waits
for the thread running Python to be asked to drop it: after the switch interval
(`sys.setswitchinterval`, 5 ms by default). Under bench/load.py the polls cost 2 ms
each yet waited up to a second.

This builds bench/feeds.py's world (one officer feed of 100 events, SQLite in a temporary
directory or JOINTOPS_BENCH_DATABASE_URL for PostgreSQL), starts `--busy` threads that
run pure Python without pause (as page renders do), and times `--requests` 304 polls
server side (ASGI wrapper) at each switch interval. It also counts the work the busy
threads got done, so the cost of switching more often shows. The app sets the interval
of its served processes from JOINTOPS_GIL_SWITCH_INTERVAL_MS (app/main.py).
"""

# ruff: noqa: E402  (sys.path gets the repository first, so the script runs from anywhere)
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from fastapi.testclient import TestClient
from feeds import build
from readme_section import write_section
from server_timing import ServerTimer, bench_engine, drop_schema, p95

from app.feeds.views import warm_up_thread
from app.main import create_served_app

INTERVALS_MS = (5.0, 1.0, 0.5)
MARKERS = ("<!-- gil-switch-bench -->", "<!-- /gil-switch-bench -->")


def _busy(stop: threading.Event, done: list[int], slot: int) -> None:
    """Pure Python without pause, in chunks: what a page render does to the lock."""
    while not stop.is_set():
        text = "".join(f"<td>{n}</td>" for n in range(2000))
        done[slot] += len(text) > 0


def measure(client: TestClient, timer: ServerTimer, path: str, etag: str, *, busy: int,
            requests: int, interval_ms: float) -> tuple[list[float], float]:
    """Server-side milliseconds of `requests` 304 polls, and the busy threads' chunks a
    second, at this switch interval."""
    sys.setswitchinterval(interval_ms / 1000)
    stop, done = threading.Event(), [0] * busy
    threads = [threading.Thread(target=_busy, args=(stop, done, i)) for i in range(busy)]
    for thread in threads:
        thread.start()
    timer.samples.clear()
    began = time.perf_counter()
    try:
        for _ in range(requests):
            answer = client.get(path, headers={"If-None-Match": etag})
            assert answer.status_code == 304, answer.status_code
            time.sleep(0.005)  # polls arrive apart, not back to back
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    return list(timer.samples), sum(done) / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--busy", type=int, default=2, help="threads running pure Python")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()
    engine, schema = bench_engine("gil")
    path = build(engine, 100)
    app = create_served_app()
    timer = ServerTimer(app)
    default = sys.getswitchinterval()
    rows = []
    with TestClient(timer) as client:
        warming = warm_up_thread(app)
        if warming is not None:
            warming.join()
        etag = client.get(path).headers["etag"]
        quiet, _ = measure(client, timer, path, etag, busy=0, requests=args.requests,
                           interval_ms=5.0)
        rows.append(("none", 5.0, quiet, float("nan")))
        for interval in INTERVALS_MS:
            samples, work = measure(client, timer, path, etag, busy=args.busy,
                                    requests=args.requests, interval_ms=interval)
            rows.append((str(args.busy), interval, samples, work))
    sys.setswitchinterval(default)
    engine.dispose()
    if schema is not None:
        drop_schema(schema)
    load = os.getloadavg()[0]
    command = f".venv/bin/python bench/gil_switch.py --busy {args.busy} --requests {args.requests}"
    lines = [
        MARKERS[0],
        "## A feed poll beside busy threads: the switch interval (bench/gil_switch.py)",
        "",
        f"Command: `{command}` ({engine.dialect.name}, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores, load average {load:.1f} at the end, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M}Z). 304 polls of a 100-event officer feed, "
        "server side, while threads run pure Python beside them in the same process; "
        "'busy work' is what those threads got done (chunks a second): the cost of "
        "switching more often.",
        "",
        "| busy threads | switch interval ms | p50 ms | p95 ms | busy work / s |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for busy, interval, samples, work in rows:
        shown = "-" if work != work else f"{work:,.0f}"
        lines.append(f"| {busy} | {interval:g} | {statistics.median(samples):.1f} | "
                     f"{p95(samples):.1f} | {shown} |")
    lines.append(MARKERS[1])
    section = "\n".join(lines)
    print(section)
    if not args.no_readme:
        write_section(section, *MARKERS)


if __name__ == "__main__":
    main()
