"""Publishing a plan: tasking orders per (operation, unit), operation states, the record.

Calendar clients key events by UID and trust SEQUENCE: a tasking keeps its uid for
good, its sequence rises on every change of time, place or status, and a withdrawn one
is cancelled, never deleted.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.config import get_settings
from app.db import lock_board
from app.errors import AppError, Conflict
from app.feeds.service import prerender
from app.i18n import N_, later
from app.models import (
    Crossing,
    NoticeKind,
    Operation,
    OperationState,
    Plan,
    Tasking,
    TaskingKind,
    TaskingStatus,
    User,
    utcnow,
)
from app.models.planning import UNIT_BUSY
from app.notices.service import OrderChange, describe_change, notify
from app.planning.consent import check_host_confirmations
from app.planning.guard import check_confirmed
from app.planning.problems import problem_line
from app.planning.scenario import PLANNED_STATES, planning_scenario, published_plan
from app.planning.service import audit
from app.planning.visibility import violations_for, visible_ids
from app.solver.cordons import CORDON_CAPABILITY
from app.solver.loader import load_plan
from app.solver.replan import sub_plan
from app.solver.schema import Assignment, CordonPost, Scenario, ScheduledOperation
from app.solver.validate import validate_plan

# The fields whose change a unit must hear about (time, place, status).
TRACKED = ("kind", "site_id", "side", "capability", "start", "end", "depart", "return_at",
           "crossing_id", "cross_out", "cross_back", "status")


def tasking_uid(operation_id: str, unit_id: str) -> str:
    """A stable calendar UID for the tasking of a unit in an operation.

    A keyed hash (HMAC-SHA256 with the board's secret key), not a name-based uuid5: the
    UID reaches calendar clouds even for a TLP:RED "Busy" event, and a uuid5 of
    `jointops/<operation>/<unit>` could be matched against guessed operation and unit ids.
    Taskings keep the UID they were issued with, so calendars never see one change.
    """
    return keyed_uid(f"jointops/{operation_id}/{unit_id}")


def keyed_uid(name: str) -> str:
    """The calendar UID of `name` (what the event stands for), keyed with the board's
    secret so that nobody can match UIDs against guessed names (see tasking_uid)."""
    key = get_settings().secret_key.encode()
    digest = hmac.new(key, name.encode(), hashlib.sha256)
    return f"{uuid.UUID(bytes=digest.digest()[:16], version=4)}@jointops"


def publish_plan(
    session: Session, *, plan: Plan, user: User, confirmed: Collection[str] | None = None
) -> dict[str, int]:
    """Publish: upsert taskings, cancel dropped ones, set operation states (one flush).

    Everything is read after the board lock, which abort, edit, decisions and steps take
    too: no change to an operation can land between this check and these writes.
    `confirmed` names the published operations the user agreed to drop or move; the pages
    and the API always pass it (see app.planning.guard), internal callers (the demo seed)
    may not. With it, the host countries must also have confirmed the foreign units the
    plan sends into their sites (app.planning.consent).
    """
    lock_board(session)
    session.refresh(plan)
    if plan.is_published:
        raise Conflict(N_("This plan is already the published plan"))
    _, scenario = planning_scenario(session)
    document = load_plan(plan.document)
    ids = visible_ids(session, user=user)
    if ids is not None and _changed_operations(session, scenario, document.operations) - ids:
        # A planner acts only on what they may see: the coordinator publishes the others.
        raise Conflict(N_("This plan changes operations you may not see (their taskings or "
                          "their place in the plan): only the coordination centre may publish it"))
    if confirmed is not None:
        check_confirmed(session, document, confirmed, user=user)
        check_host_confirmations(session, document, user=user)
    _check_still_valid(scenario, document.operations, ids)
    now = utcnow()
    try:
        counts = _write_taskings(session, scenario, document.operations, plan, now)
    except IntegrityError as exc:
        if UNIT_BUSY not in str(exc.orig):
            raise
        raise Conflict(
            N_("This plan gives a unit an order that overlaps one of its orders still in force "
               "(of an operation under way); solve again before publishing")) from None
    counts.update(_set_states(session, {op.id for op in document.operations}, user))
    previous = published_plan(session)
    if previous is not None:
        previous.is_published = False
        session.add(previous)
        session.flush()
    plan.is_published, plan.published_at, plan.published_by_id = True, now, user.id
    session.add(plan)
    audit(session, actor=user, action="plan.publish", object_type="plan", object_id=plan.id,
          previous=previous.id if previous else None, **counts)
    session.flush()
    # Every subscriber's app polls soon after: their events are rendered once, here.
    # (All planned operations: dropped ones now show cancelled taskings.)
    prerender(session, operation_ids={op.id for op in scenario.operations}, now=now)
    return counts


def _check_still_valid(
    scenario: Scenario, operations: list[ScheduledOperation], ids: set[str] | None
) -> None:
    """Refuse a plan whose operations no longer fit the board as it is now (the problems
    as the publisher may read them: `ids`, the operations they may see, None: all)."""
    report = validate_plan(scenario, sub_plan(scenario, operations))
    if report.valid:
        return
    problems = violations_for(
        ids, [op.id for op in scenario.operations],
        [{"path": v.operation or "", "message": problem_line(v)} for v in report.violations])
    raise AppError(
        later("This plan no longer fits the board (operations or resources changed since it "
              "was solved: %(count)s problem(s)); solve again before publishing",
              count=len(problems)),
        409,
        details=problems[:20],
    )


def _changed_operations(
    session: Session, scenario: Scenario, operations: list[ScheduledOperation]
) -> set[str]:
    """The operations whose taskings publishing these scheduled operations would issue,
    amend or cancel (what _write_taskings would do, without doing it)."""
    return {change.operation_id
            for change in preview_orders(session, OrderScope.of(scenario), operations)
            if change.kind != "unchanged"}


@dataclass(frozen=True)
class OrderScope:
    """What turning scheduled operations into orders reads of the board: the duration of
    each operation a plan may schedule (approved and scheduled ones), and each crossing's
    two ends (where a cordon post stands)."""

    durations: dict[str, int]
    crossing_ends: dict[str, tuple[str, str]]

    @classmethod
    def of(cls, scenario: Scenario) -> OrderScope:
        return cls({op.id: op.duration_minutes for op in scenario.operations},
                   {c.id: (c.a, c.b) for c in scenario.crossings})


def order_scope(session: Session) -> OrderScope:
    """The board's OrderScope in two small queries: the order preview of the run review
    needs no exported scenario (exporting the large board took 0.2 s of each view)."""
    durations = session.execute(
        sa_select(col(Operation.id), col(Operation.duration_minutes))
        .where(col(Operation.state).in_(PLANNED_STATES))).all()
    ends = session.execute(
        sa_select(col(Crossing.id), col(Crossing.a_id), col(Crossing.b_id))).all()
    return OrderScope({op_id: minutes for op_id, minutes in durations},
                      {crossing_id: (a, b) for crossing_id, a, b in ends})


@dataclass(frozen=True)
class OrderPreview:
    """What publishing would do to one (operation, unit) order: its kind is the count
    publish_plan adds it to (issued, amended, unchanged or cancelled)."""

    operation_id: str
    unit_id: str
    kind: str
    before: Tasking | None  # the order as the unit holds it now (None: none yet)
    after: dict[str, Any] | None  # the order's values in the plan (None: it is withdrawn)


def preview_orders(
    session: Session, scope: OrderScope, operations: list[ScheduledOperation], *,
    read_only: bool = False, only: set[str] | None = None,
) -> list[OrderPreview]:
    """Every order publishing these scheduled operations would issue, amend, keep or
    cancel, classified exactly as _write_taskings counts them (it uses this too).

    `read_only`: the held orders are rows to read, not objects to change (a preview:
    building 1,700 Tasking objects was a third of the run review's preview).
    `only`: the orders of these operations alone (None: all). Each order is classified
    by its own held and planned values, so the others need not be read: an agency
    planner's run review previewed the whole board's orders to list a third of them."""
    if only is not None:
        operations = [op for op in operations if op.id in only]
    existing, planned = _existing_and_planned(session, scope, operations,
                                              read_only=read_only, only=only)
    changes = []
    for key, values in planned.items():
        tasking = existing.get(key)
        kind = "issued" if tasking is None else "unchanged" if _same(tasking, values) \
            else "amended"
        changes.append(OrderPreview(key[0], key[1], kind, tasking, values))
    changes += [OrderPreview(key[0], key[1], "cancelled", tasking, None)
                for key, tasking in existing.items()
                if key not in planned and tasking.status == TaskingStatus.active]
    return changes


# What a read-only preview reads of each held order: the values `_same` compares (those
# `_values` and `_post_values` give) and the keys; not its uid, sequence, plan and
# timestamps (the run review read 1,700 orders' every column, a third of them instants).
_PREVIEWED = [getattr(Tasking, name) for name in (
    "operation_id", "unit_id", "kind", "site_id", "side", "post_region_id", "capability",
    "start", "end", "depart", "return_at", "crossing_id", "cross_out", "cross_back", "status")]


def _existing_and_planned(
    session: Session, scope: OrderScope, operations: list[ScheduledOperation], *,
    read_only: bool = False, only: set[str] | None = None,
) -> tuple[dict[tuple[str, str], Tasking], dict[tuple[str, str], dict[str, Any]]]:
    """The planned operations' taskings (any status) and the plan's order values;
    `read_only`: as rows of the taskings' columns, which read like Tasking objects;
    `only`: the taskings of these operations alone (None: of every operation)."""
    planned_ids = [op_id for op_id in scope.durations if only is None or op_id in only]
    held = col(Tasking.operation_id).in_(planned_ids)
    if read_only:
        rows = session.execute(sa_select(*_PREVIEWED).where(held)).all()
        found = cast(list[Tasking], rows)
    else:
        found = list(session.exec(select(Tasking).where(held)))
    existing = {(t.operation_id, t.unit_id): t for t in found}
    planned = _planned(scope, operations)
    return existing, planned


def _planned(
    scope: OrderScope, operations: list[ScheduledOperation]
) -> dict[tuple[str, str], dict[str, Any]]:
    """The orders these scheduled operations give, by (operation, unit): each raid
    assignment, and each cordon post (docs/cordon-format.md) at its side of a crossing."""
    durations, ends = scope.durations, scope.crossing_ends
    planned = {
        (scheduled.id, a.unit): _values(scheduled, a, durations[scheduled.id])
        for scheduled in operations for a in scheduled.assignments
    }
    planned.update(
        ((scheduled.id, post.unit), _post_values(post, ends[post.crossing]))
        for scheduled in operations for post in scheduled.cordon or [])
    return planned


def _values(scheduled: ScheduledOperation, a: Assignment, duration: int) -> dict[str, Any]:
    return {
        "kind": TaskingKind.raid, "site_id": a.site, "side": None, "post_region_id": None,
        "capability": a.capability, "start": scheduled.start,
        "end": scheduled.start + timedelta(minutes=duration), "depart": a.depart,
        "return_at": a.return_, "crossing_id": a.crossing, "cross_out": a.cross_out,
        "cross_back": a.cross_back, "status": TaskingStatus.active,
    }


def _post_values(post: CordonPost, ends: tuple[str, str]) -> dict[str, Any]:
    """A cordon post as an order: at its side of the sealed crossing for the seal
    (`start`..`end`), busy from `depart` to `return` with the drive; no passage."""
    return {
        "kind": TaskingKind.cordon_post, "site_id": None, "side": post.side,
        "post_region_id": ends[0] if post.side == "a" else ends[1],
        "capability": CORDON_CAPABILITY, "start": post.start, "end": post.end,
        "depart": post.depart, "return_at": post.return_, "crossing_id": post.crossing,
        "cross_out": None, "cross_back": None, "status": TaskingStatus.active,
    }


def _write_taskings(
    session: Session, scenario: Scenario, operations: list[ScheduledOperation], plan: Plan,
    now: datetime,
) -> dict[str, int]:
    existing, planned = _existing_and_planned(session, OrderScope.of(scenario), operations)
    dropped = [t for key, t in existing.items()
               if key not in planned and t.status == TaskingStatus.active]
    moving = [t for key, t in existing.items() if key in planned and not _same(t, planned[key])]
    # Read before the orders change: what each officer's notice says changed.
    changes = [OrderChange(t, NoticeKind.amended,
                           describe_change(t, planned[(t.operation_id, t.unit_id)]))
               for t in moving if t.status == TaskingStatus.active]
    changes += [OrderChange(t, NoticeKind.cancelled,
                            later("New plan published: the operation no longer needs this "
                                  "unit (or it was left out of the plan); the order is "
                                  "withdrawn"))
                for t in dropped]
    _stand_down(session, [*dropped, *moving])
    counts = {"issued": 0, "amended": 0, "unchanged": 0, "cancelled": 0}
    for key, values in planned.items():
        counts[_upsert(session, existing.get(key), key, values, plan, now)] += 1
    for tasking in dropped:
        tasking.cancelled_at = now
        tasking.sequence, tasking.updated_at = tasking.sequence + 1, now
        session.add(tasking)
        counts["cancelled"] += 1
    session.flush()
    notify(session, changes, now=now)
    return counts


def _same(tasking: Tasking, values: dict[str, Any]) -> bool:
    return all(getattr(tasking, name) == value for name, value in values.items())


def _stand_down(session: Session, taskings: list[Tasking]) -> None:
    """Orders that move or go stop being active first, in a flush of their own.

    The schema refuses a unit in two overlapping active orders row by row, and halfway
    through a valid change (two units swapping times) there would be one. Nobody sees
    this step: it is inside the publish transaction.
    """
    for tasking in taskings:
        tasking.status = TaskingStatus.cancelled
        session.add(tasking)
    session.flush()


def _upsert(
    session: Session, tasking: Tasking | None, key: tuple[str, str], values: dict[str, Any],
    plan: Plan, now: datetime,
) -> str:
    """Create or update one tasking; returns which count it adds to."""
    if tasking is None:
        session.add(Tasking(uid=tasking_uid(*key), operation_id=key[0], unit_id=key[1],
                            plan_id=plan.id, updated_at=now, **values))
        return "issued"
    tasking.plan_id = plan.id
    if _same(tasking, values):
        session.add(tasking)
        return "unchanged"
    for name, value in values.items():
        setattr(tasking, name, value)
    tasking.sequence += 1
    tasking.updated_at, tasking.cancelled_at = now, None
    session.add(tasking)
    return "amended"


def _set_states(session: Session, scheduled_ids: set[str], user: User) -> dict[str, int]:
    """Operations in the plan become scheduled; scheduled ones left out go back to approved."""
    operations = session.exec(
        select(Operation).where(col(Operation.state).in_(PLANNED_STATES))
    ).all()
    moved = {"scheduled": 0, "unscheduled": 0}
    for op in operations:
        if op.id in scheduled_ids and op.state == OperationState.approved:
            _set_state(session, op, OperationState.scheduled, user, "plan published")
            moved["scheduled"] += 1
        elif op.id not in scheduled_ids and op.state == OperationState.scheduled:
            _set_state(session, op, OperationState.approved, user, "left out of the new plan")
            moved["unscheduled"] += 1
    return moved


def _set_state(
    session: Session, op: Operation, state: OperationState, user: User, reason: str
) -> None:
    try:
        from app.operations.service import set_state
    except ImportError:  # the workflow service is not there: do its job minimally
        previous = op.state
        op.state, op.updated_at, op.version = state, utcnow(), op.version + 1
        session.add(op)
        audit(session, actor=user, action="operation.set_state", object_type="operation",
              object_id=op.id, state_from=str(previous), state_to=str(state), reason=reason)
        session.flush()
        return
    set_state(session, operation=op, state=state, actor=user, reason=reason)
