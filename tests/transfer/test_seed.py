"""The demo board: deterministic, valid, with every workflow state and working logins."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime

from sqlmodel import Session, func, select

from app.accounts.service import authenticate
from app.models import (
    Approval,
    Crossing,
    Operation,
    OperationState,
    Region,
    Role,
    Tasking,
    TaskingStatus,
    Unit,
    User,
)
from app.seed import _scenario, board_is_empty, seed_demo
from app.solver.loader import load_scenario
from app.transfer.service import export_scenario

NOW = datetime(2026, 12, 3, 9, 7, tzinfo=UTC)


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
    # Its export is a valid scenario of exactly the approved operations.
    exported = load_scenario(export_scenario(session))
    assert len(exported.operations) == states[OperationState.approved] > 0
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


def test_demo_data_is_deterministic() -> None:
    assert _scenario(random.Random(7), NOW) == _scenario(random.Random(7), NOW)
    assert _scenario(random.Random(7), NOW) != _scenario(random.Random(8), NOW)
