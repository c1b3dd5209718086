"""Family app/solver/model/travel.py (rules 7, 8, and 2 for units): round trips.

A border trip's passages lie inside the crossing's open hours (their domains), reach the
site by H-hour and leave it only after the end (the travel inequalities); a unit that
fills a requirement takes exactly one trip there.
"""

from __future__ import annotations

from app.solver.instance import Instance
from app.solver.model.builder import SubProblem, build_model

from ..builders import make_scenario, scenario_dict, valid_plan_dict
from .fixing import FEASIBLE, INFEASIBLE, find_assignment, fix_decisions, solve_fixed, verdict


def test_a_passage_while_the_crossing_is_closed_is_rejected() -> None:
    # Open 06:00-22:00 Bangkok (23:00Z-15:00Z): crossing at 22:30Z means 05:30 local.
    plan = valid_plan_dict()
    trip = find_assignment(plan, "OP-1", "U-TH1")
    trip.update(depart="2026-12-01T21:30:00Z", cross_out="2026-12-01T22:30:00Z")
    assert verdict(scenario_dict(), plan) == (INFEASIBLE, {8})
    trip.update(depart="2026-12-01T22:00:00Z", cross_out="2026-12-01T23:00:00Z")  # 06:00
    assert verdict(scenario_dict(), plan) == (FEASIBLE, set())


def test_a_passage_back_after_closing_time_is_rejected() -> None:
    doc = scenario_dict()
    doc["crossings"][0]["open"] = [{"from": "06:00", "to": "12:00"}]  # 23:00Z-05:00Z
    assert verdict(doc, valid_plan_dict()) == (INFEASIBLE, {8})  # back 05:00Z-05:30Z
    doc["crossings"][0]["open"] = [{"from": "06:00", "to": "12:30"}]
    assert verdict(doc, valid_plan_dict()) == (FEASIBLE, set())


def test_a_unit_arriving_after_h_hour_is_rejected() -> None:
    # Every site strikes at the one start: U-TH1 crossing at 02:45Z reaches S-1 at 03:15Z.
    plan = valid_plan_dict()
    find_assignment(plan, "OP-1", "U-TH1").update(
        depart="2026-12-02T01:45:00Z", cross_out="2026-12-02T02:45:00Z"
    )
    assert verdict(scenario_dict(), plan) == (INFEASIBLE, {8})


def test_a_unit_leaving_before_the_end_is_rejected() -> None:
    plan = valid_plan_dict()
    find_assignment(plan, "OP-1", "U-TH1").update(
        cross_back="2026-12-02T04:30:00Z", **{"return": "2026-12-02T06:00:00Z"}
    )
    assert verdict(scenario_dict(), plan) == (INFEASIBLE, {8})


def test_a_foreign_unit_without_a_crossing_is_rejected() -> None:
    plan = valid_plan_dict()
    trip = find_assignment(plan, "OP-1", "U-TH1")
    for key in ("crossing", "cross_out", "cross_back"):
        del trip[key]
    result = verdict(scenario_dict(), plan)
    assert result == (INFEASIBLE, {8})
    assert result.unfixable == ("trip ('U-TH1', 'S-1', None)",)


def test_a_unit_filling_a_requirement_takes_a_trip_there() -> None:
    # The plan format always has the trip; the model links fills and trips itself.
    instance = Instance(make_scenario())
    for trip_allowed in (True, False):
        model = build_model(SubProblem(instance, instance.scenario.operations))
        fix_decisions(model, instance, valid_plan_dict(), free_trips=frozenset({U_TH2_AT_S2}))
        if not trip_allowed:  # U-TH2 fills S-2 and never goes there
            for trip in model.trips:
                if (trip.candidate.unit, trip.candidate.site) == U_TH2_AT_S2:
                    model.model.add(trip.is_chosen == 0)
        assert solve_fixed(model)[0] == (FEASIBLE if trip_allowed else INFEASIBLE)


U_TH2_AT_S2 = ("U-TH2", "S-2")
