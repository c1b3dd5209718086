"""The lexicographic objective: priority first, then travel."""

from __future__ import annotations

from .builders import operation, scenario_dict, site, unit
from .solve_helpers import scheduled, solve_checked


def test_one_high_priority_operation_beats_two_low_ones() -> None:
    doc = scenario_dict()
    doc["units"] = [unit("U-1")]
    at_ten = {"fixed_start": "2026-12-01T10:00:00Z"}
    doc["operations"] = [
        operation("OP-HIGH", sites=[site("S-H", "TH-CRI")], priority=3, **at_ten),
        operation(
            "OP-LOW1",
            sites=[site("S-L1", "TH-CRI")],
            priority=1,
            fixed_start="2026-12-01T09:30:00Z",
        ),
        operation(
            "OP-LOW2",
            sites=[site("S-L2", "TH-CRI")],
            priority=1,
            fixed_start="2026-12-01T10:30:00Z",
        ),
    ]
    result = solve_checked(doc)
    assert scheduled(result) == {"OP-HIGH"}
    assert result.priority == result.priority_bound == 3


def test_two_low_operations_beat_one_slightly_lower() -> None:
    doc = scenario_dict()
    doc["units"] = [unit("U-1")]
    doc["operations"] = [
        operation(
            "OP-MID", sites=[site("S-M", "TH-CRI")], priority=3, fixed_start="2026-12-01T10:00:00Z"
        ),
        operation(
            "OP-A", sites=[site("S-A", "TH-CRI")], priority=2, fixed_start="2026-12-01T09:30:00Z"
        ),
        operation(
            "OP-B", sites=[site("S-B", "TH-CRI")], priority=2, fixed_start="2026-12-01T10:30:00Z"
        ),
    ]
    assert scheduled(solve_checked(doc)) == {"OP-A", "OP-B"}


def test_travel_is_minimised_at_equal_priority() -> None:
    doc = scenario_dict()
    doc["units"] = [unit("U-FAR", base="TH-CRI"), unit("U-NEAR", base="TH-MSI")]
    doc["operations"] = [operation("OP-T", sites=[site("S-T", "TH-MSI")])]
    result = solve_checked(doc)
    assert [a.unit for a in result.plan.operations[0].assignments] == ["U-NEAR"]
    assert result.travel_minutes == 0
    assert result.status == "OPTIMAL"
