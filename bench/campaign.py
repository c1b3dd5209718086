"""Benchmark the campaign pages: 2,000 operations with 2,000 confirmed reports.

    .venv/bin/python bench/campaign.py [--operations 2000] [--requests 60] [--rounds 2]
        [--no-write] [--profile CASE]

Builds a fresh database (SQLite in a temporary directory, or a fresh schema on
JOINTOPS_BENCH_DATABASE_URL for PostgreSQL), imports the real geography
(app/seed_data/geography.json) with no operations, then writes a campaign of two phases
and seven goals, the operations (completed, one site each in a Thai, Lao or Myanmar
region, all in phase 1) and one report per operation with one confirmed part and three
nationalities detained. It then times, through the real app in-process, the dashboard,
the phase review and the CSV and JSON exports for an administrator (every operation) and
a Thai liaison officer (need-to-know filtered). An ASGI wrapper (bench/server_timing.py)
times each request server side, wall clock and process CPU time. Every case runs
`--rounds` times (one after another, the same database); results go into
bench/README.md between the campaign-bench markers of the backend.

`--profile CASE` (e.g. "dashboard, administrator") prints a cProfile of that case's
requests instead: the route and its dependencies run inline on the event loop's thread
so that one profiler sees the whole request.
"""

# ruff: noqa: E402  (sys.path gets the repository first, so the script runs from anywhere)
from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from fastapi.testclient import TestClient
from readme_section import write_section
from server_timing import ServerTimer, bench_engine, drop_schema, p95
from sqlalchemy import Engine, insert, text
from sqlmodel import Session, SQLModel, select

from app.accounts.service import hash_password, start_session
from app.campaigns import reports, service
from app.campaigns.schemas import CampaignIn
from app.config import get_settings
from app.main import create_served_app
from app.models import (
    Detention,
    Operation,
    OperationPhase,
    OperationState,
    Region,
    Report,
    ReportPart,
    ReportState,
    Role,
    Site,
    User,
)
from app.transfer.service import import_scenario

MARKERS = {
    "sqlite": ("<!-- campaign-bench -->", "<!-- /campaign-bench -->"),
    "postgresql": ("<!-- campaign-bench-postgresql -->", "<!-- /campaign-bench-postgresql -->"),
}
GOAL_MS = 150.0
VIEWERS = {"admin": "administrator", "th-liaison": "Thai liaison officer"}
PAGES = {"dashboard": "dashboard", "review": "phase review", "export.csv": "CSV export",
         "export.json": "JSON export"}



def build(engine: Engine, operations: int) -> int:
    """The geography, two users, the campaign and its operations; returns the campaign id."""
    SQLModel.metadata.create_all(engine)
    geo = json.loads((ROOT / "app/seed_data/geography.json").read_text(encoding="utf-8"))
    rng = random.Random(7)
    start = datetime(2027, 1, 5, tzinfo=UTC)
    with Session(engine) as session:
        import_scenario(session, data={
            "format": "jointops-scenario/1", "name": "campaign bench",
            "horizon": {"start": "2027-01-01T00:00:00Z", "end": "2027-04-01T00:00:00Z"},
            "slot_minutes": 15, "units": [], "operations": [],
            **{k: geo[k] for k in ("countries", "regions", "roads", "crossings",
                                   "agreements", "agencies")}})
        hashed = hash_password("bench-password")
        for name, role, agency in (("admin", Role.admin, None),
                                   ("th-liaison", Role.liaison, "TH-RTP")):
            session.add(User(username=name, role=role, agency_id=agency, password_hash=hashed))
        session.flush()
        admin = session.exec(select(User).where(User.username == "admin")).one()
        agencies = sorted({a["id"] for a in geo["agencies"]})
        campaign = service.create(session, actor=admin, data=CampaignIn.model_validate({
            "name": "Bench Shield", "agencies": agencies, "phases": [
                {"name": "Phase 1", "starts_on": "2027-01-01", "ends_on": "2027-03-31",
                 "goals": [{"metric": m, "scope": s, "target": t} for m, s, t in (
                     ("arrests", "", 20000), ("arrests", "TH", 5000),
                     ("compounds_dismantled", "MM", 500), ("victims_identified", "", 9000),
                     ("persons_repatriated", "LA", 4000), ("operations_completed", "", 1500))]},
                {"name": "Phase 2", "starts_on": "2027-04-01", "ends_on": "2027-06-30",
                 "goals": [{"metric": "devices_seized", "scope": "", "target": 3000}]}]}))
        phase = service.phases_of(session, campaign.id or 0)[0]
        reports.ensure_nationalities(session)
        regions = [r for r in session.exec(select(Region)) if r.country_code in ("TH", "LA",
                                                                                  "MM")]
        leads = {"TH": "TH-RTP", "LA": "LA-MPS", "MM": "MM-MPF"}
        rows: dict[Any, list[dict[str, Any]]] = {
            Operation: [], Site: [], OperationPhase: [], Report: [], ReportPart: [],
            Detention: []}
        for n in range(operations):
            region = rng.choice(regions)
            op_id = f"OP-B{n:06d}"
            rows[Operation].append(dict(
                id=op_id, code_name=f"Bench {n}", lead_agency_id=leads[region.country_code],
                priority=rng.randint(1, 100), earliest_start=start, duration_minutes=240,
                latest_end=start + timedelta(days=2), state=OperationState.completed))
            rows[Site].append(dict(id=f"S-B{n:06d}", operation_id=op_id, region_id=region.id))
            rows[OperationPhase].append(dict(operation_id=op_id, phase_id=phase.id))
            rows[Report].append(Report(id=n + 1, operation_id=op_id,
                                       state=ReportState.confirmed).model_dump())
            confirmed = datetime.combine(date(2027, 1, 10) + timedelta(days=n % 60),
                                         datetime.min.time(), tzinfo=UTC)
            rows[ReportPart].append(ReportPart(
                id=n + 1, report_id=n + 1, country_code=region.country_code,
                victims_identified=rng.randint(0, 20), compounds_dismantled=rng.randint(0, 1),
                persons_repatriated=rng.randint(0, 50), confirmed_at=confirmed).model_dump())
            for code in rng.sample(["CN", "MM", "TH", "LA", "VN"], 3):
                rows[Detention].append(dict(part_id=n + 1, nationality_code=code,
                                            count=rng.randint(1, 9)))
        # Bulk inserts, parents first: the app's writes are not what is measured here.
        for model, values in rows.items():
            session.execute(insert(model), values)
        session.commit()
        assert campaign.id is not None
        campaign_id = campaign.id
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            # Rows inserted with their ids leave the sequences behind; and a live database
            # has planner statistics (autovacuum analyses tables this size within a minute).
            for table in ("after_action_reports", "after_action_parts"):
                connection.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))
    return campaign_id


