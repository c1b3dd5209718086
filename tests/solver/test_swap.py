"""Nearer units: single-unit swaps shorten travel, never touch priority, keep plans valid."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sample_data import DATA

from app.solver.greedy import greedy_solution
from app.solver.instance import Instance
from app.solver.loader import load_scenario
from app.solver.model.plan import build_plan, solution_priority, solution_travel
from app.solver.model.swap import nearer_units
from app.solver.sample import generate, knobs_for
from app.solver.schema import Scenario

from .solve_helpers import assert_valid


def _generated() -> Scenario:
    return load_scenario(generate(knobs_for("scarce", operations=120, units=270, seed=2)))


def _small() -> Scenario:
    return load_scenario(json.loads((DATA / "small.json").read_text()))


@pytest.mark.parametrize("make", [_small, _generated])
def test_nearer_units_shorten_the_greedy_plan(make: Callable[[], Scenario]) -> None:
    scenario = make()
    instance = Instance(scenario)
    greedy = greedy_solution(instance)
    swapped = nearer_units(instance, greedy, keep=set())
    assert solution_priority(instance, swapped) == solution_priority(instance, greedy)
    assert solution_travel(swapped) < solution_travel(greedy)
    assert {k: v.start for k, v in swapped.items()} == {k: v.start for k, v in greedy.items()}
    assert_valid(scenario, build_plan(instance, swapped, {"status": "TEST"}))
    # Kept (pinned) operations are left exactly as they were.
    kept = nearer_units(instance, greedy, keep=set(greedy))
    assert kept == greedy
