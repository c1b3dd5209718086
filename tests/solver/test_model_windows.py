"""Windows, slot grid and fixed start (rule 1); coordinated strike (rule 2)."""

from __future__ import annotations

from datetime import UTC, datetime

from .builders import operation, scenario_dict, site, unit
from .solve_helpers import scheduled, solve_checked


def _one_op(**fields: object) -> dict:
    doc = scenario_dict()
    doc["operations"] = [operation("OP-W", sites=[site("S-W", "TH-CRI")], **fields)]
    return doc


def test_start_lies_on_the_grid_inside_the_window() -> None:
    doc = _one_op(earliest_start="2026-12-01T10:05:00Z", latest_end="2026-12-01T12:00:00Z")
    result = solve_checked(doc)
    start = result.plan.operations[0].start
    assert start == datetime(2026, 12, 1, 10, 15, tzinfo=UTC)


def test_window_without_a_grid_start_leaves_the_operation_unscheduled() -> None:
    # 10:05..11:10 holds 60 minutes, but the only grid start inside (10:15) ends too late.
    doc = _one_op(earliest_start="2026-12-01T10:05:00Z", latest_end="2026-12-01T11:10:00Z")
    result = solve_checked(doc)
    assert scheduled(result) == set()


def test_fixed_start_is_honoured() -> None:
    doc = _one_op(fixed_start="2026-12-02T07:45:00Z")
    result = solve_checked(doc)
    assert result.plan.operations[0].start == datetime(2026, 12, 2, 7, 45, tzinfo=UTC)


def test_fixed_start_that_no_unit_can_make_leaves_it_unscheduled() -> None:
    doc = _one_op(fixed_start="2026-12-02T07:45:00Z")
    doc["units"] = [
        unit("U-1", available=[{"start": "2026-12-01T00:00:00Z", "end": "2026-12-02T07:00:00Z"}])
    ]
    assert scheduled(solve_checked(doc)) == set()


def _two_sites(second_unit_available: str) -> dict:
    doc = scenario_dict()
    doc["units"] = [
        unit("U-A", available=[{"start": "2026-12-01T00:00:00Z", "end": "2026-12-01T12:00:00Z"}]),
        unit("U-B", available=[{"start": second_unit_available, "end": "2026-12-03T00:00:00Z"}]),
    ]
    doc["operations"] = [
        operation(
            "OP-C",
            sites=[site("S-A", "TH-CRI"), site("S-B", "TH-CRI")],
            latest_end="2026-12-03T00:00:00Z",
        )
    ]
    return doc


def test_all_sites_strike_at_the_same_start() -> None:
    result = solve_checked(_two_sites("2026-12-01T06:00:00Z"))
    assert scheduled(result) == {"OP-C"}
    start = result.plan.operations[0].start
    assert start >= datetime(2026, 12, 1, 6, tzinfo=UTC)


def test_sites_that_cannot_strike_together_leave_the_operation_unscheduled() -> None:
    # Each site alone could be staffed, but the two units are never free at once.
    assert scheduled(solve_checked(_two_sites("2026-12-01T12:00:00Z"))) == set()
