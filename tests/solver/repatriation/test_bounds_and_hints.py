"""The LP bound of the repatriation model never exceeds what a plan achieves, the
day-by-day heuristic makes valid plans that pack trips better than the first-come
greedy, and the staged solve survives stages whose search finds nothing."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from app.solver.repatriation import model as model_module
from app.solver.repatriation.assemble import assemble
from app.solver.repatriation.daily import daily_values
from app.solver.repatriation.greedy import greedy_loads, solve_greedy
from app.solver.repatriation.load import load_problem
from app.solver.repatriation.model import RepatriationModel, solve_model
from app.solver.repatriation.network import Network
from app.solver.repatriation.relax import relax
from app.solver.repatriation.sample import generate
from app.solver.repatriation.schema import Problem, RepatriationPlan
from app.solver.repatriation.validate import validate

from .builders import problem_dict

LEVELS = ("left", "vulnerable_person_days", "person_days", "trips")


def _key(plan: RepatriationPlan) -> tuple[int, ...]:
    o = plan.objective
    assert o is not None
    return (o.vulnerable_left, o.persons_left, o.vulnerable_person_days, o.person_days)


def _optimum(problem: Problem, level: str) -> tuple[int, int]:
    """CP-SAT's proven optimum of one level on a fresh model, and its LP bound."""
    model = RepatriationModel(Network(problem))
    model.m.minimize(model.levels[level])
    relaxation = relax(model.m)
    assert relaxation is not None
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 20
    assert solver.solve(model.m) == cp_model.OPTIMAL
    return int(solver.objective_value), relaxation.bound


def _day_by_day(problem: Problem) -> RepatriationPlan:
    network = Network(problem)
    model = RepatriationModel(network)
    solved = daily_values(model, {}, budget=10)
    assert solved is not None
    values = {model.x[k].index: n for k, n in solved[0].items()}
    values.update({model.t[k].index: n for k, n in solved[1].items()})
    return assemble(network, model.loads(lambda var: values.get(var.index, 0)), {})


def _packing() -> dict[str, Any]:
    """3 persons at S1 and 6 at S2, one unit of 6 and one of 3, both based at S1: the
    first-come greedy gives the first cohort the largest unit and leaves 3 persons for
    the next day; packed right, everyone goes on day 1."""
    point = problem_dict()["points"][0]
    return problem_dict(
        sites=[{"id": "S1", "name": "Site 1"}, {"id": "S2", "name": "Site 2"}],
        points=[{**point, "capacity": 100}],
        roads=[
            {"a": "S1", "b": "P1", "minutes": 60},
            {"a": "S2", "b": "P1", "minutes": 60},
            {"a": "S1", "b": "S2", "minutes": 30},
        ],
        cohorts=[
            {"id": "C1", "nationality": "CN", "count": 3, "site": "S1", "release": "2026-12-01"},
            {"id": "C2", "nationality": "CN", "count": 6, "site": "S2", "release": "2026-12-01"},
        ],
        escorts=[
            {"id": "E1", "base": "S1", "persons_per_trip": 6},
            {"id": "E2", "base": "S1", "persons_per_trip": 3},
        ],
    )


def test_lp_bound_is_exact_where_capacity_alone_binds() -> None:
    """15 persons, one unit of 6 a day: 6 + 6 + 3 over three days, 6x1 + 3x2 = 12."""
    problem = load_problem(
        problem_dict(
            cohorts=[
                {
                    "id": "C1",
                    "nationality": "CN",
                    "count": 15,
                    "site": "S1",
                    "release": "2026-12-01",
                }
            ]
        )
    )
    assert _optimum(problem, "person_days") == (12, 12)
    plan, stages = solve_model(problem, time_limit=2, workers=1)
    assert validate(problem, plan).valid
    person_days = next(s for s in stages if s.name == "person_days")
    assert (person_days.value, person_days.bound, person_days.optimal) == (12, 12, True)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    persons=st.integers(5, 150),
    cohorts=st.integers(1, 5),
    points=st.integers(1, 3),
    escorts=st.integers(1, 5),
    days=st.integers(1, 5),
    seed=st.integers(0, 10_000),
)
def test_lp_bound_never_exceeds_the_optimum_or_a_plan(
    persons: int, cohorts: int, points: int, escorts: int, days: int, seed: int
) -> None:
    """A wrong bound (a relaxation that cuts off integer plans, a bad rounding) shows as a
    bound above a proven optimum, above the greedy's value, or above a stage's value."""
    problem = load_problem(
        generate(persons, min(cohorts, persons), 2, points, escorts, days, sites=2, seed=seed)
    )
    optimum, bound = _optimum(problem, "person_days")
    assert bound <= optimum
    greedy = solve_greedy(problem)
    assert greedy.objective is not None
    assert bound <= greedy.objective.person_days
    plan, stages = solve_model(problem, time_limit=1, workers=1, seed=seed)
    assert validate(problem, plan).valid
    assert [s.name for s in stages] == list(LEVELS)
    for stage in stages:
        assert stage.bound <= stage.value, stage


