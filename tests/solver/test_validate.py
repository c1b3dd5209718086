"""`validate_plan`: the builder's valid plan, then broken in every way the spec forbids."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.solver.loader import load_plan
from app.solver.validate import (
    ValidationReport,
    Violation,
    format_report,
    report_to_json,
    validate_plan,
)

from .builders import (
    VALID_PLAN_OBJECTIVE,
    add_operations,
    add_units,
    assignment,
    make_scenario,
    operation,
    scenario_dict,
    site,
    unit,
    valid_plan_dict,
)

Doc = dict[str, Any]


def check(plan: Doc | None = None, scenario: Doc | None = None) -> ValidationReport:
    """Validate a plan dict (default: the valid one) against a scenario dict (default world)."""
    return validate_plan(make_scenario(scenario), load_plan(plan or valid_plan_dict()))


def rules(report: ValidationReport) -> set[int]:
    return {v.rule for v in report.violations}


def caught(
    report: ValidationReport,
    rule: int,
    op: str | None,
    site_id: str | None = None,
    unit_id: str | None = None,
    fragment: str = "",
) -> Violation:
    """The violation of `rule` at that place; its message names rule, operation, site, unit."""
    for v in report.violations:
        if (v.rule, v.operation, v.site, v.unit) == (rule, op, site_id, unit_id) and (
            fragment in v.message
        ):
            assert v.message.startswith(f"rule {rule} (")
            for name in (op, site_id, unit_id):
                assert name is None or name in v.message
            return v
    raise AssertionError(
        f"no rule {rule} violation at {op}/{site_id}/{unit_id}: {report.violations}"
    )


def leg(plan: Doc, op_index: int, index: int) -> Doc:
    """One assignment dict of a plan dict."""
    return plan["operations"][op_index]["assignments"][index]


def test_the_builder_plan_is_valid_with_its_objective() -> None:
    report = check()
    assert report.valid, report.violations
    assert (report.objective.priority, report.objective.travel_minutes) == VALID_PLAN_OBJECTIVE
    assert report.dwell_minutes == 30  # U-TH1 in Tachileik 02:30Z, the strike at 03:00Z
    assert format_report(report) == (
        "VALID plan: priority 4, travel 300 minutes\n"
        "dwell: foreign units wait 30 minutes in the host country beyond travel"
    )


def test_objective_of_a_partial_plan() -> None:
    plan = valid_plan_dict()
    plan["operations"].pop(1)
    plan["unscheduled"] = [{"id": "OP-2", "reasons": ["left out"]}]
    report = check(plan)
    assert report.valid
    assert (report.objective.priority, report.objective.travel_minutes) == (3, 300)


def test_each_operations_part_of_the_objective_is_what_checking_it_alone_gives() -> None:
    """The run page validates a plan once and adds up the parts of the operations a
    viewer may see: the same objective as validating the plan and scenario cut to them."""
    plan = valid_plan_dict()
    report = check(plan)
    assert set(report.by_operation) == {op["id"] for op in plan["operations"]}
    assert report.objective_of(None) == report.objective
    assert report.objective_of(report.by_operation).model_dump() == report.objective.model_dump()
    for op in plan["operations"]:
        alone = {**plan, "operations": [op], "unscheduled": []}
        scenario = scenario_dict()
        scenario["operations"] = [o for o in scenario["operations"] if o["id"] == op["id"]]
        expected = check(alone, scenario).objective
        assert report.objective_of({op["id"]}) == expected and expected.priority > 0
    assert report.objective_of(set()).model_dump() == {"priority": 0, "travel_minutes": 0}


# ---- rule 1: window ----------------------------------------------------------------------


def test_start_off_the_slot_grid() -> None:
    plan = valid_plan_dict()
    plan["operations"][1]["start"] = "2026-12-01T10:05:00Z"
    leg(plan, 1, 0).update(depart="2026-12-01T10:05:00Z", **{"return": "2026-12-01T11:05:00Z"})
    report = check(plan)
    assert rules(report) == {1}
    caught(report, 1, "OP-2", fragment="off the 15-minute slot grid")


def test_start_before_earliest_and_end_after_latest() -> None:
    doc = scenario_dict()
    doc["operations"][1].update(earliest_start="2026-12-01T10:15:00Z")
    assert rules(check(scenario=doc)) == {1}
    caught(check(scenario=doc), 1, "OP-2", fragment="before earliest_start 2026-12-01T10:15:00Z")
    doc = scenario_dict()
    doc["operations"][1].update(latest_end="2026-12-01T10:59:00Z")
    caught(check(scenario=doc), 1, "OP-2", fragment="after latest_end")


def test_start_other_than_fixed_start() -> None:
    doc = scenario_dict()
    doc["operations"][1]["fixed_start"] = "2026-12-01T12:00:00Z"
    caught(check(scenario=doc), 1, "OP-2", fragment="is not the fixed start 2026-12-01T12:00:00Z")
    doc["operations"][1]["fixed_start"] = "2026-12-01T17:00:00+07:00"  # the same instant
    assert check(scenario=doc).valid


# ---- rule 2: coordinated strike ----------------------------------------------------------


def test_a_site_left_unstaffed() -> None:
    plan = valid_plan_dict()
    plan["operations"][0]["assignments"].pop(2)
    report = check(plan)
    assert rules(report) == {2}
    caught(report, 2, "OP-1", "S-2", fragment="not staffed")


def test_an_operation_scheduled_twice() -> None:
    plan = valid_plan_dict()
    plan["operations"].append(plan["operations"][1])
    report = check(plan)
    assert rules(report) == {2}
    caught(report, 2, "OP-2", fragment="appears more than once")
    assert report.objective.priority == 4


# ---- rule 3: requirements ----------------------------------------------------------------


def test_an_extra_unit_beyond_the_count() -> None:
    plan = valid_plan_dict()
    plan["operations"][0]["assignments"].append(
        assignment("S-1", "U-MM2", "tactical", "2026-12-02T01:00:00Z", "2026-12-02T07:00:00Z")
    )
    report = check(plan)
    assert rules(report) == {3}
    caught(report, 3, "OP-1", "S-1", fragment="'tactical' needs exactly 2 unit(s), 3 assigned")


def test_capability_not_required_and_not_held() -> None:
    plan = valid_plan_dict()
    leg(plan, 0, 2)["capability"] = "tactical"
    report = check(plan)
    caught(report, 3, "OP-1", "S-2", "U-TH2", "'tactical' is not a requirement of the site")
    caught(report, 3, "OP-1", "S-2", "U-TH2", "does not have capability 'tactical'")
    caught(report, 3, "OP-1", "S-2", None, "'investigation' needs exactly 1 unit(s), 0 assigned")


def test_a_unit_twice_in_one_operation() -> None:
    plan = valid_plan_dict()
    leg(plan, 0, 1).clear()
    leg(plan, 0, 1).update(leg(plan, 0, 0))
    report = check(plan)
    caught(report, 3, "OP-1", "S-1", "U-MM1", "appears more than once in the operation")
    caught(report, 10, "OP-1", "S-1", "U-MM1", "overlaps")


# ---- rules 4 and 5 -----------------------------------------------------------------------


def test_headcount() -> None:
    doc = scenario_dict()
    doc["operations"][0]["sites"][0]["min_personnel"] = 23
    report = check(scenario=doc)
    assert rules(report) == {4}
    caught(report, 4, "OP-1", "S-1", fragment="22 personnel assigned, at least 23 needed")


def test_host_nation_presence() -> None:
    doc = add_units(scenario_dict(), unit("U-TH3"))
    plan = valid_plan_dict()
    plan["operations"][0]["assignments"][0] = assignment(
        "S-1",
        "U-TH3",
        "tactical",
        "2026-12-02T00:00:00Z",
        "2026-12-02T07:00:00Z",
        crossing="X-MSI-TAC",
        cross_out="2026-12-02T01:00:00Z",
        cross_back="2026-12-02T05:30:00Z",
    )
    report = check(plan, doc)
    assert rules(report) == {5}
    caught(report, 5, "OP-1", "S-1", fragment="no assigned unit is of the host country MM")


# ---- rule 6: jurisdiction ----------------------------------------------------------------


def test_foreign_unit_without_consent() -> None:
    doc = scenario_dict()
    doc["operations"][0]["foreign_support"] = False
    report = check(scenario=doc)
    assert rules(report) == {6}
    caught(report, 6, "OP-1", "S-1", "U-TH1", "no foreign-support consent")


def test_foreign_unit_without_agreement() -> None:
    report = check(scenario=scenario_dict(agreements=[{"from": "MM", "to": "TH"}]))
    assert rules(report) == {6}
    caught(report, 6, "OP-1", "S-1", "U-TH1", "no agreement lets units of TH deploy into MM")


def test_operating_regions_restrict_at_home_only() -> None:
    doc = scenario_dict()
    doc["units"][1]["operating_regions"] = ["TH-CRI"]
    report = check(scenario=doc)
    assert rules(report) == {6}
    caught(report, 6, "OP-1", "S-2", "U-TH2", "TH-MSI is outside the operating regions")
    doc = scenario_dict()
    doc["units"][0]["operating_regions"] = ["TH-CRI"]  # U-TH1 still works in Myanmar
    assert check(scenario=doc).valid


# ---- rule 7: domestic travel -------------------------------------------------------------


def test_domestic_travel_too_short() -> None:
    plan = valid_plan_dict()
    leg(plan, 0, 2).update(depart="2026-12-02T02:01:00Z", **{"return": "2026-12-02T05:59:00Z"})
    report = check(plan)
    assert rules(report) == {7}
    caught(report, 7, "OP-1", "S-2", "U-TH2", "departs 2026-12-02T02:01:00Z, 60 min")
    caught(report, 7, "OP-1", "S-2", "U-TH2", "returns 2026-12-02T05:59:00Z")


def test_domestic_site_without_road() -> None:
    doc = scenario_dict()
    doc["regions"].append(
        {"id": "TH-BKK", "name": "Bangkok", "country": "TH", "lat": 13.7, "lon": 100.5}
    )
    add_operations(doc, operation("OP-3", sites=[site("S-4", "TH-BKK")]))
    plan = valid_plan_dict()
    plan["operations"].append(
        {
            "id": "OP-3",
            "start": "2026-12-01T12:00:00Z",
            "assignments": [
                assignment(
                    "S-4", "U-TH1", "tactical", "2026-12-01T12:00:00Z", "2026-12-01T13:00:00Z"
                )
            ],
        }
    )
    report = check(plan, doc)
    assert rules(report) == {7}
    caught(report, 7, "OP-3", "S-4", "U-TH1", "no road from base TH-CRI to TH-BKK")


# ---- rule 8: across a border -------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"cross_out": "2026-12-02T01:59:00Z"}, "cannot cross out at 2026-12-02T01:59:00Z"),
        ({"cross_out": "2026-12-02T02:31:00Z"}, "cannot reach the site (30 min transit + 0 min)"),
        ({"cross_back": "2026-12-02T04:59:00Z"}, "to cross back at 2026-12-02T04:59:00Z"),
        ({"return": "2026-12-02T06:29:00Z"}, "by the return 2026-12-02T06:29:00Z"),
    ],
)
def test_cross_border_timing(changes: Doc, fragment: str) -> None:
    plan = valid_plan_dict()
    leg(plan, 0, 1).update(changes)
    report = check(plan)
    assert rules(report) == {8}
    caught(report, 8, "OP-1", "S-1", "U-TH1", fragment)


@pytest.mark.parametrize("missing", ["crossing", "cross_out", "cross_back"])
def test_foreign_unit_with_missing_crossing_fields(missing: str) -> None:
    plan = valid_plan_dict()
    leg(plan, 0, 1)[missing] = None
    report = check(plan)
    caught(report, 8, "OP-1", "S-1", "U-TH1", f"(missing: {missing})")


def test_domestic_unit_with_crossing_fields() -> None:
    plan = valid_plan_dict()
    leg(plan, 0, 2)["crossing"] = "X-MSI-TAC"
    report = check(plan)
    assert rules(report) == {8}
    caught(report, 8, "OP-1", "S-2", "U-TH2", "domestic assignment must not give crossing")


def test_crossing_that_does_not_join_the_two_countries() -> None:
    doc = scenario_dict()
    doc["countries"].append({"code": "LA", "name": "Laos", "timezone": "Asia/Vientiane"})
    doc["regions"].append(
        {"id": "LA-BOK", "name": "Bokeo", "country": "LA", "lat": 20.3, "lon": 100.4}
    )
    doc["crossings"].append(dict(doc["crossings"][0], id="X-CKG-HXI", b="LA-BOK"))
    plan = valid_plan_dict()
    leg(plan, 0, 1)["crossing"] = "X-CKG-HXI"
    report = check(plan, doc)
    assert rules(report) == {8}
    caught(report, 8, "OP-1", "S-1", "U-TH1", "crossing X-CKG-HXI does not join TH and MM")


def test_a_passage_at_night() -> None:
    plan = valid_plan_dict()
    # 21:00Z is 04:00 in Bangkok; the crossing opens at 06:00.
    leg(plan, 0, 1).update(depart="2026-12-01T20:00:00Z", cross_out="2026-12-01T21:00:00Z")
    report = check(plan)
    assert rules(report) == {8}
    v = caught(
        report,
        8,
        "OP-1",
        "S-1",
        "U-TH1",
        "outbound passage through X-MSI-TAC at "
        "2026-12-02T04:00+07:00 local is outside its open hours",
    )
    assert v.message.startswith("rule 8 (crossing hours): OP-1 site S-1 unit U-TH1: ")


def test_a_passage_running_past_closing_time() -> None:
    plan = valid_plan_dict()
    # 14:45Z is 21:45 in Bangkok: the 30-minute passage ends after the 22:00 closing.
    leg(plan, 0, 1).update(cross_back="2026-12-02T14:45:00Z", **{"return": "2026-12-02T16:15:00Z"})
    report = check(plan)
    caught(
        report, 8, "OP-1", "S-1", "U-TH1", "return passage through X-MSI-TAC at 2026-12-02T21:45"
    )
    leg(plan, 0, 1).update(cross_back="2026-12-02T14:30:00Z")  # ends exactly at 22:00
    assert check(plan).valid


def night_crossing(*windows: tuple[str, str]) -> Doc:
    doc = scenario_dict()
    doc["crossings"][0]["open"] = [{"from": a, "to": b} for a, b in windows]
    return doc


def midnight_plan() -> Doc:
    plan = valid_plan_dict()
    # Out at 23:45 Bangkok time, through midnight; back at 18:00 the next evening.
    leg(plan, 0, 1).update(
        depart="2026-12-01T15:45:00Z",
        cross_out="2026-12-01T16:45:00Z",
        cross_back="2026-12-02T11:00:00Z",
        **{"return": "2026-12-02T12:30:00Z"},
    )
    return plan


def test_a_passage_across_midnight_through_joined_windows() -> None:
    assert check(midnight_plan(), night_crossing(("18:00", "24:00"), ("00:00", "06:00"))).valid


def test_a_passage_across_a_one_minute_gap_at_midnight() -> None:
    report = check(midnight_plan(), night_crossing(("18:00", "23:59"), ("00:00", "06:00")))
    assert rules(report) == {8}
    caught(
        report,
        8,
        "OP-1",
        "S-1",
        "U-TH1",
        "outbound passage through X-MSI-TAC at 2026-12-01T23:45+07:00 local",
    )


def test_an_empty_open_list_means_always_open() -> None:
    plan = valid_plan_dict()
    leg(plan, 0, 1).update(depart="2026-12-01T20:00:00Z", cross_out="2026-12-01T21:00:00Z")
    assert check(plan, night_crossing()).valid


# ---- rule 9: lanes -----------------------------------------------------------------------


def three_tactical_world(lanes: int = 1) -> Doc:
    doc = add_units(scenario_dict(), unit("U-TH3"))
    doc["operations"][0]["sites"][0]["requirements"][0]["count"] = 3
    doc["crossings"][0]["lanes"] = lanes
    return doc


def plan_with_th3(cross_out: str, depart: str) -> Doc:
    plan = valid_plan_dict()
    plan["operations"][0]["assignments"].append(
        assignment(
            "S-1",
            "U-TH3",
            "tactical",
            depart,
            "2026-12-02T07:00:00Z",
            crossing="X-MSI-TAC",
            cross_out=cross_out,
            cross_back="2026-12-02T05:30:00Z",
        )
    )
    return plan


def test_two_crossings_over_one_lane() -> None:
    plan = plan_with_th3("2026-12-02T02:10:00Z", "2026-12-02T01:00:00Z")
    report = check(plan, three_tactical_world())
    assert rules(report) == {9}
    v = caught(
        report,
        9,
        "OP-1",
        "S-1",
        "U-TH3",
        "outbound passage through X-MSI-TAC at "
        "2026-12-02T09:10+07:00 local starts while 1 passage(s) are in progress",
    )
    assert "U-TH1 (OP-1)" in v.message
    assert check(plan, three_tactical_world(lanes=2)).valid


def test_touching_passages_share_a_lane() -> None:
    plan = plan_with_th3("2026-12-02T02:30:00Z", "2026-12-02T01:00:00Z")
    assert check(plan, three_tactical_world()).valid


def test_lanes_count_both_directions() -> None:
    doc = add_units(scenario_dict(), unit("U-TH3"))
    add_operations(
        doc,
        operation(
            "OP-3",
            priority=2,
            foreign_support=True,
            duration_minutes=60,
            earliest_start="2026-12-02T00:00:00Z",
            latest_end="2026-12-02T12:00:00Z",
            sites=[site("S-4", "MM-TAC", {"tactical": 2})],
        ),
    )
    plan = valid_plan_dict()
    # U-TH3 goes out at 05:15Z while U-TH1 comes back through the same lane (05:00-05:30Z).
    plan["operations"].append(
        {
            "id": "OP-3",
            "start": "2026-12-02T06:00:00Z",
            "assignments": [
                assignment(
                    "S-4", "U-MM2", "tactical", "2026-12-02T04:00:00Z", "2026-12-02T09:00:00Z"
                ),
                assignment(
                    "S-4",
                    "U-TH3",
                    "tactical",
                    "2026-12-02T04:00:00Z",
                    "2026-12-02T08:30:00Z",
                    crossing="X-MSI-TAC",
                    cross_out="2026-12-02T05:15:00Z",
                    cross_back="2026-12-02T07:00:00Z",
                ),
            ],
        }
    )
    report = check(plan, doc)
    assert rules(report) == {9}
    v = caught(report, 9, "OP-3", "S-4", "U-TH3", "outbound passage")
    assert "U-TH1 (OP-1)" in v.message
    assert report.objective.priority == 6


# ---- rule 10: one place at a time --------------------------------------------------------


def test_a_unit_double_booked_across_operations() -> None:
    plan = valid_plan_dict()
    plan["operations"][1]["start"] = "2026-12-02T06:00:00Z"
    leg(plan, 1, 0).update(depart="2026-12-02T06:00:00Z", **{"return": "2026-12-02T07:00:00Z"})
    report = check(plan)
    assert rules(report) == {10}
    caught(
        report,
        10,
        "OP-2",
        "S-3",
        "U-TH1",
        "overlaps its assignment to OP-1 site S-1 until 2026-12-02T06:30:00Z",
    )


def test_touching_busy_intervals_are_fine() -> None:
    plan = valid_plan_dict()
    plan["operations"][1]["start"] = "2026-12-02T06:30:00Z"
    leg(plan, 1, 0).update(depart="2026-12-02T06:30:00Z", **{"return": "2026-12-02T07:30:00Z"})
    assert check(plan).valid


def availability(*windows: tuple[str, str]) -> Doc:
    doc = scenario_dict()
    doc["units"][0]["available"] = [{"start": s, "end": e} for s, e in windows]
    return doc


def test_an_availability_gap() -> None:
    doc = availability(
        ("2026-12-01T00:00:00Z", "2026-12-02T02:00:00Z"),
        ("2026-12-02T02:00:01Z", "2026-12-04T00:00:00Z"),
    )
    report = check(scenario=doc)
    assert rules(report) == {10}
    caught(report, 10, "OP-1", "S-1", "U-TH1", "is not inside the unit's available time")


def test_touching_and_overlapping_availability_windows_join() -> None:
    doc = availability(
        ("2026-11-01T00:00:00Z", "2026-12-02T02:00:00Z"),
        ("2026-12-02T09:00:00+07:00", "2026-12-02T04:00:00Z"),
        ("2026-12-02T03:00:00Z", "2027-01-01T00:00:00Z"),
    )
    assert check(scenario=doc).valid


def test_never_available() -> None:
    report = check(scenario=availability())
    caught(report, 10, "OP-2", "S-3", "U-TH1", "not inside the unit's available time")


def test_busy_outside_the_horizon() -> None:
    plan = valid_plan_dict()
    plan["operations"][1]["start"] = "2026-12-01T00:00:00Z"
    leg(plan, 1, 0).update(depart="2026-11-30T23:59:00Z", **{"return": "2026-12-01T01:00:00Z"})
    report = check(plan)
    assert rules(report) == {10}
    caught(report, 10, "OP-2", "S-3", "U-TH1", "is not inside the horizon")


# ---- structure: unscheduled list and unknown ids ----------------------------------------


@pytest.mark.parametrize(
    ("unscheduled", "op", "fragment"),
    [
        ([{"id": "OP-2", "reasons": []}], "OP-2", "both scheduled and listed unscheduled"),
        ([{"id": "OP-7", "reasons": []}], "OP-7", "unscheduled lists an unknown operation id"),
    ],
)
def test_wrong_unscheduled_entries(unscheduled: list[Doc], op: str, fragment: str) -> None:
    plan = valid_plan_dict()
    plan["unscheduled"] = unscheduled
    report = check(plan)
    assert rules(report) == {0}
    caught(report, 0, op, fragment=fragment)


def test_unscheduled_missing_or_repeated() -> None:
    plan = valid_plan_dict()
    plan["operations"].pop(1)
    caught(check(plan), 0, "OP-2", fragment="neither scheduled nor listed unscheduled")
    plan["unscheduled"] = [{"id": "OP-2", "reasons": ["a"]}, {"id": "OP-2", "reasons": ["b"]}]
    caught(check(plan), 0, "OP-2", fragment="lists the operation 2 times")


def test_unknown_ids_are_violations_not_crashes() -> None:
    plan = valid_plan_dict()
    plan["operations"].append({"id": "OP-404", "start": "2026-12-01T00:00:00Z", "assignments": []})
    leg(plan, 0, 2)["unit"] = "U-404"
    leg(plan, 0, 1)["crossing"] = "X-404"
    leg(plan, 1, 0)["site"] = "S-404"
    report = check(plan)
    caught(report, 0, "OP-404", fragment="unknown operation id")
    caught(report, 0, "OP-1", "S-2", "U-404", "unknown unit id")
    caught(report, 0, "OP-1", "S-1", "U-TH1", "unknown crossing id 'X-404'")
    caught(report, 0, "OP-2", "S-404", "U-TH1", "unknown site id")


def test_a_site_of_another_operation() -> None:
    plan = valid_plan_dict()
    leg(plan, 1, 0)["site"] = "S-2"
    caught(check(plan), 0, "OP-2", "S-2", "U-TH1", "the site belongs to OP-1")


# ---- exact instants ----------------------------------------------------------------------


def test_offsets_are_instants_not_strings() -> None:
    plan = valid_plan_dict()
    plan["operations"][0]["start"] = "2026-12-02T09:30:00+06:30"  # Yangon: 03:00Z
    leg(plan, 0, 0).update(
        depart="2026-12-02T09:30:00+06:30", **{"return": "2026-12-02T11:30:00+06:30"}
    )
    leg(plan, 0, 1).update(cross_out="2026-12-02T10:00:00+08:00")  # Beijing: 02:00Z
    report = check(plan)
    assert report.valid, report.violations


def test_fractional_seconds_count() -> None:
    plan = valid_plan_dict()
    leg(plan, 0, 2)["depart"] = "2026-12-02T01:59:59.999999Z"
    assert check(plan).valid
    leg(plan, 0, 2)["depart"] = "2026-12-02T02:00:00.000001Z"
    caught(check(plan), 7, "OP-1", "S-2", "U-TH2", "departs 2026-12-02T02:00:00.000001Z")


def test_fractional_start_is_off_the_grid() -> None:
    plan = valid_plan_dict()
    plan["operations"][1]["start"] = "2026-12-01T10:00:00.5Z"
    leg(plan, 1, 0)["return"] = "2026-12-01T11:00:01Z"
    report = check(plan)
    assert rules(report) == {1}


def test_a_fraction_of_a_second_before_opening() -> None:
    plan = valid_plan_dict()
    # The crossing opens at 06:00 Bangkok = 23:00Z; this passage starts half a second early.
    leg(plan, 0, 1).update(depart="2026-12-01T21:00:00Z", cross_out="2026-12-01T22:59:59.5Z")
    v = caught(check(plan), 8, "OP-1", "S-1", "U-TH1", "outside its open hours")
    assert "2026-12-02T05:59:59.500000+07:00" in v.message
    leg(plan, 0, 1)["cross_out"] = "2026-12-02T06:00:00+07:00"
    assert check(plan).valid


# ---- reports -----------------------------------------------------------------------------


def test_format_and_json_reports() -> None:
    plan = valid_plan_dict()
    plan["objective"] = {"priority": 9, "travel_minutes": 1}
    leg(plan, 0, 2)["depart"] = "2026-12-02T02:30:00Z"
    report = check(plan)
    text = format_report(report)
    assert text.splitlines()[0] == "INVALID plan: 1 violation(s) (rule 7: 1)"
    assert "- rule 7 (domestic travel): OP-1 site S-2 unit U-TH2: departs" in text
    assert "the plan states priority 9, travel 1 minutes" in text
    data = report_to_json(report)
    assert data["valid"] is False
    assert data["objective"] == {"priority": 4, "travel_minutes": 300}
    assert data["violation_counts"] == {"7": 1}
    assert data["violations"][0]["rule"] == 7
    assert (data["violations"][0]["operation"], data["violations"][0]["unit"]) == ("OP-1", "U-TH2")


# ---- properties and scale ----------------------------------------------------------------

TIME_KEYS = ("start", "depart", "return", "cross_out", "cross_back")


def reexpress(plan: Doc, offset_minutes: int) -> Doc:
    """The same plan with every instant written in another UTC offset."""
    zone = timezone(timedelta(minutes=offset_minutes))

    def move(text: str) -> str:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(zone).isoformat()

    for scheduled in plan["operations"]:
        scheduled["start"] = move(scheduled["start"])
        for item in scheduled["assignments"]:
            for key in TIME_KEYS:
                if item.get(key):
                    item[key] = move(item[key])
    return plan


@settings(max_examples=25, deadline=None)
@given(offset=st.integers(min_value=-12 * 4, max_value=14 * 4).map(lambda q: q * 15))
def test_the_offset_instants_are_written_in_never_matters(offset: int) -> None:
    broken = valid_plan_dict()
    leg(broken, 0, 1)["cross_out"] = "2026-12-01T21:00:00Z"  # at night
    for plan in (valid_plan_dict(), broken):
        expected = [(v.rule, v.operation, v.site, v.unit) for v in check(plan).violations]
        again = check(reexpress(plan, offset))
        assert [(v.rule, v.operation, v.site, v.unit) for v in again.violations] == expected
        assert again.objective == check(plan).objective


def scale_world(groups: int = 100, rounds: int = 20) -> tuple[Doc, Doc]:
    """A scenario and valid plan of groups x rounds operations, 4 units each (half abroad)."""
    doc = scenario_dict(horizon={"start": "2026-12-01T00:00:00Z", "end": "2026-12-08T00:00:00Z"})
    doc["crossings"][0].update(open=[], lanes=1000)
    doc["units"] = [unit(f"U-{g}-{i}") for g in range(groups) for i in range(4)]
    doc["units"] += [unit(f"M-{g}", agency="MM-MPF", base="MM-TAC") for g in range(groups)]
    doc["operations"], plan_ops = [], []
    origin = datetime(2026, 12, 1, 4, tzinfo=UTC)
    for k in range(groups * rounds):
        group, start = k % groups, origin + (k // groups) * timedelta(hours=6)
        abroad = group % 2 == 1
        region = "MM-TAC" if abroad else "TH-CRI"
        doc["operations"].append(
            operation(
                f"OP-{k}",
                foreign_support=True,
                earliest_start="2026-12-01T00:00:00Z",
                latest_end="2026-12-08T00:00:00Z",
                sites=[site(f"S-{k}", region, {"tactical": 4})],
            )
        )
        plan_ops.append(
            {
                "id": f"OP-{k}",
                "start": start.isoformat(),
                "assignments": scale_assignments(k, group, start, abroad),
            }
        )
    return doc, {"format": "jointops-plan/1", "operations": plan_ops, "unscheduled": []}


def scale_assignments(k: int, group: int, start: datetime, abroad: bool) -> list[Doc]:
    end, hour = start + timedelta(hours=1), timedelta(minutes=90)
    units = [f"U-{group}-{i}" for i in range(3 if abroad else 4)]
    if not abroad:
        return [
            assignment(f"S-{k}", u, "tactical", start.isoformat(), end.isoformat()) for u in units
        ]
    legs = [
        assignment(
            f"S-{k}",
            u,
            "tactical",
            (start - hour).isoformat(),
            (end + hour).isoformat(),
            crossing="X-MSI-TAC",
            cross_out=(start - timedelta(minutes=30)).isoformat(),
            cross_back=end.isoformat(),
        )
        for u in units
    ]
    return [
        *legs,
        assignment(f"S-{k}", f"M-{group}", "tactical", start.isoformat(), end.isoformat()),
    ]


def test_eight_thousand_assignments_validate_in_seconds() -> None:
    doc, plan_doc = scale_world()
    scenario, plan = make_scenario(doc), load_plan(plan_doc)
    began = time.perf_counter()
    report = validate_plan(scenario, plan)
    elapsed = time.perf_counter() - began
    assert report.valid, report.violations[:3]
    assert sum(len(op.assignments) for op in plan.operations) == 8000
    assert report.objective.priority == 2000
    assert report.objective.travel_minutes == 1000 * 3 * 180
    assert elapsed < 10, elapsed


def test_the_longest_transit_allowed_is_a_violation_not_a_crash() -> None:
    doc = scenario_dict()
    doc["crossings"][0]["transit_minutes"] = 10**9  # 1,900 years (more is refused)
    report = check(scenario=doc)
    caught(report, 8, "OP-1", "S-1", "U-TH1", "cannot reach the site")
    caught(
        report,
        8,
        "OP-1",
        "S-1",
        "U-TH1",
        "outside its open hours",
    )
    assert "rule 8" in format_report(report)


PLAN_VALUES = st.sampled_from(
    [
        None,
        "",
        "OP-1",
        "OP-2",
        "S-1",
        "S-3",
        "U-TH1",
        "U-MM2",
        "X-MSI-TAC",
        "investigation",
        "2026-12-01T21:00:00Z",
        "2026-12-02T03:00:00.5+06:30",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
    ]
)


WORLD = make_scenario()


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_any_plan_is_judged_never_a_crash(data: st.DataObject) -> None:
    plan = valid_plan_dict()
    scheduled = plan["operations"]
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(scheduled))
        target = data.draw(st.sampled_from([op, *op["assignments"]]))
        keys = sorted(k for k in target if k != "assignments")
        target[data.draw(st.sampled_from(keys))] = data.draw(PLAN_VALUES)
    try:
        parsed = load_plan(plan)
    except ValueError:
        return
    report = validate_plan(WORLD, parsed)
    assert report_to_json(report)["valid"] == report.valid
    assert all(v.message.startswith(f"rule {v.rule} (") for v in report.violations)
