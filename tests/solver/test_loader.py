"""`load_scenario` / `load_plan`: every rejection rule of the spec, with its JSON path."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sample_data import DATA

from app.solver.loader import PlanError, ScenarioError, load_plan, load_scenario

from .builders import (
    add_operations,
    make_scenario,
    operation,
    scenario_dict,
    site,
    unit,
    valid_plan_dict,
)

Doc = dict[str, Any]


def problems_of(doc: Any) -> list[tuple[str, str]]:
    """The (path, message) problems of a rejected scenario."""
    with pytest.raises(ScenarioError) as caught:
        load_scenario(doc)
    return [(p.path, p.message) for p in caught.value.problems]


def assert_rejected(doc: Any, path: str, fragment: str) -> None:
    """The scenario is rejected with a problem at exactly `path` mentioning `fragment`."""
    problems = problems_of(doc)
    assert any(p == path and fragment in m for p, m in problems), problems


def set_in(doc: Doc, dotted: str, value: Any) -> Doc:
    """Set `doc` at a path like `units.0.base` (list indices as numbers)."""
    *parents, last = dotted.split(".")
    target: Any = doc
    for key in parents:
        target = target[int(key)] if key.isdigit() else target[key]
    if last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value
    return doc


# (change to the builder world, expected path, expected message fragment)
REFERENCE_CASES: list[tuple[str, Any, str, str]] = [
    ("regions.0.country", "XX", "regions[0].country", "unknown country 'XX'"),
    ("units.0.agency", "NOPE", "units[0].agency", "unknown agency 'NOPE'"),
    ("units.0.base", "ZZ-1", "units[0].base", "unknown region 'ZZ-1'"),
    ("units.0.base", "MM-TAC", "units[0].base", "is in MM, not in the unit's country TH"),
    (
        "units.0.operating_regions",
        ["TH-CRI", "ZZ-1"],
        "units[0].operating_regions[1]",
        "unknown region 'ZZ-1'",
    ),
    ("operations.0.sites.1.region", "XX", "operations[0].sites[1].region", "unknown region 'XX'"),
    ("crossings.0.a", "ZZ-1", "crossings[0].a", "unknown region 'ZZ-1'"),
    ("crossings.0.b", "ZZ-2", "crossings[0].b", "unknown region 'ZZ-2'"),
    ("agreements.0.from", "LA", "agreements[0].from", "unknown country 'LA'"),
    ("agreements.0.to", "VN", "agreements[0].to", "unknown country 'VN'"),
    ("agencies.1.country", "CN", "agencies[1].country", "unknown country 'CN'"),
    ("operations.1.lead_agency", "XX-POL", "operations[1].lead_agency", "unknown agency 'XX-POL'"),
    ("roads.0.b", "ZZ-9", "roads[0].b", "unknown region 'ZZ-9'"),
]


@pytest.mark.parametrize(("where", "value", "path", "fragment"), REFERENCE_CASES)
def test_unknown_references_are_rejected(where: str, value: Any, path: str, fragment: str) -> None:
    assert_rejected(set_in(scenario_dict(), where, value), path, fragment)


DUPLICATE_CASES: list[tuple[str, Callable[[Doc], Any], str, str]] = [
    (
        "regions",
        lambda d: d["regions"].append(dict(d["regions"][0])),
        "regions[4].id",
        "duplicate region id 'TH-CRI' (first at regions[0])",
    ),
    (
        "crossings",
        lambda d: d["crossings"].append(dict(d["crossings"][0])),
        "crossings[1].id",
        "duplicate crossing id 'X-MSI-TAC'",
    ),
    (
        "agencies",
        lambda d: d["agencies"].append(dict(d["agencies"][0])),
        "agencies[2].id",
        "duplicate agency id 'TH-RTP'",
    ),
    (
        "units",
        lambda d: d["units"].append(unit("U-TH1")),
        "units[4].id",
        "duplicate unit id 'U-TH1'",
    ),
    (
        "operations",
        lambda d: add_operations(d, operation("OP-2", sites=[site("S-9", "TH-CRI")])),
        "operations[2].id",
        "duplicate operation id 'OP-2'",
    ),
    (
        "sites",
        lambda d: add_operations(d, operation("OP-9", sites=[site("S-1", "TH-CRI")])),
        "operations[2].sites[0].id",
        "duplicate site id 'S-1' (first at operations[0].sites[0])",
    ),
    (
        "countries",
        lambda d: d["countries"].append(dict(d["countries"][0])),
        "countries[2].code",
        "duplicate country code 'TH'",
    ),
]


@pytest.mark.parametrize(("label", "change", "path", "fragment"), DUPLICATE_CASES)
def test_duplicate_ids_are_rejected(
    label: str, change: Callable[[Doc], Any], path: str, fragment: str
) -> None:
    doc = scenario_dict()
    change(doc)
    assert_rejected(doc, path, fragment)


def test_site_ids_may_repeat_nowhere_even_within_one_operation() -> None:
    doc = set_in(scenario_dict(), "operations.0.sites.1.id", "S-1")
    assert_rejected(doc, "operations[0].sites[1].id", "duplicate site id 'S-1'")


def test_road_joining_two_countries() -> None:
    doc = scenario_dict()
    doc["roads"].append({"a": "TH-MSI", "b": "MM-TAC", "minutes": 5})
    assert_rejected(doc, "roads[2]", "road joins two countries (TH-MSI in TH, MM-TAC in MM)")


def test_crossing_within_one_country() -> None:
    doc = set_in(scenario_dict(), "crossings.0.b", "TH-CRI")
    assert_rejected(doc, "crossings[0]", "crossing joins two regions of one country (TH)")


def test_capability_repeated_within_a_site() -> None:
    doc = scenario_dict()
    doc["operations"][0]["sites"][0]["requirements"].append({"capability": "tactical", "count": 1})
    assert_rejected(doc, "operations[0].sites[0].requirements[1].capability", "'tactical' repeats")


@pytest.mark.parametrize("end", ["2026-12-01T00:00:00Z", "2026-11-30T00:00:00Z"])
def test_horizon_start_not_before_end(end: str) -> None:
    doc = set_in(scenario_dict(), "horizon.end", end)
    assert_rejected(doc, "horizon", "start must be before end")


def test_window_shorter_than_duration() -> None:
    doc = set_in(scenario_dict(), "operations.1.latest_end", "2026-12-01T00:59:00Z")
    assert_rejected(doc, "operations[1].duration_minutes", "shorter than duration_minutes (60)")


def test_window_exactly_the_duration_is_accepted() -> None:
    doc = set_in(scenario_dict(), "operations.1.latest_end", "2026-12-01T01:00:00Z")
    assert load_scenario(doc).operations[1].latest_end.hour == 1


@pytest.mark.parametrize(
    ("fixed", "fragment"),
    [
        ("2026-12-01T10:05:00Z", "off the slot grid (horizon.start + k * 15 minutes)"),
        ("2026-12-01T10:00:00.5Z", "off the slot grid"),
        ("2026-12-02T23:15:00Z", "outside [earliest_start, latest_end - duration_minutes]"),
        ("2026-11-30T23:45:00Z", "outside [earliest_start"),
    ],
)
def test_bad_fixed_start(fixed: str, fragment: str) -> None:
    doc = set_in(scenario_dict(), "operations.1.fixed_start", fixed)
    assert_rejected(doc, "operations[1].fixed_start", fragment)


def test_fixed_start_at_the_last_possible_slot_is_accepted() -> None:
    # latest_end 2026-12-03T00:00Z - 60 minutes; written in Yangon time (+06:30).
    doc = set_in(scenario_dict(), "operations.1.fixed_start", "2026-12-03T05:30:00+06:30")
    assert load_scenario(doc).operations[1].fixed_start is not None


@pytest.mark.parametrize("slot", [7, 1441, 50])
def test_slot_minutes_must_divide_a_day(slot: int) -> None:
    assert_rejected(scenario_dict(slot_minutes=slot), "slot_minutes", "does not divide 1440")


@pytest.mark.parametrize(("opens", "closes"), [("22:00", "06:00"), ("06:00", "06:00")])
def test_daily_window_from_before_to(opens: str, closes: str) -> None:
    doc = set_in(scenario_dict(), "crossings.0.open.0", {"from": opens, "to": closes})
    assert_rejected(doc, "crossings[0].open[0]", f"from {opens} must be before to {closes}")


@pytest.mark.parametrize("bad", ["24:01", "6:00", "25:00", "12:60", 600])
def test_daily_window_format(bad: Any) -> None:
    doc = set_in(scenario_dict(), "crossings.0.open.0.from", bad)
    assert_rejected(doc, "crossings[0].open[0].from", "is not a daily time HH:MM")


def test_availability_window_start_before_end() -> None:
    window = {"start": "2026-12-02T00:00:00Z", "end": "2026-12-01T23:00:00+00:00"}
    doc = set_in(scenario_dict(), "units.1.available", [window])
    assert_rejected(doc, "units[1].available[0]", "start must be before end")


def test_unknown_time_zones() -> None:
    doc = set_in(scenario_dict(), "countries.1.timezone", "Asia/Rangoon-ish")
    set_in(doc, "crossings.0.timezone", "Mars/Olympus")
    problems = problems_of(doc)
    assert ("countries[1].timezone", "unknown IANA time zone 'Asia/Rangoon-ish'") in problems
    assert ("crossings[0].timezone", "unknown IANA time zone 'Mars/Olympus'") in problems


def test_crossing_zone_with_daylight_saving_in_the_horizon() -> None:
    doc = scenario_dict(horizon={"start": "2027-03-20T00:00:00Z", "end": "2027-04-02T00:00:00Z"})
    doc["operations"] = [
        operation(
            "OP-1",
            sites=[site("S-1", "TH-CRI")],
            earliest_start="2027-03-21T00:00:00Z",
            latest_end="2027-03-22T00:00:00Z",
        )
    ]
    set_in(doc, "crossings.0.timezone", "Europe/Berlin")
    assert_rejected(doc, "crossings[0].timezone", "changes its UTC offset within the horizon")


def test_crossing_zone_with_daylight_saving_outside_the_horizon_is_accepted() -> None:
    doc = set_in(scenario_dict(), "crossings.0.timezone", "Europe/Berlin")
    assert load_scenario(doc).crossings[0].timezone == "Europe/Berlin"


def test_invalid_json_reports_line_and_column() -> None:
    text = '{\n  "format": "jointops-scenario/1",\n  "name": oops\n}'
    problems = problems_of(text)
    assert problems == [("", "invalid JSON at line 3, column 11: Expecting value")]


def test_not_an_object() -> None:
    assert problems_of("[1, 2]")[0][1].startswith("Input should be a valid dictionary")


SHAPE_CASES: list[tuple[str, Any, str, str]] = [
    ("units.0.personnel", 0, "units[0].personnel", "greater than or equal to 1"),
    ("units.0.personnel", True, "units[0].personnel", "valid integer"),
    ("units.0.personnel", 2.5, "units[0].personnel", "valid integer"),
    ("units.0.capabilities", [], "units[0].capabilities", "at least 1 item"),
    ("operations.0.sites", [], "operations[0].sites", "at least 1 item"),
    (
        "operations.0.sites.0.requirements",
        [],
        "operations[0].sites[0].requirements",
        "at least 1 item",
    ),
    (
        "operations.0.sites.0.requirements.0.count",
        0,
        "operations[0].sites[0].requirements[0].count",
        "greater than or equal to 1",
    ),
    (
        "operations.0.sites.0.min_personnel",
        -1,
        "operations[0].sites[0].min_personnel",
        "greater than or equal to 0",
    ),
    ("operations.0.priority", 0, "operations[0].priority", "greater than or equal to 1"),
    (
        "operations.0.earliest_start",
        "2026-12-02 00:00",
        "operations[0].earliest_start",
        "not an RFC 3339 instant",
    ),
    (
        "operations.0.earliest_start",
        "2026-12-02T00:00:00",
        "operations[0].earliest_start",
        "not an RFC 3339 instant",
    ),
    (  # offset minutes run 00-59
        "operations.0.earliest_start",
        "2026-12-02T00:00:00+05:75",
        "operations[0].earliest_start",
        "not an RFC 3339 instant",
    ),
    ("crossings.0.transit_minutes", 0, "crossings[0].transit_minutes", "greater than or equal"),
    ("crossings.0.lanes", 0, "crossings[0].lanes", "greater than or equal to 1"),
    ("roads.0.minutes", -5, "roads[0].minutes", "greater than or equal to 0"),
    ("slot_minutes", 0, "slot_minutes", "greater than or equal to 1"),
    ("countries.0.code", "THA", "countries[0].code", "should match pattern"),
    ("regions.0.lat", 91, "regions[0].lat", "less than or equal to 90"),
    ("regions.0.lat", "19.9", "regions[0].lat", "valid number"),
    ("regions.1.lon", True, "regions[1].lon", "valid number"),
    ("operations.0.foreign_support", "yes", "operations[0].foreign_support", "valid boolean"),
    ("operations.0.foreign_support", 1, "operations[0].foreign_support", "valid boolean"),
    ("format", "jointops-scenario/2", "format", "jointops-scenario/1"),
    ("agreements.0.from", None, "agreements[0].from", "valid string"),
    ("units.0.surprise", 1, "units[0].surprise", "Extra inputs are not permitted"),
]


@pytest.mark.parametrize(("where", "value", "path", "fragment"), SHAPE_CASES)
def test_shape_errors_have_spec_paths(where: str, value: Any, path: str, fragment: str) -> None:
    assert_rejected(set_in(scenario_dict(), where, value), path, fragment)


def test_missing_keys_use_the_spec_names() -> None:
    doc = scenario_dict()
    del doc["crossings"][0]["open"][0]["from"]
    del doc["units"][2]["base"]
    problems = problems_of(doc)
    assert ("crossings[0].open[0].from", "Field required") in problems
    assert ("units[2].base", "Field required") in problems


def test_all_problems_are_reported_together() -> None:
    doc = set_in(scenario_dict(), "units.0.personnel", 0)
    set_in(doc, "operations.0.sites.1.region", "XX")
    set_in(doc, "slot_minutes", 7)
    set_in(doc, "agreements.0.to", "TH")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(doc)
    error = caught.value
    assert isinstance(error, ValueError)
    lines = str(error).splitlines()
    assert len(lines) == len(error.problems) == 4
    assert "units[0].personnel: Input should be greater than or equal to 1" in lines
    assert "operations[0].sites[1].region: unknown region 'XX'" in lines
    assert "slot_minutes: 7 does not divide 1440 (the minutes of a day)" in lines
    assert "agreements[0]: from and to are the same country 'TH'" in lines


def test_unknown_country_is_reported_once_not_by_every_rule_that_uses_it() -> None:
    doc = set_in(scenario_dict(), "regions.0.country", "XX")
    assert problems_of(doc) == [("regions[0].country", "unknown country 'XX'")]


def test_null_optional_keys_mean_absent() -> None:
    doc = scenario_dict()
    set_in(doc, "crossings.0.open", None)
    set_in(doc, "units.0.operating_regions", None)
    set_in(doc, "units.0.available", None)
    set_in(doc, "operations.0.fixed_start", None)
    set_in(doc, "operations.0.sites.0.min_personnel", None)
    scenario = load_scenario(doc)
    assert scenario.crossings[0].open is None
    assert scenario.units[0].available is None and scenario.units[0].operating_regions is None
    assert scenario.operations[0].sites[0].required_personnel == 0


def test_accepted_edge_values() -> None:
    doc = scenario_dict()
    set_in(
        doc,
        "crossings.0.open",
        [{"from": "18:00", "to": "24:00"}, {"from": "00:00", "to": "06:00"}],
    )
    set_in(doc, "units.0.operating_regions", [])
    set_in(
        doc,
        "units.1.available",
        [
            {"start": "2026-11-01T00:00:00Z", "end": "2026-12-02T00:00:00Z"},
            {"start": "2026-12-01T12:00:00+07:00", "end": "2027-01-01T00:00:00Z"},
        ],
    )
    set_in(doc, "units.2.available", [])
    set_in(doc, "slot_minutes", 1440)
    scenario = load_scenario(doc)
    assert scenario.units[0].operating_regions == []
    assert scenario.units[2].available == []


def test_a_scenario_with_unschedulable_operations_is_still_valid() -> None:
    # Myanmar units may not go to Thailand and no Thai unit has "k9": never schedulable.
    doc = add_operations(
        scenario_dict(), operation("OP-9", sites=[site("S-9", "TH-CRI", {"k9": 1})])
    )
    assert len(load_scenario(doc).operations) == 3


@pytest.mark.parametrize("name", ["tiny", "small", "scarce"])
def test_the_sample_scenarios_load(name: str) -> None:
    path = DATA / f"{name}.json"
    scenario = load_scenario(path)
    assert scenario.operations and scenario.units
    if name == "tiny":
        assert load_scenario(str(path)) == scenario
        assert load_scenario(path.read_text()) == scenario
        assert load_scenario(json.loads(path.read_text())) == scenario


def test_unreadable_file() -> None:
    problems = problems_of(Path("/nonexistent/scenario.json"))
    assert problems[0][0] == "" and "cannot read /nonexistent/scenario.json" in problems[0][1]


# ---- plans -------------------------------------------------------------------------------


def plan_problems(doc: Any) -> list[tuple[str, str]]:
    with pytest.raises(PlanError) as caught:
        load_plan(doc)
    assert isinstance(caught.value, ValueError)
    return [(p.path, p.message) for p in caught.value.problems]


def test_the_builder_plan_loads_with_spec_key_names() -> None:
    plan = load_plan(valid_plan_dict())
    assert plan.operations[0].assignments[1].crossing == "X-MSI-TAC"
    data = plan.to_json_dict()
    assert "return" in data["operations"][0]["assignments"][0]
    assert "crossing" not in data["operations"][0]["assignments"][0]


def test_plan_shape_errors_with_paths() -> None:
    doc = valid_plan_dict()
    del doc["operations"][0]["assignments"][2]["return"]
    doc["operations"][1]["start"] = "tomorrow"
    doc["unscheduled"] = [{"id": "OP-3"}]
    doc["format"] = "jointops-plan/0"
    problems = plan_problems(doc)
    assert ("operations[0].assignments[2].return", "Field required") in problems
    assert any(p == "operations[1].start" and "not an RFC 3339" in m for p, m in problems)
    assert ("unscheduled[0].reasons", "Field required") in problems
    assert any(p == "format" for p, _ in problems)


def test_plan_required_keys_and_nulls() -> None:
    problems = plan_problems({"format": "jointops-plan/1", "operations": []})
    assert problems == [("unscheduled", "Field required")]
    doc = valid_plan_dict()
    doc["operations"][0]["assignments"][0].update(crossing=None, cross_out=None, cross_back=None)
    doc.update(objective=None, solver=None, scenario=None)
    assert load_plan(doc).operations[0].assignments[0].crossing is None


def test_plan_invalid_json() -> None:
    assert plan_problems('{"format": ')[0][1].startswith("invalid JSON at line 1, column 12")


@pytest.mark.parametrize(
    "where",
    [
        "operations.1.duration_minutes",
        "operations.0.priority",
        "units.0.personnel",
        "roads.0.minutes",
        "crossings.0.lanes",
    ],
)
def test_huge_integers_are_refused_with_the_limit_not_crashed_on(where: str) -> None:
    # The solver works in 64-bit integers: a priority of 10**19 crashed it.
    doc = set_in(scenario_dict(), where, 10**19)
    path = where.replace(".0.", "[0].").replace(".1.", "[1].")
    assert (path, "Input should be less than or equal to 1000000000") in problems_of(doc)


def test_a_billion_is_still_accepted() -> None:
    doc = set_in(scenario_dict(), "operations.0.priority", 10**9)
    scenario = make_scenario(set_in(doc, "units.0.personnel", 10**9))
    assert scenario.operations[0].priority == 10**9


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+01:00"])
def test_instants_without_a_utc_equivalent(moment: str) -> None:
    doc = set_in(scenario_dict(), "horizon.end", moment)
    assert_rejected(doc, "horizon.end", "outside the representable range of instants")


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=5)
    | st.sampled_from(
        ["TH", "TH-CRI", "MM-TAC", "S-1", "U-TH1", "24:00", "2026-12-02T00:00:00Z", "Asia/Yangon"]
    ),
    lambda inner: (
        st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=3), inner, max_size=2)
    ),
    max_leaves=4,
)


def leaf_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key/index path inside a JSON value."""
    items: Any = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else []
    )
    return [p for key, child in items for p in [(*path, key), *leaf_paths(child, (*path, key))]]


def replace_at(doc: Any, path: tuple[Any, ...], value: Any) -> None:
    """Put `value` at `path` when the path still exists (earlier changes may have cut it)."""
    *parents, last = path
    try:
        for key in parents:
            doc = doc[key]
        doc[last] = value
    except (KeyError, IndexError, TypeError):
        pass


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_any_corruption_is_rejected_with_problems_never_a_crash(data: st.DataObject) -> None:
    doc = scenario_dict()
    paths = leaf_paths(doc)
    for _ in range(data.draw(st.integers(1, 3))):
        replace_at(doc, data.draw(st.sampled_from(paths)), data.draw(JSON_VALUES))
    try:
        load_scenario(doc)
    except ScenarioError as error:
        assert error.problems and all(isinstance(p.path, str) for p in error.problems)
