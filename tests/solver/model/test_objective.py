"""app/solver/model/objective.py: the model's priority and travel are the validator's."""

from __future__ import annotations

from ..builders import VALID_PLAN_OBJECTIVE, scenario_dict, valid_plan_dict
from .fixing import FEASIBLE, find_assignment, verdict


def test_priority_and_travel_of_a_fixed_plan_are_the_validators() -> None:
    result = verdict(scenario_dict(), valid_plan_dict())
    assert result.model == FEASIBLE
    assert (result.priority, result.travel) == VALID_PLAN_OBJECTIVE == (4, 300)


def test_waiting_is_not_travel_and_unscheduled_operations_count_nothing() -> None:
    plan = valid_plan_dict()
    del plan["operations"][1]  # OP-2 (priority 1, travel 0) left out
    plan["unscheduled"] = [{"id": "OP-2", "reasons": ["left out"]}]
    # U-TH1 crosses an hour early and waits in Tachileik: busy longer, same travel.
    find_assignment(plan, "OP-1", "U-TH1").update(
        depart="2026-12-02T00:00:00Z", cross_out="2026-12-02T01:00:00Z"
    )
    result = verdict(scenario_dict(), plan)
    assert (result.model, result.rules, result.priority, result.travel) == (
        FEASIBLE,
        set(),
        3,
        300,
    )
