"""The best plan so far handed to the caller during a solve (SolveOptions.on_best_plan):
what the worker stores so that a killed solve leaves a plan behind."""

from __future__ import annotations

from sample_data import SMALL

from app.solver.instance import Instance
from app.solver.loader import load_scenario
from app.solver.schema import Plan
from app.solver.solve import BEST_SO_FAR, SolveOptions, solve
from app.solver.validate import validate_plan


def test_the_best_plan_so_far_is_handed_over_valid_and_throttled() -> None:
    scenario = load_scenario(SMALL.read_bytes())
    handed: list[Plan] = []
    options = SolveOptions(time_limit=6, workers=1, seed=1, on_best_plan=handed.append,
                           best_plan_seconds=3600)
    result = solve(Instance(scenario), options)
    # Throttled to one an hour: only the first plan (the greedy's) is handed over.
    assert len(handed) == 1
    first = handed[0]
    assert first.solver is not None and first.solver.status == BEST_SO_FAR
    assert validate_plan(scenario, first).valid
    assert first.objective is not None
    assert result.priority >= first.objective.priority

    unthrottled: list[Plan] = []
    solve(Instance(scenario), SolveOptions(time_limit=6, workers=1, seed=1,
                                           on_best_plan=unthrottled.append,
                                           best_plan_seconds=0))
    assert len(unthrottled) > 1
    assert all(validate_plan(scenario, plan).valid for plan in unthrottled)
    priorities = [plan.objective.priority for plan in unthrottled if plan.objective]
    assert priorities == sorted(priorities)  # never handed a worse one
