"""Nothing new in the past (issue 11): with `Instance(not_before=...)` free operations
start, and their units leave, no earlier than the board's now plus the notice, while a
pinned operation keeps its times even when they lie before it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.solver.instance import Instance
from app.solver.solve import SolveOptions, solve

from .builders import make_plan, make_scenario, operation, scenario_dict, site
from .solve_helpers import assert_not_fallback, assert_valid

# The builders' world runs 2026-12-01 00:00Z to 12-04 00:00Z; "now plus notice" is mid-way.
NOT_BEFORE = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)


def _solve(doc: dict, **options: object):  # type: ignore[no-untyped-def]
    scenario = make_scenario(doc)
    result = solve(Instance(scenario, not_before=NOT_BEFORE),
                   SolveOptions(time_limit=5, workers=1, seed=1, **options))  # type: ignore[arg-type]
    assert_valid(scenario, result.plan)
    assert_not_fallback(result)
    return result


def test_free_operations_and_their_trips_start_after_now_plus_notice() -> None:
    pinned = make_plan().operations[0]  # OP-1 at 2026-12-02 03:00Z, U-TH1 leaves at 01:00Z
    assert pinned.start < NOT_BEFORE
    result = _solve(scenario_dict(), fixed=[pinned])
    by_id = {op.id: op for op in result.plan.operations}
    assert by_id["OP-1"] == pinned  # kept exactly, in the past of NOT_BEFORE
    free = by_id["OP-2"]  # its window opens on 12-01: it could have gone before
    assert free.start >= NOT_BEFORE
    assert all(a.depart >= NOT_BEFORE for a in free.assignments)


def test_an_operation_whose_window_closes_before_now_plus_notice_says_so() -> None:
    doc = scenario_dict()
    doc["operations"].append(operation(
        "OP-OLD", sites=[site("S-OLD", "TH-CRI")], earliest_start="2026-12-01T02:00:00Z",
        latest_end="2026-12-01T08:00:00Z"))
    result = _solve(doc)
    (reasons,) = [u.reasons for u in result.plan.unscheduled if u.id == "OP-OLD"]
    assert any("closes before now plus the notice" in r for r in reasons), reasons
    # Without the floor it is planned: the window itself is fine.
    plain = solve(Instance(make_scenario(doc)), SolveOptions(time_limit=5, workers=1, seed=1))
    assert "OP-OLD" in {op.id for op in plain.plan.operations}


def test_no_floor_is_the_horizon_start() -> None:
    instance = Instance(make_scenario())
    early = Instance(make_scenario(), not_before=datetime(2026, 11, 1, tzinfo=UTC))
    assert instance.first_free_minute == early.first_free_minute == 0
    assert instance.unit_available == early.unit_available
    late = Instance(make_scenario(), not_before=NOT_BEFORE + timedelta(minutes=1))
    assert late.first_free_minute == 30 * 60 + 1
    assert all(a >= late.first_free_minute for w in late.unit_available.values() for a, _ in w)
