"""The demo board: deterministic, valid, with every workflow state and working logins."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, SQLModel, col, func, select

from app.accounts.service import authenticate
from app.db import make_engine
from app.models import (
    Approval,
    AuditEvent,
    Crossing,
    Operation,
    OperationState,
    Plan,
    Region,
    Role,
    Tasking,
    TaskingStatus,
    Unit,
    User,
)
from app.planning.export import published_export
from app.planning.scenario import operation_document, planning_scenario
from app.planning.tasking import upcoming
from app.seed import DemoLogin, _scenario, board_is_empty, seed_demo
from app.solver.cordons import CORDON_CAPABILITY
from app.solver.loader import load_plan, load_scenario
from app.solver.validate import format_report, validate_plan
from app.transfer.service import export_scenario

NOW = datetime(2026, 12, 3, 9, 7, tzinfo=UTC)
S = OperationState
# The states of operations a published plan scheduled (and that may have run since).
PLANNED = {S.scheduled, S.executing, S.completed}


def _count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_demo_board_has_the_real_geography_and_every_state(session: Session) -> None:
    assert board_is_empty(session)
    summary = seed_demo(session, now=NOW)
    assert not board_is_empty(session)
    assert (_count(session, Region), _count(session, Crossing)) == (42, 15)
    assert 200 <= _count(session, Unit) <= 500
    states = Counter(op.state for op in session.exec(select(Operation)))
    assert set(states) == set(OperationState)
    assert 24 <= sum(states.values()) <= 60
    names = {op.code_name for op in session.exec(select(Operation))}
    assert {"Mekong Dawn", "Golden Triangle Sweep"} <= names
    assert _count(session, Approval) > 0
    executing = session.exec(
        select(Operation).where(Operation.state == OperationState.executing)
    ).first()
    assert executing is not None and executing.earliest_start <= NOW
    assert summary.counts["operations"] == sum(states.values())
    # Its export is a valid scenario of exactly the operations a plan may schedule.
    exported = load_scenario(export_scenario(session))
    assert states[OperationState.approved] > 0 and states[OperationState.scheduled] > 0
    assert len(exported.operations) == (
        states[OperationState.approved] + states[OperationState.scheduled]
    )
    assert len(exported.units) == _count(session, Unit)


def test_taskings_and_logins_of_the_demo(session: Session) -> None:
    summary = seed_demo(session, now=NOW)
    taskings = session.exec(select(Tasking)).all()
    assert taskings and len({t.uid for t in taskings}) == len(taskings)
    aborted = {
        o.id
        for o in session.exec(select(Operation).where(Operation.state == OperationState.aborted))
    }
    for tasking in taskings:
        cancelled = tasking.operation_id in aborted
        assert (tasking.status == TaskingStatus.cancelled) == cancelled
        assert tasking.depart <= tasking.start < tasking.end <= tasking.return_at
    # Every role of every agency can sign in.
    roles = Counter(login.role for login in summary.logins)
    assert roles[Role.admin.value] == 1
    assert roles[Role.planner.value] == roles[Role.liaison.value] == 8
    officer = next(lg for lg in summary.logins if lg.role == Role.unit_officer.value)
    user = authenticate(session, username=officer.username, password="demo-unit_officer")
    assert user is not None and user.unit_id is not None
    assert all(u.password_hash.startswith("$argon2id$") for u in session.exec(select(User)))
    _check_unit_officers(session, summary.logins)


def test_demo_data_is_deterministic() -> None:
    assert _scenario(random.Random(7), NOW) == _scenario(random.Random(7), NOW)
    assert _scenario(random.Random(7), NOW) != _scenario(random.Random(8), NOW)


def _operations_in(session: Session, states: set[OperationState]) -> set[str]:
    return set(session.exec(select(Operation.id).where(col(Operation.state).in_(states))))


def test_the_published_plan_is_the_one_behind_the_board(session: Session) -> None:
    seed_demo(session, now=NOW)
    plans = session.exec(select(Plan).order_by(col(Plan.id))).all()
    published = [p for p in plans if p.is_published]
    assert len(published) == 1 and published[0].id == plans[-1].id
    plan = load_plan(published[0].document)
    # It lists exactly the operations it scheduled (since then some run or ran).
    assert {op.id for op in plan.operations} == _operations_in(session, PLANNED)
    assert plan.unscheduled == [] and plan.solver is not None
    assert plan.solver.model_dump()["workers"] == 1
    # It passes the validator against the board's exported scenario of those operations.
    document = export_scenario(session)
    ops = {op.id: op for op in session.exec(select(Operation))}
    document["operations"] = [
        operation_document(session, ops[op.id]) for op in sorted(plan.operations, key=_id)
    ]
    report = validate_plan(load_scenario(document), plan)
    assert report.valid, format_report(report)
    # And so does its export re-based on today's planning scenario (`jointops check`).
    _, scenario = planning_scenario(session)
    rebased = load_plan(published_export(session))
    assert {op.id for op in rebased.operations} == _operations_in(session, {S.scheduled})
    assert validate_plan(scenario, rebased).valid
    _check_taskings(session, published[0])
    # The planner's steps are all on record.
    actions = Counter(e.action for e in session.exec(select(AuditEvent)))
    assert actions["plan.publish"] == 2
    assert actions["abort"] == len(_operations_in(session, {S.aborted})) > 0
    assert actions["complete"] == len(_operations_in(session, {S.completed})) > 0


def _id(op: Any) -> str:
    return str(op.id)


def _check_taskings(session: Session, published: Plan) -> None:
    """Every active order is an assignment of the published plan, and the other way round."""
    plan = load_plan(published.document)
    durations = {op.id: op.duration_minutes for op in session.exec(select(Operation))}
    expected = {
        (op.id, a.unit): (
            a.site,
            a.capability,
            op.start,
            a.depart,
            a.return_,
            a.crossing,
            a.cross_out,
            a.cross_back,
            durations[op.id],
        )
        for op in plan.operations
        for a in op.assignments
    }
    # A cordon's posts are orders too (kind cordon_post: no site, the seal as start..end).
    expected |= {
        (op.id, p.unit): (None, CORDON_CAPABILITY, p.start, p.depart, p.return_, p.crossing,
                          None, None, (p.end - p.start).total_seconds() // 60)
        for op in plan.operations
        for p in op.cordon or []
    }
    taskings = session.exec(select(Tasking)).all()
    active = [t for t in taskings if t.status == TaskingStatus.active]
    actual = {
        (t.operation_id, t.unit_id): (
            t.site_id,
            t.capability,
            t.start,
            t.depart,
            t.return_at,
            t.crossing_id,
            t.cross_out,
            t.cross_back,
            (t.end - t.start).total_seconds() // 60,
        )
        for t in active
    }
    assert actual == expected
    assert {t.plan_id for t in active} == {published.id}
    # Aborted operations keep their orders, cancelled by the publish that left them out.
    aborted = _operations_in(session, {S.aborted})
    cancelled = [t for t in taskings if t.status == TaskingStatus.cancelled]
    assert cancelled and {t.operation_id for t in cancelled} == aborted
    assert all(t.sequence == 1 and t.cancelled_at is not None for t in cancelled)


def _check_unit_officers(session: Session, logins: list[DemoLogin]) -> None:
    """Every demo unit officer has orders to come on My tasking, some across a border."""
    crossing = {}
    for login in logins:
        user = session.exec(select(User).where(User.username == login.username)).one()
        if user.role != Role.unit_officer:
            continue
        unit = session.get(Unit, user.unit_id)
        assert unit is not None and unit.agency_id == user.agency_id
        active = [
            d
            for d in upcoming(session, units=[unit], user=user, now=NOW)
            if d.tasking.status == TaskingStatus.active
        ]
        assert active, f"{user.username} has no deployment to come"
        crossing[user.username] = any(d.crossing for d in active)
    assert len(crossing) == 8
    assert crossing["th-rtp-unit-officer"] and crossing["vn-mps-unit-officer"]


def test_demo_seeding_gives_the_same_board_twice(session: Session) -> None:
    """Two seedings with the same clock write the same board (timestamps aside)."""
    seed_demo(session, now=NOW)
    other = make_engine("sqlite://")
    SQLModel.metadata.create_all(other)
    with Session(other) as again:
        seed_demo(again, now=NOW)
        assert _board(again) == _board(session)
    other.dispose()


def _board(session: Session) -> dict[str, Any]:
    taskings = session.exec(select(Tasking).order_by(col(Tasking.uid))).all()
    return {
        "states": sorted((o.id, str(o.state)) for o in session.exec(select(Operation))),
        "plans": [p.document for p in session.exec(select(Plan).order_by(col(Plan.id)))],
        "taskings": [
            (
                t.uid,
                t.unit_id,
                t.site_id,
                t.start,
                t.depart,
                t.crossing_id,
                str(t.status),
                t.sequence,
            )
            for t in taskings
        ],
        "officers": sorted(
            (u.username, u.unit_id) for u in session.exec(select(User)) if u.unit_id
        ),
    }
