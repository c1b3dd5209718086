"""Issue 11, local time: nothing is scheduled in the past, and short notice is flagged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.errors import Conflict
from app.models import BoardConfig, Plan, User
from app.planning import service
from app.planning.notice import start_no_earlier_than
from app.planning.worker import run_job
from app.solver.schema import Assignment, ScheduledOperation, parse_instant

from .consent_helpers import confirm_hosts

START = datetime(2026, 12, 2, tzinfo=UTC)


def _doc() -> dict:
    return {"horizon": {"start": "2026-12-02T00:00:00Z", "end": "2026-12-09T00:00:00Z"},
            "slot_minutes": 15}


def test_the_solve_starts_at_now_plus_the_notice_on_the_slot_grid() -> None:
    early = _doc()
    assert start_no_earlier_than(early, now=START - timedelta(days=1), fixed=[]) == START
    assert early["horizon"]["start"] == "2026-12-02T00:00:00Z"  # not in the past: kept
    doc = _doc()
    moved = start_no_earlier_than(doc, now=START + timedelta(hours=5, minutes=7), fixed=[])
    # 05:07 + 60 min notice = 06:07, up to the next slot: 06:15.
    assert moved == START + timedelta(hours=6, minutes=15)
    assert doc["horizon"]["start"] == "2026-12-02T06:15:00Z"


def test_a_pinned_operation_keeps_its_times_and_a_spent_horizon_is_refused() -> None:
    pinned = ScheduledOperation(id="OP-1", start=START + timedelta(hours=4), assignments=[
        Assignment(site="S-1", unit="U-1", capability="k9",
                   depart=START + timedelta(hours=3, minutes=20),
                   **{"return": START + timedelta(hours=9)})])
    doc = _doc()
    moved = start_no_earlier_than(doc, now=START + timedelta(hours=5), fixed=[pinned])
    assert moved == START + timedelta(hours=3, minutes=15)  # its departure, on the grid
    with pytest.raises(Conflict, match="widen it on the planning page"):
        start_no_earlier_than(_doc(), now=START + timedelta(days=8), fixed=[])


def test_a_run_never_schedules_before_now_and_flags_short_notice(
    client: TestClient, tiny_board: Session, planner: User, admin: User,
    login: Callable[[TestClient, User], TestClient],
    set_clock: Callable[[datetime], object],
) -> None:
    config = tiny_board.get(BoardConfig, 1)
    assert config is not None
    now = config.horizon_start + timedelta(hours=10, minutes=7)
    set_clock(now)
    run = service.start_run(tiny_board, user=planner, time_limit=2, seed=1)
    tiny_board.commit()
    earliest = parse_instant(run.scenario["horizon"]["start"])  # type: ignore[index]
    assert earliest == config.horizon_start + timedelta(hours=11, minutes=15)
    # The floor the worker gives the solver, for when pinned operations hold the horizon
    # start back (tests/solver/test_not_before.py): now plus the 60-minute notice.
    assert parse_instant(run.params["not_before"]) == now + timedelta(hours=1)
    run_job(int(run.id or 0), session=tiny_board)
    plan = tiny_board.exec(select(Plan).where(Plan.solver_run_id == run.id)).one()
    starts = {op["id"]: parse_instant(op["start"]) for op in plan.document["operations"]}
    assert starts and all(start >= earliest for start in starts.values())
    for op in plan.document["operations"]:
        assert all(parse_instant(a["depart"]) >= earliest for a in op["assignments"])
    page = login(client, admin).get(f"/planning/runs/{run.id}").text
    soon = {op_id for op_id, start in starts.items() if start - now < timedelta(hours=24)}
    later = set(starts) - soon
    assert soon, "the tiny board should have an operation within a day of the solve"
    flagged = page[page.index('id="short-notice"'):page.index("</div>",
                                                             page.index('id="short-notice"'))]
    assert all(op_id in flagged for op_id in soon)
    assert not any(op_id in flagged for op_id in later)


def test_pinned_operations_are_not_flagged_as_short_notice(
    client: TestClient, tiny_board: Session, planner: User, admin: User,
    login: Callable[[TestClient, User], TestClient],
    set_clock: Callable[[datetime], object],
) -> None:
    from app.planning.publish import publish_plan

    config = tiny_board.get(BoardConfig, 1)
    assert config is not None
    set_clock(config.horizon_start - timedelta(days=1))
    first = service.start_run(tiny_board, user=planner, time_limit=2, seed=1)
    tiny_board.commit()
    run_job(int(first.id or 0), session=tiny_board)
    plan = tiny_board.exec(select(Plan).where(Plan.solver_run_id == first.id)).one()
    confirm_hosts(tiny_board, plan)
    publish_plan(tiny_board, plan=plan, user=planner, confirmed=set())
    tiny_board.commit()
    starts = sorted(parse_instant(op["start"]) for op in plan.document["operations"])
    # A day later the first published raid is hours away: the next solve keeps it pinned.
    set_clock(starts[0] - timedelta(hours=3))
    again = service.start_run(tiny_board, user=planner, time_limit=2, seed=1)
    tiny_board.commit()
    run_job(int(again.id or 0), session=tiny_board)
    pinned = set(again.params["pinned"])
    assert pinned
    page = login(client, admin).get(f"/planning/runs/{again.id}").text
    if 'id="short-notice"' in page:
        flagged = page[page.index('id="short-notice"'):page.index(
            "</div>", page.index('id="short-notice"'))]
        assert not any(op_id in flagged for op_id in pinned)
