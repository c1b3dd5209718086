"""The search clock: wall time, or deterministic accounting that makes limits reproducible."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from ortools.sat.python import cp_model
from sample_data import SMALL

from app.solver import solve as solve_module
from app.solver.instance import Instance
from app.solver.loader import load_scenario
from app.solver.model import clock as clock_module
from app.solver.model import lns
from app.solver.model.clock import SearchClock
from app.solver.solve import SolveOptions, solve

from .solve_helpers import assert_not_fallback, assert_valid


def _small_search() -> tuple[cp_model.CpModel, cp_model.CpSolver]:
    model = cp_model.CpModel()
    xs = [model.new_bool_var(f"x{i}") for i in range(30)]
    model.add(sum((i % 7 + 3) * x for i, x in enumerate(xs)) <= 40)
    model.maximize(sum((i % 5 + 1) * x for i, x in enumerate(xs)))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 5.0
    solver.solve(model)
    return model, solver


def test_the_wall_clock_reads_monotonic_time() -> None:
    clock = SearchClock()
    assert clock.describe() == "wall"
    assert abs(clock.now() - time.monotonic()) < 1.0
    model, solver = _small_search()
    before = clock.now()
    clock.charge(solver, model)  # nothing to count on the wall clock
    assert clock.now() - before < 1.0


def test_the_deterministic_clock_moves_only_by_what_runs_cost() -> None:
    clock = SearchClock(deterministic=True, time_limit=5)
    assert clock.now() == 0.0
    time.sleep(0.05)
    assert clock.now() == 0.0, "wall time must not move a deterministic clock"
    model, solver = _small_search()
    elements = len(model.proto.variables) + len(model.proto.constraints)
    searched = solver.deterministic_time / clock_module.UNITS_PER_SECOND
    expected = max(
        clock_module.MIN_RUN_SECONDS, searched + elements * clock_module.SECONDS_PER_ELEMENT
    )
    clock.charge(solver, model)
    assert clock.now() == pytest.approx(expected)
    assert clock.now() > 0


def test_a_run_that_never_started_still_costs_the_minimum() -> None:
    clock = SearchClock(deterministic=True, time_limit=5)
    clock.charge(cp_model.CpSolver(), cp_model.CpModel())  # no response to read
    assert clock.now() == clock_module.MIN_RUN_SECONDS


def test_deterministic_limits_are_deterministic_time_under_a_wall_cap() -> None:
    clock = SearchClock(deterministic=True, time_limit=20)
    parameters = cp_model.CpSolver().parameters
    clock.limit(parameters, 2.0)
    assert parameters.max_deterministic_time == pytest.approx(2.0 * clock_module.UNITS_PER_SECOND)
    # The wall cap is the whole solve's safety stop, not this run's share of the limit.
    safety = clock_module.WALL_SAFETY_FACTOR * 20 + clock_module.WALL_SAFETY_MARGIN_SECONDS
    assert 2.0 < parameters.max_time_in_seconds <= safety


def test_wall_limits_are_plain_seconds_never_zero() -> None:
    parameters = cp_model.CpSolver().parameters
    SearchClock().limit(parameters, -3.0)
    assert parameters.max_time_in_seconds == clock_module.MIN_LIMIT_SECONDS


class _FakeTime:
    def __init__(self) -> None:
        self.value = 1000.0

    def monotonic(self) -> float:
        return self.value


def test_the_wall_safety_stop_ends_every_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _FakeTime()
    monkeypatch.setattr(clock_module, "time", fake)
    limit = 10.0
    clock = SearchClock(deterministic=True, time_limit=limit)
    deadline = clock.now() + limit
    fake.value += (
        clock_module.WALL_SAFETY_FACTOR * limit + clock_module.WALL_SAFETY_MARGIN_SECONDS - 1
    )
    assert clock.now() < deadline and not clock.wall_safety_hit()
    assert clock.describe() == "deterministic"
    fake.value += 2
    assert clock.now() >= deadline and clock.wall_safety_hit()
    # The plan says so: it is valid, but another run may not reproduce it.
    assert clock.describe() == "deterministic, ended by the wall-clock safety stop"


def _solve_small_by_lns(monkeypatch: pytest.MonkeyPatch, *, slow: bool) -> tuple[str, bool]:
    """The small sample through LNS with one worker; its plan and whether a limit ended it."""
    scenario = load_scenario(SMALL)
    monkeypatch.setattr(solve_module, "FULL_MODEL_LIMIT", 0)  # LNS even on a small model
    # Far away: this test is about the deterministic clock, not about the safety stop.
    monkeypatch.setattr(clock_module, "WALL_SAFETY_MARGIN_SECONDS", 600.0)
    stopped_by_limit = []
    over = lns._over

    def recording_over(deadline: float, run_settings: Any) -> bool:
        answer = over(deadline, run_settings)
        stopped_by_limit.append(answer)
        return answer

    monkeypatch.setattr(lns, "_over", recording_over)
    build = lns.build_model

    def slow_build(*args: Any) -> Any:
        time.sleep(0.05)  # a machine three times as loaded, for every step
        return build(*args)

    monkeypatch.setattr(lns, "build_model", slow_build if slow else build)
    options = SolveOptions(time_limit=3, workers=1, seed=5, include_timing=False)
    result = solve(Instance(scenario), options)
    assert_valid(scenario, result.plan)
    assert_not_fallback(result)
    return json.dumps(result.plan.to_json_dict(), sort_keys=True), any(stopped_by_limit)


def test_a_search_ended_by_its_limit_is_reproducible_however_slow_the_machine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    quick, quick_limited = _solve_small_by_lns(monkeypatch, slow=False)
    slow, slow_limited = _solve_small_by_lns(monkeypatch, slow=True)
    assert quick_limited and slow_limited, "the searches must end by their limit"
    assert quick == slow
