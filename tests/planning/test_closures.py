"""Issue 11: crossing closures in the planning scenario. The format's crossing hours are
daily windows, so a dated closure is mapped conservatively (its times of day closed on
every day of the horizon, a crossing with nothing left removed): never through a closed
crossing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import Crossing, CrossingClosure, User
from app.planning import service
from app.planning.closures import (
    apply_closures,
    closed_times_of_day,
    closure_interval,
    narrowed_windows,
)
from app.planning.scenario import planning_document
from app.planning.worker import run_job
from app.solver.loader import load_plan, load_scenario
from app.solver.schema import parse_instant

Login = Callable[[TestClient, User], TestClient]
BKK = "Asia/Bangkok"  # UTC+07:00
# Instants of any date: the functions compare instants only.
H0 = datetime(2031, 5, 1, 0, 0, tzinfo=UTC)
HORIZON = (H0, H0 + timedelta(days=14))


def test_a_whole_day_closure_inside_the_horizon_closes_every_time_of_day() -> None:
    interval = closure_interval(date(2031, 5, 5), date(2031, 5, 5), BKK)
    assert interval == (datetime(2031, 5, 4, 17, tzinfo=UTC), datetime(2031, 5, 5, 17, tzinfo=UTC))
    assert closed_times_of_day([interval], BKK, HORIZON) == [(0, 1440)]
    assert narrowed_windows([{"from": "06:30", "to": "21:00"}], [(0, 1440)]) == []


def test_a_closure_outside_the_horizon_changes_nothing() -> None:
    before = closure_interval(date(2031, 4, 1), date(2031, 4, 20), BKK)
    after = closure_interval(date(2031, 6, 1), date(2031, 6, 1), BKK)
    assert closed_times_of_day([before, after], BKK, HORIZON) == []


def test_a_closure_overlapping_the_horizon_edge_closes_only_those_times_of_day() -> None:
    # The horizon starts at 14:00 Bangkok time on the closure's last day: 14:00-24:00 of
    # that day is closed, so (daily windows) 14:00-24:00 every day.
    start = datetime(2031, 5, 5, 7, 0, tzinfo=UTC)  # 14:00 in Bangkok
    horizon = (start, start + timedelta(days=7))
    closure = closure_interval(date(2031, 5, 3), date(2031, 5, 5), BKK)
    closed = closed_times_of_day([closure], BKK, horizon)
    assert closed == [(14 * 60, 1440)]
    assert narrowed_windows([{"from": "06:30", "to": "21:00"}], closed) == [
        {"from": "06:30", "to": "14:00"}]
    # Open at every instant (no windows): what is left of the day.
    assert narrowed_windows(None, closed) == [{"from": "00:00", "to": "14:00"}]
    # Over local midnight: two spans.
    late = (datetime(2031, 5, 6, 15, 0, tzinfo=UTC), datetime(2031, 5, 6, 18, 0, tzinfo=UTC))
    assert closed_times_of_day([late], BKK, HORIZON) == [(0, 60), (22 * 60, 1440)]


def _document(crossings: list[dict[str, Any]], horizon: tuple[datetime, datetime]
              ) -> dict[str, Any]:
    return {"horizon": {"start": horizon[0].isoformat(), "end": horizon[1].isoformat()},
            "crossings": crossings}


def test_apply_closures_removes_or_narrows_the_crossings_of_a_document(
    session: Session, world: Any
) -> None:
    crossing = session.exec(select(Crossing)).first()
    assert crossing is not None
    session.add(CrossingClosure(crossing_id=crossing.id, starts_on=date(2031, 5, 5),
                                ends_on=date(2031, 5, 6), reason="bridge repairs"))
    session.flush()
    entry = {"id": crossing.id, "name": crossing.name, "timezone": crossing.timezone,
             "open": [{"from": "06:30", "to": "21:00"}]}
    document = _document([dict(entry)], HORIZON)
    [effect] = apply_closures(session, document)
    assert effect.removed and document["crossings"] == []
    assert effect.reasons == ["2031-05-05 to 2031-05-06: bridge repairs"]
    later = _document([dict(entry)], (H0 + timedelta(days=20), H0 + timedelta(days=30)))
    assert apply_closures(session, later) == [] and later["crossings"] == [entry]


def test_the_solver_never_routes_through_a_closed_crossing(
    client: TestClient, tiny_board: Session, planner: User, login: Login
) -> None:
    """Close every other crossing of the board on a day of the horizon and solve: none of
    them is in the scenario, no order passes through them, and the planning page says so
    with the reason."""
    document = planning_document(tiny_board)
    closed = {c["id"] for c in document["crossings"][::2]}
    assert closed
    day = parse_instant(document["horizon"]["start"]).date() + timedelta(days=2)
    for crossing_id in closed:
        tiny_board.add(CrossingClosure(crossing_id=crossing_id, starts_on=day, ends_on=day,
                                       reason=f"works at {crossing_id}"))
    tiny_board.commit()
    document = planning_document(tiny_board)
    assert closed.isdisjoint(c["id"] for c in document["crossings"])
    load_scenario(document)  # still a valid scenario
    again = service.start_run(tiny_board, user=planner, time_limit=2, seed=1)
    tiny_board.commit()
    run_job(int(again.id or 0), session=tiny_board)
    tiny_board.refresh(again)
    assert closed.isdisjoint(a.crossing for op in load_plan(again.plan or {}).operations
                           for a in op.assignments)
    page = login(client, planner).get("/planning").text
    assert 'id="closures-in-horizon"' in page
    for crossing_id in closed:
        assert f"closed {day.isoformat()}: works at {crossing_id}" in page
