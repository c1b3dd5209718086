"""A repatriation scene over the test world: Thailand holds Myanmar and Lao nationals.

Hand-over points: HP-MSI at the Mae Sai crossing (Myanmar's police receive there) and
HP-CKG at Chiang Khong (Laos receives there). One Thai escort unit at Chiang Rai carries
20 persons a trip. Users: every role of each of the three agencies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlmodel import Session

from app.campaigns.reports import ensure_nationalities
from app.models import (
    Cohort,
    EscortCapacity,
    HandoverBatch,
    HandoverPoint,
    PointAgency,
    PointKind,
    RepatriationPlan,
    Role,
    Unit,
    User,
)
from app.solver.repatriation.schema import PLAN_FORMAT

NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)  # 10:00 in Bangkok
# 10:00 in Bangkok the day after: the day of the `published` batches (and of a solved
# plan's first batches), when they may be confirmed.
DUE = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)
AGENCIES = ("TH-RTP", "MM-MPF", "LA-MPS")


@dataclass
class Scene:
    users: dict[tuple[str, Role], User]
    mm: Cohort  # 30 Myanmar nationals held by Thailand at Chiang Rai
    la: Cohort  # 12 Lao nationals, vulnerable

    def user(self, agency: str, role: Role = Role.planner) -> User:
        return self.users[(agency, role)]


def build_scene(session: Session, make_user: Any) -> Scene:
    ensure_nationalities(session)
    session.add(Unit(id="U-TH-E", agency_id="TH-RTP", callsign="RTP-ESC", personnel=6,
                     capabilities=["escort"], base_region_id="TH-CRI"))
    session.flush()
    session.add(EscortCapacity(unit_id="U-TH-E", persons_per_trip=20, vehicle="bus"))
    session.add_all([
        HandoverPoint(id="HP-MSI", name="Mae Sai bridge", kind=PointKind.crossing,
                      region_id="TH-MSI", crossing_id="X-MSI-TAC", capacity=25,
                      screening_from="08:00", screening_to="16:00"),
        HandoverPoint(id="HP-CKG", name="Chiang Khong bridge", kind=PointKind.crossing,
                      region_id="TH-CKG", crossing_id="X-CKG-HXY", capacity=50,
                      screening_from="08:00", screening_to="16:00"),
    ])
    session.flush()
    session.add_all([PointAgency(point_id="HP-MSI", agency_id="MM-MPF"),
                     PointAgency(point_id="HP-CKG", agency_id="LA-MPS")])
    mm = Cohort(nationality_code="MM", count=30, holding_agency_id="TH-RTP",
                site_region_id="TH-CRI", release_on=date(2026, 12, 2))
    la = Cohort(nationality_code="LA", count=12, holding_agency_id="TH-RTP",
                site_region_id="TH-CRI", release_on=date(2026, 12, 2), vulnerable=True)
    session.add_all([mm, la])
    session.flush()
    users: dict[tuple[str, Role], User] = {}
    for agency in AGENCIES:
        for role in (Role.planner, Role.liaison, Role.unit_officer):
            users[(agency, role)] = make_user(session, role=role, agency=agency,
                                              unit="U-TH-E" if role == Role.unit_officer
                                              and agency == "TH-RTP" else None)
    users[("", Role.admin)] = make_user(session, role=Role.admin)
    users[("", Role.coordinator)] = make_user(session, role=Role.coordinator)
    session.flush()
    return Scene(users, mm, la)


@pytest.fixture
def scene(session: Session, world: Any, make_user: Any, set_clock: Any) -> Scene:
    set_clock(NOW)
    return build_scene(session, make_user)


@dataclass
class Published:
    mm_batch: HandoverBatch  # 20 of the Myanmar cohort at Mae Sai
    la_batch: HandoverBatch  # the 12 Lao nationals at Chiang Khong


@pytest.fixture
def published(session: Session, scene: Scene) -> Published:
    """A published plan of Thailand, written directly (the solver is tested elsewhere)."""
    plan = RepatriationPlan(holding_country="TH", document={"format": PLAN_FORMAT,
                                                           "batches": [], "taskings": []},
                            is_published=True, published_at=NOW)
    session.add(plan)
    session.flush()
    day = date(2026, 12, 3)
    at = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
    mm = HandoverBatch(plan_id=plan.id or 0, cohort_id=scene.mm.id or 0, point_id="HP-MSI",
                       day=day, time="09:00", at=at, persons=20, escort_unit_id="U-TH-E")
    la = HandoverBatch(plan_id=plan.id or 0, cohort_id=scene.la.id or 0, point_id="HP-CKG",
                       day=day, time="09:00", at=at, persons=12, escort_unit_id="U-TH-E")
    session.add_all([mm, la])
    session.flush()
    return Published(mm, la)
