"""Benchmark: does a wave of sign-ins stall the board's other writes (SQLite)?

    .venv/bin/python bench/sign_in_contention.py [--signins 24] [--seconds 10] [--code DIR]

Serves the board with uvicorn on a fresh SQLite file (production argon2 parameters),
then N threads sign in over and over, each as its own user with the right password (so
every attempt runs argon2 and no throttle answers early). Meanwhile this process makes
a normal write straight to the database file every 0.2 s (BEGIN IMMEDIATE, one UPDATE,
COMMIT: what any form save needs first, the write lock) and times it. Printed: write
latency alone and under the sign-ins (p50, p95, max), sign-ins per second, and the
sign-in responses that were not a redirect (a 500 is "database is locked").

`--code DIR` serves another checkout of the board (e.g. main before the fix) with this
same script, for a before/after comparison on the same machine.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-2026-mekong"

SETUP = """
import sys
from sqlmodel import Session, SQLModel
from app.accounts.service import hash_password
from app.db import get_engine
from app.models import Role, User
SQLModel.metadata.create_all(get_engine())
hashed = hash_password(sys.argv[1])
with Session(get_engine()) as session:
    for i in range(int(sys.argv[2])):
        session.add(User(username=f"bench{i}", role=Role.liaison, password_hash=hashed))
    session.add(User(username="writer", role=Role.liaison, password_hash=hashed))
    session.commit()
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


BUSY_TIMEOUT = 10.0  # seconds, as the board's JOINTOPS_SQLITE_BUSY_TIMEOUT_MS default


def _write_once(path: Path) -> float | None:
    """One normal write: take the write lock, change a row, commit; seconds taken, or
    None when it gave up after the busy timeout ("database is locked")."""
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None)
    try:
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE users SET full_name = ? WHERE username = 'writer'",
                     (str(time.time()),))
        conn.execute("COMMIT")
        return time.perf_counter() - start
    except sqlite3.OperationalError:
        return None
    finally:
        conn.close()


def _read_once(path: Path) -> float:
    """The control: the same row read in a transaction, which needs no write lock (WAL).
    Whatever slows this down too is the machine's load, not the lock."""
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None)
    try:
        start = time.perf_counter()
        conn.execute("BEGIN")
        conn.execute("SELECT full_name FROM users WHERE username = 'writer'").fetchall()
        conn.execute("COMMIT")
        return time.perf_counter() - start
    finally:
        conn.close()


def _writes(path: Path, seconds: float) -> tuple[list[float | None], list[float | None]]:
    writes: list[float | None] = []
    reads: list[float | None] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        writes.append(_write_once(path))
        reads.append(_read_once(path))
        time.sleep(0.2)
    return writes, reads


def _sign_in_loop(base: str, username: str, stop: threading.Event, statuses: Counter[str],
                  lock: threading.Lock) -> None:
    while not stop.is_set():
        with httpx.Client(base_url=base, timeout=60) as client:
            page = client.get("/login")
            match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            data = {"username": username, "password": PASSWORD,
                    "csrf_token": match.group(1) if match else ""}
            try:
                response = client.post("/login", data=data)
                status = str(response.status_code)
            except httpx.HTTPError as exc:
                status = type(exc).__name__
        with lock:
            statuses[status] += 1


def _sign_in_wave(base: str, threads: int, seconds: float,
                  results: multiprocessing.Queue[dict[str, int]]) -> None:
    stop, lock, statuses = threading.Event(), threading.Lock(), Counter[str]()
    workers = [threading.Thread(target=_sign_in_loop,
                                args=(base, f"bench{i}", stop, statuses, lock))
               for i in range(threads)]
    for worker in workers:
        worker.start()
    time.sleep(seconds)
    with lock:
        counted = dict(statuses)  # the sign-ins answered within the timed window
    stop.set()
    for worker in workers:
        worker.join()
    results.put(counted)


def _summary(samples: list[float | None]) -> str:
    ms = sorted(s * 1000 for s in samples if s is not None)
    failed = sum(1 for s in samples if s is None)
    gave_up = f", {failed} gave up after {BUSY_TIMEOUT:.0f} s (database is locked)"
    if not ms:
        return f"n={len(samples)}{gave_up}"
    p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
    return (f"n={len(samples)} p50={statistics.median(ms):.1f} ms p95={p95:.1f} ms "
            f"max={ms[-1]:.1f} ms" + (gave_up if failed else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signins", type=int, default=24, help="concurrent sign-in threads")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout of the board")
    args = parser.parse_args()
    code = args.code.resolve()
    tmp = Path(tempfile.mkdtemp(prefix="jt-signin-"))
    db = tmp / "bench.db"
    env = dict(os.environ, PYTHONPATH=str(code), JOINTOPS_DATABASE_URL=f"sqlite:///{db}",
               JOINTOPS_ENVIRONMENT="dev", JOINTOPS_SPAWN_WORKER="false")
    subprocess.run([sys.executable, "-c", SETUP, PASSWORD, str(args.signins)], env=env,
                   cwd=code, check=True)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env, cwd=code,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(base + "/login", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        quiet = _writes(db, min(3.0, args.seconds))
        # The sign-ins come from a process of their own, so this one's timing of the
        # writes does not queue for the GIL behind 24 client threads.
        results: multiprocessing.Queue[dict[str, int]] = multiprocessing.Queue()
        load = multiprocessing.Process(
            target=_sign_in_wave, args=(base, args.signins, args.seconds + 1.0, results)
        )
        load.start()
        time.sleep(1.0)  # let the wave build up
        loaded = _writes(db, args.seconds)
        statuses = results.get(timeout=120)
        load.join()
        done = sum(statuses.values())
        elapsed = args.seconds
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"code: {code} (git {_git_head(code)}), SQLite, {args.signins} concurrent "
          f"sign-ins, {args.seconds:.0f} s, load average {os.getloadavg()[0]:.1f}")
    print(f"normal write alone:          {_summary(quiet[0])}")
    print(f"normal write under sign-ins: {_summary(loaded[0])}")
    print(f"control, a read under them:  {_summary(loaded[1])}")
    print(f"sign-in responses: {dict(sorted(statuses.items()))} "
          f"(~{done / (elapsed + 1.0):.1f} sign-ins/s; 303 = signed in, 500 = database"
          " is locked)")


def _git_head(code: Path) -> str:
    result = subprocess.run(["git", "-C", str(code), "log", "-1", "--format=%h %s"],
                            capture_output=True, text=True)
    return result.stdout.strip() or "?"


if __name__ == "__main__":
    main()
