"""The aggregated figures equal the figures computed the old way, for every viewer.

app.campaigns.figures sums the confirmed figures in SQL (GROUP BY phase, country, day).
figures_reference.py keeps the earlier implementation, which loaded every confirmed part
and summed it in Python. Both run here on one random but seeded campaign that has every
case the rules distinguish: goals of every metric in every kind of scope (all, a
country, a region), operations with sites in two countries or twice in one region,
reports with parts in two countries, unconfirmed parts and draft reports, parts without
detentions, operations in no phase or in another campaign, visibility through a live
tasking and none through a cancelled one, and confirmations near midnight UTC (the
PostgreSQL session runs in Myanmar time, so a day taken in local time would show).
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from app.campaigns import figures, reports, service
from app.campaigns.schemas import CampaignIn
from app.models import (
    Campaign,
    Detention,
    Metric,
    Operation,
    OperationPhase,
    OperationState,
    Report,
    ReportPart,
    ReportState,
    Role,
    Site,
    Tasking,
    TaskingStatus,
    User,
)

from . import figures_reference

REGIONS = ["TH-CRI", "TH-MSI", "TH-CKG", "LA-BOK", "MM-TAC"]
LEADS = ["TH-RTP", "LA-MPS", "MM-MPF"]
NOW = datetime(2027, 2, 10, 6, 0, tzinfo=UTC)


def _goals(scopes: list[str], rng: random.Random) -> list[dict[str, Any]]:
    return [{"metric": m.value, "scope": s, "target": rng.randint(1, 60)}
            for m in Metric for s in scopes]


def _campaign(session: Session, admin: User, name: str, rng: random.Random
              ) -> tuple[Campaign, list[int]]:
    data = CampaignIn.model_validate({
        "name": name, "agencies": LEADS, "phases": [
            {"name": "Phase 1", "starts_on": "2027-01-01", "ends_on": "2027-03-31",
             "goals": _goals(["", "TH", "LA", "TH-CKG", "LA-BOK"], rng)},
            {"name": "Phase 2", "starts_on": "2027-01-15", "ends_on": "2027-02-05",
             "goals": _goals(["", "MM", "TH-CRI", "MM-TAC", "TH-MSI"], rng)},
            {"name": "Phase 3", "starts_on": "2027-04-01", "ends_on": "2027-06-30",
             "goals": [{"metric": "arrests", "scope": "", "target": 5}]}]})
    campaign = service.create(session, data=data, actor=admin)
    return campaign, [p.id for p in service.phases_of(session, campaign.id or 0)
                      if p.id is not None]


def _operations(session: Session, phases: list[int | None], rng: random.Random) -> None:
    """Operations, sites, reports, parts and detentions, drawn from a seeded generator."""
    start = datetime(2027, 1, 5, tzinfo=UTC)
    for n, phase_id in enumerate(phases):
        op_id = f"OP-R{n:03d}"
        session.add(Operation(
            id=op_id, code_name=f"Reference {n}", lead_agency_id=rng.choice(LEADS),
            priority=5, earliest_start=start, duration_minutes=240,
            latest_end=start + timedelta(days=2),
            state=OperationState.completed if rng.random() < 0.5
            else rng.choice(list(OperationState))))
        session.flush()
        regions = rng.sample(REGIONS, rng.choice([1, 1, 2, 3]))
        if n % 7 == 0:
            regions.append(regions[0])  # two sites in one region count the region once
        for i, region in enumerate(regions):
            session.add(Site(id=f"S-R{n:03d}-{i}", operation_id=op_id, region_id=region))
        if phase_id is not None:
            session.add(OperationPhase(operation_id=op_id, phase_id=phase_id))
        if rng.random() < 0.2:
            continue  # no report yet
        report = Report(operation_id=op_id, state=rng.choice(list(ReportState)))
        session.add(report)
        session.flush()
        hosts = sorted({r[:2] for r in regions} | {rng.choice(["TH", "LA", "MM"])})
        for country in rng.sample(hosts, rng.randint(1, len(hosts))):
            confirmed = None
            if rng.random() < 0.8:
                confirmed = datetime(2027, 1, 10, tzinfo=UTC) + timedelta(
                    days=rng.randint(0, 40), hours=rng.choice([0, 5, 17, 18, 23]),
                    minutes=rng.choice([0, 30, 59]))
            part = ReportPart(
                report_id=report.id or 0, country_code=country, confirmed_at=confirmed,
                **{m: rng.choice([0, 0, 1, 2, 7, 30]) for m in (
                    "victims_identified", "victims_referred", "persons_repatriated",
                    "compounds_dismantled", "devices_seized", "vehicles_seized",
                    "fugitives_at_large", "cash_seized")})
            session.add(part)
            session.flush()
            for code in rng.sample(["CN", "MM", "TH", "LA", "VN"], rng.randint(0, 3)):
                session.add(Detention(part_id=part.id or 0, nationality_code=code,
                                      count=rng.randint(0, 9)))
    session.flush()


def _task(session: Session, op_id: str, unit_id: str, status: TaskingStatus) -> None:
    site = f"S-R{int(op_id[4:]):03d}-0"
    at = datetime(2027, 1, 5, 2, 0, tzinfo=UTC)
    session.add(Tasking(
        uid=f"{uuid.uuid4()}@jointops", operation_id=op_id, unit_id=unit_id, site_id=site,
        capability="tactical", start=at, end=at + timedelta(hours=4),
        depart=at - timedelta(hours=1), return_at=at + timedelta(hours=5), status=status,
        sequence=1, updated_at=at,
        cancelled_at=at if status == TaskingStatus.cancelled else None))
    session.flush()


def _snapshot(found: figures.Figures) -> dict[str, Any]:
    """Every figure the pages and exports show, as plain data (dict order aside)."""
    return {
        "exported": json.loads(json.dumps(figures.to_json(found))),
        "csv_lines": sorted(figures.to_csv(found).splitlines()),
        "phases": [{
            "phase": pf.phase.id, "operations": pf.operations, "states": pf.states,
            "by_country": {c: dict(v) for c, v in pf.by_country.items()},
            "goals": [(g.goal.id, g.label, g.scope, g.actual, g.status, g.percent)
                      for g in pf.goals]} for pf in found.phases],
        "states": found.states, "cumulative": found.cumulative, "today": found.today,
    }


def test_aggregated_figures_equal_the_old_computation(
    session: Session, world: Any, make_user: Any, set_clock: Any
) -> None:
    set_clock(NOW)
    if session.get_bind().dialect.name == "postgresql":
        # Days are UTC days whatever the connection's time zone (Myanmar: UTC+06:30).
        session.execute(text("SET LOCAL TIME ZONE 'Asia/Yangon'"))
    reports.ensure_nationalities(session)
    rng = random.Random(2027)
    admin = make_user(session, Role.admin, username="ref-admin")
    campaign, phase_ids = _campaign(session, admin, "Reference Shield", rng)
    _, other = _campaign(session, admin, "Other Shield", rng)
    layout: list[int | None] = [rng.choice(phase_ids[:2]) for _ in range(45)]
    layout += [None] * 4 + [other[0]] * 4
    _operations(session, layout, rng)
    _task(session, "OP-R001", "U-MM-1", TaskingStatus.active)
    _task(session, "OP-R002", "U-LA-1", TaskingStatus.cancelled)
    viewers = [admin, make_user(session, Role.coordinator, username="ref-coordinator")]
    for agency, unit in (("TH-RTP", "U-TH-1"), ("LA-MPS", "U-LA-1"), ("MM-MPF", "U-MM-1")):
        viewers += [make_user(session, Role.planner, agency=agency),
                    make_user(session, Role.liaison, agency=agency),
                    make_user(session, Role.unit_officer, agency=agency, unit=unit)]

    seen = {}
    for viewer in viewers:
        expected = _snapshot(figures_reference.compute(session, campaign=campaign,
                                                       viewer=viewer))
        assert _snapshot(figures.compute(session, campaign=campaign, viewer=viewer)) \
            == expected, f"{viewer.role} of {viewer.agency_id}"
        seen[(viewer.role, viewer.agency_id)] = expected

    # The fixture reaches the cases it is there for (else the comparison proves little).
    everything = seen[(Role.admin, None)]
    goals = [g for pf in everything["phases"] for g in pf["goals"]]
    assert all(g[3] > 0 for g in goals if g[2] in ("TH-CKG", "LA-BOK", "TH-CRI", "MM-TAC")
               and g[1] in ("arrests", "scam compounds dismantled", "operations completed"))
    assert {g[4] for g in goals} >= {figures.MET, figures.MISSED, figures.AT_RISK,
                                     figures.ON_TRACK, figures.NOT_STARTED}
    assert sum(everything["states"].values()) == 45
    lao = seen[(Role.liaison, "LA-MPS")]
    assert 0 < sum(lao["states"].values()) < 45
    assert lao["exported"] != everything["exported"]
    assert all(len(points) > 10 for points in everything["cumulative"].values())

