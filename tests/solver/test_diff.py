"""Differences between two plans: operations, units, movements and objective."""

from __future__ import annotations

from app.solver.diff import diff_plans
from app.solver.validate import validate_plan

from .builders import make_plan, make_scenario, valid_plan_dict


def test_identical_plans() -> None:
    diff = diff_plans(make_scenario(), make_plan(), make_plan())
    assert diff.unchanged
    assert diff.changed_orders == 0
    assert "no change in operations or assignments" in diff.to_text()
    assert "objective: priority 4 -> 4 (+0), travel 300 -> 300 min (+0)" in diff.to_text()


def test_dropped_and_added_operations() -> None:
    without_op1 = valid_plan_dict()
    del without_op1["operations"][0]
    scenario = make_scenario()
    diff = diff_plans(scenario, make_plan(), make_plan(without_op1))
    assert diff.dropped == ["OP-1"] and diff.added == []
    assert diff.to_json()["objective"]["priority_change"] == -3
    assert diff.to_json()["objective"]["travel_change"] == -300
    back = diff_plans(scenario, make_plan(without_op1), make_plan())
    assert back.added == ["OP-1"]
    assert "+ OP-1 added" in back.to_text()


def swapped_plan() -> dict:
    """U-MM2 (from Kengtung, 120 min away) replaces U-MM1 at S-1; OP-2 two hours later."""
    plan = valid_plan_dict()
    s1 = plan["operations"][0]["assignments"][0]
    s1.update({"unit": "U-MM2", "depart": "2026-12-02T01:00:00Z", "return": "2026-12-02T07:00:00Z"})
    op2 = plan["operations"][1]
    op2["start"] = "2026-12-01T12:00:00Z"
    op2["assignments"][0].update(
        {"depart": "2026-12-01T12:00:00Z", "return": "2026-12-01T13:00:00Z"}
    )
    return plan


def test_swaps_retimes_and_objective() -> None:
    scenario = make_scenario()
    b = make_plan(swapped_plan())
    assert validate_plan(scenario, b).valid
    diff = diff_plans(scenario, make_plan(), b)
    data = diff.to_json()
    assert data["retimed"] == [
        {
            "operation": "OP-2",
            "old_start": "2026-12-01T10:00:00Z",
            "new_start": "2026-12-01T12:00:00Z",
        }
    ]
    assert data["units_swapped"] == [
        {"operation": "OP-1", "site": "S-1", "removed": ["U-MM1"], "added": ["U-MM2"]}
    ]
    assert [(m["operation"], m["unit"]) for m in data["assignments_retimed"]] == [("OP-2", "U-TH1")]
    assert data["objective"]["travel_change"] == 240
    assert data["changed_orders"] == 3  # U-MM1 cancelled, U-MM2 issued, U-TH1 on OP-2 moved
    text = diff.to_text()
    assert "~ OP-2 re-timed: 2026-12-01 10:00Z -> 2026-12-01 12:00Z" in text
    assert "~ OP-1 site S-1: units -U-MM1 +U-MM2" in text
