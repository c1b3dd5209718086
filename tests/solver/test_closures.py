"""Dated crossing closures, `crossings[].closed` (docs/closures-format.md): no passage
overlaps one, whatever the daily hours say, and a closure on another day changes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from app.solver.loader import ScenarioError, load_scenario
from app.solver.validate import validate_plan

from .builders import (
    add_operations,
    add_units,
    make_plan,
    make_scenario,
    operation,
    scenario_dict,
    site,
    unit,
    valid_plan_dict,
)
from .solve_helpers import solve_checked


def _closed(doc: dict[str, Any], *windows: tuple[str, str]) -> dict[str, Any]:
    doc["crossings"][0]["closed"] = [{"start": a, "end": b} for a, b in windows]
    return doc


def _raid_needing_a_thai_dog() -> dict[str, Any]:
    """OP-9 in Tachileik needs a k9 unit, which only Thailand has: it must cross X-MSI-TAC."""
    doc = scenario_dict()
    add_units(doc, unit("U-TH9", capabilities=["k9"], base="TH-CRI"))
    add_operations(doc, operation(
        "OP-9", priority=5, foreign_support=True, earliest_start="2026-12-02T00:00:00Z",
        latest_end="2026-12-03T00:00:00Z",
        sites=[site("S-9", "MM-TAC", {"k9": 1, "tactical": 1})]))
    return doc


def test_a_crossing_closed_over_the_whole_horizon_keeps_the_raid_unscheduled() -> None:
    # (Closed only around the raid's window, the dog could cross the day before and wait.)
    doc = _closed(_raid_needing_a_thai_dog(), ("2026-11-30T00:00:00Z", "2026-12-05T00:00:00Z"))
    plan = solve_checked(doc).plan
    assert "OP-9" not in {op.id for op in plan.operations}
    (reasons,) = [u.reasons for u in plan.unscheduled if u.id == "OP-9"]
    assert any("X-MSI-TAC" in reason and ", closed " in reason for reason in reasons), reasons


def test_a_closure_on_another_day_changes_nothing() -> None:
    doc = _closed(_raid_needing_a_thai_dog(), ("2026-12-01T00:00:00Z", "2026-12-01T20:00:00Z"))
    plan = solve_checked(doc).plan
    (raid,) = [op for op in plan.operations if op.id == "OP-9"]
    (dog,) = [a for a in raid.assignments if a.unit == "U-TH9"]
    assert dog.crossing == "X-MSI-TAC"


def test_the_solver_crosses_around_a_closure_on_the_raids_day() -> None:
    # Closed 02:00Z-08:00Z on the raid's day: the raid goes in before or after it.
    doc = _closed(_raid_needing_a_thai_dog(), ("2026-12-02T02:00:00Z", "2026-12-02T08:00:00Z"))
    plan = solve_checked(doc).plan
    (raid,) = [op for op in plan.operations if op.id == "OP-9"]
    (dog,) = [a for a in raid.assignments if a.unit == "U-TH9"]
    scenario = make_scenario(doc)
    assert validate_plan(scenario, plan).valid
    closed = scenario.crossings[0].closed
    assert closed is not None
    transit = timedelta(minutes=30)
    for passage in (dog.cross_out, dog.cross_back):
        assert passage is not None
        assert passage + transit <= closed[0].start or passage >= closed[0].end


def test_the_validator_refuses_a_passage_inside_a_closure() -> None:
    # valid_plan_dict: U-TH1 crosses out at 02:00Z and back at 05:00Z on 2 December.
    during = make_scenario(_closed(scenario_dict(),
                                   ("2026-12-02T01:45:00Z", "2026-12-02T02:15:00Z")))
    report = validate_plan(during, make_plan(valid_plan_dict()))
    assert not report.valid
    assert any("X-MSI-TAC" in v.message for v in report.violations), report.violations
    elsewhere = make_scenario(_closed(scenario_dict(),
                                      ("2026-12-03T01:00:00Z", "2026-12-03T09:00:00Z")))
    assert validate_plan(elsewhere, make_plan(valid_plan_dict())).valid


def test_an_always_open_crossing_with_a_closure_is_closed_then() -> None:
    doc = scenario_dict()
    doc["crossings"][0].pop("open")
    plain = make_scenario(doc)
    assert validate_plan(plain, make_plan(valid_plan_dict())).valid
    closed = make_scenario(_closed(doc, ("2026-12-02T04:50:00Z", "2026-12-02T05:10:00Z")))
    assert not validate_plan(closed, make_plan(valid_plan_dict())).valid


@pytest.mark.parametrize(
    ("window", "problem"),
    [
        ({"start": "2026-12-02T05:00:00Z", "end": "2026-12-02T05:00:00Z"},
         "crossings[0].closed[0]: start must be before end"),
        ({"start": "2026-12-02", "end": "2026-12-03T05:00:00Z"},
         "crossings[0].closed[0].start"),
    ],
)
def test_a_bad_closure_is_refused_by_its_path(window: dict[str, str], problem: str) -> None:
    doc = scenario_dict()
    doc["crossings"][0]["closed"] = [window]
    with pytest.raises(ScenarioError) as caught:
        load_scenario(doc)
    assert problem in str(caught.value)
