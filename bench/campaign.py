"""Benchmark the campaign dashboard: 2,000 operations with 2,000 confirmed reports.

    .venv/bin/python bench/campaign.py [--operations 2000] [--requests 60]

Builds a fresh SQLite database in a temporary directory (`alembic upgrade head`), imports
the real geography (app/seed_data/geography.json) with no operations, then writes a
campaign of two phases and seven goals, the operations (completed, one site each in a
Thai, Lao or Myanmar region, all in phase 1) and one report per operation with one
confirmed part and three nationalities detained. It then times GET
/campaigns/<id>/dashboard in-process (TestClient, wall time per request) for an
administrator (every operation) and for a Thai liaison officer (need-to-know filtered),
and prints the median and p95.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = Path(tempfile.mkdtemp(prefix="campaign-bench-")) / "board.db"
os.environ["JOINTOPS_DATABASE_URL"] = f"sqlite:///{DB}"
sys.path.insert(0, str(ROOT))

from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from app.accounts.service import hash_password, start_session  # noqa: E402
from app.campaigns import reports, service  # noqa: E402
from app.campaigns.schemas import CampaignIn  # noqa: E402
from app.config import get_settings  # noqa: E402
from app.db import make_engine  # noqa: E402
from app.main import create_app  # noqa: E402
from app.models import (  # noqa: E402
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
from app.transfer.service import import_scenario  # noqa: E402


def build(operations: int) -> None:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", os.environ["JOINTOPS_DATABASE_URL"])
    command.upgrade(config, "head")
    geo = json.loads((ROOT / "app/seed_data/geography.json").read_text(encoding="utf-8"))
    engine = make_engine(os.environ["JOINTOPS_DATABASE_URL"])
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
        for n in range(operations):
            region = rng.choice(regions)
            op_id = f"OP-B{n:06d}"
            session.add(Operation(
                id=op_id, code_name=f"Bench {n}", lead_agency_id=leads[region.country_code],
                priority=rng.randint(1, 100), earliest_start=start, duration_minutes=240,
                latest_end=start + timedelta(days=2), state=OperationState.completed))
            session.flush()  # no ORM relationship orders these inserts: flush the parent
            session.add(Site(id=f"S-B{n:06d}", operation_id=op_id, region_id=region.id))
            session.add(OperationPhase(operation_id=op_id, phase_id=phase.id or 0))
            report = Report(operation_id=op_id, state=ReportState.confirmed)
            session.add(report)
            session.flush()
            confirmed = datetime.combine(date(2027, 1, 10) + timedelta(days=n % 60),
                                         datetime.min.time(), tzinfo=UTC)
            part = ReportPart(report_id=report.id or 0, country_code=region.country_code,
                              victims_identified=rng.randint(0, 20),
                              compounds_dismantled=rng.randint(0, 1),
                              persons_repatriated=rng.randint(0, 50), confirmed_at=confirmed)
            session.add(part)
            session.flush()
            for code in rng.sample(["CN", "MM", "TH", "LA", "VN"], 3):
                session.add(Detention(part_id=part.id or 0, nationality_code=code,
                                      count=rng.randint(1, 9)))
            if n % 500 == 499:
                session.flush()
        session.commit()
    engine.dispose()


def measure(requests: int) -> None:
    app = create_app()
    engine = make_engine(os.environ["JOINTOPS_DATABASE_URL"])
    with Session(engine) as session, TestClient(app) as client:
        for username in ("admin", "th-liaison"):
            user = session.exec(select(User).where(User.username == username)).one()
            token, _ = start_session(session, user=user)
            session.commit()
            client.cookies.set(get_settings().session_cookie_name, token)
            url = "/campaigns/1/dashboard"
            assert client.get(url).status_code == 200  # warm-up
            times = []
            for _ in range(requests):
                began = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - began) * 1000)
                assert response.status_code == 200
            times.sort()
            p95 = times[max(0, int(len(times) * 0.95) - 1)]
            print(f"{username}: dashboard median {statistics.median(times):.1f} ms, "
                  f"p95 {p95:.1f} ms over {requests} requests")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--operations", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()
    began = time.perf_counter()
    build(args.operations)
    print(f"built {args.operations} operations and reports in "
          f"{time.perf_counter() - began:.1f} s ({DB})")
    measure(args.requests)


if __name__ == "__main__":
    main()
