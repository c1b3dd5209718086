"""Family app/solver/model/windows.py (rule 1): window, slot grid, fixed start.

The start variable's domain is the operation's legal starts; one start variable serves
every site, so all sites strike together (rule 2, see test_travel for units that arrive
after H-hour).
"""

from __future__ import annotations

from ..builders import scenario_dict, valid_plan_dict
from .fixing import FEASIBLE, INFEASIBLE, shift_operation, verdict


def test_the_valid_plan_is_a_solution_of_the_model() -> None:
    assert verdict(scenario_dict(), valid_plan_dict()) == (FEASIBLE, set())


def test_a_start_off_the_slot_grid_is_rejected() -> None:
    plan = shift_operation(valid_plan_dict(), "OP-2", 5)  # 10:05Z, movements moved along
    assert verdict(scenario_dict(), plan) == (INFEASIBLE, {1})


def test_a_start_on_the_grid_elsewhere_in_the_window_is_accepted() -> None:
    plan = shift_operation(valid_plan_dict(), "OP-2", 15)
    assert verdict(scenario_dict(), plan) == (FEASIBLE, set())


def test_an_operation_ending_after_its_latest_end_is_rejected() -> None:
    # OP-2 may run 12-01T00:00Z..12-03T00:00Z; starting 12-03T00:00Z it ends an hour late.
    plan = shift_operation(valid_plan_dict(), "OP-2", 38 * 60)
    assert verdict(scenario_dict(), plan) == (INFEASIBLE, {1})


def test_an_operation_starting_before_its_earliest_start_is_rejected() -> None:
    doc = scenario_dict()
    doc["operations"][1]["earliest_start"] = "2026-12-01T12:00:00Z"
    plan = shift_operation(valid_plan_dict(), "OP-2", 60)  # 11:00Z, still too early
    assert verdict(doc, plan) == (INFEASIBLE, {1})
    assert verdict(doc, shift_operation(plan, "OP-2", 60)) == (FEASIBLE, set())


def test_a_fixed_start_is_the_only_start() -> None:
    doc = scenario_dict()
    doc["operations"][1]["fixed_start"] = "2026-12-01T10:00:00Z"
    assert verdict(doc, valid_plan_dict()) == (FEASIBLE, set())
    plan = shift_operation(valid_plan_dict(), "OP-2", 15)
    assert verdict(doc, plan) == (INFEASIBLE, {1})
