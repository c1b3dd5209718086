"""Which orders of an earlier plan survive a changed scenario, and how many orders changed."""

from __future__ import annotations

from app.solver.greedy import greedy_solution
from app.solver.instance import Instance
from app.solver.loader import load_scenario
from app.solver.model.plan import build_plan
from app.solver.replan import count_changed_orders, still_valid_operations, sub_plan
from app.solver.sample import generate, knobs_for
from app.solver.validate import OperationsChecker, validate_plan

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


def test_the_operations_checker_agrees_with_whole_plans_of_a_changed_scenario() -> None:
    """The checker replanning uses (one instance, no completeness rule) finds exactly
    what the whole-plan validator finds in the sub-plan of the same operations."""
    scenario = load_scenario(generate(knobs_for("scarce", operations=40, units=60, seed=3)))
    instance = Instance(scenario)
    plan = build_plan(instance, greedy_solution(instance), {"status": "GREEDY"})
    # A changed world: every unit of the first two scheduled operations is unavailable.
    lost = {a.unit for op in plan.operations[:2] for a in op.assignments}
    document = generate(knobs_for("scarce", operations=40, units=60, seed=3))
    for unit in document["units"]:
        if unit["id"] in lost:
            unit["available"] = []
    changed = load_scenario(document)
    # And two operations moved onto one start: units in two places at once.
    moved = [plan.operations[2], plan.operations[3].model_copy(
        update={"start": plan.operations[2].start,
                "assignments": plan.operations[2].assignments})]
    checker = OperationsChecker(changed)
    sets = [[op] for op in plan.operations] + [list(plan.operations), moved]
    found_some = 0
    for operations in sets:
        mine = sorted(v.message for v in checker.violations(operations))
        whole = sorted(v.message for v in validate_plan(changed, sub_plan(changed, operations))
                       .violations)
        assert mine == whole, [op.id for op in operations]
        found_some += bool(mine)
    assert found_some >= 3  # the lost units' operations, the whole plan and the clash
