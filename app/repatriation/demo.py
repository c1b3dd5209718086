"""The demo's repatriation: Thai hand-over points, escort units and cohorts waiting.

Thailand holds Myanmar, Lao, Chinese and Vietnamese nationals from the raid wave; the
points are the Mae Sai and Chiang Khong bridges and Chiang Rai airport. Cohorts were
recorded over the last ten days, so the backlog chart has a history; the rest (planning,
publishing, confirming) is left for whoever opens the board.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from app.models import (
    Cohort,
    Crossing,
    EscortCapacity,
    HandoverPoint,
    PointAgency,
    PointKind,
    Region,
    Unit,
)

POINTS = [
    # id, name, kind, region, crossing, persons a day, screening, receiving agencies
    ("HP-MAESAI", "Mae Sai friendship bridge", PointKind.crossing, "TH-MSI", "X-MSI-TAC", 150,
     ("08:00", "17:00"), ["MM-MPF"]),
    ("HP-CHKHONG", "Chiang Khong friendship bridge", PointKind.crossing, "TH-CKG", "X-CKG-BOK",
     80, ("08:30", "16:30"), ["LA-MPS"]),
    ("HP-CEI", "Chiang Rai airport (charter flights)", PointKind.airport, "TH-CRI", None, 300,
     ("07:00", "20:00"), ["CN-MPS", "VN-MPS"]),
]
ESCORTS = [("U-ESC-01", "RTP-ESC1", "TH-CRI", 40, "bus"),
           ("U-ESC-02", "RTP-ESC2", "TH-CRI", 40, "bus"),
           ("U-ESC-03", "RTP-ESC3", "TH-MSI", 12, "van")]
COHORTS = [  # nationality, persons, held at, days ago recorded, vulnerable
    ("MM", 240, "TH-MSI", 10, False), ("CN", 180, "TH-CRI", 8, False),
    ("LA", 35, "TH-CKG", 6, True), ("LA", 60, "TH-CKG", 6, False),
    ("VN", 45, "TH-CRI", 3, False), ("MM", 40, "TH-CRI", 1, True)]


def seed_repatriation(session: Session, *, now: datetime) -> None:
    """Add the demo's points, escorts and cohorts (flushes; the caller commits)."""
    needed = {p[3] for p in POINTS} | {e[2] for e in ESCORTS}
    if any(session.get(Region, r) is None for r in needed) or any(
            p[4] and session.get(Crossing, p[4]) is None for p in POINTS):
        return  # a board of another geography: nothing to hang the demo on
    for point_id, name, kind, region, crossing, capacity, (start, end), agencies in POINTS:
        session.add(HandoverPoint(id=point_id, name=name, kind=kind, region_id=region,
                                  crossing_id=crossing, capacity=capacity,
                                  screening_from=start, screening_to=end))
        session.flush()
        session.add_all(PointAgency(point_id=point_id, agency_id=a) for a in agencies)
    for unit_id, callsign, base, persons, vehicle in ESCORTS:
        session.add(Unit(id=unit_id, agency_id="TH-RTP", callsign=callsign, personnel=6,
                         capabilities=["escort"], base_region_id=base))
        session.flush()
        session.add(EscortCapacity(unit_id=unit_id, persons_per_trip=persons, vehicle=vehicle))
    for nationality, count, site, days_ago, vulnerable in COHORTS:
        recorded = now - timedelta(days=days_ago)
        session.add(Cohort(nationality_code=nationality, count=count,
                           holding_agency_id="TH-RTP", site_region_id=site,
                           release_on=recorded.date() + timedelta(days=2),
                           vulnerable=vulnerable, created_at=recorded))
    session.flush()
