"""Crossing lanes (rule 9): passages of one crossing in progress at once."""

from __future__ import annotations

from .builders import operation, scenario_dict, site, unit
from .solve_helpers import scheduled, solve_checked


def _world(lanes: int) -> dict:
    """Two Thai units must cross; the crossing opens for just one passage time a day."""
    doc = scenario_dict()
    crossing = doc["crossings"][0]
    crossing["lanes"] = lanes
    crossing["open"] = [{"from": "06:00", "to": "06:30"}]  # 23:00Z-23:30Z, transit 30
    doc["units"] = [
        unit("U-TH1"),
        unit("U-TH3"),
        unit("U-MM1", agency="MM-MPF", base="MM-TAC"),
    ]
    doc["operations"] = [
        operation(
            "OP-L",
            sites=[site("S-L", "MM-TAC", {"tactical": 3})],
            foreign_support=True,
            earliest_start="2026-12-02T00:00:00Z",
            latest_end="2026-12-02T06:00:00Z",
            duration_minutes=120,
        )
    ]
    return doc


def test_two_lanes_let_both_units_pass_together() -> None:
    result = solve_checked(_world(2))
    assert scheduled(result) == {"OP-L"}
    outs = {a.cross_out for a in result.plan.operations[0].assignments if a.crossing}
    assert len(outs) == 1


def test_one_lane_cannot_pass_both_units_in_time() -> None:
    assert scheduled(solve_checked(_world(1))) == set()


def test_one_lane_with_longer_opening_staggers_the_passages() -> None:
    doc = _world(1)
    doc["crossings"][0]["open"] = [{"from": "06:00", "to": "07:00"}]
    result = solve_checked(doc)
    assert scheduled(result) == {"OP-L"}
    outs = sorted(a.cross_out for a in result.plan.operations[0].assignments if a.cross_out)
    assert (outs[1] - outs[0]).total_seconds() >= 30 * 60
