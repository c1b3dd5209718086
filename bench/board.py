"""Benchmark the board: the board page and an operation page on the large sample.

    .venv/bin/python bench/board.py [--requests 60] [--users 20] [--per-user 25]
                                    [--solve-seconds 5] [--profile] [--no-write]

Builds a fresh SQLite database in a temporary directory (`alembic upgrade head`), imports
the generator's large preset (`jointops sample --preset large`: 250 operations, 1,000
units; JOINTOPS_LARGE_SCENARIO names another file) through app.transfer,
adds users, solves the board's planning scenario for a few seconds (greedy start, then
CP-SAT) and publishes the plan, so there are scheduled operations and taskings. Then:

1. Server-side latency, in-process: an ASGI wrapper times each request from arrival to
   its last body byte (wall and process CPU time), for the board of an administrator
   (every operation), of a planner and of a liaison officer, and for operation pages.
2. 20 concurrent users: threads with httpx against a uvicorn subprocess on 127.0.0.1,
   each signed in as its own user, a bounded number of requests each; every answer must
   be a 200.

Results go into bench/README.md between the board-bench markers. `--profile` prints a
pyinstrument profile of the administrator's board (pip install pyinstrument).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TMP = Path(tempfile.mkdtemp(prefix="board-bench-"))
# `--db FILE` keeps the built board in FILE and reuses it on the next run (re-profiling).
_DB = sys.argv[sys.argv.index("--db") + 1] if "--db" in sys.argv[:-1] else None
DB_FILE = Path(_DB).resolve() if _DB else TMP / "board.db"
DATABASE_URL = f"sqlite:///{DB_FILE}"
# Before any app import: the app reads its database URL from the settings.
os.environ["JOINTOPS_DATABASE_URL"] = DATABASE_URL
# Few users sending requests back to back: the per-user rate limits (app/deps.py
# `limit_requests`) would answer 429 and time the refusals, not the pages.
os.environ.setdefault("JOINTOPS_READS_PER_MINUTE", "0")
os.environ.setdefault("JOINTOPS_WRITES_PER_MINUTE", "0")
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from readme_section import write_section  # noqa: E402
from samples import scenario_file  # noqa: E402
from server_timing import ServerTimer, p95  # noqa: E402
from sqlmodel import Session, col, func, select  # noqa: E402

from app.accounts.service import hash_password, start_session  # noqa: E402
from app.config import get_settings  # noqa: E402
from app.db import get_engine  # noqa: E402
from app.main import create_served_app  # noqa: E402
from app.models import (  # noqa: E402
    Agency,
    Operation,
    OperationState,
    Plan,
    Role,
    Tasking,
    Unit,
    User,
)

# The generator's large preset unless JOINTOPS_LARGE_SCENARIO names another scenario file.
_LARGE = os.environ.get("JOINTOPS_LARGE_SCENARIO")
LARGE = Path(_LARGE) if _LARGE else scenario_file("large", TMP)
START = "<!-- board-bench -->"
END = "<!-- /board-bench -->"
README = ROOT / "bench" / "README.md"
PASSWORD = "bench-password"
GOALS = {"board": 150.0, "operation": 50.0}
# What the profile (`--profile`) and repeated runs showed; kept with the figures.
FINDINGS = """\
Findings (2026-11-26, pyinstrument on the administrator's board, 250 cards, 128 KB):
about 60 % of a request is the Jinja render of `templates/board/board.html` block
`columns` (markupsafe `escape` and `Environment.getattr` on ORM objects and enums per
card, `fmt_local`/`fmt_utc` in `app/web.py`), about 35 % is `app/operations/queries.py`
`board()` (ORM loading of 250 `Operation` rows with `UTCDateTime` conversion, then
`_cards`); the boards of one agency (40-60 cards) are far inside the goal. The
administrator's p95 tail is Python's garbage collector: a full (generation 2)
collection every ~10 board requests costs ~160 ms, because it walks every object
imported at startup (OR-Tools, SQLAlchemy, ...). Measured in-process on the same
board (60 requests): as is p50 55 / p95 156 ms; with `gc.collect(); gc.freeze()` once
after startup p50 49 / p95 65 ms (a full collection then ~24 ms). `jointops serve` now
runs `app.main.create_served_app`, which does that, and this benchmark measures it.
Not done: a cap on the cards per column (a "show all" link) would keep the page linear
in what one screen shows. On this machine (2 cores shared with other jobs) compare the
CPU columns too.
Before commit 0e47f3e, one of two 500-request concurrent runs answered 8 requests with
500 / connection reset: `database is locked` at `BEGIN IMMEDIATE` in `app/db.py`
`_on_begin`, which then took SQLite's write lock for every transaction, page views
included; GET and HEAD now begin deferred (WAL readers do not block each other)."""


# --- the database -----------------------------------------------------------------------


def migrate() -> None:
    """`alembic upgrade head` on the fresh file, as an installation would."""
    env = {**os.environ, "JOINTOPS_DATABASE_URL": DATABASE_URL}
    subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


def import_large() -> dict[str, int]:
    """The large sample, through the same import as the admin page and the CLI."""
    from app.transfer.service import import_scenario

    with Session(get_engine()) as session:
        result = import_scenario(session, data=LARGE)
        session.commit()
    return result.counts


def add_users(count_per_role: int = 3) -> None:
    """An admin; per agency a planner and a liaison; officers of tasked units (one hash)."""
    hashed = hash_password(PASSWORD)
    with Session(get_engine()) as session:
        agencies = [a.id for a in session.exec(select(Agency).order_by(col(Agency.id)))]
        users = [User(username="admin", role=Role.admin, password_hash=hashed)]
        for agency in agencies:
            for role in (Role.planner, Role.liaison):
                users.append(
                    User(
                        username=f"{agency.lower()}-{role.value}",
                        role=role,
                        agency_id=agency,
                        password_hash=hashed,
                    )
                )
        tasked = session.exec(
            select(Unit)
            .where(col(Unit.id).in_(select(Tasking.unit_id).distinct()))
            .order_by(col(Unit.id))
            .limit(count_per_role * 8)
        ).all()
        users += [
            User(
                username=f"officer-{unit.id.lower()}",
                role=Role.unit_officer,
                agency_id=unit.agency_id,
                unit_id=unit.id,
                password_hash=hashed,
            )
            for unit in tasked
        ]
        session.add_all(users)
        session.commit()


def solve_and_publish(seconds: float) -> dict[str, Any]:
    """Solve the board's approved operations and publish the plan (taskings, scheduled)."""
    from app.planning.publish import publish_plan
    from app.planning.scenario import planning_scenario
    from app.solver.instance import Instance
    from app.solver.solve import SolveOptions, solve

    with Session(get_engine()) as session:
        _, scenario = planning_scenario(session)
        began = time.perf_counter()
        result = solve(Instance(scenario), SolveOptions(time_limit=seconds, workers=2, seed=0))
        wall = time.perf_counter() - began
        document = result.plan.model_dump(mode="json", by_alias=True, exclude_none=True)
        planner = User(
            username="bench-publisher", role=Role.coordinator,
            password_hash=hash_password(PASSWORD),
        )
        session.add(planner)
        plan = Plan(document=document)
        session.add(plan)
        session.flush()
        counts = publish_plan(session, plan=plan, user=planner)
        session.commit()
    return {"status": result.status, "priority": result.priority, "wall": wall, **counts}


def board_facts() -> dict[str, int]:
    with Session(get_engine()) as session:

        def count(query: Any) -> int:
            return int(session.exec(query).one())

        return {
            "operations": count(select(func.count()).select_from(Operation)),
            "scheduled": count(
                select(func.count())
                .select_from(Operation)
                .where(Operation.state == OperationState.scheduled)
            ),
            "taskings": count(select(func.count()).select_from(Tasking)),
            "units": count(select(func.count()).select_from(Unit)),
        }


def session_cookie(username: str) -> str:
    """A live server-side session for the user (what signing in produces)."""
    with Session(get_engine()) as session:
        user = session.exec(select(User).where(User.username == username)).one()
        token, _ = start_session(session, user=user)
        session.commit()
    return token


def visible_scheduled(username: str, limit: int = 50) -> list[str]:
    """Ids of scheduled operations the user may see (operation pages to time)."""
    from app.access import visible_operations_query

    with Session(get_engine()) as session:
        user = session.exec(select(User).where(User.username == username)).one()
        query = (
            visible_operations_query(user)
            .where(Operation.state == OperationState.scheduled)
            .order_by(col(Operation.id))
        )
        return [op.id for op in session.exec(query.limit(limit))]


# --- in-process timing ------------------------------------------------------------------


@dataclass
class Row:
    case: str
    goal: float | None
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    size: int = 0


def measure(
    client: TestClient,
    timer: ServerTimer,
    row: Row,
    paths: list[str],
    n: int,
    headers: dict[str, str] | None = None,
) -> Row:
    """`n` requests cycling through `paths`; each must answer 200."""
    client.get(paths[0], headers=headers or {})  # warm-up: templates, caches
    timer.samples.clear()
    timer.cpu.clear()
    for i in range(n):
        response = client.get(paths[i % len(paths)], headers=headers or {})
        assert response.status_code == 200, (paths[i % len(paths)], response.status_code)
        row.size = max(row.size, len(response.content))
    row.wall, row.cpu = list(timer.samples), list(timer.cpu)
    return row


def in_process(requests: int) -> list[Row]:
    """Board and operation pages, timed server side, for three kinds of user."""
    timer = ServerTimer(create_served_app())
    rows = []
    with TestClient(timer) as anonymous:

        def signed_in(username: str) -> TestClient:
            client = TestClient(anonymous.app)
            client.cookies.set(get_settings().session_cookie_name, session_cookie(username))
            return client

        for username, label in (
            ("admin", "administrator, 250 operations (at most 40 cards a column)"),
            ("th-rtp-planner", "planner TH-RTP"),
            ("mm-mpf-liaison", "liaison MM-MPF"),
        ):
            client = signed_in(username)
            rows.append(
                measure(client, timer, Row(f"board, {label}", GOALS["board"]), ["/board"], requests)
            )
            rows.append(
                measure(
                    client,
                    timer,
                    Row(f"board htmx refresh, {label}", GOALS["board"]),
                    ["/board"],
                    requests,
                    headers={"HX-Request": "true"},
                )
            )
        admin = signed_in("admin")
        whole = Row("board, administrator, the whole scheduled column", GOALS["board"])
        rows.append(measure(admin, timer, whole, ["/board?state=scheduled"], requests))
        pages = [f"/operations/{op_id}" for op_id in visible_scheduled("admin")]
        rows.append(
            measure(
                admin,
                timer,
                Row("operation page (scheduled), administrator", GOALS["operation"]),
                pages,
                requests * 3,
            )
        )
        liaison = signed_in("th-rtp-liaison")
        pages = [f"/operations/{op_id}" for op_id in visible_scheduled("th-rtp-liaison")]
        rows.append(
            measure(
                liaison,
                timer,
                Row("operation page (scheduled), liaison TH-RTP", GOALS["operation"]),
                pages,
                requests * 3,
            )
        )
        planner = signed_in("th-rtp-planner")
        rows.append(measure(planner, timer, Row("planning page, planner TH-RTP", None),
                            ["/planning"], requests))
        rows.append(measure(planner, timer, Row("planning page 2-second poll, planner TH-RTP",
                                                None),
                            ["/planning"], requests, headers={"HX-Request": "true"}))
        rows += run_pages(planner, timer, runs=max(3, requests // 12))
        officer = _first_officer()
        if officer and signed_in(officer).get("/tasking").status_code == 200:
            rows.append(
                measure(
                    signed_in(officer),
                    timer,
                    Row("my tasking, unit officer", None),
                    ["/tasking"],
                    requests,
                )
            )
    return rows


def run_pages(client: TestClient, timer: ServerTimer, runs: int) -> list[Row]:
    """A finished run's page, each viewed first (derived from its plan and the board) and
    then again (kept: app.revision): the coordinator's new solves, each 2 s."""
    from app.planning.service import start_run
    from app.planning.worker import run_job

    ids = []
    for _ in range(runs):
        with Session(get_engine()) as session:
            coordinator = session.exec(select(User).where(User.username == "admin")).one()
            run = start_run(session, user=coordinator, time_limit=2)
            session.commit()
            ids.append(int(run.id or 0))
        run_job(ids[-1])
    first = Row("run page, first view of a finished run, planner TH-RTP", None)
    again = Row("run page, viewed again, planner TH-RTP", None)
    for run_id in ids:
        for row in (first, again):
            timer.samples.clear()
            timer.cpu.clear()
            response = client.get(f"/planning/runs/{run_id}")
            assert response.status_code == 200, (run_id, response.status_code)
            row.size = max(row.size, len(response.content))
            row.wall += timer.samples
            row.cpu += timer.cpu
    return [first, again]


def _first_officer() -> str | None:
    with Session(get_engine()) as session:
        user = session.exec(
            select(User).where(User.role == Role.unit_officer).order_by(col(User.id))
        ).first()
        return user.username if user else None


def profile(requests: int) -> str:
    """A pyinstrument profile of the administrator's board, every frame on one thread.

    Sync endpoints normally run in a worker thread the profiler cannot see; here
    anyio's run_sync runs them inline, and the app is driven by httpx's ASGI transport.
    """
    import asyncio

    import anyio.to_thread
    from pyinstrument import Profiler

    async def inline(func: Any, *args: Any, **kwargs: Any) -> Any:
        return func(*args)

    anyio.to_thread.run_sync = inline  # type: ignore[assignment]
    cookie = {get_settings().session_cookie_name: session_cookie("admin")}
    profiler = Profiler(interval=0.0005, async_mode="disabled")

    async def drive() -> None:
        transport = httpx.ASGITransport(app=create_served_app())
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", cookies=cookie
        ) as client:
            assert (await client.get("/board")).status_code == 200
            profiler.start()
            for _ in range(requests):
                await client.get("/board")
            profiler.stop()

    asyncio.run(drive())
    return profiler.output_text(unicode=False, color=False, show_all=False)


# --- concurrent users against uvicorn ---------------------------------------------------


@dataclass
class Load:
    users: int
    per_user: int
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wall: float = 0.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"uvicorn exited with {proc.returncode}")
        try:
            if httpx.get(url + "/login", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("uvicorn did not start within 60 s")


def browse(
    base: str,
    cookie: str,
    pages: list[str],
    per_user: int,
    seed: int,
    load: Load,
    lock: threading.Lock,
) -> None:
    """One user: board, filters, operation pages; `per_user` requests, then stop."""
    rng = random.Random(seed)
    cookies = {get_settings().session_cookie_name: cookie}
    with httpx.Client(base_url=base, cookies=cookies, timeout=60) as client:
        for i in range(per_user):
            path = pages[0] if i % 3 == 0 else rng.choice(pages)
            headers = {"HX-Request": "true"} if i % 5 == 4 else {}
            began = time.perf_counter()
            try:
                response = client.get(path, headers=headers)
                status = response.status_code
            except httpx.HTTPError as exc:
                status, response = -1, None
                error = f"{path}: {exc!r}"
            elapsed = (time.perf_counter() - began) * 1000
            with lock:
                load.latencies.append(elapsed)
                if status != 200:
                    load.errors.append(error if response is None else f"{path}: {status}")


def concurrent(users: int, per_user: int) -> Load:
    """`users` threads, each its own signed-in user, against uvicorn on 127.0.0.1."""
    with Session(get_engine()) as session:
        by_role = {
            role: [
                u.username
                for u in session.exec(
                    select(User)
                    .where(User.role == role, User.username != "bench-publisher")
                    .order_by(col(User.id))
                )
            ]
            for role in (Role.liaison, Role.planner, Role.unit_officer, Role.admin)
        }
    # Round robin over the roles: liaison officers, planners, unit officers, the admin.
    names: list[str] = []
    while len(names) < users and any(by_role.values()):
        for people in by_role.values():
            if people and len(names) < users:
                names.append(people.pop(0))
    port = _free_port()
    env = {**os.environ, "JOINTOPS_DATABASE_URL": DATABASE_URL}
    log = (TMP / "uvicorn.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:create_served_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    load = Load(users=len(names), per_user=per_user)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_up(base, proc)
        lock = threading.Lock()
        threads = []
        for n, username in enumerate(names):
            ops = visible_scheduled(username, limit=20) or visible_ops(username)
            if username.startswith("officer-"):
                pages = ["/tasking", "/calendar"]
            else:
                pages = ["/board", "/board?state=scheduled", *[f"/operations/{op}" for op in ops]]
            if username.endswith("-liaison") or username == "admin":
                pages.append("/approvals")
            threads.append(
                threading.Thread(
                    target=browse,
                    args=(base, session_cookie(username), pages, per_user, n, load, lock),
                )
            )
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        load.wall = time.perf_counter() - began
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    return load


def visible_ops(username: str, limit: int = 20) -> list[str]:
    from app.access import visible_operations_query

    with Session(get_engine()) as session:
        user = session.exec(select(User).where(User.username == username)).one()
        query = visible_operations_query(user).order_by(col(Operation.id)).limit(limit)
        return [op.id for op in session.exec(query)]


# --- the report -------------------------------------------------------------------------


def report(
    args: argparse.Namespace,
    facts: dict[str, Any],
    rows: list[Row],
    load: Load,
    setup: dict[str, Any],
) -> str:
    """The Markdown section for bench/README.md."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%MZ")
    cpu = os.cpu_count()
    loadavg = os.getloadavg()[0]
    lines = [
        START,
        "## Board pages (bench/board.py)",
        "",
        f"Command: `.venv/bin/python bench/board.py --requests {args.requests} --users "
        f"{args.users} --per-user {args.per_user} --solve-seconds {args.solve_seconds}` "
        f"(SQLite, Python {platform.python_version()}, {cpu} cores shared with other jobs, "
        f"load average {loadavg:.1f}, {stamp}).",
        f"Board: {LARGE.name} imported through app.transfer ({facts['operations']} "
        f"operations, {facts['units']} units), solved for {args.solve_seconds:g} s "
        f"({setup['status']}, priority {setup['priority']}) and published: "
        f"{facts['scheduled']} operations scheduled, {facts['taskings']} taskings.",
        "Server side: an ASGI wrapper times each request in-process from arrival to its "
        "last body byte (session lookup, need-to-know query, render); wall clock and "
        "process CPU time.",
        "",
        "| case | requests | p50 ms | p95 ms | max ms | p50 CPU ms | p95 CPU ms | body KB "
        "| goal p95 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        goal = (
            ""
            if row.goal is None
            else (f"< {row.goal:.0f} ms {'ok' if p95(row.wall) < row.goal else '**missed**'}")
        )
        lines.append(
            f"| {row.case} | {len(row.wall)} | {statistics.median(row.wall):.1f} | "
            f"{p95(row.wall):.1f} | {max(row.wall):.1f} | {statistics.median(row.cpu):.1f} | "
            f"{p95(row.cpu):.1f} | "
            f"{row.size / 1024:.0f} | {goal} |"
        )
    total = len(load.latencies)
    lines += [
        "",
        f"Concurrent users: {load.users} threads with httpx against one uvicorn process "
        "on 127.0.0.1, each its own signed-in user (liaison officers, planners, unit "
        f"officers, the admin, in turn), {load.per_user} requests each (board, filtered "
        "board, approvals, operation pages; my tasking and calendar for unit officers; "
        "every fifth an htmx request). Latency as the client sees it, queueing included.",
        "",
        "| users | requests | errors | wall s | requests/s | p50 ms | p95 ms | max ms |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {load.users} | {total} | {len(load.errors)} | {load.wall:.1f} | "
        f"{total / load.wall:.1f} | {statistics.median(load.latencies):.0f} | "
        f"{p95(load.latencies):.0f} | {max(load.latencies):.0f} |",
    ]
    if load.errors:
        kinds = Counter(re.sub(r"^/\S*: ", "", e) for e in load.errors)
        causes = server_errors()
        lines += [
            "",
            "Errors seen by the clients: "
            + ", ".join(f"{n} × {kind}" for kind, n in kinds.most_common())
            + "; in the server log: "
            + (", ".join(f"{n} × `{cause}`" for cause, n in causes.most_common(3)) or "nothing")
            + ".",
        ]
    lines += ["", FINDINGS, END]
    return "\n".join(lines)


def server_errors() -> Counter[str]:
    """The exceptions uvicorn logged during the concurrent run (their last line)."""
    log = TMP / "uvicorn.log"
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    return Counter(re.findall(r"^(?:[a-z_]+\.)+\w*Error: .*$", text, flags=re.M))


def step(what: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {what}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=60, help="timed requests per case")
    parser.add_argument("--users", type=int, default=20, help="concurrent users")
    parser.add_argument("--per-user", type=int, default=25, help="requests per user")
    parser.add_argument("--solve-seconds", type=float, default=5.0)
    parser.add_argument("--profile", action="store_true", help="pyinstrument the board")
    parser.add_argument("--db", help="keep the built board in this file; reuse it if present")
    parser.add_argument("--no-write", action="store_true", help="leave bench/README.md alone")
    args = parser.parse_args(argv)

    step(f"database {DATABASE_URL}")
    reuse = DB_FILE.exists()
    if not reuse:
        migrate()
        step("import " + ", ".join(f"{n} {k}" for k, n in import_large().items()))
        setup = solve_and_publish(args.solve_seconds)
        step(f"solved and published: {setup}")
        add_users()
        (DB_FILE.parent / (DB_FILE.name + ".setup")).write_text(repr(setup))
    else:
        setup = eval((DB_FILE.parent / (DB_FILE.name + ".setup")).read_text())  # noqa: S307
    facts = board_facts()
    step(f"board: {facts}")
    rows = in_process(args.requests)
    for row in rows:
        step(f"{row.case}: p50 {statistics.median(row.wall):.1f} ms, p95 {p95(row.wall):.1f} ms")
    load = concurrent(args.users, args.per_user)
    step(
        f"{load.users} users: {len(load.latencies)} requests, {len(load.errors)} errors "
        f"in {load.wall:.1f} s"
    )
    section = report(args, facts, rows, load, setup)
    print(section)
    if load.errors:
        print("errors:", *load.errors[:20], sep="\n  ")
    if args.profile:
        print(profile(max(10, args.requests // 3)))
    if not args.no_write:
        write_section(section, START, END)
        step(f"wrote {README.relative_to(ROOT)}")
    return 1 if load.errors else 0


if __name__ == "__main__":
    sys.exit(main())
