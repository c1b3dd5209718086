"""The `solve` entry point: determinism, pinned and preferred operations, faults, hooks."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from ortools.sat.python import cp_model
from sample_data import TINY

from app.solver.instance import Instance
from app.solver.loader import load_scenario
from app.solver.replan import sub_plan
from app.solver.schema import ScheduledOperation
from app.solver.solve import Progress, SolveOptions, solve
from app.solver.validate import validate_plan

from .builders import make_plan, make_scenario, operation, scenario_dict, site, unit
from .solve_helpers import (
    FALLBACK_GREEDY,
    assert_not_fallback,
    assert_valid,
    scheduled,
    solve_checked,
)


def _plan_bytes(scenario_doc: dict | None = None, **options: object) -> str:
    scenario = make_scenario(scenario_doc) if scenario_doc else make_scenario()
    result = solve(
        Instance(scenario),
        SolveOptions(time_limit=10, workers=1, seed=7, include_timing=False, **options),
    )
    assert_not_fallback(result)
    return json.dumps(result.plan.to_json_dict(), sort_keys=True)


def test_same_input_same_seed_gives_byte_identical_plans() -> None:
    assert _plan_bytes() == _plan_bytes()


def test_tiny_sample_is_deterministic() -> None:
    doc = json.loads(TINY.read_text())
    first = _plan_bytes(doc)
    assert first == _plan_bytes(doc)
    assert "wall_seconds" not in first


def test_solver_info_records_how_the_plan_was_made() -> None:
    result = solve_checked(scenario_dict(), seed=3)
    info = result.plan.solver
    assert info is not None and info.status == "OPTIMAL"
    extra = info.model_extra or {}
    assert extra["seed"] == 3 and extra["workers"] == 1 and extra["ortools"]
    assert extra["clock"] == "deterministic" == result.clock
    assert info.wall_seconds is not None and extra["first_solution_seconds"] is not None
    assert info.priority_bound == result.priority == 4


def test_pinned_operation_is_kept_exactly() -> None:
    pinned = make_plan().operations[1]  # OP-2 at 10:00Z with U-TH1
    result = solve_checked(scenario_dict(), fixed=[pinned])
    kept = next(o for o in result.plan.operations if o.id == "OP-2")
    assert kept == pinned
    assert scheduled(result) == {"OP-1", "OP-2"}


def test_pinned_operation_blocks_its_units() -> None:
    # OP-1 would like U-TH1, but the pinned OP-2 holds it at the only time OP-1 fits.
    doc = scenario_dict()
    doc["operations"][1] = operation(
        "OP-2", sites=[site("S-3", "TH-CRI")], fixed_start="2026-12-02T01:00:00Z"
    )
    scenario = make_scenario(doc)
    first = solve_checked(scenario)
    op2 = next(o for o in first.plan.operations if o.id == "OP-2")
    result = solve_checked(doc, fixed=[op2])
    assert next(o for o in result.plan.operations if o.id == "OP-2") == op2
    assert_valid(scenario, result.plan)


def test_preferred_start_is_kept_when_it_costs_nothing() -> None:
    doc = scenario_dict()
    doc["units"] = [unit("U-1")]
    doc["operations"] = [operation("OP-P", sites=[site("S-P", "TH-CRI")])]
    scenario = make_scenario(doc)
    first = solve_checked(scenario)
    previous = first.plan.operations[0]
    moved = ScheduledOperation.model_validate(
        {
            **previous.model_dump(by_alias=True),
            "start": "2026-12-02T06:00:00Z",
            "assignments": [
                {
                    **a.model_dump(by_alias=True),
                    "depart": "2026-12-02T06:00:00Z",
                    "return": "2026-12-02T07:00:00Z",
                }
                for a in previous.assignments
            ],
        }
    )
    result = solve_checked(doc, preferred=[moved])
    assert result.plan.operations[0].start == moved.start


def test_stable_replan_keeps_the_earlier_movement_times() -> None:
    # The earlier order leaves two hours earlier than it must: waiting is allowed, and a
    # stable re-plan must not move an unchanged order's departure or return.
    doc = scenario_dict()
    doc["units"] = [unit("U-1")]
    doc["operations"] = [operation("OP-P", sites=[site("S-P", "TH-CRI")])]
    scenario = make_scenario(doc)
    first = solve_checked(scenario).plan.operations[0]
    later = timedelta(days=1)
    early = first.model_copy(
        update={
            "start": first.start + later,
            "assignments": [
                a.model_copy(
                    update={"depart": a.depart + later - timedelta(hours=2),
                            "return_": a.return_ + later}
                )
                for a in first.assignments
            ],
        }
    )
    assert validate_plan(scenario, sub_plan(scenario, [early])).valid
    result = solve_checked(doc, preferred=[early])
    assert result.plan.operations == [early]


def test_solver_fault_falls_back_to_the_greedy_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def always_infeasible(self: cp_model.CpSolver, model: cp_model.CpModel, *args: object) -> int:
        calls.append(1)
        return cp_model.INFEASIBLE

    monkeypatch.setattr(cp_model.CpSolver, "solve", always_infeasible)
    result = solve_checked(scenario_dict())
    assert result.status != "INFEASIBLE"
    assert scheduled(result) == {"OP-1", "OP-2"}  # the greedy plan
    assert len(calls) >= 3  # the first run and both retries with other parameters


def _one_passage_a_day() -> dict:
    """Two Thai units must cross a one-lane crossing open for a single passage a day."""
    doc = scenario_dict()
    doc["crossings"][0]["open"] = [{"from": "06:00", "to": "06:30"}]  # transit 30
    doc["units"] = [unit("U-TH1"), unit("U-TH3"), unit("U-MM1", agency="MM-MPF", base="MM-TAC")]
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


def test_a_model_missing_a_rule_is_noticed_through_the_fallback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # With the lane rule gone from the model, the search schedules OP-L with both Thai
    # units in the one lane at once; the validator rejects that plan and `solve` returns
    # the greedy plan (nothing scheduled), valid, so only the status gives the fault away.
    from app.solver.model import builder

    assert_not_fallback(solve_checked(_one_passage_a_day()))  # the whole model: no fault
    monkeypatch.setattr(builder, "add_lane_limits", lambda *args, **kwargs: None)
    result = solve_checked(_one_passage_a_day(), allow_fallback=True)
    assert result.status == FALLBACK_GREEDY and scheduled(result) == set()
    for recorded in (result, result.plan, result.plan.to_json_dict()):
        with pytest.raises(AssertionError, match="FALLBACK_GREEDY"):
            assert_not_fallback(recorded)
    with pytest.raises(AssertionError, match="FALLBACK_GREEDY"):
        solve_checked(_one_passage_a_day())


def test_progress_is_reported_and_stop_is_honoured() -> None:
    seen: list[Progress] = []
    result = solve_checked(scenario_dict(), on_progress=seen.append, should_stop=lambda: True)
    assert seen and seen[0].priority >= 0 and seen[-1].priority == result.priority
    assert all(p.bound >= p.priority for p in seen)


def test_every_unscheduled_operation_has_a_reason() -> None:
    doc = scenario_dict()
    doc["operations"].append(operation("OP-X", sites=[site("S-X", "MM-KTG", {"k9": 1})]))
    result = solve_checked(doc)
    (entry,) = [u for u in result.plan.unscheduled if u.id == "OP-X"]
    assert entry.reasons and all(r.strip() for r in entry.reasons)


def test_tiny_sample_solves_to_a_valid_plan() -> None:
    scenario = load_scenario(json.loads(TINY.read_text()))
    result = solve_checked(scenario, time_limit=10)
    assert result.priority == result.priority_bound


def test_pinned_instants_off_the_minute_are_kept_exactly() -> None:
    pinned_doc = make_plan().operations[1].model_dump(mode="json", by_alias=True)
    pinned_doc["assignments"][0]["depart"] = "2026-12-01T09:59:30.5Z"
    pinned_doc["assignments"][0]["return"] = "2026-12-01T11:00:45Z"
    pinned = ScheduledOperation.model_validate(pinned_doc)
    result = solve_checked(scenario_dict(), fixed=[pinned])
    assert next(o for o in result.plan.operations if o.id == "OP-2") == pinned


def test_scenario_without_operations_or_units() -> None:
    doc = scenario_dict(operations=[])
    assert solve_checked(doc, time_limit=1).priority == 0
    doc = scenario_dict(units=[])
    assert scheduled(solve_checked(doc, time_limit=1)) == set()


def test_a_tiny_time_limit_still_gives_a_valid_plan() -> None:
    result = solve_checked(scenario_dict(), time_limit=0.01)
    assert result.priority >= 0 and result.plan.solver is not None


def test_off_the_minute_horizon_claims_no_proof() -> None:
    # Starting 30 s past a minute, every whole-minute window is rounded inwards by the
    # search: its proofs do not hold for the exact instants, and the plan says so.
    doc = scenario_dict()
    doc["horizon"]["start"] = "2026-12-01T00:00:30Z"
    result = solve_checked(doc, seed=3)
    info = result.plan.solver
    assert info is not None
    assert info.status in ("FEASIBLE", "FEASIBLE_PRIORITY_OPTIMAL")
    assert info.priority_bound == 4  # every operation's priority: nothing is ruled out
    assert (info.status == "FEASIBLE_PRIORITY_OPTIMAL") == (result.priority == 4)
