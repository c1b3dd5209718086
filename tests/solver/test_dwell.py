"""Dwell, the objective's third level: foreign units wait in the host country as little
as the crossings allow, and neither priority nor travel gets worse for it (issue 9)."""

from __future__ import annotations

import json

from sample_data import DATA

from app.solver.instance import Instance
from app.solver.loader import load_scenario
from app.solver.model.dwell import solution_dwell, tighten
from app.solver.model.plan import (
    build_plan,
    solution_from_operations,
    solution_priority,
    solution_travel,
)
from app.solver.solve import SolveOptions, solve
from app.solver.validate import report_to_json, validate_plan

from .builders import make_plan, make_scenario, valid_plan_dict
from .solve_helpers import assert_valid


def _early_plan() -> dict:
    """The builder plan with U-TH1 crossing into Myanmar three hours before it must."""
    plan = valid_plan_dict()
    leg = plan["operations"][0]["assignments"][1]
    assert leg["unit"] == "U-TH1"
    leg["depart"] = "2026-12-01T22:00:00Z"
    leg["cross_out"] = "2026-12-01T23:00:00Z"  # the crossing opens at 23:00Z
    return plan


def test_the_validator_counts_the_wait_beyond_travel() -> None:
    scenario = make_scenario()
    assert validate_plan(scenario, make_plan(valid_plan_dict())).dwell_minutes == 30
    report = validate_plan(scenario, make_plan(_early_plan()))
    assert report.valid, report.violations
    assert report.dwell_minutes == 30 + 180
    assert report_to_json(report)["dwell_minutes"] == 210


def test_tightening_moves_passages_only() -> None:
    scenario = make_scenario()
    instance = Instance(scenario)
    loose = solution_from_operations(instance, make_plan(_early_plan()).operations)
    tight, complete = tighten(instance, loose, keep=set())
    assert complete
    assert solution_dwell(instance, loose) == 210
    assert solution_dwell(instance, tight) == 0  # out 02:30Z, in Tachileik at 03:00Z
    assert solution_priority(instance, tight) == solution_priority(instance, loose)
    assert solution_travel(tight) == solution_travel(loose)
    assert {k: v.start for k, v in tight.items()} == {k: v.start for k, v in loose.items()}
    assert_valid(scenario, build_plan(instance, tight, {"status": "TEST"}))
    # Pinned operations keep their passages.
    kept, _ = tighten(instance, loose, keep={"OP-1"})
    assert solution_dwell(instance, kept) == 210


def test_the_solved_plan_waits_no_longer_than_its_lanes_require() -> None:
    """CP-SAT picks any passage inside the domain (travel does not depend on it); the
    plan it returns is tightened, so tightening it again finds nothing to shorten."""
    scenario = load_scenario(json.loads((DATA / "scarce.json").read_text()))
    result = solve(Instance(scenario), SolveOptions(time_limit=4.0, workers=2))
    assert_valid(scenario, result.plan)
    instance = Instance(scenario)
    solution = solution_from_operations(instance, result.plan.operations)
    again, _ = tighten(instance, solution, keep=set())
    assert solution_dwell(instance, again) == solution_dwell(instance, solution)
    assert result.dwell_minutes == validate_plan(scenario, result.plan).dwell_minutes
    assert result.plan.solver is not None
    assert (result.plan.solver.model_extra or {})["dwell_minutes"] == result.dwell_minutes