def test_day_by_day_packs_trips_the_greedy_wastes() -> None:
    problem = load_problem(_packing())
    greedy = solve_greedy(problem)
    assert greedy.objective is not None and greedy.objective.person_days == 3
    plan = _day_by_day(problem)
    report = validate(problem, plan)
    assert report.valid, report.violations
    assert plan.objective is not None and plan.objective.person_days == 0


def test_day_by_day_keeps_pins_and_is_valid() -> None:
    pin = {"cohort": "C2", "point": "P1", "day": "2026-12-02", "persons": 2, "escort": "E2"}
    problem = load_problem(_packing() | {"pinned": [pin]})
    plan = _day_by_day(problem)
    report = validate(problem, plan)
    assert report.valid, report.violations
    kept = sum(
        b.persons
        for b in plan.batches
        if (b.cohort, b.day.isoformat(), b.escort) == ("C2", "2026-12-02", "E2")
    )
    assert kept >= 2


@pytest.mark.parametrize("seed", [1, 7])
def test_day_by_day_plan_of_a_generated_problem_is_valid(seed: int) -> None:
    problem = load_problem(generate(600, 8, 3, 3, 8, 6, sites=3, seed=seed))
    plan = _day_by_day(problem)
    report = validate(problem, plan)
    assert report.valid, report.violations
    greedy = assemble(Network(problem), greedy_loads(Network(problem)), {})
    assert plan.objective is not None and greedy.objective is not None
    # Each day hands over the most persons it can, so nobody is left that the greedy
    # hands over.
    assert plan.objective.persons_left <= greedy.objective.persons_left


def test_stages_that_find_nothing_keep_the_hint_and_the_later_stages_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Presolve alone can outlast a short stage on a busy machine: the plan is then the
    hint's, still valid, and every stage is still reported (not only the first)."""
    problem = load_problem(generate(200, 4, 2, 2, 6, 4, sites=2, seed=3))
    monkeypatch.setattr(
        model_module.cp_model.CpSolver, "solve", lambda self, m, *a: cp_model.UNKNOWN
    )
    plan, stages = solve_model(problem, time_limit=1, workers=1)
    assert validate(problem, plan).valid
    assert [s.name for s in stages] == list(LEVELS)
    greedy = solve_greedy(problem)
    assert plan.objective is not None and greedy.objective is not None
    assert _key(plan) <= _key(greedy)
    assert plan.solver["first_hint"] in {"greedy", "greedy, vulnerable first"}


def test_day_by_day_uses_the_fewest_trips_for_its_persons() -> None:
    """6 persons and units of 3, 3 and 6: one trip of the 6 does it."""
    problem = load_problem(
        problem_dict(
            cohorts=[
                {"id": "C1", "nationality": "CN", "count": 6, "site": "S1", "release": "2026-12-01"}
            ],
            escorts=[
                {"id": "E1", "base": "S1", "persons_per_trip": 3},
                {"id": "E2", "base": "S1", "persons_per_trip": 3},
                {"id": "E3", "base": "S1", "persons_per_trip": 6},
            ],
        )
    )
    plan = _day_by_day(problem)
    assert validate(problem, plan).valid
    assert plan.objective is not None
    assert (plan.objective.person_days, plan.objective.trips) == (0, 1)


def test_day_by_day_stops_when_cancelled() -> None:
    """A cancel during the heuristic leaves the greedy as the hint, and the plan valid."""
    problem = load_problem(_packing())
    model = RepatriationModel(Network(problem))
    assert daily_values(model, {}, budget=10, should_stop=lambda: True) is None
    plan, _ = solve_model(problem, time_limit=2, workers=1, should_stop=lambda: True)
    assert validate(problem, plan).valid
    assert plan.solver["stopped"] is True
