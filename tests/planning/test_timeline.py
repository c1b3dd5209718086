"""The timeline: unit rows with trips and operations, crossing lanes with closed hours."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sample_data import TINY
from solver.solve_helpers import assert_not_fallback

from app.i18n import current_language, speaking
from app.planning.timeline import LABEL, WIDTH, Bar, Timeline, build_timeline
from app.solver.instance import Instance
from app.solver.loader import load_scenario
from app.solver.schema import Plan
from app.solver.solve import SolveOptions, solve


def test_rows_for_units_and_every_lane_of_used_crossings() -> None:
    scenario = load_scenario(TINY)
    result = solve(Instance(scenario), SolveOptions(time_limit=2, workers=1,
                                                    include_timing=False))
    assert_not_fallback(result)
    plan = result.plan
    timeline = build_timeline(scenario, plan)
    units = {a.unit for op in plan.operations for a in op.assignments}
    used = {a.crossing for op in plan.operations for a in op.assignments if a.crossing}
    assert used, "tiny's plan crosses borders"
    unit_rows = [row for row in timeline.rows if row.kind == "unit"]
    assert {row.key for row in unit_rows} == units
    callsigns = {u.id: u.callsign for u in scenario.units}
    assert {row.label for row in unit_rows} == {callsigns[u] for u in units}
    crossings = {c.id: c for c in scenario.crossings}
    lanes = [row for row in timeline.rows if row.kind == "lane"]
    assert len(lanes) == sum(crossings[c].lanes for c in used)
    passages = [bar for row in lanes for bar in row.bars if bar.kind == "passage"]
    assert len(passages) == 2 * sum(
        1 for op in plan.operations for a in op.assignments if a.crossing)
    # Every used crossing here closes at night: each lane shows closed time.
    assert all(any(bar.kind == "closed" for bar in row.bars) for row in lanes)
    for row in timeline.rows:
        for bar in row.bars:
            assert LABEL <= bar.x <= WIDTH and bar.x + bar.width <= WIDTH + 1
    ops = [bar for row in unit_rows for bar in row.bars if bar.kind == "op"]
    names = {op.id: op.name for op in scenario.operations}
    assert {bar.label for bar in ops} == {names[op.id] for op in plan.operations}
    assert timeline.start <= min(a.depart for op in plan.operations for a in op.assignments)
    assert timeline.end - timeline.start >= timedelta(hours=1)
    assert [y for y in (row.y for row in timeline.rows)] == sorted({row.y for row in
                                                                    timeline.rows})


def test_an_empty_plan_spans_the_horizon() -> None:
    scenario = load_scenario(TINY)
    result = solve(Instance(scenario.model_copy(update={"operations": []})),
                   SolveOptions(time_limit=1, workers=1))
    assert_not_fallback(result)
    plan = result.plan
    timeline = build_timeline(scenario, plan)
    assert timeline.rows == [] and timeline.start == scenario.horizon.start
    assert timeline.ticks


def test_grouped_by_operation_with_names_now_line_month_and_table() -> None:
    scenario = load_scenario(TINY)
    result = solve(Instance(scenario), SolveOptions(time_limit=2, workers=1,
                                                    include_timing=False))
    assert_not_fallback(result)
    plan = result.plan
    first = min(a.depart for op in plan.operations for a in op.assignments)
    timeline = build_timeline(scenario, plan, now=first + timedelta(minutes=30))
    # Grouped: each operation's heading row, then exactly the rows of its units.
    names = {op.id: op.name for op in scenario.operations}
    heads = [i for i, row in enumerate(timeline.rows) if row.kind == "operation"]
    assert [timeline.rows[i].key for i in heads] == [
        op.id for op in sorted(plan.operations, key=lambda o: (o.start, o.id))]
    for i in heads:
        op = next(o for o in plan.operations if o.id == timeline.rows[i].key)
        assert timeline.rows[i].label == f"{names[op.id]} ({op.id})"
        following = timeline.rows[i + 1:i + 1 + len(op.assignments)]
        assert [row.kind for row in following] == ["unit"] * len(op.assignments)
        assert {row.key for row in following} == {a.unit for a in op.assignments}
    # Passages are named by callsign and operation name, not by ids.
    callsigns = {u.callsign for u in scenario.units}
    passages = [bar for row in timeline.rows for bar in row.bars if bar.kind == "passage"]
    assert passages and all(bar.label.rsplit(" ", 1)[0] in callsigns for bar in passages)
    # "now" is inside the window: a line at its place; outside: none.
    assert timeline.now_x is not None and LABEL <= timeline.now_x <= WIDTH
    assert build_timeline(scenario, plan, now=timeline.end + timedelta(days=1)).now_x is None
    assert timeline.start.strftime("%B %Y") in timeline.months
    # Every bar carries its instants for the script; the table lists every order.
    assert all(bar.start and bar.end and bar.start <= bar.end
               for row in timeline.rows for bar in row.bars)
    assert len(timeline.table) == sum(len(op.assignments) for op in plan.operations)
    assert {row["unit"] for row in timeline.table} <= callsigns


def test_trips_that_take_no_time_are_not_drawn() -> None:
    """A unit based at its site leaves at H-hour and is back at the end: no travel bars;
    a unit that travels keeps both of its trips."""
    scenario = load_scenario(TINY)
    result = solve(Instance(scenario), SolveOptions(time_limit=2, workers=1,
                                                    include_timing=False))
    assert_not_fallback(result)
    plan = result.plan
    op = plan.operations[0]
    home, away = op.assignments[0], op.assignments[0]
    end = op.start + timedelta(minutes=next(
        o.duration_minutes for o in scenario.operations if o.id == op.id))
    home = home.model_copy(update={"unit": "HOME", "depart": op.start, "return_": end,
                                   "crossing": None, "cross_out": None, "cross_back": None})
    away = away.model_copy(update={"depart": op.start - timedelta(hours=2),
                                   "return_": end + timedelta(hours=2)})
    one = plan.model_copy(update={"operations": [
        op.model_copy(update={"assignments": [home, away]})]})
    rows = {row.key: row for row in build_timeline(scenario, one).rows if row.kind == "unit"}
    assert [bar.kind for bar in rows["HOME"].bars] == ["op"]
    assert [bar.kind for bar in rows[away.unit].bars] == ["travel", "op", "travel"]


def test_a_thai_reader_reads_the_bars_lanes_and_table_in_thai() -> None:
    """Issue 11: the timeline is built in the request's language (the run review keeps one
    per language): bar titles and labels, lane rows and the table's passages read in Thai,
    with names and times kept; in English they read as before."""
    scenario = load_scenario(TINY)
    result = solve(Instance(scenario), SolveOptions(time_limit=2, workers=1,
                                                    include_timing=False))
    assert_not_fallback(result)
    plan = result.plan
    op, a = next((op, a) for op in plan.operations for a in op.assignments if a.crossing)
    callsign = next(u.callsign for u in scenario.units if u.id == a.unit)
    crossing = next(c.name for c in scenario.crossings if c.id == a.crossing)
    region = next(s.region for o in scenario.operations for s in o.sites if s.id == a.site)
    site = next((r.name for r in scenario.regions if r.id == region), region)
    # Day and month in Thai words (Babel's), the time 24-hour: 3 ธ.ค. 02:00Z.
    times = f"{_thai_day(a.depart)} ถึง {_thai_day(op.start)}"

    def out_bar(timeline: Timeline) -> Bar:
        row = next(row for row in timeline.rows if row.kind == "unit" and row.key == a.unit)
        return next(bar for bar in row.bars if bar.kind == "travel" and bar.start == a.depart)

    token = current_language.set("th")
    try:
        thai = build_timeline(scenario, plan)
    finally:
        current_language.reset(token)
    bar = out_bar(thai)
    assert bar.title == f"{callsign} ออกเดินทางไป {site} ผ่าน {crossing}: {times}"
    assert bar.label == f"ไป {site}"
    lanes = [row.label for row in thai.rows if row.kind == "lane"]
    assert f"{crossing} · ช่องทาง 1" in lanes
    passages = [b for row in thai.rows for b in row.bars if b.kind == "passage"]
    assert f"{callsign} ขาออก" in {b.label for b in passages}
    assert any(row["crossing"].startswith(f"{crossing}: ออก ") for row in thai.table)
    words = [b.title for row in thai.rows for b in row.bars] + lanes
    assert not any(english in text for text in words
                   for english in (" out to ", " back to base", " to ", " lane ", " closed:"))
    english = out_bar(build_timeline(scenario, plan))
    english_times = f"{a.depart.strftime('%d %b %H:%MZ')} to {op.start.strftime('%d %b %H:%MZ')}"
    assert english.title == f"{callsign} out to {site} via {crossing}: {english_times}"


_THAI_MONTHS = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.",
                "พ.ย.", "ธ.ค.")


def _thai_day(at: datetime) -> str:
    """`3 ธ.ค. 02:00Z`: written out here, not by the code under test."""
    return f"{at.day} {_THAI_MONTHS[at.month - 1]} {at:%H:%M}Z"


def test_ticks_and_months_read_in_the_readers_language() -> None:
    """Issue 11: the day ticks and the month heading are in the reader's words (Chinese
    here), never the English month; English reads as before."""
    scenario = load_scenario(TINY)
    plan = Plan(format="jointops-plan/1", operations=[], unscheduled=[])
    # A window of several days: its ticks fall on midnights, labelled by day and month.
    scenario = scenario.model_copy(update={"horizon": scenario.horizon.model_copy(update={
        "end": scenario.horizon.start + timedelta(days=5)})})
    with speaking("zh-Hans"):
        chinese = build_timeline(scenario, plan)
        months = chinese.months
    days = [label for _, label in chinese.ticks if ":" not in label]
    assert days and all(re.fullmatch(r"\d{1,2}月\d{1,2}日", label) for label in days), days
    start = scenario.horizon.start
    assert f"{start.year}年{start.month}月" in months
    assert start.strftime("%B") not in months and start.strftime("%b") not in "".join(days)
    english = build_timeline(scenario, plan)
    assert start.strftime("%B %Y") in english.months
    assert any(re.fullmatch(r"\d\d [A-Z][a-z]{2}", label) for _, label in english.ticks)
