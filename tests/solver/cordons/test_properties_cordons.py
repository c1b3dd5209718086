"""Property tests: random small scenarios with cordons always give valid plans, from the
search itself (never the greedy fallback), and the greedy's own plans are valid too."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.solver.greedy import greedy_solution
from app.solver.instance import Instance
from app.solver.model.plan import build_plan
from app.solver.schema import Scenario
from app.solver.validate import validate_plan

from ..builders import make_scenario, scenario_dict, unit
from ..solve_helpers import solve_checked
from ..test_properties import AGENCY, REGIONS, operations_strategy, units_strategy


@st.composite
def cordon_scenarios(draw: Any) -> Scenario:
    """The two-country world with random units, operations, border units and cordons."""
    doc = scenario_dict()
    crossing = doc["crossings"][0]
    crossing["lanes"] = draw(st.integers(1, 2))
    opens = draw(st.integers(0, 12))
    crossing["open"] = [
        {"from": f"{opens:02d}:00", "to": f"{opens + draw(st.integers(2, 12)):02d}:00"}
    ]
    doc["units"] = draw(units_strategy(["TH", "MM"]))
    for country in ("TH", "MM"):
        for index in range(draw(st.integers(0, 3))):
            doc["units"].append(
                unit(
                    f"U-B{country}{index}",
                    agency=AGENCY[country],
                    capabilities=["border_patrol"],
                    base=draw(st.sampled_from(REGIONS[country])),
                )
            )
    doc["operations"] = draw(operations_strategy(["TH", "MM"], 15))
    for op in doc["operations"]:
        if draw(st.booleans()):
            op["cordon"] = {
                "crossings": ["X-MSI-TAC"],
                "lead_minutes": draw(st.sampled_from([0, 30, 60, 120])),
                "tail_minutes": draw(st.sampled_from([0, 30, 60])),
                "units_per_side": draw(st.sampled_from([1, 1, 2])),
                "allow_own_passages": draw(st.booleans()),
            }
    return make_scenario(doc)


CORDONS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@CORDONS
@given(cordon_scenarios())
def test_random_cordon_scenarios_give_valid_plans_from_the_search(scenario: Scenario) -> None:
    solve_checked(scenario, time_limit=2)  # valid, complete, and not FALLBACK_GREEDY


@CORDONS
@given(cordon_scenarios())
def test_the_greedy_plan_with_cordons_is_valid(scenario: Scenario) -> None:
    instance = Instance(scenario)
    plan = build_plan(instance, greedy_solution(instance), {"status": "GREEDY"}, reasons={})
    report = validate_plan(scenario, plan)
    assert report.valid, [str(v) for v in report.violations]
