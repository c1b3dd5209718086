"""The schema's own guards: one published plan, no unit in two overlapping active orders.

They hold whatever the code above them does (an interleaved publish once broke both),
on SQLite (a partial unique index, triggers) and PostgreSQL (the index, an exclusion
constraint), in tables made from the models and in a migrated database.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.config import ROOT
from app.errors import AppError
from app.models import Operation, OperationState, Plan, Site, Tasking, TaskingStatus, User
from app.planning import publish as publishing
from app.planning.publish import publish_plan, tasking_uid

from .test_publish import _plan

T0 = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _order(session: Session, op: Operation, unit: str, depart: datetime, hours: int,
           status: TaskingStatus = TaskingStatus.active) -> Tasking:
    site = session.exec(select(Site).where(Site.operation_id == op.id)).first()
    assert site is not None
    tasking = Tasking(uid=tasking_uid(op.id, unit), operation_id=op.id, unit_id=unit,
                      site_id=site.id, capability="tactical", start=depart, end=depart + HOUR,
                      depart=depart, return_at=depart + hours * HOUR, status=status)
    session.add(tasking)
    session.flush()
    return tasking


def _two_operations(session: Session, make_operation: Callable[..., Operation]) -> list[Operation]:
    return [make_operation(session, state=OperationState.scheduled) for _ in range(2)]


def test_a_unit_cannot_hold_two_overlapping_active_orders(
    session: Session, world: object, make_operation: Callable[..., Operation]
) -> None:
    first, second = _two_operations(session, make_operation)
    _order(session, first, "U-TH-1", T0, 3)
    with pytest.raises(IntegrityError, match="ex_taskings_unit_busy"), session.begin_nested():
        _order(session, second, "U-TH-1", T0 + 2 * HOUR, 3)


def test_back_to_back_other_units_and_cancelled_orders_are_allowed(
    session: Session, world: object, make_operation: Callable[..., Operation]
) -> None:
    first, second = _two_operations(session, make_operation)
    _order(session, first, "U-TH-1", T0, 3)
    _order(session, second, "U-TH-1", T0 + 3 * HOUR, 2)  # sets off as the first returns
    _order(session, second, "U-TH-2", T0, 3)
    third = make_operation(session, state=OperationState.scheduled)
    cancelled = _order(session, third, "U-TH-1", T0, 5, status=TaskingStatus.cancelled)
    # ... but it cannot be made active again while it overlaps.
    cancelled.status = TaskingStatus.active
    with pytest.raises(IntegrityError, match="ex_taskings_unit_busy"), session.begin_nested():
        session.flush()


def test_only_one_plan_is_published(session: Session) -> None:
    session.add(Plan(document={}, is_published=True))
    session.add(Plan(document={}, is_published=False))
    session.flush()
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(Plan(document={}, is_published=True))
        session.flush()


def test_a_double_booking_the_plan_check_misses_is_a_409_not_a_500(
    tiny_board: Session, planner: User, make_operation: Callable[..., Operation],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The plan check sees orders in force as busy time; should it ever miss one, the
    schema refuses the write and the planner gets the reason."""
    monkeypatch.setattr(publishing, "_check_still_valid", lambda *args: None)
    plan = _plan(tiny_board, planner)
    assignment = plan.document["operations"][0]["assignments"][0]
    depart = datetime.fromisoformat(assignment["depart"])
    aborted = make_operation(tiny_board, state=OperationState.aborted,
                               sites={tiny_board.exec(select(Site.region_id)).first(): {
                                   "tactical": 1}})
    _order(tiny_board, aborted, assignment["unit"], depart - HOUR, 3)
    with pytest.raises(AppError) as exc:
        publish_plan(tiny_board, plan=plan, user=planner)
    assert exc.value.status == 409 and "overlaps one of its orders" in exc.value.message


def test_the_migrated_schema_has_the_guards(migration_engine: Engine) -> None:
    config = Config(str(ROOT / "alembic.ini"))
    with migration_engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    with Session(migration_engine) as s:
        s.execute(text(
            "INSERT INTO countries (code, name, timezone) VALUES ('TH', 'Thailand', 'UTC')"))
        s.execute(text("INSERT INTO agencies (id, name, country_code) VALUES ('A', 'A', 'TH')"))
        s.execute(text("INSERT INTO regions (id, name, country_code, lat, lon)"
                       " VALUES ('R', 'R', 'TH', 0, 0)"))
        s.commit()
    with Session(migration_engine) as s:
        from app.models import Unit

        s.add(Unit(id="U", agency_id="A", callsign="U", capabilities=["tactical"],
                   personnel=1, base_region_id="R"))
        ops = []
        for n in range(2):
            op = Operation(id=f"OP-{n}", code_name="x", lead_agency_id="A", priority=1,
                           earliest_start=T0, latest_end=T0 + 24 * HOUR, duration_minutes=60,
                           state=OperationState.scheduled)
            s.add(op)
            s.flush()
            s.add(Site(id=f"S-{n}", operation_id=op.id, region_id="R"))
            s.flush()
            ops.append(op)
        _order(s, ops[0], "U", T0, 3)
        with pytest.raises(IntegrityError, match="ex_taskings_unit_busy"):
            _order(s, ops[1], "U", T0 + HOUR, 3)
        s.rollback()
        s.add(Plan(document={}, is_published=True))
        s.add(Plan(document={}, is_published=True))
        with pytest.raises(IntegrityError, match="uq_plans_published|plans.is_published"):
            s.flush()
