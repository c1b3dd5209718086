"""`Instance`: distances, routes, crossing openings, availability and start grids."""

from __future__ import annotations

from typing import Any

import pytest

from app.solver.instance import Instance, Route, shortest_paths

from .builders import add_operations, make_scenario, operation, scenario_dict, site

Doc = dict[str, Any]
DAY = 1440


def instance(doc: Doc | None = None) -> Instance:
    return Instance(make_scenario(doc))


def test_shortest_paths_use_the_shortest_of_repeated_roads_in_either_order() -> None:
    roads = [("A", "B", 50), ("B", "A", 30), ("B", "C", 10), ("A", "C", 100)]
    distances = shortest_paths(["A", "B", "C", "D"], roads)
    assert distances["A"] == {"A": 0, "B": 30, "C": 40}
    assert distances["C"]["A"] == 40
    assert distances["D"] == {"D": 0}


def test_distances_of_the_builder_world() -> None:
    world = instance()
    assert world.distance("TH-CRI", "TH-MSI") == world.distance("TH-MSI", "TH-CRI") == 60
    assert world.distance("MM-KTG", "MM-KTG") == 0
    assert world.distance("TH-CRI", "MM-TAC") is None  # roads never cross a border


def test_a_zero_minute_road_and_a_repeated_pair() -> None:
    doc = scenario_dict()
    doc["roads"] += [
        {"a": "TH-MSI", "b": "TH-CRI", "minutes": 45},
        {"a": "MM-KTG", "b": "MM-TAC", "minutes": 0},
    ]
    world = instance(doc)
    assert world.distance("TH-CRI", "TH-MSI") == 45
    assert world.distance("MM-TAC", "MM-KTG") == 0


def test_domestic_and_cross_border_routes() -> None:
    world = instance()
    assert world.routes("TH-CRI", "TH-MSI") == [Route(None, 0, 0, 60)]
    abroad = world.routes("TH-CRI", "MM-KTG")
    assert abroad == [Route("X-MSI-TAC", 60, 30, 120)]
    assert abroad[0].one_way == 210 and abroad[0].travel == 420
    # A Myanmar unit goes the other way: A = MM-TAC, B = TH-MSI.
    assert world.routes("MM-KTG", "TH-CRI") == [Route("X-MSI-TAC", 120, 30, 60)]


def test_routes_are_sorted_shortest_first_and_skip_unreachable_ends() -> None:
    doc = scenario_dict()
    doc["crossings"].append(
        dict(doc["crossings"][0], id="X-CRI-KTG", a="MM-KTG", b="TH-CRI", transit_minutes=45)
    )
    doc["regions"].append({"id": "MM-ISL", "name": "Island", "country": "MM", "lat": 0, "lon": 0})
    doc["crossings"].append(dict(doc["crossings"][0], id="X-ISL", b="MM-ISL"))
    world = instance(doc)
    assert [r.crossing for r in world.routes("TH-CRI", "MM-KTG")] == ["X-CRI-KTG", "X-MSI-TAC"]
    assert world.routes("TH-CRI", "MM-KTG")[0] == Route("X-CRI-KTG", 0, 45, 0)
    assert world.routes("TH-CRI", "MM-ISL") == [Route("X-ISL", 60, 30, 0)]


def test_no_crossing_between_two_countries_means_no_route() -> None:
    world = instance(scenario_dict(crossings=[]))
    assert world.routes("TH-CRI", "MM-TAC") == []


def crossing_open(windows: list[tuple[str, str]] | None, timezone: str = "Asia/Bangkok") -> Any:
    doc = scenario_dict()
    doc["crossings"][0]["timezone"] = timezone
    doc["crossings"][0]["open"] = (
        None if windows is None else [{"from": a, "to": b} for a, b in windows]
    )
    return instance(doc).crossing_open["X-MSI-TAC"]


def test_crossing_open_daily_hours_in_local_time() -> None:
    # 06:00-22:00 in Bangkok is 23:00Z-15:00Z; the horizon starts at 07:00 Bangkok time.
    assert crossing_open([("06:00", "22:00")]) == [
        (0, 900),
        (1380, 900 + DAY),
        (1380 + DAY, 900 + 2 * DAY),
        (1380 + 2 * DAY, 3 * DAY),
    ]


def test_crossing_open_in_a_half_hour_zone() -> None:
    # 06:00-22:00 in Yangon (+06:30) is 23:30Z-15:30Z.
    assert crossing_open([("06:00", "22:00")], "Asia/Yangon")[:2] == [(0, 930), (1410, 930 + DAY)]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("9999-12-28T00:00:00Z", "9999-12-31T00:00:00Z"),
        ("0001-01-02T00:00:00Z", "0001-01-05T00:00:00Z"),
    ],
)
def test_crossing_hours_at_the_ends_of_the_calendar(start: str, end: str) -> None:
    # Valid horizons, if unusual: the day before and after them do not exist in Python.
    doc = scenario_dict(horizon={"start": start, "end": end})
    doc["operations"] = []
    open_hours = Instance(make_scenario(doc)).crossing_open["X-MSI-TAC"]
    # 06:00-22:00 in Bangkok (in year 1 at its local mean time, +06:42:04): open from
    # the start, then from each evening to the next afternoon, the last until the end.
    assert len(open_hours) == 4 and open_hours[-1][1] == 3 * DAY
    assert all(start < end for start, end in open_hours)


