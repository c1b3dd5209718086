"""Family app/solver/model/units.py (rule 10): one place at a time, inside available time.

A unit's busy intervals never overlap each other, nor the time it is not available,
outside the horizon, or already booked by operations the sub-problem does not decide.
"""

from __future__ import annotations

from ..builders import scenario_dict, valid_plan_dict
from .fixing import FEASIBLE, INFEASIBLE, shift_operation, verdict


def test_a_unit_in_two_places_at_once_is_rejected() -> None:
    # OP-2 moved to 12-02T02:00Z: U-TH1 is then on its way to S-1 (01:00Z-06:30Z).
    plan = shift_operation(valid_plan_dict(), "OP-2", 16 * 60)
    assert verdict(scenario_dict(), plan) == (INFEASIBLE, {10})


def test_round_trips_that_touch_are_accepted() -> None:
    # OP-2 at 12-02T00:00Z ends at 01:00Z, when U-TH1 leaves for S-1.
    plan = shift_operation(valid_plan_dict(), "OP-2", 14 * 60)
    assert verdict(scenario_dict(), plan) == (FEASIBLE, set())


def test_a_trip_in_an_availability_gap_is_rejected() -> None:
    doc = scenario_dict()
    gap = [  # U-TH2, S-2's investigator (02:00Z-06:00Z on the 2nd), away from 04:00Z
        {"start": "2026-12-01T00:00:00Z", "end": "2026-12-02T04:00:00Z"},
        {"start": "2026-12-02T07:00:00Z", "end": "2026-12-04T00:00:00Z"},
    ]
    doc["units"][1]["available"] = gap
    assert verdict(doc, valid_plan_dict()) == (INFEASIBLE, {10})
    gap[0]["end"] = "2026-12-02T06:00:00Z"  # back in time: the windows hold the trip
    assert verdict(doc, valid_plan_dict()) == (FEASIBLE, set())


def test_a_unit_booked_by_an_operation_outside_the_sub_problem_is_busy() -> None:
    # The search decides OP-1 alone, around OP-2 kept as booked (12-02T02:00Z-03:00Z).
    plan = shift_operation(valid_plan_dict(), "OP-2", 16 * 60)
    assert verdict(scenario_dict(), plan, fixed=("OP-2",)) == (INFEASIBLE, {10})
    plan = shift_operation(valid_plan_dict(), "OP-2", 14 * 60)
    assert verdict(scenario_dict(), plan, fixed=("OP-2",)) == (FEASIBLE, set())
