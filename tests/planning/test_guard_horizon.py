"""Issue 11, blocker 3: the horizon is shown and edited, and published operations are not
dropped or moved by an ordinary Publish."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from datetime import timedelta
from itertools import product
from typing import Any, NamedTuple

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import BoardConfig, Operation, OperationState, Plan, SolverRun, Tasking, User
from app.planning import service
from app.planning.publish import publish_plan
from app.planning.worker import run_job
from app.solver.loader import load_plan, load_scenario
from app.solver.schema import format_instant, parse_instant
from app.solver.validate import validate_plan

from .consent_helpers import confirm_hosts

Login = Callable[[TestClient, User], TestClient]


def _solved(session: Session, planner: User) -> tuple[SolverRun, Plan]:
    run = service.start_run(session, user=planner, time_limit=2, seed=1)
    session.commit()
    run_job(int(run.id or 0), session=session)
    session.refresh(run)
    return run, session.exec(select(Plan).where(Plan.solver_run_id == run.id)).one()


def _second_plan(session: Session, run: SolverRun, plan: Plan) -> tuple[SolverRun, Plan, str, str]:
    """A second run's plan that drops the last operation and moves another, still valid.

    A 2-second solve places the operations differently on a loaded machine: the move is
    the first shift of the first operation that keeps the plan valid (a blind 15 minutes
    once ran into a crossing's hours, and publishing then refused the plan as stale).
    """
    scenario = load_scenario(run.scenario)
    for index, minutes in product(range(len(plan.document["operations"]) - 1),
                                  (15, -15, 30, -30, 60, -60, 120, -120)):
        document = _moved(plan.document, index, timedelta(minutes=minutes))
        if validate_plan(scenario, load_plan(document)).valid:
            break
    else:
        raise AssertionError("no operation of the plan can move and stay valid")
    dropped = document["operations"].pop()
    document["unscheduled"].append({"id": dropped["id"], "reasons": ["left out"]})
    moved = document["operations"][index]
    second = SolverRun(status=run.status, params=run.params, scenario=run.scenario,
                       plan=document, created_by_id=run.created_by_id)
    session.add(second)
    session.flush()
    other = Plan(document=document, solver_run_id=second.id)
    session.add(other)
    session.flush()
    return second, other, dropped["id"], moved["id"]


class Disturbing(NamedTuple):
    """A published plan, then a second run's plan that drops and moves its operations."""

    published: Plan
    run: SolverRun
    plan: Plan
    dropped: str
    moved: str


def _published_then_disturbing(session: Session, planner: User) -> Disturbing:
    """A plan solved and published (hosts confirmed), then _second_plan's, whose hosts
    confirm anew: the moved operation sends its units at other times. Committed."""
    first_run, plan = _solved(session, planner)
    assert len(plan.document["operations"]) >= 2
    confirm_hosts(session, plan)
    publish_plan(session, plan=plan, user=planner, confirmed=set())
    run, second, dropped, moved = _second_plan(session, first_run, plan)
    confirm_hosts(session, second)
    session.commit()
    return Disturbing(plan, run, second, dropped, moved)


def _moved(original: dict[str, Any], index: int, shift: timedelta) -> dict[str, Any]:
    document = copy.deepcopy(original)
    moved = document["operations"][index]
    moved["start"] = format_instant(parse_instant(moved["start"]) + shift)
    for a in moved["assignments"]:
        for key in ("depart", "return", "cross_out", "cross_back"):
            if a.get(key):
                a[key] = format_instant(parse_instant(a[key]) + shift)
    return document


def test_a_plan_that_drops_or_moves_published_operations_needs_each_confirmed(
    client: TestClient, tiny_board: Session, planner: User, admin: User, login: Login
) -> None:
    _, run, second, dropped, moved = _published_then_disturbing(tiny_board, planner)
    names = {op.id: op.code_name for op in tiny_board.exec(select(Operation))}
    browser = login(client, admin)

    # The run page says so in red, naming each operation and whose orders change.
    page = browser.get(f"/planning/runs/{run.id}").text
    warning = page[page.index('id="disturbed"'):]
    assert 'class="alert alert-error"' in page
    assert f"{dropped} {names[dropped]}: dropped" in warning
    assert f"{moved} {names[moved]}: moved from H-hour" in warning
    assert 'name="confirm" value="' + dropped + '" required' in page

    # Without the confirmation the server refuses, listing them; nothing changes.
    refused = browser.post(f"/planning/plans/{second.id}/publish")
    assert refused.status_code == 409
    assert "drops or moves 2 published operation(s) you did not confirm" in refused.text
    assert dropped in refused.text and moved in refused.text
    half = browser.post(f"/planning/plans/{second.id}/publish", data={"confirm": [dropped]})
    assert half.status_code == 409 and moved in half.text and f"{dropped} " not in half.text
    tiny_board.refresh(second)
    assert not second.is_published
    assert all(t.status == "active" for t in tiny_board.exec(select(Tasking)))

    # The API too.
    api = browser.post(f"/api/v1/plans/{second.id}/publish", json={"confirm": [moved]})
    assert api.status_code == 409
    assert [e["path"] for e in api.json()["errors"]] == [dropped]

    # Each one named: published.
    done = browser.post(f"/planning/plans/{second.id}/publish",
                        data={"confirm": [dropped, moved]}, follow_redirects=False)
    assert done.status_code == 303, done.text[-1500:]
    tiny_board.refresh(second)
    assert second.is_published
    assert tiny_board.get(Operation, dropped).state == OperationState.approved  # type: ignore[union-attr]


def test_a_plan_that_keeps_published_operations_publishes_without_confirmation(
    client: TestClient, tiny_board: Session, planner: User, admin: User, login: Login
) -> None:
    run, plan = _solved(tiny_board, planner)
    confirm_hosts(tiny_board, plan)
    publish_plan(tiny_board, plan=plan, user=planner, confirmed=set())
    # A second run that found the same plan.
    run = SolverRun(status=run.status, params=run.params, scenario=run.scenario,
                    plan=copy.deepcopy(plan.document), created_by_id=run.created_by_id)
    tiny_board.add(run)
    tiny_board.flush()
    again = Plan(document=copy.deepcopy(plan.document), solver_run_id=run.id)
    tiny_board.add(again)
    tiny_board.commit()
    browser = login(client, admin)
    page = browser.get(f"/planning/runs/{run.id}").text
    assert 'id="disturbed"' not in page
    assert "no change in operations or assignments" in page
    done = browser.post(f"/api/v1/plans/{again.id}/publish")
    assert done.status_code == 200


def test_the_horizon_is_shown_and_edited_with_clear_errors(
    client: TestClient, tiny_board: Session, planner: User, login: Login
) -> None:
    browser = login(client, planner)
    config = tiny_board.get(BoardConfig, 1)
    assert config is not None
    page = browser.get("/planning").text
    start = config.horizon_start.strftime("%Y-%m-%dT%H:%M")
    assert re.search(rf'id="f-horizon_start"[^>]*value="{start}"', page)

    backwards = browser.post("/planning/horizon", data={
        "horizon_start": "2026-12-10T00:00", "horizon_end": "2026-12-09T00:00"})
    assert backwards.status_code == 422
    assert 'id="err-horizon_end"' in backwards.text
    assert "end must be after the start" in backwards.text
    assert 'value="2026-12-10T00:00"' in backwards.text  # what was typed is kept
    garbled = browser.post("/planning/horizon", data={
        "horizon_start": "10/12/2026 9am", "horizon_end": "2026-12-09T00:00"})
    assert garbled.status_code == 422 and "24-hour time in UTC" in garbled.text

    later = config.horizon_end + timedelta(days=7)
    ok = browser.post("/planning/horizon", follow_redirects=False, data={
        "horizon_start": start, "horizon_end": later.strftime("%Y-%m-%dT%H:%M")})
    assert ok.status_code == 303
    tiny_board.refresh(config)
    assert config.horizon_end == later.replace(second=0, microsecond=0)


def test_the_horizon_cannot_cut_off_published_orders(
    client: TestClient, tiny_board: Session, planner: User, login: Login
) -> None:
    _, plan = _solved(tiny_board, planner)
    confirm_hosts(tiny_board, plan)
    publish_plan(tiny_board, plan=plan, user=planner, confirmed=set())
    tiny_board.commit()
    last = max(t.return_at for t in tiny_board.exec(select(Tasking)))
    config = tiny_board.get(BoardConfig, 1)
    assert config is not None
    cut = login(client, planner).post("/planning/horizon", data={
        "horizon_start": config.horizon_start.strftime("%Y-%m-%dT%H:%M"),
        "horizon_end": (last - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")})
    assert cut.status_code == 422
    assert "cuts off published operation(s)" in cut.text and "end later" in cut.text


def test_a_plan_that_schedules_nothing_says_so_instead_of_an_empty_timeline(
    client: TestClient, tiny_board: Session, planner: User, admin: User, login: Login
) -> None:
    run, plan = _solved(tiny_board, planner)
    ids = [op["id"] for op in plan.document["operations"]]
    empty = {**plan.document, "operations": [],
             "unscheduled": [{"id": op_id, "reasons": ["left out"]} for op_id in ids]}
    nothing = SolverRun(status=run.status, params=run.params, scenario=run.scenario,
                        plan=empty, created_by_id=run.created_by_id)
    tiny_board.add(nothing)
    tiny_board.flush()
    tiny_board.add(Plan(document=empty, solver_run_id=nothing.id))
    tiny_board.commit()
    page = login(client, admin).get(f"/planning/runs/{nothing.id}").text
    assert 'id="empty-timeline"' in page and 'class="timeline"' not in page
    assert 'class="timeline"' in login(client, admin).get(f"/planning/runs/{run.id}").text
