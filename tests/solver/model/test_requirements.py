"""Family app/solver/model/requirements.py: requirement counts (rule 3), a unit once per
operation (rule 3), headcount (rule 4) and host-nation presence (rule 5)."""

from __future__ import annotations

from ortools.sat.python import cp_model

from app.solver.instance import Instance
from app.solver.model import requirements
from app.solver.model.candidates import site_candidates

from ..builders import add_units, assignment, make_scenario, scenario_dict, unit, valid_plan_dict
from .fixing import FEASIBLE, INFEASIBLE, find_assignment, find_operation, verdict

# U-TH1's round trip to S-1 through the crossing, for a unit standing in for it.
CROSSING_TRIP = {
    "crossing": "X-MSI-TAC",
    "cross_out": "2026-12-02T02:00:00Z",
    "cross_back": "2026-12-02T05:00:00Z",
}


def test_an_extra_unit_at_a_site_is_rejected() -> None:
    doc = add_units(scenario_dict(), unit("U-TH3", capabilities=["investigation"], personnel=5))
    assert verdict(doc, valid_plan_dict()) == (FEASIBLE, set())
    plan = valid_plan_dict()
    find_operation(plan, "OP-1")["assignments"].append(
        assignment("S-2", "U-TH3", "investigation", "2026-12-02T02:00:00Z", "2026-12-02T06:00:00Z")
    )
    assert verdict(doc, plan) == (INFEASIBLE, {3})


def test_a_missing_unit_at_a_site_is_rejected() -> None:
    doc = scenario_dict()
    del doc["operations"][0]["sites"][0]["min_personnel"]  # U-MM1 alone is enough people
    plan = valid_plan_dict()
    s1 = find_operation(plan, "OP-1")
    s1["assignments"] = [a for a in s1["assignments"] if a["unit"] != "U-TH1"]
    assert verdict(doc, plan) == (INFEASIBLE, {3})


def _one_site_needing_both() -> dict:
    """OP-1's S-2 needs an investigator and a tactical unit; U-MM2 at MM-KTG has both."""
    doc = scenario_dict()
    doc["operations"][0]["sites"][1] = {
        "id": "S-2",
        "region": "MM-KTG",
        "requirements": [
            {"capability": "investigation", "count": 1},
            {"capability": "tactical", "count": 1},
        ],
    }
    return doc


def _u_mm2_fills(plan: dict, capabilities: list[str]) -> dict:
    op1 = find_operation(plan, "OP-1")
    op1["assignments"] = [a for a in op1["assignments"] if a["site"] != "S-2"] + [
        assignment("S-2", "U-MM2", c, "2026-12-02T03:00:00Z", "2026-12-02T05:00:00Z")
        for c in capabilities
    ]
    return plan


def test_a_unit_fills_one_requirement_per_operation() -> None:
    doc = add_units(
        _one_site_needing_both(), unit("U-MM3", agency="MM-MPF", base="MM-KTG", personnel=4)
    )
    plan = _u_mm2_fills(valid_plan_dict(), ["investigation"])
    find_operation(plan, "OP-1")["assignments"].append(
        assignment("S-2", "U-MM3", "tactical", "2026-12-02T03:00:00Z", "2026-12-02T05:00:00Z")
    )
    assert verdict(doc, plan) == (FEASIBLE, set())
    twice = _u_mm2_fills(valid_plan_dict(), ["investigation", "tactical"])
    # Two assignments of one unit are also two round trips at once (rule 10).
    assert verdict(doc, twice) == (INFEASIBLE, {3, 10})


def test_the_unit_once_constraint_alone_forbids_two_fills_of_one_unit() -> None:
    # In the whole model, two fills of one unit also need two overlapping trips, which
    # the unit no-overlap (rule 10) forbids as well: this checks the family's own rule.
    scenario = make_scenario(_one_site_needing_both())
    instance = Instance(scenario)
    operation = scenario.operations[0]
    candidates = site_candidates(instance, operation, operation.sites[1])
    for both in (False, True):
        model = cp_model.CpModel()
        fills = requirements.add_fill_vars(model, candidates)
        requirements.add_unit_once(model, fills)
        model.add(fills[("U-MM2", "S-2", "investigation")] == 1)
        model.add(fills[("U-MM2", "S-2", "tactical")] == int(both))
        solver = cp_model.CpSolver()
        status = solver.solve(model)
        assert (status == cp_model.INFEASIBLE) == both, solver.status_name(status)


def test_headcount_below_min_personnel_is_rejected() -> None:
    # U-TH4 stands in for U-TH1 at S-1: 12 + 2 personnel, S-1 needs 15.
    for personnel, expected in ((3, (FEASIBLE, set())), (2, (INFEASIBLE, {4}))):
        doc = add_units(scenario_dict(), unit("U-TH4", personnel=personnel))
        plan = valid_plan_dict()
        find_assignment(plan, "OP-1", "U-TH1")["unit"] = "U-TH4"
        assert verdict(doc, plan) == expected


def test_a_site_without_a_host_nation_unit_is_rejected() -> None:
    # U-TH4 stands in for U-MM1 at S-1 (both Thai units cross, one after the other).
    doc = add_units(scenario_dict(), unit("U-TH4", personnel=10))
    plan = valid_plan_dict()
    stand_in = find_assignment(plan, "OP-1", "U-MM1")
    stand_in.update(
        unit="U-TH4",
        depart="2026-12-02T01:30:00Z",
        **{"return": "2026-12-02T07:00:00Z"},
        **CROSSING_TRIP,
    )
    stand_in.update(cross_out="2026-12-02T02:30:00Z", cross_back="2026-12-02T05:30:00Z")
    assert verdict(doc, plan) == (INFEASIBLE, {5})
    doc["units"][-1]["agency"] = "MM-MPF"  # the same unit, of Myanmar: a host-nation unit
    doc["units"][-1]["base"] = "MM-TAC"
    assert verdict(doc, valid_plan_dict()) == (FEASIBLE, set())
