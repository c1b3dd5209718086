"""Shared helpers of the scheduler tests: solve a scenario dict and check the plan."""

from __future__ import annotations

from typing import Any

from app.solver.instance import Instance
from app.solver.schema import Plan, Scenario
from app.solver.solve import SolveOptions, SolveResult, solve
from app.solver.validate import validate_plan

from .builders import make_scenario


def solve_checked(
    scenario: Scenario | dict[str, Any], time_limit: float = 5.0, **options: Any
) -> SolveResult:
    """Solve with one worker and a seed, and assert the plan is valid and complete."""
    if isinstance(scenario, dict):
        scenario = make_scenario(scenario)
    options.setdefault("workers", 1)
    result = solve(Instance(scenario), SolveOptions(time_limit=time_limit, **options))
    assert_valid(scenario, result.plan)
    return result


def assert_valid(scenario: Scenario, plan: Plan) -> None:
    """The oracle: no violation of the ten rules, every operation accounted for."""
    report = validate_plan(scenario, plan)
    assert report.valid, [str(v) for v in report.violations]
    listed = {o.id for o in plan.operations} | {u.id for u in plan.unscheduled}
    assert listed == {o.id for o in scenario.operations}
    assert plan.objective == report.objective


def scheduled(result: SolveResult) -> set[str]:
    """Ids of the scheduled operations."""
    return {o.id for o in result.plan.operations}
