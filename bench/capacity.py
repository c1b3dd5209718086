"""Benchmark "what would help most" on the large sample, end to end through the worker.

Usage: .venv/bin/python bench/capacity.py [--time-limit 20] [--workers 2] [--no-write]

The generator's large preset (`jointops sample --preset large`: 250 operations, 1,000
units, 14 days) is imported into a fresh SQLite board; one campaign takes every agency
and puts every operation in its one phase. The clock stands at the horizon's start. Then
the analysis is queued as a planner does (app.campaigns.capacity.start_analysis) and the
worker's own code runs it (app.planning.worker.run_job): the baseline solve, the
hypotheses of the worst gaps, one solve each, the ranking stored. Wall time is from the
queueing to the stored ranking. Goal: within 5 minutes on 2 cores. The section goes to
stdout and into bench/README.md between the `<!-- capacity-bench -->` markers.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from readme_section import write_section  # noqa: E402
from samples import scenario_file  # noqa: E402
from sqlmodel import Session, SQLModel, col, select  # noqa: E402

from app.campaigns import capacity, service  # noqa: E402
from app.campaigns.schemas import CampaignIn  # noqa: E402
from app.clock import SettableClock, using_clock  # noqa: E402
from app.db import make_engine  # noqa: E402
from app.models import Agency, BoardConfig, Operation, Role, RunStatus, SolverRun, User  # noqa: E402
from app.planning.worker import run_job  # noqa: E402
from app.transfer.service import import_scenario  # noqa: E402

START, END = "<!-- capacity-bench -->", "<!-- /capacity-bench -->"
GOAL_SECONDS = 300.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--time-limit", type=float, default=capacity.ANALYSIS_TIME_LIMIT,
                        help="seconds per solve (the app's default)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data = scenario_file("large", folder).read_bytes()
        engine = make_engine(f"sqlite:///{folder / 'board.db'}")
        SQLModel.metadata.create_all(engine)
        with Session(engine) as session:
            imported = import_scenario(session, data=data)
            session.commit()
            config = session.get(BoardConfig, 1)
            assert config is not None
            start = config.horizon_start
            with using_clock(SettableClock(start - timedelta(hours=1))):
                outcome = run(session, args.time_limit, args.workers)
        engine.dispose()
    lines = [
        START,
        "## What would help most, on the large sample (bench/capacity.py)",
        "",
        f"Command: `.venv/bin/python bench/capacity.py --time-limit {args.time_limit:g} "
        f"--workers {args.workers}` (sqlite, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%MZ}).",
        f"The large preset ({imported.counts.get('operations', 0)} operations, "
        f"{imported.counts.get('units', 0)} units) imported into a fresh board, every "
        "operation in one campaign phase; the analysis queued as a planner does and run by "
        "the worker's code (baseline, then one solve per hypothesis of the worst gaps, "
        f"{args.time_limit:g} s each at most). The machine is shared with other helpers' "
        "jobs (tests, solves), so the wall time moves with their load: compare runs with "
        "care.",
        "",
        "| status | solves | wall seconds | goal | met |",
        "| --- | ---: | ---: | --- | --- |",
        f"| {outcome['status']} | {outcome['solves']} | {outcome['seconds']:.1f} | "
        f"< {GOAL_SECONDS:.0f} s | {'yes' if outcome['seconds'] < GOAL_SECONDS else 'NO'} |",
        "",
        f"Baseline: priority {outcome['baseline']} scheduled. The ranking (priority each "
        "change would schedule beyond the baseline, whole board):",
        "",
        "| change | unlocked priority | operations gained | lost |",
        "| --- | ---: | ---: | ---: |",
        *(f"| {h['label']} | {h['unlocked']} | {len(h['gained'])} | {len(h['lost'])} |"
          for h in outcome["ranking"]),
        END,
    ]
    section = "\n".join(lines)
    print(section)
    if not args.no_write:
        write_section(section, START, END)


def run(session: Session, time_limit: float, workers: int) -> dict:  # type: ignore[type-arg]
    agencies = list(session.exec(select(Agency.id).order_by(col(Agency.id))))
    planner = User(username="bench-admin", role=Role.admin, password_hash="-")
    session.add(planner)
    session.flush()
    first = session.exec(select(Operation).order_by(col(Operation.earliest_start))).first()
    last = session.exec(select(Operation).order_by(col(Operation.latest_end).desc())).first()
    assert first is not None and last is not None
    campaign = service.create(session, actor=planner, data=CampaignIn.model_validate({
        "name": "Bench campaign", "agencies": agencies, "phases": [{
            "name": "Phase 1", "starts_on": first.earliest_start.date().isoformat(),
            "ends_on": last.latest_end.date().isoformat(),
            "goals": [{"metric": "arrests", "scope": "", "target": 1}]}]}))
    phase = service.phases_of(session, campaign.id or 0)[0]
    for op in session.exec(select(Operation)).all():
        service.assign_phase(session, operation=op, phase_id=phase.id, actor=planner)
    session.commit()
    started = time.monotonic()
    analysis = capacity.start_analysis(session, campaign=campaign, user=planner,
                                       time_limit=time_limit, workers=workers)
    session.commit()
    status = run_job(analysis.solver_run_id, session=session)
    seconds = time.monotonic() - started
    session.refresh(analysis)
    run_row = session.get(SolverRun, analysis.solver_run_id)
    result = analysis.result or {}
    assert status == RunStatus.succeeded, run_row.error if run_row else status
    return {"status": str(status), "seconds": seconds,
            "solves": 1 + len(result.get("hypotheses", [])),
            "baseline": result.get("baseline", {}).get("priority"),
            "unscheduled": result.get("baseline", {}).get("unscheduled", []),
            "gaps": result.get("gaps", []),
            "ranking": result.get("hypotheses", [])}


if __name__ == "__main__":
    main()
