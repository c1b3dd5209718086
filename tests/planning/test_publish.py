"""Publishing: taskings upserted with stable uids, sequences, cancellations, states."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from solver.solve_helpers import assert_not_fallback
from sqlmodel import Session, select

from app.errors import AppError
from app.feeds import tokens
from app.models import (
    AuditEvent,
    FeedEventBlock,
    Operation,
    OperationState,
    Plan,
    Role,
    Tasking,
    TaskingStatus,
    Unit,
    User,
)
from app.planning import service
from app.planning.publish import publish_plan
from app.planning.worker import run_job
from app.solver.schema import format_instant, parse_instant


def _plan(session: Session, planner: User) -> Plan:
    run = service.start_run(session, user=planner, time_limit=2, seed=1)
    session.commit()
    run_job(int(run.id or 0), session=session)
    plan = session.exec(select(Plan).where(Plan.solver_run_id == run.id)).one()
    assert_not_fallback(plan.document)
    return plan


def _variant(session: Session, plan: Plan, document: dict) -> Plan:
    other = Plan(document=document, solver_run_id=plan.solver_run_id)
    session.add(other)
    session.flush()
    return other


def _taskings(session: Session) -> dict[tuple[str, str], Tasking]:
    return {(t.operation_id, t.unit_id): t for t in session.exec(select(Tasking))}


def test_publish_creates_taskings_and_schedules(tiny_board: Session, planner: User) -> None:
    plan = _plan(tiny_board, planner)
    counts = publish_plan(tiny_board, plan=plan, user=planner)
    taskings = _taskings(tiny_board)
    expected = {(op["id"], a["unit"]) for op in plan.document["operations"]
                for a in op["assignments"]}
    assert set(taskings) == expected and counts["issued"] == len(expected)
    for t in taskings.values():
        assert t.status == TaskingStatus.active and t.sequence == 0 and t.plan_id == plan.id
    states = {op.id: op.state for op in tiny_board.exec(select(Operation))}
    for op in plan.document["operations"]:
        assert states[op["id"]] == OperationState.scheduled
    assert plan.is_published and plan.published_by_id == planner.id
    assert tiny_board.exec(select(AuditEvent).where(AuditEvent.action == "plan.publish")).one()
    # Each tasking's event is rendered once here, for unit and for agency feeds.
    stored = tiny_board.exec(select(FeedEventBlock)).all()
    assert len(stored) >= 2 * len(expected)
    assert all(b.block.startswith(b"BEGIN:VEVENT") for b in stored)


def test_a_plan_reaches_the_calendar_feeds_only_when_published(
    tiny_board: Session, planner: User, client: TestClient, make_user
) -> None:
    plan = _plan(tiny_board, planner)
    assignment = plan.document["operations"][0]["assignments"][0]
    unit = tiny_board.get(Unit, assignment["unit"])
    assert unit is not None
    officer = make_user(tiny_board, Role.unit_officer, unit.agency_id, unit.id)
    secret, _ = tokens.create_token(tiny_board, user=officer, label="iPhone", choice_key="officer:")
    path = f"/feeds/{secret}.ics"
    solved = client.get(path)
    assert solved.status_code == 200 and b"BEGIN:VEVENT" not in solved.content
    publish_plan(tiny_board, plan=plan, user=planner)
    published = client.get(path).content
    tasked = [
        op["id"] for op in plan.document["operations"]
        if any(a["unit"] == unit.id for a in op["assignments"])
    ]
    assert published.count(b"BEGIN:VEVENT") == len(tasked) >= 1


def test_republish_bumps_sequence_keeps_uid_and_cancels(
    tiny_board: Session, planner: User
) -> None:
    plan = _plan(tiny_board, planner)
    publish_plan(tiny_board, plan=plan, user=planner)
    before = {k: (t.uid, t.sequence) for k, t in _taskings(tiny_board).items()}
    document = copy.deepcopy(plan.document)
    dropped = document["operations"].pop()
    moved = document["operations"][0]["assignments"][0]
    # One unit sets off 5 minutes earlier: still valid (waiting is allowed).
    moved["depart"] = format_instant(parse_instant(moved["depart"]) - timedelta(minutes=5))
    document["unscheduled"].append({"id": dropped["id"], "reasons": ["left out"]})
    second = _variant(tiny_board, plan, document)
    counts = publish_plan(tiny_board, plan=second, user=planner)
    after = _taskings(tiny_board)
    moved_key = (document["operations"][0]["id"], moved["unit"])
    assert after[moved_key].uid == before[moved_key][0]
    assert after[moved_key].sequence == before[moved_key][1] + 1
    for a in dropped["assignments"]:
        gone = after[dropped["id"], a["unit"]]
        assert gone.status == TaskingStatus.cancelled and gone.cancelled_at is not None
        assert gone.sequence == 1 and gone.uid == before[dropped["id"], a["unit"]][0]
    assert counts["cancelled"] == len(dropped["assignments"]) and counts["amended"] == 1
    assert tiny_board.get(Operation, dropped["id"]).state == OperationState.approved
    tiny_board.refresh(plan)
    assert not plan.is_published and second.is_published
    # Publishing the first plan again re-issues the dropped tasking under its old uid.
    publish_plan(tiny_board, plan=plan, user=planner)
    back = _taskings(tiny_board)[dropped["id"], dropped["assignments"][0]["unit"]]
    assert back.status == TaskingStatus.active and back.sequence == 2
    assert back.cancelled_at is None


def test_publish_refuses_a_plan_that_no_longer_fits(tiny_board: Session, planner: User) -> None:
    plan = _plan(tiny_board, planner)
    op = tiny_board.get(Operation, plan.document["operations"][0]["id"])
    assert op is not None
    op.duration_minutes += 60
    tiny_board.add(op)
    tiny_board.flush()
    with pytest.raises(AppError) as exc:
        publish_plan(tiny_board, plan=plan, user=planner)
    assert exc.value.status == 409 and "no longer fits" in exc.value.message
    assert exc.value.details
    assert not tiny_board.exec(select(Tasking)).all()


def test_publishing_the_published_plan_again_is_a_conflict(
    tiny_board: Session, planner: User
) -> None:
    plan = _plan(tiny_board, planner)
    publish_plan(tiny_board, plan=plan, user=planner)
    with pytest.raises(AppError) as exc:
        publish_plan(tiny_board, plan=plan, user=planner)
    assert exc.value.status == 409


def test_a_tasking_uid_cannot_be_traced_back_to_its_operation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 10, finding 11: a TLP:RED "Busy" event's UID was uuid5(jointops/<op>/<unit>),
    which anyone could match against guessed operation and unit ids."""
    import uuid

    from app.config import get_settings
    from app.planning.publish import tasking_uid

    guessable = f"{uuid.uuid5(uuid.NAMESPACE_URL, 'jointops/OP-RED/U-TH-1')}@jointops"
    first = tasking_uid("OP-RED", "U-TH-1")
    assert first != guessable and first.endswith("@jointops")
    assert tasking_uid("OP-RED", "U-TH-1") == first  # stable for the same board
    monkeypatch.setenv("JOINTOPS_SECRET_KEY", "another board's secret " * 3)
    get_settings.cache_clear()
    try:
        assert tasking_uid("OP-RED", "U-TH-1") != first  # keyed by the board's secret
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
