"""Issue 11: crossing closures in the planning scenario. Each closure goes into the
scenario as an exact dated interval of its crossing (`crossings[].closed`,
docs/closures-format.md): never through a closed crossing, and on other days the crossing
keeps its hours."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import Crossing, CrossingClosure, User
from app.planning import service
from app.planning.closures import apply_closures, closure_interval
from app.planning.scenario import planning_document
from app.planning.worker import run_job
from app.solver.loader import load_plan, load_scenario
from app.solver.schema import parse_instant

Login = Callable[[TestClient, User], TestClient]
BKK = "Asia/Bangkok"  # UTC+07:00
# Instants of any date: the functions compare instants only.
H0 = datetime(2031, 5, 1, 0, 0, tzinfo=UTC)
HORIZON = (H0, H0 + timedelta(days=14))


def test_a_closure_is_whole_local_days() -> None:
    start, end = closure_interval(date(2031, 5, 5), date(2031, 5, 6), BKK)
    assert (start.astimezone(UTC), end.astimezone(UTC)) == (
        datetime(2031, 5, 4, 17, 0, tzinfo=UTC), datetime(2031, 5, 6, 17, 0, tzinfo=UTC))


def _document(crossings: list[dict[str, Any]], horizon: tuple[datetime, datetime]
              ) -> dict[str, Any]:
    return {"horizon": {"start": horizon[0].isoformat(), "end": horizon[1].isoformat()},
            "crossings": crossings}


def test_apply_closures_gives_each_crossing_its_dated_closures(
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
    assert not effect.removed and effect.reasons == ["2031-05-05 to 2031-05-06: bridge repairs"]
    [kept] = document["crossings"]
    assert kept["open"] == entry["open"]  # the daily hours stay for the other days
    start, end = closure_interval(date(2031, 5, 5), date(2031, 5, 6), crossing.timezone)
    assert [(parse_instant(w["start"]), parse_instant(w["end"])) for w in kept["closed"]] == [
        (start, end)]
    # Over the whole of a shorter horizon, it is said to close the crossing for all of it.
    inside = _document([dict(entry)], (start, end))
    [whole] = apply_closures(session, inside)
    assert whole.removed
    later = _document([dict(entry)], (H0 + timedelta(days=20), H0 + timedelta(days=30)))
    assert apply_closures(session, later) == [] and later["crossings"] == [entry]


def test_the_solver_never_routes_through_a_closed_crossing(
    client: TestClient, tiny_board: Session, planner: User, login: Login
) -> None:
    """Close every other crossing of the board on a day of the horizon and solve: the
    scenario carries each closure, no passage overlaps one, and the planning page says so
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
    windows = {c["id"]: c.get("closed") for c in document["crossings"]}
    assert all(windows[crossing_id] for crossing_id in closed)
    assert not any(windows[c] for c in windows if c not in closed)
    scenario = load_scenario(document)  # still a valid scenario
    shut = {c.id: [(w.start, w.end) for w in c.closed or []] for c in scenario.crossings}
    again = service.start_run(tiny_board, user=planner, time_limit=2, seed=1)
    tiny_board.commit()
    run_job(int(again.id or 0), session=tiny_board)
    tiny_board.refresh(again)
    transits = {c.id: timedelta(minutes=c.transit_minutes) for c in scenario.crossings}
    for op in load_plan(again.plan or {}).operations:
        for a in op.assignments:
            for at in (a.cross_out, a.cross_back):
                if a.crossing in closed and at is not None:
                    assert all(at + transits[a.crossing] <= s or at >= e
                               for s, e in shut[a.crossing]), (a, shut[a.crossing])
    page = login(client, planner).get("/planning").text
    assert 'id="closures-in-horizon"' in page
    for crossing_id in closed:
        assert f"closed {day.isoformat()}: works at {crossing_id}" in page


def test_a_chinese_planner_reads_the_closure_days_in_chinese(
    client: TestClient, tiny_board: Session, planner: User, login: Login
) -> None:
    """Issue 11: the planning page's closure line ("2031-05-05 to 2031-05-06: reason") in
    the reader's words; fails when the catalogue lacks them."""
    from app.config import get_settings
    from app.i18n import LANGUAGE_COOKIE

    document = planning_document(tiny_board)
    crossing_id = document["crossings"][0]["id"]
    first = parse_instant(document["horizon"]["start"]).date() + timedelta(days=2)
    last = first + timedelta(days=1)
    tiny_board.add(CrossingClosure(crossing_id=crossing_id, starts_on=first, ends_on=last,
                                   reason="bridge repairs"))
    tiny_board.commit()
    browser = login(client, planner)
    browser.cookies.set(get_settings().cookie_name(LANGUAGE_COOKIE), "zh-Hans")
    page = browser.get("/planning").text
    assert f"关闭 {first.isoformat()} 至 {last.isoformat()}：bridge repairs" in page
    assert f"{first.isoformat()} to {last.isoformat()}" not in page
