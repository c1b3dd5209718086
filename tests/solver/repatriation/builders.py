"""A tiny repatriation problem, small enough to check by hand.

One holding site S1 beside base S1 (units start there), one crossing P1 an hour away
that screens 08:00-17:00 with a CN agency and takes 10 persons a day; one escort unit of
6 persons a trip; a 3-day horizon from 2026-12-01. Tests change one thing at a time.
"""

from __future__ import annotations

import copy
from typing import Any


def problem_dict(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "format": "jointops-repatriation/1",
        "timezone": "Asia/Bangkok",
        "horizon": {"start": "2026-12-01", "days": 3},
        "sites": [{"id": "S1", "name": "Holding site 1"}],
        "bases": [],
        "points": [
            {
                "id": "P1",
                "name": "Crossing 1",
                "kind": "crossing",
                "capacity": 10,
                "screening": {"from": "08:00", "to": "17:00"},
                "handover_minutes": 60,
                "agencies": [{"country": "CN", "name": "CN liaison"}],
            }
        ],
        "roads": [{"a": "S1", "b": "P1", "minutes": 60}],
        "cohorts": [
            {"id": "C1", "nationality": "CN", "count": 5, "site": "S1", "release": "2026-12-01"}
        ],
        "escorts": [{"id": "E1", "base": "S1", "persons_per_trip": 6}],
        "duty": {"start": "06:00", "minutes": 720},
    }
    doc.update(copy.deepcopy(changes))
    return doc


def valid_plan_dict() -> dict[str, Any]:
    """The hand-checked plan of `problem_dict()`: E1 leaves 06:00, arrives 07:00, waits for
    screening at 08:00, hands 5 over until 09:00 and is back at 10:00 (240 minutes)."""
    return {
        "format": "jointops-repatriation-plan/1",
        "batches": [
            {
                "cohort": "C1",
                "point": "P1",
                "day": "2026-12-01",
                "time": "08:00",
                "persons": 5,
                "escort": "E1",
            }
        ],
        "taskings": [
            {
                "unit": "E1",
                "day": "2026-12-01",
                "site": "S1",
                "point": "P1",
                "depart": "06:00",
                "handover": "08:00",
                "duty_minutes": 240,
                "route": ["S1", "P1", "S1"],
                "persons": 5,
            }
        ],
    }