def test_windows_touching_at_midnight_join() -> None:
    # 18:00-24:00 and 00:00-06:00 Bangkok: one opening 11:00Z-23:00Z each night.
    joined = crossing_open([("18:00", "24:00"), ("00:00", "06:00")])
    assert joined == [(660, 1380), (660 + DAY, 1380 + DAY), (660 + 2 * DAY, 1380 + 2 * DAY)]


def test_windows_touching_within_a_day_join_and_a_gap_splits() -> None:
    assert crossing_open([("06:00", "12:00"), ("12:00", "22:00")])[:2] == [(0, 900), (1380, 2340)]
    split = crossing_open([("18:00", "23:59"), ("00:00", "06:00")])
    assert split[:2] == [(660, 1019), (1020, 1380)]


@pytest.mark.parametrize("windows", [None, []])
def test_absent_or_empty_open_means_always_open(windows: list[tuple[str, str]] | None) -> None:
    assert crossing_open(windows) == [(0, 3 * DAY)]


def unit_available(windows: list[tuple[str, str]] | None) -> Any:
    doc = scenario_dict()
    if windows is not None:
        doc["units"][0]["available"] = [{"start": s, "end": e} for s, e in windows]
    return instance(doc).unit_available["U-TH1"]


def test_availability_defaults_to_the_horizon_and_empty_means_never() -> None:
    assert unit_available(None) == [(0, 3 * DAY)]
    assert unit_available([]) == []


def test_availability_windows_join_and_are_clipped_to_the_horizon() -> None:
    windows = [
        ("2026-11-01T00:00:00Z", "2026-12-01T10:00:00Z"),
        ("2026-12-01T17:00:00+07:00", "2026-12-01T12:00:00Z"),  # touches the first
        ("2026-12-01T11:00:00Z", "2026-12-01T13:00:00Z"),  # overlaps the second
        ("2026-12-02T00:00:00Z", "2027-01-01T00:00:00Z"),
    ]
    assert unit_available(windows) == [(0, 780), (DAY, 3 * DAY)]


def test_availability_is_rounded_inwards_to_whole_minutes() -> None:
    windows = [
        ("2026-12-01T00:00:30Z", "2026-12-01T10:00:59.9Z"),
        ("2026-12-01T12:00:10Z", "2026-12-01T12:00:50Z"),  # no whole minute left
    ]
    assert unit_available(windows) == [(1, 600)]


def starts(**fields: Any) -> list[int]:
    doc = add_operations(
        scenario_dict(), operation("OP-9", sites=[site("S-9", "TH-CRI")], **fields)
    )
    world = instance(doc)
    return world.start_minutes(world.operations["OP-9"])


def test_start_grid_covers_the_window() -> None:
    grid = starts()  # 2026-12-01T00:00Z .. 2026-12-03T00:00Z, 60 minutes, 15-minute slots
    assert grid[:3] == [0, 15, 30] and grid[-1] == 2 * DAY - 60
    assert len(grid) == (2 * DAY - 60) // 15 + 1


def test_start_grid_rounds_an_off_grid_earliest_start_up() -> None:
    grid = starts(earliest_start="2026-12-01T10:07:00Z", latest_end="2026-12-01T12:00:00Z")
    assert grid == [615, 630, 645, 660]


def test_start_grid_stays_inside_the_horizon() -> None:
    grid = starts(earliest_start="2026-11-30T00:00:00Z", latest_end="2026-12-10T00:00:00Z")
    assert grid[0] == 0 and grid[-1] == 3 * DAY - 60


def test_fixed_start_is_the_only_start() -> None:
    assert starts(fixed_start="2026-12-01T17:00:00+07:00") == [600]


def test_jurisdiction_and_eligibility() -> None:
    doc = scenario_dict()
    doc["units"][1]["operating_regions"] = ["TH-CRI"]
    world = instance(doc)
    op1, op2 = world.operations["OP-1"], world.operations["OP-2"]
    s1, s2, s3 = op1.sites[0], op1.sites[1], op2.sites[0]
    units = world.units
    assert world.jurisdiction_problem(units["U-TH1"], op1, s1) is None
    assert world.jurisdiction_problem(units["U-TH2"], op1, s2) == (
        "TH-MSI is outside the operating regions of U-TH2"
    )
    assert (
        world.jurisdiction_problem(units["U-MM1"], op1, s2)
        == "no agreement lets units of MM deploy into TH"
    )
    assert "no foreign-support consent" in (
        world.jurisdiction_problem(units["U-MM1"], op2, s3) or ""
    )
    assert world.may_fill(units["U-TH1"], op1, s1, "tactical")
    assert not world.may_fill(units["U-TH1"], op1, s1, "investigation")
    assert not world.may_fill(units["U-MM2"], op1, s2, "investigation")
