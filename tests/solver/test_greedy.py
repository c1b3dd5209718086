"""The greedy planner: always valid, and the baseline the CP-SAT search starts from."""

from __future__ import annotations

import json

import pytest
from sample_data import DATA

from app.solver.greedy import greedy_solution
from app.solver.instance import Instance
from app.solver.loader import load_scenario
from app.solver.model.plan import build_plan, solution_priority
from app.solver.schema import Scenario

from .builders import make_scenario, operation, scenario_dict, site, unit
from .solve_helpers import assert_valid


def _greedy_plan(scenario: Scenario):  # noqa: ANN202 - a Plan
    instance = Instance(scenario)
    solution = greedy_solution(instance)
    return solution, build_plan(instance, solution, {"status": "GREEDY"})


def test_greedy_plans_the_builder_world_validly() -> None:
    scenario = make_scenario()
    solution, plan = _greedy_plan(scenario)
    assert_valid(scenario, plan)
    assert set(solution) == {"OP-1", "OP-2"}


@pytest.mark.parametrize("name", ["tiny", "small", "scarce"])
def test_greedy_is_valid_on_samples(name: str) -> None:
    path = DATA / f"{name}.json"
    scenario = load_scenario(json.loads(path.read_text()))
    solution, plan = _greedy_plan(scenario)
    assert_valid(scenario, plan)
    assert solution_priority(Instance(scenario), solution) > 0


def test_greedy_prefers_higher_priority_when_units_are_scarce() -> None:
    doc = scenario_dict()
    doc["units"] = [unit("U-1")]
    at_ten = "2026-12-01T10:00:00Z"
    doc["operations"] = [
        operation("OP-LOW", sites=[site("S-L", "TH-CRI")], priority=1, fixed_start=at_ten),
        operation("OP-HIGH", sites=[site("S-H", "TH-CRI")], priority=5, fixed_start=at_ten),
    ]
    scenario = make_scenario(doc)
    solution, plan = _greedy_plan(scenario)
    assert_valid(scenario, plan)
    assert set(solution) == {"OP-HIGH"}


def test_greedy_brings_a_host_nation_unit_even_when_farther() -> None:
    doc = scenario_dict()
    doc["units"] = [
        unit("U-TH1", base="TH-MSI"),
        unit("U-MM2", agency="MM-MPF", base="MM-KTG"),
    ]
    doc["operations"] = [operation("OP-H", sites=[site("S-H", "MM-TAC")], foreign_support=True)]
    scenario = make_scenario(doc)
    solution, plan = _greedy_plan(scenario)
    assert_valid(scenario, plan)
    assert [b.unit for b in solution["OP-H"].bookings] == ["U-MM2"]


def test_greedy_staggers_passages_on_a_one_lane_crossing() -> None:
    doc = scenario_dict()
    doc["units"] = [unit("U-TH1"), unit("U-TH3"), unit("U-MM1", agency="MM-MPF", base="MM-TAC")]
    doc["operations"] = [
        operation(
            "OP-L",
            sites=[site("S-L", "MM-TAC", {"tactical": 3})],
            foreign_support=True,
            earliest_start="2026-12-02T03:00:00Z",
            latest_end="2026-12-02T08:00:00Z",
        )
    ]
    scenario = make_scenario(doc)
    solution, plan = _greedy_plan(scenario)
    assert_valid(scenario, plan)
    outs = sorted(b.cross_out for b in solution["OP-L"].bookings if b.cross_out is not None)
    assert len(outs) == 2 and outs[1] - outs[0] >= 30