def sign_in(client: TestClient, engine: Engine, username: str) -> None:
    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == username)).one()
        token, _ = start_session(session, user=user)
        session.commit()
    client.cookies.set(get_settings().session_cookie_name, token)


def measure(client: TestClient, timer: ServerTimer, path: str, n: int
            ) -> tuple[list[float], list[float], int]:
    """Server-side wall and CPU milliseconds of `n` requests, and the body size."""
    first = client.get(path)  # warm-up: compiled statements, templates
    assert first.status_code == 200, (path, first.status_code)
    timer.samples.clear()
    timer.cpu.clear()
    for _ in range(n):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    return list(timer.samples), list(timer.cpu), len(first.content)


def run(operations: int, requests: int, rounds: int) -> tuple[str, list[dict[str, Any]], float]:
    engine, schema = bench_engine("campaign")
    began = time.perf_counter()
    campaign_id = build(engine, operations)
    built = time.perf_counter() - began
    app = create_served_app()
    timer = ServerTimer(app)
    results = []
    with TestClient(timer) as client:
        for round_ in range(1, rounds + 1):
            for username, viewer in VIEWERS.items():
                sign_in(client, engine, username)
                for page, label in PAGES.items():
                    wall, cpu, size = measure(client, timer,
                                              f"/campaigns/{campaign_id}/{page}", requests)
                    results.append({"round": round_, "case": f"{label}, {viewer}",
                                    "page": page, "wall": wall, "cpu": cpu, "size": size})
                    print(f"round {round_} {label}, {viewer}: p50 "
                          f"{statistics.median(wall):.1f} ms, p95 {p95(wall):.1f} ms, "
                          f"p95 CPU {p95(cpu):.1f} ms", flush=True)
    backend = engine.dialect.name
    engine.dispose()
    if schema is not None:
        drop_schema(schema)
    return backend, results, built


