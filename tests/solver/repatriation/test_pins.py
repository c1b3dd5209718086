"""Pinned batches: a published batch the planner pinned is kept by the next solve (both
solvers), the validator catches a plan that drops it, and the loader refuses pins no plan
can keep, each with its path."""

from __future__ import annotations

from typing import Any

import pytest

from app.solver.loader import DocumentError
from app.solver.repatriation.greedy import solve_greedy
from app.solver.repatriation.load import load_problem, load_repatriation_plan
from app.solver.repatriation.model import solve_model
from app.solver.repatriation.validate import validate

from .builders import problem_dict, valid_plan_dict


def _two_points(**changes: Any) -> dict[str, Any]:
    """Two crossings an hour away, 6 a day each, two units of 6; 12 CN persons released
    on day 1: unpinned, both solvers hand everyone over on day 1 (P1 and P2)."""
    point = problem_dict()["points"][0]
    doc = problem_dict(
        points=[{**point, "capacity": 6}, {**point, "id": "P2", "name": "Crossing 2",
                                           "capacity": 6}],
        roads=[{"a": "S1", "b": "P1", "minutes": 60}, {"a": "S1", "b": "P2", "minutes": 60}],
        cohorts=[{"id": "C1", "nationality": "CN", "count": 12, "site": "S1",
                  "release": "2026-12-01"}],
        escorts=[{"id": "E1", "base": "S1", "persons_per_trip": 6},
                 {"id": "E2", "base": "S1", "persons_per_trip": 6}],
    )
    doc.update(changes)
    return doc


PIN = {"cohort": "C1", "point": "P2", "day": "2026-12-02", "persons": 4, "escort": "E2"}


def _kept(plan: Any, pin: dict[str, Any]) -> int:
    return sum(b.persons for b in plan.batches
               if (b.cohort, b.point, b.day.isoformat(), b.escort)
               == (pin["cohort"], pin["point"], pin["day"], pin["escort"]))


@pytest.mark.parametrize("solver", ["greedy", "model"])
def test_a_pinned_batch_is_kept_where_the_solver_would_not_put_it(solver: str) -> None:
    problem = load_problem(_two_points(pinned=[PIN]))
    plan = (solve_greedy(problem) if solver == "greedy"
            else solve_model(problem, time_limit=2, workers=1)[0])
    report = validate(problem, plan)
    assert report.valid, report.violations
    assert _kept(plan, PIN) >= 4
    # Everyone else still goes: nobody is left behind because of the pin.
    assert plan.left == []
    assert {(t.unit, t.day.isoformat(), t.point) for t in plan.taskings} >= {
        ("E2", "2026-12-02", "P2")}
    if solver == "model":
        # Day 2 for 4 persons is the pin's price: 4 person-days, the rest on day 1.
        assert plan.objective is not None and plan.objective.person_days == 4


def test_without_the_pin_the_batch_is_not_there() -> None:
    # The pin is what keeps it: the same problem solves everything on day 1 otherwise.
    problem = load_problem(_two_points())
    plan, _ = solve_model(problem, time_limit=2, workers=1)
    assert _kept(plan, PIN) == 0 and plan.objective is not None
    assert plan.objective.person_days == 0


def test_pins_on_one_unit_share_its_trip_and_fill_it() -> None:
    pins = [PIN, {**PIN, "persons": 2}]
    problem = load_problem(_two_points(pinned=pins))
    plan, _ = solve_model(problem, time_limit=2, workers=1)
    assert validate(problem, plan).valid
    assert _kept(plan, PIN) == 6


def test_the_validator_catches_a_plan_that_drops_a_pin() -> None:
    pin = {"cohort": "C1", "point": "P1", "day": "2026-12-02", "persons": 3, "escort": "E1"}
    problem = load_problem(problem_dict(pinned=[pin]))
    plan = load_repatriation_plan(valid_plan_dict())  # everyone on day 1
    report = validate(problem, plan)
    assert report.violations == [
        "pinned[0]: 3 persons of C1 pinned to P1 on 2026-12-02 with E1, the plan hands over "
        "0 so"]


@pytest.mark.parametrize(("pin", "path", "message"), [
    ({"cohort": "C9"}, "pinned[0].cohort", "unknown cohort 'C9'"),
    ({"point": "P9"}, "pinned[0].point", "unknown hand-over point 'P9'"),
    ({"escort": "E9"}, "pinned[0].escort", "unknown escort unit 'E9'"),
    ({"day": "2026-12-09"}, "pinned[0].day", "outside the horizon"),
    ({"persons": 7}, "pinned[0].persons", "over its 6 a trip"),
    ({"persons": 13}, "pinned[0].persons", "over its 12"),
])
def test_the_loader_refuses_a_pin_no_plan_can_keep(pin: dict[str, Any], path: str,
                                                    message: str) -> None:
    with pytest.raises(DocumentError) as caught:
        load_problem(_two_points(pinned=[{**PIN, **pin}]))
    assert any(p.path == path and message in p.message for p in caught.value.problems), [
        (p.path, p.message) for p in caught.value.problems]


def test_the_loader_refuses_pins_that_break_the_rules_together() -> None:
    late = _two_points(pinned=[{**PIN, "day": "2026-12-01"}])
    late["cohorts"][0]["release"] = "2026-12-02"
    two_trips = _two_points(pinned=[PIN, {**PIN, "point": "P1", "persons": 1}])
    far = _two_points(pinned=[PIN], roads=[{"a": "S1", "b": "P1", "minutes": 60},
                                           {"a": "S1", "b": "P2", "minutes": 600}])
    for doc, message in ((late, "before the cohort's release"),
                         (two_trips, "pinned to two trips"),
                         (far, "within screening hours and its duty")):
        with pytest.raises(DocumentError) as caught:
            load_problem(doc)
        assert any(message in p.message for p in caught.value.problems), caught.value.problems
