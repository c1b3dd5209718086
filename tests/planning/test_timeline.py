"""The timeline: unit rows with trips and operations, crossing lanes with closed hours."""

from __future__ import annotations

from datetime import timedelta

from sample_data import TINY
from solver.solve_helpers import assert_not_fallback

from app.planning.timeline import LABEL, WIDTH, build_timeline
from app.solver.instance import Instance
from app.solver.loader import load_scenario
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
    assert {row.label.split()[0] for row in unit_rows} == units
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
    assert {bar.label for bar in ops} == {op.id for op in plan.operations}
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
