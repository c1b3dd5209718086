"""Which orders of an earlier plan survive a changed scenario, and how many orders changed."""

from __future__ import annotations

from app.solver.replan import count_changed_orders, still_valid_operations, sub_plan
from app.solver.validate import validate_plan

from .builders import make_plan, make_scenario, scenario_dict, valid_plan_dict


def kept_ids(doc: dict, plan_doc: dict | None = None) -> list[str]:
    scenario = make_scenario(doc)
    return [op.id for op in still_valid_operations(scenario, make_plan(plan_doc))]


def test_unchanged_scenario_keeps_everything() -> None:
    assert kept_ids(scenario_dict()) == ["OP-1", "OP-2"]


def test_unit_no_longer_available_drops_its_operation() -> None:
    doc = scenario_dict()
    doc["units"][1]["available"] = [  # U-TH2, OP-1's investigator, now busy on Dec 2
        {"start": "2026-12-01T00:00:00Z", "end": "2026-12-02T00:00:00Z"}
    ]
    assert kept_ids(doc) == ["OP-2"]


def test_operation_gone_from_scenario_is_not_kept() -> None:
    doc = scenario_dict()
    doc["operations"] = doc["operations"][:1]
    assert kept_ids(doc) == ["OP-1"]


def test_closed_crossing_drops_the_cross_border_operation() -> None:
    doc = scenario_dict()
    doc["crossings"][0]["open"] = [{"from": "12:00", "to": "13:00"}]
    assert kept_ids(doc) == ["OP-2"]


def test_conflicting_survivors_keep_the_higher_priority() -> None:
    plan = valid_plan_dict()
    # OP-2 moved onto OP-1's time: each is valid alone, together U-TH1 is in two places.
    plan["operations"][1]["start"] = "2026-12-02T03:00:00Z"
    plan["operations"][1]["assignments"][0]["depart"] = "2026-12-02T03:00:00Z"
    plan["operations"][1]["assignments"][0]["return"] = "2026-12-02T04:00:00Z"
    scenario = make_scenario()
    assert not validate_plan(scenario, make_plan(plan)).valid
    kept = still_valid_operations(scenario, make_plan(plan))
    assert [op.id for op in kept] == ["OP-1"]
    assert validate_plan(scenario, sub_plan(scenario, kept)).valid


def test_count_changed_orders() -> None:
    plan = make_plan()
    assert count_changed_orders(plan, plan) == 0
    moved = valid_plan_dict()
    moved["operations"][1]["start"] = "2026-12-01T12:00:00Z"
    moved["operations"][1]["assignments"][0]["depart"] = "2026-12-01T12:00:00Z"
    moved["operations"][1]["assignments"][0]["return"] = "2026-12-01T13:00:00Z"
    assert count_changed_orders(plan, make_plan(moved)) == 1
    dropped = valid_plan_dict()
    del dropped["operations"][0]
    assert count_changed_orders(plan, make_plan(dropped)) == 3
