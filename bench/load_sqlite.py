"""Many users on one process and SQLite: errors, throughput, write latency.

    .venv/bin/python bench/load_sqlite.py [--users 50] [--seconds 30] [--writes 0.3]
                                          [--sign-ins 0.05] [--think 2]
                                          [--synchronous NORMAL|FULL]

Builds a fresh SQLite database in a temporary directory (`alembic upgrade head`),
imports tests/data/small.json (20 operations, 80 units), adds one liaison officer per
user (real argon2id hash, as in production), and starts one uvicorn process on a free
port of 127.0.0.1 (no solver worker). Then `--users` threads with httpx, each its own
signed-in user, run for `--seconds`:

- page views (the board, an operation page of their agency),
- writes (`--writes` of the requests): create a draft operation over the API, then
  propose it with the version the create answered (two write requests),
- sign-ins (`--sign-ins` of the requests): POST /login with the password, the request
  whose 166 ms password check once held the write lock.

Between two requests a user thinks for a random 0 to 2 × `--think` seconds (mean
`--think`; a person reads the page before the next click). `--think 0` is a closed
loop: every user fires again at once, and latency is then users / throughput whatever
the code does.

It prints the error count (anything but the expected status, or no answer), requests
per second, and p50/p95/p99 of page views, writes and sign-ins, in milliseconds.
Goal (issue 14): 50 users, 0 errors, write p95 under 300 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TMP = Path(tempfile.mkdtemp(prefix="load-sqlite-"))
DATABASE_URL = f"sqlite:///{TMP / 'board.db'}"
os.environ["JOINTOPS_DATABASE_URL"] = DATABASE_URL  # before any app import
# Few users sending requests back to back: the per-user rate limits (app/deps.py
# `limit_requests`) would answer 429 and time the refusals, not the pages.
os.environ.setdefault("JOINTOPS_READS_PER_MINUTE", "0")
os.environ.setdefault("JOINTOPS_WRITES_PER_MINUTE", "0")
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from app.accounts.service import hash_password, start_session  # noqa: E402
from app.db import get_engine  # noqa: E402
from app.models import Agency, Operation, Region, Role, User  # noqa: E402
from app.web import CSRF_COOKIE  # noqa: E402

SMALL = ROOT / "tests" / "data" / "small.json"
PASSWORD = "load-bench-password"


def build(users: int) -> list[dict[str, Any]]:
    """The database, the sample, one liaison officer per user with a live session."""
    env = {**os.environ, "JOINTOPS_DATABASE_URL": DATABASE_URL}
    subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    from app.transfer.service import import_scenario

    people = []
    with Session(get_engine()) as session:
        import_scenario(session, data=SMALL.read_bytes())
        session.commit()
        digest = hash_password(PASSWORD)
        agencies = list(session.exec(select(Agency)))
        regions: dict[str, list[str]] = defaultdict(list)
        for region in session.exec(select(Region)):
            regions[region.country_code].append(region.id)
        ops: dict[str, list[str]] = defaultdict(list)
        for op in session.exec(select(Operation)):
            ops[op.lead_agency_id].append(op.id)
        for n in range(users):
            agency = agencies[n % len(agencies)]
            user = User(username=f"load-{n:03d}", full_name=f"Load {n}", role=Role.liaison,
                        agency_id=agency.id, password_hash=digest)
            session.add(user)
            session.flush()
            token, row = start_session(session, user=user)
            people.append({"username": user.username, "token": token, "csrf": row.csrf_token,
                           "agency": agency.id, "regions": regions[agency.country_code],
                           "ops": ops[agency.id]})
        session.commit()
    get_engine().dispose()
    return people


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(synchronous: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "JOINTOPS_DATABASE_URL": DATABASE_URL, "JOINTOPS_SPAWN_WORKER": "false",
           "JOINTOPS_SQLITE_SYNCHRONOUS": synchronous}
    log = (TMP / "uvicorn.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:create_served_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"uvicorn exited with {proc.returncode}")
        try:
            if httpx.get(base + "/login", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("uvicorn did not start within 60 s")


def _operation(person: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
    return {
        "code_name": f"Load {rng.randrange(10**6)}", "lead_agency_id": person["agency"],
        "priority": rng.randint(1, 10), "earliest_start": start.isoformat(),
        "latest_end": (start + timedelta(days=1)).isoformat(), "duration_minutes": 240,
        "tlp": "AMBER",
        "sites": [{"region_id": rng.choice(person["regions"]), "objective": "load test",
                   "requirements": [{"capability": "tactical", "count": 1}]}],
    }


class Results:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: Counter[str] = Counter()

    def record(self, kind: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.latency[kind].append(seconds * 1000)
            if error:
                self.errors[error] += 1


def user_loop(base: str, person: dict[str, Any], until: float, writes: float, sign_ins: float,
              think: float, seed: int, results: Results) -> None:
    rng = random.Random(seed)
    client = httpx.Client(base_url=base, timeout=60, follow_redirects=False,
                          cookies={"jointops_session": person["token"]},
                          headers={"X-CSRF-Token": person["csrf"]})
    anonymous = httpx.Client(base_url=base, timeout=60, follow_redirects=False)

    def timed(kind: str, expect: set[int], via: httpx.Client, method: str, path: str,
              **kwargs: Any) -> httpx.Response | None:
        began = time.perf_counter()
        try:
            response = via.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            results.record(kind, time.perf_counter() - began, f"{kind}: {type(exc).__name__}")
            return None
        error = None if response.status_code in expect else f"{kind}: {response.status_code}"
        results.record(kind, time.perf_counter() - began, error)
        return response

    time.sleep(rng.uniform(0, 2 * think))  # users arrive spread out, not all at once
    while time.perf_counter() < until:
        roll = rng.random()
        if roll < sign_ins:
            csrf = secrets.token_urlsafe(16)
            anonymous.cookies.clear()  # signed out again: the last sign-in's cookie goes
            anonymous.cookies.set(CSRF_COOKIE, csrf)
            timed("sign-in", {303}, anonymous, "POST", "/login", data={
                "username": person["username"], "password": PASSWORD, "csrf_token": csrf})
        elif roll < sign_ins + writes:
            created = timed("write", {201}, client, "POST", "/api/v1/operations",
                            json=_operation(person, rng))
            if created is not None and created.status_code == 201:
                body = created.json()
                timed("write", {200}, client, "POST", f"/api/v1/operations/{body['id']}/propose",
                      json={"version": body["version"]})
        else:
            path = "/board"
            if person["ops"] and rng.random() < 0.5:
                path = f"/operations/{rng.choice(person['ops'])}"
            timed("page", {200}, client, "GET", path)
        time.sleep(rng.uniform(0, 2 * think))
    client.close()
    anonymous.close()


def _pct(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--writes", type=float, default=0.3)
    parser.add_argument("--sign-ins", type=float, default=0.05)
    parser.add_argument("--think", type=float, default=2.0)
    parser.add_argument("--synchronous", choices=["NORMAL", "FULL"], default="NORMAL")
    args = parser.parse_args()
    people = build(args.users)
    proc, base = serve(args.synchronous)
    results = Results()
    try:
        began = time.perf_counter()
        until = began + args.seconds
        threads = [threading.Thread(target=user_loop, args=(base, person, until, args.writes,
                                                            args.sign_ins, args.think, n,
                                                            results))
                   for n, person in enumerate(people)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    total = sum(len(v) for v in results.latency.values())
    print(f"users {args.users}, {args.seconds:.0f} s, think {args.think} s, "
          f"writes {args.writes}, sign-ins {args.sign_ins}, synchronous={args.synchronous}, "
          f"one uvicorn process, SQLite {TMP / 'board.db'}")
    print(f"errors {sum(results.errors.values())} of {total} requests"
          + (f": {dict(results.errors)}" if results.errors else ""))
    print(f"throughput {total / elapsed:.1f} requests/s")
    for kind in ("page", "write", "sign-in"):
        values = results.latency.get(kind, [])
        if values:
            print(f"{kind:8} n={len(values):5}  p50 {_pct(values, 50):7.1f} ms  "
                  f"p95 {_pct(values, 95):7.1f} ms  p99 {_pct(values, 99):7.1f} ms")
    log = (TMP / "uvicorn.log").read_text(errors="replace")
    locked = log.count("database is locked")
    print(f"'database is locked' in the server log: {locked}")


if __name__ == "__main__":
    main()
