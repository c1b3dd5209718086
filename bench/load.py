"""The load benchmark of issue 14: Locust against the large board on PostgreSQL.

    .venv/bin/python bench/load.py [--seconds 300] [--planners 25] [--liaisons 25]
                                   [--subscribers 200] [--think 4] [--feed-wait 10]
                                   [--solve-seconds 120] [--no-readme] [--keep]

Builds a fresh PostgreSQL database (`createdb bench_load_…` on 127.0.0.1 as postgres;
JOINTOPS_BENCH_PG names another server), migrates it (`jointops migrate`), imports the
generator's large preset (`jointops sample --preset large`, bench/samples.py: 250
operations, 1,000 units), solves it for 20 s and publishes the plan (so there are
taskings to browse and feeds with events), then adds the accounts with a real argon2id
hash: planners and liaison officers spread over the agencies, a coordinator who starts
the solves, and one unit officer per feed subscriber, each with an officer feed token
(made up front, as an officer does once on the calendar page).

Then it starts the production topology natively: one `jointops serve --workers 2` (two
uvicorn web processes on one port, no solver worker spawned) and one `jointops worker`
(procrastinate on PostgreSQL), and runs Locust headless (bench/load_locustfile.py) for
`--seconds`: the planners and liaison officers sign in with their passwords, browse,
edit with version checks and approve; the subscribers poll their feeds with
If-None-Match. Meanwhile the coordinator starts a solve over the API at the beginning
(`--solve-seconds`, the API's default of 2 CP-SAT workers), and another each time one
ends.

It prints requests, error rate (failed requests of all), p50/p95 of page views, p95 of
writes and of feed polls (Locust's response times, client side), against the goals:
error rate < 0.1 %, page p95 < 300 ms, feed p95 < 100 ms; the slowest routes; the
machine's load (uptime) before and after; and writes the table into bench/README.md
between the load-bench markers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TMP = Path(tempfile.mkdtemp(prefix="load-bench-"))
SERVER = os.environ.get("JOINTOPS_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
NAME = f"bench_load_{uuid.uuid4().hex[:8]}"
DATABASE_URL = f"{SERVER}/{NAME}"
os.environ["JOINTOPS_DATABASE_URL"] = DATABASE_URL  # before any app import
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import httpx  # noqa: E402
from readme_section import write_section  # noqa: E402
from samples import scenario_file  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

from app.accounts.service import hash_password, start_session  # noqa: E402
from app.db import get_engine  # noqa: E402
from app.models import Agency, Region, Role, Tasking, Unit, User  # noqa: E402

PASSWORD = "load-bench-password"
START, END = "<!-- load-bench -->", "<!-- /load-bench -->"
STARTUP_SECONDS = 300
GOALS = {"error rate": 0.1, "page p95": 300.0, "feed p95": 100.0}


def step(what: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {what}", flush=True)


def _pg_admin_args() -> list[str]:
    url = make_url(SERVER)
    return ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432),
            "-U", url.username or "postgres"]


def create_database() -> None:
    subprocess.run(["createdb", *_pg_admin_args(), NAME], check=True)


def drop_database() -> None:
    get_engine().dispose()
    subprocess.run(["dropdb", *_pg_admin_args(), "--if-exists", "--force", NAME], check=False)


PROMETHEUS_DIR = TMP / "prometheus"


def _env(**extra: str) -> dict[str, str]:
    # Both web processes count into one directory: /metrics adds them up (server side).
    return {**os.environ, "JOINTOPS_DATABASE_URL": DATABASE_URL,
            "JOINTOPS_SPAWN_WORKER": "false", "PROMETHEUS_MULTIPROC_DIR": str(PROMETHEUS_DIR),
            **extra}


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "app.cli", *args]


def build(args: argparse.Namespace) -> dict[str, Any]:
    """The board: migrated, the large sample, a published plan, the accounts and tokens."""
    subprocess.run(_cli("migrate"), cwd=ROOT, env=_env(), check=True, capture_output=True)
    from app.feeds import tokens
    from app.planning.publish import publish_plan
    from app.planning.scenario import planning_scenario
    from app.solver.instance import Instance
    from app.solver.solve import SolveOptions, solve
    from app.transfer.service import import_scenario

    large = scenario_file("large", TMP)
    digest = hash_password(PASSWORD)
    people: dict[str, Any] = {"password": [{"value": PASSWORD}], "planners": [],
                              "liaisons": [], "feeds": []}
    with Session(get_engine()) as session:
        import_scenario(session, data=large.read_bytes())
        session.commit()
        coordinator = User(username="load-coordinator", role=Role.coordinator,
                           password_hash=digest)
        session.add(coordinator)
        session.flush()
        _, scenario = planning_scenario(session)
        result = solve(Instance(scenario), SolveOptions(time_limit=20, workers=2, seed=0))
        from app.models import Plan

        plan = Plan(document=result.plan.to_json_dict())
        session.add(plan)
        session.flush()
        counts = publish_plan(session, plan=plan, user=coordinator)
        session.commit()
        step(f"initial plan published: priority {result.priority}, {counts}")

        agencies = list(session.exec(select(Agency).order_by(col(Agency.id))))
        regions = [r.id for r in session.exec(select(Region).order_by(col(Region.id)))]
        capabilities = sorted({c for u in session.exec(select(Unit)) for c in u.capabilities})
        # Drafts fall in the week after the sample's horizon starts or now, whichever is later.
        horizon = datetime.fromisoformat(json.loads(large.read_text())["horizon"]["start"])
        start = max(horizon, datetime.now(UTC)).replace(minute=0, second=0, microsecond=0)
        start += timedelta(days=2)
        from app.access import visible_operations_query

        for pool, role, count in (("planners", Role.planner, args.planners),
                                  ("liaisons", Role.liaison, args.liaisons)):
            for n in range(count):
                agency = agencies[n % len(agencies)]
                user = User(username=f"load-{role.value}-{n:02d}", role=role,
                            agency_id=agency.id, password_hash=digest)
                session.add(user)
                session.flush()
                ops = [op.id for op in session.exec(visible_operations_query(user).limit(40))]
                people[pool].append({
                    "username": user.username, "ops": ops, "regions": regions,
                    "capabilities": capabilities, "start": start.isoformat(),
                    "end": (start + timedelta(days=1)).isoformat()})
        # Subscribers: officers of the units with orders first, then of other units.
        tasked = set(session.exec(select(Tasking.unit_id).distinct()))
        units = sorted(session.exec(select(Unit)), key=lambda u: (u.id not in tasked, u.id))
        for unit in units[: args.subscribers]:
            officer = User(username=f"load-officer-{unit.id.lower()}", role=Role.unit_officer,
                           agency_id=unit.agency_id, unit_id=unit.id, password_hash=digest)
            session.add(officer)
            session.flush()
            secret, _ = tokens.create_token(session, user=officer, label="load bench",
                                            choice_key="officer:")
            people["feeds"].append({"path": f"/feeds/{secret}.ics"})
        coordinator_token, row = start_session(session, user=coordinator)
        coordinator_csrf = row.csrf_token
        session.commit()
        with get_engine().connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()
    get_engine().dispose()
    facts = {"published": counts, "priority": result.priority,
             "subscribed units with orders": min(len(tasked), args.subscribers)}
    return {"people": people, "coordinator": (coordinator_token, coordinator_csrf),
            "facts": facts}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_servers(processes: list[subprocess.Popen[bytes]]) -> str:
    """`jointops serve --workers 2` and one `jointops worker`, as compose runs them
    (added to `processes` at once, so that they are stopped whatever happens)."""
    port = _free_port()
    PROMETHEUS_DIR.mkdir(exist_ok=True)
    web_log = (TMP / "web.log").open("wb")
    worker_log = (TMP / "worker.log").open("wb")
    # Worker processes took 65 s to start at a load average of 17 on this 2-core machine:
    # more than serve's default start-up limit of 60 s.
    web = subprocess.Popen(_cli("serve", "--port", str(port), "--workers", "2",
                                "--worker-timeout", str(STARTUP_SECONDS)), cwd=ROOT,
                           env=_env(), stdout=web_log, stderr=subprocess.STDOUT)
    processes.append(web)
    worker = subprocess.Popen(_cli("worker"), cwd=ROOT, env=_env(), stdout=worker_log,
                              stderr=subprocess.STDOUT)
    processes.append(worker)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if web.poll() is not None:
            raise SystemExit(f"the web server exited with {web.returncode}: see {web_log.name}")
        try:
            if httpx.get(base + "/readyz", timeout=5).status_code == 200:
                return base
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"the web server was not ready within {STARTUP_SECONDS} s")


class Solves(threading.Thread):
    """The coordinator: a solve at the start, and another whenever one ends."""

    def __init__(self, base: str, cookie: tuple[str, str], seconds: float, until: float):
        super().__init__(daemon=True)
        self.client = httpx.Client(base_url=base, timeout=180,
                                   cookies={"jointops_session": cookie[0]},
                                   headers={"X-CSRF-Token": cookie[1]})
        self.seconds, self.until = seconds, until
        self.runs: list[dict[str, Any]] = []
        self.timeouts = 0

    def start_run(self, seed: int) -> httpx.Response | None:
        """POST the run; a timed-out start is sent again with the same Idempotency-Key,
        so it never makes a second run (starting one built the large board's scenario
        for over a minute on the loaded machine: the first try at 60 s timed out)."""
        key = uuid.uuid4().hex
        for _ in range(5):
            try:
                return self.client.post(
                    "/api/v1/solver-runs", headers={"Idempotency-Key": key},
                    json={"time_limit": self.seconds, "seed": seed})
            except httpx.TimeoutException:
                self.timeouts += 1
        self.runs.append({"error": "five starts timed out"})
        return None

    def run(self) -> None:
        while time.monotonic() < self.until:
            started = self.start_run(len(self.runs))
            if started is None:
                return
            if started.status_code != 202:
                self.runs.append({"error": f"{started.status_code} {started.text[:200]}"})
                return
            url = started.json()["url"]
            record: dict[str, Any] = {"id": started.json()["id"], "status": "queued"}
            self.runs.append(record)
            began = time.monotonic()
            while True:
                time.sleep(2)
                try:
                    run = self.client.get(url).json()
                except httpx.TimeoutException:
                    self.timeouts += 1
                    continue
                record["status"] = run["status"]
                if run["finished"]:
                    record["seconds"] = round(time.monotonic() - began)
                    break
                if time.monotonic() > self.until:
                    record["status"] += " at the end"
                    return


def run_locust(base: str, people: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    people_file, samples_file = TMP / "people.json", TMP / "samples.json"
    people_file.write_text(json.dumps(people))
    users = args.planners + args.liaisons + args.subscribers
    env = {**os.environ, "JOINTOPS_LOAD_PEOPLE": str(people_file),
           "JOINTOPS_LOAD_SAMPLES": str(samples_file), "JOINTOPS_LOAD_THINK": str(args.think),
           "JOINTOPS_LOAD_FEED_WAIT": str(args.feed_wait),
           "JOINTOPS_LOAD_PLANNERS": str(args.planners),
           "JOINTOPS_LOAD_LIAISONS": str(args.liaisons),
           "JOINTOPS_LOAD_SUBSCRIBERS": str(args.subscribers)}
    locust = shutil.which("locust", path=str(Path(sys.executable).parent)) or "locust"
    command = [locust, "-f", str(ROOT / "bench" / "load_locustfile.py"), "--headless",
               "-u", str(users), "-r", "10", "-t", f"{int(args.seconds)}s",
               "--host", base, "--csv", str(TMP / "locust"), "--only-summary",
               "--stop-timeout", "30", "--loglevel", "WARNING"]
    subprocess.run(command, cwd=ROOT, env=env, check=False,
                   stdout=(TMP / "locust.log").open("wb"), stderr=subprocess.STDOUT)
    if not samples_file.exists():
        raise SystemExit(f"Locust wrote no samples: see {TMP / 'locust.log'}")
    return dict(json.loads(samples_file.read_text()))


def _pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def figures(data: dict[str, Any]) -> dict[str, Any]:
    by_kind: dict[str, list[float]] = defaultdict(list)
    by_name: dict[str, list[float]] = defaultdict(list)
    errors: Counter[str] = Counter()
    for kind, name, ms, error, _status in data["samples"]:
        by_kind[kind].append(ms)
        by_name[name].append(ms)
        if error:
            errors[f"{name}: {error[:80]}"] += 1
    total = sum(len(v) for v in by_kind.values())
    return {
        "requests": total,
        "errors": sum(errors.values()),
        "error rate": 100.0 * sum(errors.values()) / total if total else float("nan"),
        "page p50": _pct(by_kind["page"], 50),
        "page p95": _pct(by_kind["page"], 95),
        "write p95": _pct(by_kind["write"], 95),
        "feed p95": _pct(by_kind["feed"], 95),
        "counts": {k: len(v) for k, v in by_kind.items()},
        "error kinds": errors.most_common(8),
        "conflicts": dict(data.get("conflicts", {})),
        "routes": sorted(((name, len(v), _pct(v, 50), _pct(v, 95)) for name, v in
                          by_name.items()), key=lambda r: -r[3]),
    }


def table(f: dict[str, Any]) -> list[str]:
    def met(key: str) -> str:
        return "yes" if f[key] < GOALS[key] else "**no**"

    return [
        "| figure | value | goal | met |",
        "| --- | ---: | --- | --- |",
        f"| requests | {f['requests']:,} | - | - |",
        f"| error rate | {f['error rate']:.3f} % ({f['errors']}) | < 0.1 % | {met('error rate')} |",
        f"| page p50 | {f['page p50']:.0f} ms | - | - |",
        f"| page p95 | {f['page p95']:.0f} ms | < 300 ms | {met('page p95')} |",
        f"| write p95 | {f['write p95']:.0f} ms | - | - |",
        f"| feed p95 | {f['feed p95']:.0f} ms | < 100 ms | {met('feed p95')} |",
    ]


def report(args: argparse.Namespace, f: dict[str, Any], facts: dict[str, Any],
           solves: list[dict[str, Any]], load: tuple[str, str], version: str,
           server: dict[str, dict[str, float]],
           collections: dict[str, tuple[float, float]]) -> str:
    command = "bench/load.py " + " ".join(sys.argv[1:])
    routes = ["| route | requests | p50 ms | p95 ms |", "| --- | ---: | ---: | ---: |"]
    routes += [f"| {name} | {n} | {p50:.0f} | {p95:.0f} |" for name, n, p50, p95 in
               f["routes"][:8]]
    lines = [
        START,
        "## Load: Locust on PostgreSQL, the large board (bench/load.py)",
        "",
        f"Command: `.venv/bin/python {command.strip()}` ({platform.python_version()}, "
        f"{os.cpu_count()} cores shared with other jobs, {datetime.now(UTC):%Y-%m-%d %H:%MZ}).",
        f"Topology: `jointops serve --workers 2` (two uvicorn processes, environment dev: "
        f"plain HTTP, no TOTP) and one `jointops worker` (procrastinate, nice 10: "
        f"JOINTOPS_WORKER_NICE) on PostgreSQL "
        f"{version}, Locust on the same machine. Load: {args.planners} planners and "
        f"{args.liaisons} liaison officers (signed in with the password; think time 0 to "
        f"{2 * args.think:g} s), {args.subscribers} feed subscribers (a poll every "
        f"{0.5 * args.feed_wait:g} to {1.5 * args.feed_wait:g} s with If-None-Match), "
        f"{args.seconds:g} s, while the coordinator solves ({args.solve_seconds:g} s limit, 2 "
        f"CP-SAT workers, a new run when one ends: {_runs(solves)}).",
        f"Board: large preset, a 20 s plan published first ({facts['published']}); "
        f"{facts['subscribed units with orders']} of the subscribers' units have orders.",
        f"Machine load: before `{load[0]}`; after `{load[1]}`.",
        "",
        *table(f),
        "",
        f"Requests by kind: {f['counts']}. Version conflicts (409, a correct answer, not "
        f"an error): {f['conflicts'] or 'none'}."
        + (f" Errors: {f['error kinds']}." if f["error kinds"] else ""),
        "",
        "Server side (the app's own request histograms, both processes: time from the "
        "request reaching the app to its answer; the bucket each percentile falls in):",
        "",
        "| kind | requests | p50 ≤ ms | p95 ≤ ms |",
        "| --- | ---: | ---: | ---: |",
        *[f"| {kind} | {v['n']:.0f} | {1000 * v['p50']:g} | {1000 * v['p95']:g} |"
          for kind, v in sorted(server.items())],
        "",
        "Garbage collections (the app's `jointops_gc_pause_seconds`, both processes; each "
        "stops every request of its process): "
        + ("; ".join(f"generation {g}: {n:,.0f}, {total:.1f} s in all"
                     for g, (n, total) in collections.items()) or "none") + ".",
        "",
        "Slowest routes (client side, p95):",
        "",
        *routes,
        END,
    ]
    return "\n".join(lines)


def _runs(solves: list[dict[str, Any]]) -> str:
    return "; ".join(
        (f"run {r['id']} {r['status']}" + (f" in {r['seconds']} s" if "seconds" in r else ""))
        if "id" in r else r.get("note") or f"not started: {r['error']}"
        for r in solves) or "none"


# Route templates as the server's histograms name them, by the kind Locust counts.
def _server_kind(method: str, route: str) -> str | None:
    if route.startswith("/feeds/"):
        return "feed"
    if route == "/login":
        return "login"
    if method in ("POST", "PATCH", "PUT", "DELETE"):
        return "write"
    if route in ("/metrics", "/readyz", "/healthz") or route.startswith("/static"):
        return None
    return "page"


def server_side(text_: str) -> dict[str, dict[str, float]]:
    """Server-side p50/p95 by kind from /metrics (both web processes): the histogram
    bucket each percentile falls in (its upper bound), time inside the app only."""
    from prometheus_client.parser import text_string_to_metric_families

    buckets: dict[str, dict[float, float]] = defaultdict(lambda: defaultdict(float))
    for family in text_string_to_metric_families(text_):
        if family.name != "jointops_http_request_duration_seconds":
            continue
        for sample in family.samples:
            if not sample.name.endswith("_bucket"):
                continue
            kind = _server_kind(sample.labels["method"], sample.labels["route"])
            if kind is not None:
                buckets[kind][float(sample.labels["le"])] += sample.value
    out: dict[str, dict[str, float]] = {}
    for kind, cumulative in buckets.items():
        bounds = sorted(cumulative)
        total = cumulative[bounds[-1]]
        if not total:
            continue
        out[kind] = {"n": total} | {
            name: next(b for b in bounds if cumulative[b] >= q * total)
            for name, q in (("p50", 0.5), ("p95", 0.95))}
    return out


def gc_pauses(text_: str) -> dict[str, tuple[float, float]]:
    """Both web processes' garbage collections from /metrics: by generation, how many
    and their seconds in all (each stopped every request of its process)."""
    from prometheus_client.parser import text_string_to_metric_families

    found: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for family in text_string_to_metric_families(text_):
        if family.name == "jointops_gc_pause_seconds":
            for sample in family.samples:
                kind = sample.name.rpartition("_")[2]
                if kind in ("count", "sum"):
                    found[sample.labels["generation"]][kind] += sample.value
    return {generation: (v["count"], v["sum"]) for generation, v in sorted(found.items())}


def _server_version() -> str:
    try:
        with get_engine().connect() as connection:
            return str(connection.execute(text("SHOW server_version")).scalar()).split()[0]
    except Exception:  # noqa: BLE001
        return "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--planners", type=int, default=25)
    parser.add_argument("--liaisons", type=int, default=25)
    parser.add_argument("--subscribers", type=int, default=200)
    parser.add_argument("--think", type=float, default=4.0,
                        help="mean seconds between two clicks of a planner or liaison")
    parser.add_argument("--feed-wait", type=float, default=10.0,
                        help="mean seconds between two polls of a feed subscriber")
    parser.add_argument("--solve-seconds", type=float, default=120.0)
    parser.add_argument("--no-readme", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()
    create_database()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        step(f"database {NAME}; building the board")
        built = build(args)
        base = start_servers(processes)
        step(f"serving on {base}; load for {args.seconds:g} s")
        before = uptime()
        solves = Solves(base, built["coordinator"], args.solve_seconds,
                        time.monotonic() + args.seconds)
        solves.start()
        data = run_locust(base, built["people"], args)
        after = uptime()
        version = _server_version()
        # /metrics (text): both web processes' histograms, read once.
        metrics = httpx.get(base + "/metrics", timeout=60).text
        server = server_side(metrics)
        collections = gc_pauses(metrics)
        solves.join(timeout=args.solve_seconds + 30)
        if solves.timeouts:
            solves.runs.append({"note": f"{solves.timeouts} of the coordinator's requests "
                                        "timed out after 180 s and were sent again"})
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        if not args.keep:
            drop_database()
    f = figures(data)
    text_ = report(args, f, built["facts"], solves.runs, (before, after), version, server,
                   collections)
    print(text_)
    print(f"logs: {TMP}")
    if not args.no_readme:
        write_section(text_, START, END)


if __name__ == "__main__":
    main()
