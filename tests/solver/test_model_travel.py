"""Travel (rules 7 and 8): domestic round trips, border crossings and their opening hours."""

from __future__ import annotations

from datetime import timedelta

from .builders import operation, scenario_dict, site, unit
from .solve_helpers import scheduled, solve_checked


def test_domestic_trip_leaves_early_enough_and_returns_after() -> None:
    doc = scenario_dict()
    doc["units"] = [unit("U-1", base="TH-CRI")]
    doc["operations"] = [operation("OP-T", sites=[site("S-T", "TH-MSI")])]
    result = solve_checked(doc)
    op = result.plan.operations[0]
    (a,) = op.assignments
    assert op.start - a.depart >= timedelta(minutes=60)
    assert a.return_ - (op.start + timedelta(minutes=60)) >= timedelta(minutes=60)
    assert result.plan.objective is not None and result.plan.objective.travel_minutes == 120


def test_fixed_start_too_soon_after_the_horizon_start_for_the_drive() -> None:
    # The unit needs 60 minutes to get there, so it would have to leave before the horizon.
    doc = scenario_dict()
    doc["units"] = [unit("U-1", base="TH-CRI")]
    doc["operations"] = [
        operation("OP-T", sites=[site("S-T", "TH-MSI")], fixed_start="2026-12-01T00:30:00Z")
    ]
    assert scheduled(solve_checked(doc)) == set()


def _crossing_world(open_windows: list[dict] | None) -> dict:
    doc = scenario_dict()
    doc["crossings"][0]["open"] = open_windows
    doc["units"] = [unit("U-TH1"), unit("U-MM1", agency="MM-MPF", base="MM-TAC")]
    doc["operations"] = [
        operation(
            "OP-X",
            sites=[site("S-X", "MM-TAC", {"tactical": 2})],
            foreign_support=True,
            duration_minutes=120,
        )
    ]
    return doc


def test_border_trip_passes_inside_opening_hours() -> None:
    result = solve_checked(_crossing_world([{"from": "06:00", "to": "22:00"}]))
    op = result.plan.operations[0]
    thai = next(a for a in op.assignments if a.unit == "U-TH1")
    assert thai.crossing == "X-MSI-TAC"
    assert thai.cross_out is not None and thai.cross_back is not None
    assert thai.cross_out + timedelta(minutes=30) <= op.start
    # 06:00-22:00 Bangkok is 23:00Z-15:00Z: the passage lies inside it.
    assert thai.cross_out.hour >= 23 or thai.cross_out.hour < 15
    assert result.plan.objective is not None
    assert result.plan.objective.travel_minutes == 2 * (60 + 30)


def test_crossing_never_open_long_enough_for_a_passage() -> None:
    result = solve_checked(_crossing_world([{"from": "06:00", "to": "06:20"}]))
    assert scheduled(result) == set()


def test_shortest_route_is_chosen() -> None:
    doc = _crossing_world(None)
    slow = dict(doc["crossings"][0], id="X-SLOW", transit_minutes=90)
    doc["crossings"].append(slow)
    result = solve_checked(doc)
    thai = next(a for a in result.plan.operations[0].assignments if a.unit == "U-TH1")
    assert thai.crossing == "X-MSI-TAC"
