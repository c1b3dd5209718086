"""Unit availability and one place at a time (rule 10)."""

from __future__ import annotations

from .builders import operation, scenario_dict, site, unit
from .solve_helpers import scheduled, solve_checked

DAY_TWO = [{"start": "2026-12-02T00:00:00Z", "end": "2026-12-03T00:00:00Z"}]


def _world(available: list[dict] | None, **op_fields: object) -> dict:
    doc = scenario_dict()
    extra = {} if available is None else {"available": available}
    doc["units"] = [unit("U-1", **extra)]
    doc["operations"] = [operation("OP-U", sites=[site("S-U", "TH-CRI")], **op_fields)]
    return doc


def test_trip_lies_inside_the_available_window() -> None:
    result = solve_checked(_world(DAY_TWO))
    (a,) = result.plan.operations[0].assignments
    assert a.depart.day == 2 and a.return_.day in (2, 3)


def test_never_available_unit_is_not_used() -> None:
    assert scheduled(solve_checked(_world([]))) == set()


def test_available_windows_that_touch_join_up() -> None:
    windows = [
        {"start": "2026-12-01T00:00:00Z", "end": "2026-12-01T10:30:00Z"},
        {"start": "2026-12-01T10:30:00Z", "end": "2026-12-01T12:00:00Z"},
    ]
    doc = _world(windows, fixed_start="2026-12-01T10:00:00Z")
    assert scheduled(solve_checked(doc)) == {"OP-U"}


def test_one_unit_cannot_be_in_two_places_at_once() -> None:
    doc = _world(None, fixed_start="2026-12-01T10:00:00Z", priority=1)
    doc["operations"].append(
        operation(
            "OP-V", sites=[site("S-V", "TH-CRI")], fixed_start="2026-12-01T10:30:00Z", priority=2
        )
    )
    result = solve_checked(doc)
    assert scheduled(result) == {"OP-V"}


def test_one_unit_serves_two_operations_one_after_the_other() -> None:
    doc = _world(None, priority=1)
    doc["operations"].append(
        operation("OP-V", sites=[site("S-V", "TH-CRI")], fixed_start="2026-12-01T10:30:00Z")
    )
    assert scheduled(solve_checked(doc)) == {"OP-U", "OP-V"}