def profile(operations: int, requests: int, case: str) -> None:
    """cProfile of one case's requests, the whole request on one thread."""
    import fastapi.dependencies.utils
    import fastapi.routing

    async def inline(func: Any, *args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    fastapi.routing.run_in_threadpool = inline  # type: ignore[assignment]
    fastapi.dependencies.utils.run_in_threadpool = inline  # type: ignore[assignment]
    engine, schema = bench_engine("campaign")
    campaign_id = build(engine, operations)
    label, viewer = (part.strip() for part in case.split(",", 1))
    page = next(p for p, name in PAGES.items() if name == label)
    username = next(u for u, name in VIEWERS.items() if name == viewer)
    profiler = cProfile.Profile()

    async def profiled(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        profiler.enable()
        try:
            await app(scope, receive, send)
        finally:
            profiler.disable()

    app = create_served_app()
    with TestClient(profiled) as client:
        sign_in(client, engine, username)
        path = f"/campaigns/{campaign_id}/{page}"
        client.get(path)
        profiler.clear()
        for _ in range(requests):
            assert client.get(path).status_code == 200
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(r"/(app|templates)/", 30)
    stats.sort_stats("tottime").print_stats(20)
    engine.dispose()
    if schema is not None:
        drop_schema(schema)


def report(operations: int, requests: int, rounds: int, backend: str,
           results: list[dict[str, Any]]) -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    start, end = MARKERS[backend]
    command = (f".venv/bin/python bench/campaign.py --operations {operations} "
               f"--requests {requests} --rounds {rounds}")
    if backend == "postgresql":
        command = f"JOINTOPS_BENCH_DATABASE_URL=postgresql+psycopg://HOST/DB {command}"
    name = "PostgreSQL" if backend == "postgresql" else "SQLite"
    lines = [
        start,
        f"## Campaign pages on {name} (bench/campaign.py)",
        "",
        f"Command: `{command}` ({backend}, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores shared with other jobs, load average {load:.1f} at the end, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M}Z).",
        f"A campaign of {operations:,} completed operations in phase 1, each with a report "
        "of one confirmed part and three nationalities detained; seven goals. Server side: "
        "an ASGI wrapper times each request from arrival to its last body byte (session, "
        "campaign lookup, figures, charts, template or export); wall clock and process CPU "
        "time. Each case runs once per round, the rounds one after the other.",
        "",
        "| round | case | requests | p50 ms | p95 ms | p95 CPU ms | body KB | goal p95 |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        goal = "-"
        if r["page"] == "dashboard":
            verdict = ("ok" if p95(r["wall"]) < GOAL_MS else
                       "wall NOT MET, CPU ok" if p95(r["cpu"]) < GOAL_MS else "NOT MET")
            goal = f"< {GOAL_MS:g} ms {verdict}"
        lines.append(
            f"| {r['round']} | {r['case']} | {len(r['wall'])} | "
            f"{statistics.median(r['wall']):.1f} | {p95(r['wall']):.1f} | "
            f"{p95(r['cpu']):.1f} | {r['size'] / 1024:.0f} | {goal} |")
    lines += ["", *NOTES[backend], end]
    return "\n".join(lines)


NOTES = {
    "sqlite": [
        "Where the time went (cProfile: `--profile \"dashboard, administrator\"`): the",
        "figures. app.campaigns.figures.compute loaded every confirmed part of the visible",
        "operations (2,000 parts, 6,000 detentions) and summed them in Python, testing every",
        "row against every goal (120,000 scope checks and 620,000 ORM attribute reads in 10",
        "computations): 0.2-0.4 s each; administrator p95 1,291.6 ms and liaison p95",
        "504.5 ms wall in the table this section replaces (load average 18). Now one",
        "statement (`_tally`) does the counting: the campaign's operations the viewer may see",
        "as a common table expression (the need-to-know filter of app.access, evaluated",
        "once), read by UNION ALL branches that GROUP BY phase and state, phase, country and",
        "UTC day (confirmed parts, detentions by a correlated subquery), and completed",
        "operations per country and per goal region; about 180 rows come back here. No",
        "cache. tests/campaigns/test_figures_reference.py holds it to the old computation.",
        "What is left of the administrator's dashboard CPU time: the statement (about 20 ms",
        "on SQLite: joining 2,000 parts and grouping them), building it (3 ms), the charts",
        "(4 ms), then template and framework. SQLite runs in-process, so wall minus CPU is",
        "time spent waiting for a core: other helpers' test suites kept the load average",
        "between 10 and 28 on these 2 cores during the runs, and the wall figures move",
        "with it from one run to the next (run it more than once before comparing).",
    ],
    "postgresql": [
        "The cases are those of the SQLite section. The schema is fresh and analysed first,",
        "as autovacuum would have done; wall time includes the database server's own time",
        "(the same statement; it runs on the same 2 loaded cores), which the CPU time of",
        "the app's process does not.",
    ],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--operations", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--profile", metavar="CASE",
                        help='profile one case, e.g. "dashboard, administrator"')
    args = parser.parse_args()
    if args.profile:
        profile(args.operations, args.requests, args.profile)
        return
    backend, results, built = run(args.operations, args.requests, args.rounds)
    print(f"built {args.operations} operations and reports in {built:.1f} s")
    section = report(args.operations, args.requests, args.rounds, backend, results)
    print(section)
    if not args.no_write:
        write_section(section, *MARKERS[backend])


if __name__ == "__main__":
    main()
