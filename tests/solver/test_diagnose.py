"""Each kind of reason `explain_unscheduled` gives, on the builder's tiny TH/MM world."""

from __future__ import annotations

from typing import Any

from app.solver.diagnose import OUT_OF_TIME_REASON, complete_plan, explain_unscheduled
from app.solver.instance import Instance
from app.solver.schema import Plan
from app.solver.staffing import candidates, staff_alone, to_scheduled
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

EMPTY_PLAN = Plan(format="jointops-plan/1", operations=[], unscheduled=[])
DAY2 = {"earliest_start": "2026-12-02T00:00:00Z", "latest_end": "2026-12-02T12:00:00Z"}


def reasons_for(doc: dict[str, Any], op_id: str = "OP-9", plan: Plan = EMPTY_PLAN) -> str:
    """All reasons of one operation, joined (each test asserts on their content)."""
    reasons = explain_unscheduled(Instance(make_scenario(doc)), plan)[op_id]
    assert reasons and all(reasons)
    return " | ".join(reasons)


def k9_world(k9_unit: dict[str, Any], op: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    doc = scenario_dict(**overrides)
    add_units(doc, k9_unit)
    return add_operations(doc, op)


def test_every_unscheduled_operation_gets_a_reason() -> None:
    result = explain_unscheduled(Instance(make_scenario()), EMPTY_PLAN)
    assert set(result) == {"OP-1", "OP-2"}
    assert all(result.values())


def test_capability_nobody_has() -> None:
    op = operation("OP-9", sites=[site("S-9", "TH-CRI", {"k9": 1})])
    doc = add_operations(scenario_dict(), op)
    assert "site S-9 (TH-CRI): no unit in the scenario has the capability 'k9'" in reasons_for(doc)


def test_missing_agreement() -> None:
    op = operation("OP-9", foreign_support=True, sites=[site("S-9", "MM-TAC", {"k9": 1})])
    doc = k9_world(unit("U-TH9", capabilities=["k9"]), op, agreements=[])
    assert reasons_for(doc) == (
        "site S-9 (MM-TAC): no k9 unit may act there: 1 Thai unit has the capability "
        "but Thailand has no agreement to deploy into Myanmar"
    )


def test_no_foreign_support_consent() -> None:
    op = operation("OP-9", foreign_support=False, sites=[site("S-9", "MM-TAC", {"k9": 1})])
    text = reasons_for(k9_world(unit("U-TH9", capabilities=["k9"]), op))
    assert "no k9 unit may act there" in text
    assert "OP-9 has no foreign-support consent from Myanmar" in text


def test_outside_operating_regions() -> None:
    k9 = unit(
        "U-MM9", agency="MM-MPF", capabilities=["k9"], base="MM-TAC", operating_regions=["MM-TAC"]
    )
    op = operation("OP-9", sites=[site("S-9", "MM-KTG", {"k9": 1})])
    text = reasons_for(k9_world(k9, op))
    assert "1 Myanmar unit has the capability but MM-KTG is outside their operating regions" in text


def test_no_road_to_the_site() -> None:
    doc = scenario_dict()
    doc["regions"].append(
        {"id": "MM-MLA", "name": "Mong La", "country": "MM", "lat": 21.7, "lon": 100.1}
    )
    add_units(doc, unit("U-MM9", agency="MM-MPF", capabilities=["k9"], base="MM-TAC"))
    add_operations(doc, operation("OP-9", sites=[site("S-9", "MM-MLA", {"k9": 1})]))
    assert "no road leads from their base to MM-MLA" in reasons_for(doc)


def test_no_crossing_between_the_countries() -> None:
    doc = scenario_dict()
    doc["countries"].append({"code": "LA", "name": "Laos", "timezone": "Asia/Vientiane"})
    doc["regions"].append(
        {"id": "LA-BOK", "name": "Bokeo", "country": "LA", "lat": 20.3, "lon": 100.4}
    )
    doc["agreements"].append({"from": "TH", "to": "LA"})
    add_units(doc, unit("U-TH9", capabilities=["k9"]))
    add_operations(
        doc, operation("OP-9", foreign_support=True, sites=[site("S-9", "LA-BOK", {"k9": 1})])
    )
    assert "1 Thai unit has the capability but no border crossing joins Thailand and Laos" in (
        reasons_for(doc)
    )


def test_not_enough_eligible_units_for_the_count() -> None:
    op = operation("OP-9", foreign_support=True, sites=[site("S-9", "MM-TAC", {"tactical": 5})])
    text = reasons_for(add_operations(scenario_dict(), op))
    assert "5 tactical units are needed but only 3 may act there (U-TH1, U-MM1, U-MM2)" in text
    assert "no other unit has the capability" in text


def test_one_unit_cannot_fill_two_requirements() -> None:
    doc = scenario_dict()
    doc["units"][2]["operating_regions"] = ["MM-TAC"]  # U-MM1 stays home
    add_operations(
        doc, operation("OP-9", sites=[site("S-9", "MM-KTG", {"tactical": 1, "investigation": 1})])
    )
    text = reasons_for(doc)
    assert (
        "tactical x1 and investigation x1 need 2 different units at once but only 1 may fill "
        "them (U-MM2)"
    ) in text


def test_two_requirements_share_one_unit_while_a_third_has_plenty() -> None:
    doc = scenario_dict()
    doc["units"][2]["operating_regions"] = ["MM-TAC"]  # U-MM1 stays home
    add_units(
        doc,
        unit("U-MMB", agency="MM-MPF", capabilities=["k9"], base="MM-KTG"),
        unit("U-MMC", agency="MM-MPF", capabilities=["k9"], base="MM-KTG"),
    )
    op = operation(
        "OP-9", sites=[site("S-9", "MM-KTG", {"tactical": 1, "investigation": 1, "k9": 1})]
    )
    text = reasons_for(add_operations(doc, op))
    assert "tactical x1 and investigation x1 need 2 different units at once" in text


def test_no_host_nation_unit() -> None:
    doc = scenario_dict()
    doc["units"][3]["operating_regions"] = ["MM-KTG"]  # U-MM2, the only MM investigator
    add_operations(
        doc,
        operation(
            "OP-9", foreign_support=True, sites=[site("S-9", "MM-TAC", {"investigation": 1})]
        ),
    )
    text = reasons_for(doc)
    assert "site S-9 (MM-TAC): no Myanmar unit can be part of it" in text
    assert "MM-TAC is outside their operating regions" in text


def test_headcount_out_of_reach() -> None:
    op = operation("OP-9", sites=[site("S-9", "TH-CRI", {"tactical": 1}, min_personnel=50)])
    text = reasons_for(add_operations(scenario_dict(), op))
    assert "headcount cannot reach min_personnel 50" in text
    assert "at most 10 personnel" in text


def test_window_too_short_for_travel() -> None:
    k9 = unit("U-MM9", agency="MM-MPF", capabilities=["k9"], base="MM-TAC")
    op = operation(
        "OP-9", latest_end="2026-12-01T01:30:00Z", sites=[site("S-9", "MM-KTG", {"k9": 1})]
    )
    text = reasons_for(k9_world(k9, op))
    assert "the window is too short for the travel" in text
    assert "U-MM9 (based at MM-TAC), needs 120 min each way" in text
    assert "the planning horizon starts only 30 min before the latest start" in text
    assert "ends only" not in text  # the way back has room enough


def crossing_op(**extra: Any) -> dict[str, Any]:
    """A Thai k9 team needed in Tachileik while the Mae Sai crossing is shut (15:00Z-23:00Z)."""
    keys = {"earliest_start": "2026-12-03T16:00:00Z", "latest_end": "2026-12-03T20:00:00Z"}
    keys.update(extra)
    return operation(
        "OP-9",
        foreign_support=True,
        sites=[site("S-9", "MM-TAC", {"k9": 1, "tactical": 1})],
        **keys,
    )


def crossing_world(op: dict[str, Any]) -> dict[str, Any]:
    # The horizon ends before the crossing reopens, so waiting on the far side cannot help.
    horizon = {"start": "2026-12-01T00:00:00Z", "end": "2026-12-03T22:00:00Z"}
    return k9_world(unit("U-TH9", capabilities=["k9"], base="TH-MSI"), op, horizon=horizon)


def test_crossing_closed_for_the_whole_window() -> None:
    text = reasons_for(crossing_world(crossing_op()))
    assert "no k9 unit that may act there can be there at any start in its window" in text
    assert (
        "for U-TH9 the crossing that would be needed, X-MSI-TAC (Mae Sai - Tachileik, "
        "open 06:00–22:00 Asia/Bangkok), is closed for the whole window"
    ) in text


def test_crossing_hours_leave_no_passage() -> None:
    op = crossing_op(earliest_start="2026-12-03T14:30:00Z")  # open until 15:00Z
    text = reasons_for(crossing_world(op))
    assert "X-MSI-TAC (Mae Sai - Tachileik, open 06:00–22:00 Asia/Bangkok), has no opening" in text


def test_fixed_start_cannot_be_met() -> None:
    text = reasons_for(crossing_world(crossing_op(fixed_start="2026-12-03T17:00:00Z")))
    assert text.startswith("fixed start cannot be met:")
    assert "at its fixed start 2026-12-03 17:00Z" in text


def test_window_beyond_the_horizon() -> None:
    op = operation(
        "OP-9",
        earliest_start="2026-12-03T23:00:00Z",
        latest_end="2026-12-04T02:00:00Z",
        duration_minutes=120,
        sites=[site("S-9", "TH-CRI")],
    )
    text = reasons_for(add_operations(scenario_dict(), op))
    assert "leaves no slot start at which 120 min fit inside the planning horizon" in text


def test_a_grid_off_the_minute_shows_in_the_reason() -> None:
    # Slot starts fall 30.5 s past each quarter hour: none fits a window of exactly the
    # operation's length, and the reason shows the seconds that cause it.
    op = operation(
        "OP-9",
        earliest_start="2026-12-01T06:00:00Z",
        latest_end="2026-12-01T08:00:00Z",
        duration_minutes=120,
        sites=[site("S-9", "TH-CRI")],
    )
    doc = add_operations(scenario_dict(), op)
    doc["horizon"]["start"] = "2026-12-01T00:00:30.5Z"
    text = reasons_for(doc)
    assert "inside the planning horizon 2026-12-01 00:00:30.5Z – " in text


def test_unit_unavailable() -> None:
    k9 = unit(
        "U-MM9",
        agency="MM-MPF",
        capabilities=["k9"],
        base="MM-TAC",
        available=[{"start": "2026-12-01T00:00:00Z", "end": "2026-12-01T01:00:00Z"}],
    )
    op = operation("OP-9", **DAY2, sites=[site("S-9", "MM-TAC", {"k9": 1})])
    text = reasons_for(k9_world(k9, op))
    assert "U-MM9 is not available for the whole round trip at any start" in text
    assert "U-MM9 available 2026-12-01 00:00Z – 2026-12-01 01:00Z" in text


def test_unavailable_unit_shows_its_windows_joined_and_clipped_to_the_horizon() -> None:
    windows = [
        ("2026-12-02T00:00:00Z", "2026-12-02T00:20:00Z"),
        ("2026-12-02T00:10:00Z", "2026-12-02T00:40:00Z"),  # overlaps: one stretch
        ("2026-12-03T23:30:00Z", "2026-12-09T00:00:00Z"),  # beyond the horizon's end
    ]
    k9 = unit(
        "U-MM9",
        agency="MM-MPF",
        capabilities=["k9"],
        base="MM-TAC",
        available=[{"start": start, "end": end} for start, end in windows],
    )
    op = operation("OP-9", **DAY2, sites=[site("S-9", "MM-TAC", {"k9": 1})])
    text = reasons_for(k9_world(k9, op))
    assert (
        "U-MM9 available 2026-12-02 00:00Z – 2026-12-02 00:40Z, "
        "2026-12-03 23:30Z – 2026-12-04 00:00Z)" in text
    )


def two_k9_units(doc: dict[str, Any], second_capability: str) -> None:
    """U-A (k9) free 00:00-02:00Z, U-B free 05:00-07:00Z on Dec 2, both in Tachileik."""
    add_units(
        doc,
        unit(
            "U-A",
            agency="MM-MPF",
            capabilities=["k9"],
            base="MM-TAC",
            available=[{"start": "2026-12-02T00:00:00Z", "end": "2026-12-02T02:00:00Z"}],
        ),
        unit(
            "U-B",
            agency="MM-MPF",
            capabilities=[second_capability],
            base="MM-TAC",
            available=[{"start": "2026-12-02T05:00:00Z", "end": "2026-12-02T07:00:00Z"}],
        ),
    )


def test_sites_only_staffable_at_different_times() -> None:
    doc = scenario_dict()
    two_k9_units(doc, "dog")
    add_operations(
        doc,
        operation(
            "OP-9",
            **DAY2,
            sites=[site("S-A", "MM-TAC", {"k9": 1}), site("S-B", "MM-TAC", {"dog": 1})],
        ),
    )
    text = reasons_for(doc)
    assert "its 2 sites cannot be staffed at the same H-hour" in text
    assert "S-A only at 2026-12-02 00:00Z – 2026-12-02 01:00Z" in text
    assert "S-B only at 2026-12-02 05:00Z – 2026-12-02 06:00Z" in text


def test_too_few_units_there_at_once() -> None:
    doc = scenario_dict()
    two_k9_units(doc, "k9")
    add_operations(
        doc,
        operation(
            "OP-9",
            **DAY2,
            sites=[site("S-A", "MM-TAC", {"k9": 1}), site("S-B", "MM-TAC", {"k9": 1})],
        ),
    )
    text = reasons_for(doc)
    assert "its sites need 2 different units at one start" in text
    assert "at most 1 can be there" in text


def test_units_taken_by_higher_priority_operation() -> None:
    # OP-3 needs U-TH1 (the only tactical unit allowed in Chiang Rai) while OP-1 holds it.
    doc = add_operations(
        scenario_dict(),
        operation(
            "OP-3",
            earliest_start="2026-12-02T02:00:00Z",
            latest_end="2026-12-02T05:00:00Z",
            sites=[site("S-9", "TH-CRI")],
        ),
    )
    plan_doc = valid_plan_dict()
    plan_doc["unscheduled"] = [{"id": "OP-3", "reasons": []}]
    text = reasons_for(doc, "OP-3", make_plan(plan_doc))
    assert text.startswith(
        "the units it needs are taken by higher-priority operations "
        "OP-1 (priority 3): staffed alone it could start at 2026-12-02"
    )
    assert text.endswith("with U-TH1, but in this plan U-TH1 is busy with OP-1")


def test_fits_into_the_plan_and_the_staffing_is_valid() -> None:
    scenario = make_scenario()
    instance = Instance(scenario)
    reasons = explain_unscheduled(instance, EMPTY_PLAN)["OP-1"]
    assert "it fits into this plan as it stands" in reasons[0]
    op = instance.operations["OP-1"]
    starts = instance.start_minutes(op)
    outcome = staff_alone(instance, op, candidates(instance, op, starts), starts)
    assert outcome.staffing is not None
    scheduled = to_scheduled(instance, op, outcome.staffing)
    assert scheduled is not None
    plan = Plan(
        format="jointops-plan/1",
        operations=[scheduled],
        unscheduled=[{"id": "OP-2", "reasons": []}],
    )
    assert validate_plan(scenario, plan).valid


def test_round_trip_longer_than_the_horizon() -> None:
    doc = scenario_dict()
    doc["regions"].append(
        {"id": "TH-FAR", "name": "Far away", "country": "TH", "lat": 13.7, "lon": 100.5}
    )
    doc["roads"].append({"a": "TH-FAR", "b": "TH-CRI", "minutes": 2200})  # 2 x 2200 > 3 days
    add_units(doc, unit("U-TH9", capabilities=["k9"], base="TH-FAR"))
    add_operations(doc, operation("OP-9", sites=[site("S-9", "TH-CRI", {"k9": 1})]))
    assert (
        "1 Thai unit has the capability but the round trip from their base to TH-CRI "
        "is longer than the planning horizon"
    ) in reasons_for(doc)


def test_crossing_lane_taken_by_the_plan() -> None:
    # The one-lane Mae Sai crossing opens for a single passage each way around OP-1,
    # and U-TH1 of OP-1 uses both: a second Thai team cannot cross, though it is free.
    doc = scenario_dict()
    doc["crossings"][0]["open"] = [
        {"from": "09:00", "to": "09:30"},
        {"from": "12:00", "to": "12:30"},
    ]
    add_units(
        doc,
        unit(
            "U-TH9",
            capabilities=["k9"],
            base="TH-MSI",
            available=[{"start": "2026-12-02T00:00:00Z", "end": "2026-12-02T12:00:00Z"}],
        ),
    )  # no day-long wait
    add_operations(
        doc,
        operation(
            "OP-9",
            foreign_support=True,
            fixed_start="2026-12-02T03:00:00Z",
            **DAY2,
            sites=[site("S-9", "MM-TAC", {"k9": 1, "tactical": 1})],
        ),
    )
    plan_doc = valid_plan_dict()
    plan_doc["unscheduled"] = [{"id": "OP-9", "reasons": []}]
    plan = make_plan(plan_doc)
    assert validate_plan(make_scenario(doc), plan).valid
    text = reasons_for(doc, "OP-9", plan)
    assert "with units this plan leaves free, but not within the crossing lanes" in text
    assert "lanes this plan already uses at X-MSI-TAC" in text


def test_no_combination_across_sites() -> None:
    # U-MM2 is the only unit for both S-A and S-B; the k9 pair can only help at S-C.
    doc = scenario_dict()
    doc["units"][2]["operating_regions"] = ["MM-TAC"]  # U-MM1 stays home
    add_units(
        doc,
        unit("U-MMB", agency="MM-MPF", capabilities=["k9"], base="MM-KTG"),
        unit("U-MMC", agency="MM-MPF", capabilities=["k9"], base="MM-KTG"),
    )
    sites = [
        site("S-A", "MM-KTG", {"tactical": 1}),
        site("S-B", "MM-KTG", {"investigation": 1}),
        site("S-C", "MM-KTG", {"k9": 1}),
    ]
    text = reasons_for(add_operations(doc, operation("OP-9", **DAY2, sites=sites)))
    assert text.startswith(
        "no combination of the units that may act at its sites staffs all 3 of them"
    )


def test_same_reason_for_several_sites_is_given_once() -> None:
    sites = [site("S-A", "TH-CRI", {"k9": 1}), site("S-B", "TH-MSI", {"k9": 1})]
    doc = add_operations(scenario_dict(), operation("OP-9", sites=sites))
    reasons = explain_unscheduled(Instance(make_scenario(doc)), EMPTY_PLAN)["OP-9"]
    assert reasons == [
        "sites S-A (TH-CRI), S-B (TH-MSI): no unit in the scenario has the capability 'k9'"
    ]


# --- finishing a solver's plan -------------------------------------------------------


def test_finishing_adds_every_operation_that_fits_the_plan_as_it_stands() -> None:
    scenario = make_scenario()
    instance = Instance(scenario)
    added, reasons = complete_plan(instance, EMPTY_PLAN, lambda: 10.0)
    # Both operations of the builder world fit, one after the other (OP-1 first:
    # the higher priority), and the plan they make is valid.
    assert [op.id for op in added] == ["OP-1", "OP-2"] and reasons == {}
    plan = Plan(format="jointops-plan/1", operations=added, unscheduled=[])
    assert validate_plan(scenario, plan).valid


def test_finishing_gives_the_others_their_reasons_against_the_grown_plan() -> None:
    # Two strikes at the same hour need the one k9 unit: the higher priority gets it.
    window = {"earliest_start": "2026-12-02T03:00:00Z", "latest_end": "2026-12-02T04:00:00Z"}
    doc = add_units(scenario_dict(), unit("U-K9", capabilities=["k9"]))
    doc["operations"] = [
        operation("OP-LOW", priority=2, sites=[site("S-L", "TH-CRI", {"k9": 1})], **window),
        operation("OP-HIGH", priority=5, sites=[site("S-H", "TH-CRI", {"k9": 1})], **window),
    ]
    added, reasons = complete_plan(Instance(make_scenario(doc)), EMPTY_PLAN, lambda: 10.0)
    assert [op.id for op in added] == ["OP-HIGH"]
    assert reasons["OP-LOW"][0].startswith(
        "the units it needs are taken by higher-priority operations OP-HIGH (priority 5)"
    )


def test_out_of_time_only_reasons_that_need_no_search() -> None:
    op = operation("OP-9", sites=[site("S-9", "TH-CRI", {"k9": 1})])
    instance = Instance(make_scenario(add_operations(scenario_dict(), op)))
    added, reasons = complete_plan(instance, EMPTY_PLAN, lambda: 0.0)
    assert added == []
    assert reasons["OP-1"] == [OUT_OF_TIME_REASON]  # it would fit: not tried
    assert "no unit in the scenario has the capability 'k9'" in reasons["OP-9"][0]  # no search


def test_time_running_out_inside_a_diagnosis_ends_it_there() -> None:
    calls = iter([1.0])  # time for the first look only: gone once the search starts

    def seconds_left() -> float:
        return next(calls, 0.0)

    instance = Instance(make_scenario())
    added, reasons = complete_plan(instance, EMPTY_PLAN, seconds_left)
    assert added == [] and reasons == {"OP-1": [OUT_OF_TIME_REASON], "OP-2": [OUT_OF_TIME_REASON]}
