"""The time limit is a promise and the greedy a floor (issue 9, items 4 and 5).

Every phase runs under the one clock `--time-limit` sets; the plan names the phases the
limit cut short. Whatever the search does, the plan is never worse than the project's
own greedy: lower priority, or equal priority and longer travel.
"""

from __future__ import annotations

import json
import time

import pytest
from sample_data import DATA

import app.solver.solve as solve_module
from app.solver.greedy import greedy_solution
from app.solver.instance import Instance
from app.solver.loader import load_scenario
from app.solver.model.plan import solution_priority, solution_travel
from app.solver.model.search import RunResult
from app.solver.sample import generate, knobs_for
from app.solver.schema import Scenario
from app.solver.solve import PHASES, SolveOptions, solve

from .solve_helpers import assert_valid


def _scarce() -> Scenario:
    return load_scenario(json.loads((DATA / "scarce.json").read_text()))


def _cut_short(result: solve_module.SolveResult) -> list[str]:
    assert result.plan.solver is not None
    return list((result.plan.solver.model_extra or {})["cut_short"])


def test_the_wall_time_stays_within_the_limit_and_the_plan_says_what_was_cut() -> None:
    scenario = _scarce()
    began = time.monotonic()
    result = solve(Instance(scenario), SolveOptions(time_limit=2.0, workers=2, started=began))
    wall = time.monotonic() - began
    assert_valid(scenario, result.plan)
    assert wall <= 2.0 + 1.0, wall
    cut = _cut_short(result)
    assert set(cut) <= set(PHASES)


def test_time_spent_before_solve_counts_against_the_limit() -> None:
    """Loading took the whole limit: the greedy places nothing and the plan says so."""
    scenario = _scarce()
    began = time.monotonic() - 5.0  # as if reading the scenario had taken five seconds
    result = solve(Instance(scenario), SolveOptions(time_limit=3.0, workers=2, started=began))
    assert_valid(scenario, result.plan)
    assert time.monotonic() - began <= 5.0 + 1.0
    assert {"load", "greedy"} <= set(_cut_short(result))
    assert result.greedy_priority == 0


def test_a_deterministic_solve_keeps_its_greedy_whole() -> None:
    """One worker: the greedy is never cut by the wall clock (plans must reproduce)."""
    scenario = _scarce()
    result = solve(Instance(scenario), SolveOptions(time_limit=0.5, workers=1))
    assert "greedy" not in _cut_short(result)
    assert result.greedy_priority == solution_priority(
        Instance(scenario), greedy_solution(Instance(scenario))
    )


def test_a_greedy_cut_at_its_share_goes_on_into_the_search_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Never below the greedy even when its share of the limit is too short: it resumes
    (here its share is nothing at all) and places what the whole greedy places."""
    monkeypatch.setattr(solve_module, "GREEDY_SHARE", 0.0)
    scenario = _scarce()
    whole = greedy_solution(Instance(scenario))
    # Asked to stop after the greedy: only the greedy's part of the solve runs.
    options = SolveOptions(time_limit=60.0, workers=2, should_stop=lambda: True)
    result = solve(Instance(scenario), options)
    assert_valid(scenario, result.plan)
    assert "greedy" not in _cut_short(result)
    assert result.greedy_priority == solution_priority(Instance(scenario), whole) > 0
    assert result.priority >= result.greedy_priority


def test_a_worse_search_result_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """CP-SAT returning an empty plan (a hint not taken up) must not replace the greedy's."""

    def nothing(model, settings):  # type: ignore[no-untyped-def]
        return RunResult("FEASIBLE", {}, 0.0, None, None)

    monkeypatch.setattr(solve_module, "run", nothing)
    monkeypatch.setattr(solve_module, "FULL_MODEL_LIMIT", 10**9)  # the whole-model path
    scenario = _scarce()
    instance = Instance(scenario)
    greedy = greedy_solution(instance)
    result = solve(Instance(scenario), SolveOptions(time_limit=2.0, workers=1))
    assert_valid(scenario, result.plan)
    assert result.priority >= solution_priority(instance, greedy)
    if result.priority == solution_priority(instance, greedy):
        assert result.travel_minutes <= solution_travel(greedy)


SHAPES = [
    ("scarce", {"operations": 30, "units": 68, "days": 3, "seed": 1}),
    ("scarce", {"operations": 40, "units": 60, "days": 3, "seed": 5, "lanes": 1}),
    ("plentiful", {"operations": 25, "units": 100, "days": 4, "seed": 3}),
    ("plentiful", {"operations": 30, "units": 60, "days": 5, "seed": 4, "scarcity": 2.5}),
]


@pytest.mark.parametrize(("shape", "knobs"), SHAPES)
def test_never_below_the_greedy_on_generated_shapes(shape: str, knobs: dict) -> None:
    scenario = load_scenario(generate(knobs_for(shape, **knobs)))
    instance = Instance(scenario)
    greedy = greedy_solution(instance)
    result = solve(Instance(scenario), SolveOptions(time_limit=3.0, workers=2))
    assert_valid(scenario, result.plan)
    assert result.plan.solver is not None and result.plan.solver.status != "FALLBACK_GREEDY"
    greedy_priority = solution_priority(instance, greedy)
    assert result.priority >= greedy_priority
    if result.priority == greedy_priority:
        assert result.travel_minutes <= solution_travel(greedy)
