"""Seeded generator of repatriation problems, like those after a large raid wave.

`jointops repatriation-sample` and bench/repatriation.py use it; the same arguments and
seed give the same document.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from app.solver.repatriation.schema import PROBLEM_FORMAT

NATIONALITIES = ["CN", "VN", "ID", "PH", "KE", "IN", "LK", "ET", "NP", "BD", "UG", "PK"]
RECEIVING_AGENCIES = "Ministry of Public Security liaison"


def generate(
    persons: int = 8000,
    cohorts: int = 40,
    nationalities: int = 6,
    points: int = 6,
    escorts: int = 60,
    days: int = 30,
    sites: int = 8,
    seed: int = 1,
    start: date = date(2026, 12, 1),
) -> dict[str, Any]:
    """A problem document (plain JSON data) with the given sizes."""
    if cohorts > persons:
        raise ValueError("cohorts must not outnumber persons")
    if not 1 <= nationalities <= len(NATIONALITIES):
        raise ValueError(f"nationalities must be 1..{len(NATIONALITIES)}")
    rng = random.Random(seed)
    countries = NATIONALITIES[:nationalities]
    site_ids = [f"S{i + 1}" for i in range(sites)]
    base_ids = [f"B{i + 1}" for i in range(max(1, sites // 3))]
    point_docs = []
    for i in range(points):
        # Every country gets at least one point; some points serve two or three.
        served = {countries[i % nationalities]}
        served |= set(rng.sample(countries, k=min(nationalities, rng.randint(0, 2))))
        opens = rng.choice([6, 7, 8, 9])
        point_docs.append(
            {
                "id": f"P{i + 1}",
                "name": f"{'Airport' if i % 3 == 2 else 'Crossing'} {i + 1}",
                "kind": "airport" if i % 3 == 2 else "crossing",
                "capacity": 100 + round(900 * i / max(1, points - 1)),
                "screening": {"from": f"{opens:02d}:00", "to": f"{opens + 9:02d}:00"},
                "handover_minutes": rng.choice([30, 45, 60, 90]),
                "agencies": [
                    {"country": c, "name": f"{c} {RECEIVING_AGENCIES}"} for c in sorted(served)
                ],
            }
        )
    roads = []
    for site in site_ids:
        for point in point_docs:
            if rng.random() < 0.8:
                roads.append({"a": site, "b": point["id"], "minutes": rng.randint(30, 300)})
    for base in base_ids:
        for site in rng.sample(site_ids, k=min(len(site_ids), 4)):
            roads.append({"a": base, "b": site, "minutes": rng.randint(15, 120)})
    cuts = sorted(rng.sample(range(1, persons), cohorts - 1))
    sizes = [b - a for a, b in zip([0, *cuts], [*cuts, persons], strict=True)]
    cohort_docs = [
        {
            "id": f"C{i + 1:03d}",
            "nationality": countries[i % nationalities],
            "count": size,
            "site": rng.choice(site_ids),
            "release": (start + timedelta(days=rng.randint(-3, max(0, days // 3)))).isoformat(),
            "vulnerable": rng.random() < 0.2,
        }
        for i, size in enumerate(sizes)
    ]
    escort_docs = [
        {
            "id": f"E{i + 1:02d}",
            "base": rng.choice(base_ids + site_ids[:2]),
            "persons_per_trip": rng.choice([8, 12, 20, 30, 45]),
            "vehicle": rng.choice(["minibus", "bus", "van"]),
        }
        for i in range(escorts)
    ]
    return {
        "format": PROBLEM_FORMAT,
        "name": f"sample {persons} persons seed {seed}",
        "timezone": "Asia/Bangkok",
        "horizon": {"start": start.isoformat(), "days": days},
        "sites": [{"id": s, "name": f"Holding site {s}"} for s in site_ids],
        "bases": [{"id": b, "name": f"Escort base {b}"} for b in base_ids],
        "points": point_docs,
        "roads": roads,
        "cohorts": cohort_docs,
        "escorts": escort_docs,
        "duty": {"start": "06:00", "minutes": 720},
    }
