"""The planning horizon: the period every solve places operations in, shown and edited.

The solver drops whatever does not fit the horizon, published operations included, so a
change that cuts off a published operation's orders is refused with its name: to end an
operation, abort it, or release it and re-plan.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select

from app import audit as trail
from app.errors import AppError
from app.i18n import N_, Joined, later
from app.models import (
    BoardConfig,
    Operation,
    OperationState,
    Tasking,
    TaskingStatus,
    User,
    utcnow,
)
from app.web import fmt_utc

FIELDS = ("horizon_start", "horizon_end")


class InvalidHorizon(AppError):
    """A horizon change that breaks a rule; `errors` maps a field name to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(N_("The planning horizon was not changed; see the fields marked"), 422,
                         details=[{"path": k, "message": v} for k, v in errors.items()])
        self.errors = errors


def current(session: Session) -> BoardConfig:
    """The board's horizon, or today plus three weeks when none was ever set."""
    config = session.get(BoardConfig, 1)
    if config is not None:
        return config
    today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    return BoardConfig(id=1, horizon_start=today, horizon_end=today + timedelta(days=21))


def as_form(config: BoardConfig) -> dict[str, str]:
    """The horizon as `datetime-local` values in UTC."""
    return {"horizon_start": config.horizon_start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M"),
            "horizon_end": config.horizon_end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")}


def parse(values: dict[str, str]) -> dict[str, datetime]:
    """UTC instants from the form, or InvalidHorizon naming each field that is wrong."""
    errors: dict[str, str] = {}
    parsed: dict[str, datetime] = {}
    for name in FIELDS:
        text = (values.get(name) or "").strip()
        try:
            instant = datetime.fromisoformat(text.removesuffix("Z").removesuffix("z"))
        except ValueError:
            errors[name] = later("give a date and a 24-hour time in UTC, e.g. 2026-12-02T03:00")
            continue
        parsed[name] = (instant if instant.tzinfo else instant.replace(tzinfo=UTC)).astimezone(UTC)
    if errors:
        raise InvalidHorizon(errors)
    return parsed


def set_horizon(
    session: Session, *, start: datetime, end: datetime, user: User
) -> BoardConfig:
    """Change the horizon; refused if start >= end or it cuts off published orders."""
    errors: dict[str, str] = {}
    if end <= start:
        errors["horizon_end"] = later("the end must be after the start")
    else:
        errors.update(_cut_off(session, start, end))
    if errors:
        raise InvalidHorizon(errors)
    config = session.get(BoardConfig, 1) or current(session)
    before = (fmt_utc(config.horizon_start), fmt_utc(config.horizon_end))
    config.horizon_start, config.horizon_end = start, end
    session.add(config)
    trail.record(session, actor=user, action="horizon.set", object_type="board", object_id="1",
                 details={"from": list(before), "to": [fmt_utc(start), fmt_utc(end)]})
    session.flush()
    return config


def _cut_off(session: Session, start: datetime, end: datetime) -> dict[str, str]:
    """Messages for the published operations whose active orders leave [start, end]."""
    rows = session.exec(
        select(Operation.id, Operation.code_name, Tasking.depart, Tasking.return_at)
        .join(Tasking, col(Tasking.operation_id) == col(Operation.id))
        # Scheduled ones are what a solve places (and can drop); executing and completed
        # ones are no longer planned.
        .where(Tasking.status == TaskingStatus.active,
               Operation.state == OperationState.scheduled)
    ).all()
    early: dict[str, str] = {}
    late: dict[str, str] = {}
    for op_id, name, depart, back in rows:
        if depart < start:
            early.setdefault(op_id, later("%(operation)s %(name)s (units leave %(time)s)",
                                          operation=op_id, name=name, time=fmt_utc(depart)))
        if back > end:
            late.setdefault(op_id, later("%(operation)s %(name)s (units back %(time)s)",
                                         operation=op_id, name=name, time=fmt_utc(back)))
    errors: dict[str, str] = {}
    if early:
        errors["horizon_start"] = later(
            "this cuts off published operation(s) %(operations)s: start earlier",
            operations=Joined(list(early.values())))
    if late:
        errors["horizon_end"] = later(
            "this cuts off published operation(s) %(operations)s: end later",
            operations=Joined(list(late.values())))
    return errors
