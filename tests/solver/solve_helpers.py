"""Shared helpers of the scheduler tests: solve a scenario dict and check the plan.

Every test that solves asserts the plan did not come from the greedy fallback: when the
search's plan breaks a rule, `solve` silently returns the greedy plan instead (status
`FALLBACK_GREEDY`), which is valid, so a test that only validates the plan would pass with
a constraint missing from the model. `assert_not_fallback` takes a `SolveResult`, a `Plan`
or a plan's JSON dict (CLI files, stored plan documents). From outside tests/solver:
`from solver.solve_helpers import assert_not_fallback`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.solver.instance import Instance
from app.solver.schema import Plan, Scenario
from app.solver.solve import SolveOptions, SolveResult, solve
from app.solver.validate import validate_plan

from .builders import make_scenario

# The status `solve` gives a plan it replaced by the greedy one (app/solver/solve.py).
FALLBACK_GREEDY = "FALLBACK_GREEDY"


def solve_checked(
    scenario: Scenario | dict[str, Any],
    time_limit: float = 5.0,
    *,
    allow_fallback: bool = False,
    **options: Any,
) -> SolveResult:
    """Solve with one worker and a seed; assert the plan is valid, complete, and the search's.

    `allow_fallback` is for the one test that makes the search's plan invalid on purpose.
    """
    if isinstance(scenario, dict):
        scenario = make_scenario(scenario)
    options.setdefault("workers", 1)
    result = solve(Instance(scenario), SolveOptions(time_limit=time_limit, **options))
    assert_valid(scenario, result.plan)
    if not allow_fallback:
        assert_not_fallback(result)
    return result


def plan_status(result: SolveResult | Plan | Mapping[str, Any]) -> str | None:
    """The solver status recorded with a result, a plan, or a plan's JSON dict."""
    if isinstance(result, SolveResult):
        return result.status
    if isinstance(result, Plan):
        return None if result.solver is None else result.solver.status
    solver = result.get("solver") or {}
    return solver.get("status")


def assert_not_fallback(result: SolveResult | Plan | Mapping[str, Any]) -> None:
    """The plan is the search's own: it was not replaced by the greedy plan.

    A fallback means the CP-SAT model accepted a plan the validator rejects: a constraint
    is missing or wrong in app/solver/model/. The plan's status must be there to read.
    """
    status = plan_status(result)
    assert status is not None, "the plan records no solver status"
    assert status != FALLBACK_GREEDY, (
        "the search's plan broke a rule and was replaced by the greedy plan "
        "(FALLBACK_GREEDY): a constraint is missing from the model"
    )


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
