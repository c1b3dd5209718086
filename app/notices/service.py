"""Writing notices: one per officer of a unit whose published order (or escort trip of a
published hand-over plan) was amended or cancelled, in the transaction that changed it.

The in-app notice is the record. When SMTP is configured an email is queued on the same
row (mail_status "pending") and sent by app.notices.outbox after the commit: never inside
the transaction that amends the order, and never at the cost of the notice if the mail
server is away.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, event, func, update
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from app.config import get_settings
from app.errors import NotFound
from app.i18n import DEFAULT, N_, Joined, later, speaking, translated
from app.models import (
    TLP,
    EscortTrip,
    MailStatus,
    Notice,
    NoticeKind,
    Operation,
    Tasking,
    Unit,
    User,
    utcnow,
)
from app.notices import outbox
from app.web import fmt_utc

# Set in a session's info when it wrote a notice with an email to send after its commit.
MAIL_WAITING = "jointops_notice_mail_waiting"
# What the notices page lists at most (newest first).
PAGE_SIZE = 200


@dataclass(frozen=True)
class OrderChange:
    """One order that was amended or cancelled, and what happened to it in plain words."""

    tasking: Tasking
    kind: NoticeKind
    what: str


def notify(session: Session, changes: Sequence[OrderChange], *, now: datetime | None = None
           ) -> int:
    """Write a notice to every active officer of each changed order's unit; returns how many.

    Call it in the transaction that changes the orders (after the change, before the
    commit): the notices commit or roll back with it.
    """
    if not changes:
        return 0
    now = now or utcnow()
    unit_ids = {c.tasking.unit_id for c in changes}
    officers = _officers(session, unit_ids)
    if not officers:
        return 0
    operations = {op.id: op for op in session.exec(
        select(Operation).where(col(Operation.id).in_(sorted({c.tasking.operation_id
                                                              for c in changes}))))}
    callsigns = dict(session.exec(select(Unit.id, Unit.callsign)
                                  .where(col(Unit.id).in_(sorted(unit_ids)))).all())
    written = 0
    for change in changes:
        order, op = change.tasking, operations[change.tasking.operation_id]
        unit = callsigns.get(order.unit_id, order.unit_id)
        title = (later("%(operation)s: the order of %(unit)s was amended",
                       operation=op.code_name, unit=unit)
                 if change.kind == NoticeKind.amended else
                 later("%(operation)s: the order of %(unit)s was cancelled",
                       operation=op.code_name, unit=unit))
        written += write_copies(session, officers.get(order.unit_id, []), Notice(
            user_id=0, operation_id=op.id, unit_id=order.unit_id, kind=change.kind,
            title="", body="", tlp=op.tlp, created_at=now), title=title, body=change.what)
    session.flush()
    return written


@dataclass(frozen=True)
class TripChange:
    """One escort trip of a hand-over plan that was amended or cancelled, in plain words."""

    trip: EscortTrip
    kind: NoticeKind
    what: str


# Escort trips carry counts of persons, never names, but where and when detained persons
# are moved is TLP:AMBER (app.repatriation.tasking.ESCORT_TLP): an email only points here.
TRIP_TLP = TLP.AMBER


def notify_trips(session: Session, changes: Sequence[TripChange], *,
                 point_names: Mapping[str, str], now: datetime | None = None) -> int:
    """A notice to every active officer of each changed trip's unit; returns how many.

    As `notify`: call it in the transaction that republishes the hand-over plan."""
    if not changes:
        return 0
    now = now or utcnow()
    unit_ids = {c.trip.unit_id for c in changes}
    officers = _officers(session, unit_ids)
    callsigns = dict(session.exec(select(Unit.id, Unit.callsign)
                                  .where(col(Unit.id).in_(sorted(unit_ids)))).all())
    written = 0
    for change in changes:
        trip = change.trip
        unit = callsigns.get(trip.unit_id, trip.unit_id)
        point = point_names.get(trip.point_id, trip.point_id)
        words = dict(unit=unit, day=trip.day.isoformat(), point=point)
        title = (later("Escort trip of %(unit)s on %(day)s to %(point)s was amended", **words)
                 if change.kind == NoticeKind.amended else
                 later("Escort trip of %(unit)s on %(day)s to %(point)s was cancelled",
                       **words))
        written += write_copies(session, officers.get(trip.unit_id, []), Notice(
            user_id=0, operation_id=None, unit_id=trip.unit_id, kind=change.kind,
            title="", body="", tlp=TRIP_TLP, created_at=now), title=title, body=change.what)
    session.flush()
    return written


def _officers(session: Session, unit_ids: set[str]) -> dict[str, list[User]]:
    """The active officers of these units, by unit."""
    officers: dict[str, list[User]] = {}
    for user in session.exec(select(User).where(col(User.unit_id).in_(sorted(unit_ids)),
                                                col(User.is_active).is_(True))
                             .order_by(col(User.id))):
        officers.setdefault(user.unit_id or "", []).append(user)
    return officers


def write_copies(session: Session, officers: list[User], notice: Notice, *, title: object,
                 body: object) -> int:
    """One copy of `notice` per officer, with its email queued when SMTP is configured.

    Each copy is written in its officer's language (the one saved with the user, else
    English): `title` and `body` are `later(…)` messages, and the notice and its email
    are read outside any request that could say which language to speak.
    """
    mail = bool(get_settings().smtp_host)
    for officer in officers:
        assert officer.id is not None
        wants_mail = mail and bool(officer.email)
        with speaking(officer.language or DEFAULT):
            read_title, read_body = str(translated(title)), str(translated(body))
        session.add(Notice(
            **notice.model_dump(exclude={"id", "user_id", "mail_status", "mail_next_at",
                                         "title", "body"}),
            title=read_title[:300], body=read_body[:4000],
            user_id=officer.id,
            mail_status=MailStatus.pending if wants_mail else MailStatus.none,
            mail_next_at=notice.created_at if wants_mail else None))
        if wants_mail:
            session.info[MAIL_WAITING] = True
    return len(officers)


@event.listens_for(OrmSession, "after_commit")
def _send_after_commit(session: OrmSession) -> None:
    """The emails leave once the notices they point to are committed (and only then)."""
    if session.info.pop(MAIL_WAITING, False):
        outbox.kick()


@event.listens_for(OrmSession, "after_rollback")
def _forget_after_rollback(session: OrmSession) -> None:
    session.info.pop(MAIL_WAITING, None)


# --- what changed, in plain words ------------------------------------------------------

# The words are N_-marked: a notice is written in each officer's language (`write_copies`).
_TIMES = (("start", N_("H-hour")), ("end", N_("end")), ("depart", N_("departure")),
          ("return_at", N_("return")), ("cross_out", N_("border crossing out")),
          ("cross_back", N_("border crossing back")))
_SEAL = {"start": N_("seal from"), "end": N_("seal until")}
_NONE = N_("none")


def _moved(label: str, old: object, new: object) -> str:
    return later("%(what)s %(old)s → %(new)s", what=label, old=old, new=new)


def describe_change(tasking: Tasking, values: dict[str, Any]) -> str:
    """What a new plan changes in an active order: "H-hour 2026-12-02 03:00Z → 05:00Z; ..."
    (English, a `later(…)` that each officer's notice reads in their language)."""
    parts: list[object] = []
    if tasking.kind != values.get("kind", tasking.kind):
        parts.append(N_("now a cordon post at a border crossing")
                     if values.get("kind") == "cordon_post" else N_("now a part in the raid"))
    elif tasking.side != values.get("side", tasking.side) or (
            tasking.kind == "cordon_post"
            and tasking.crossing_id != values.get("crossing_id")):
        parts.append(N_("another cordon post"))
    post = values.get("kind", tasking.kind) == "cordon_post"
    for name, label in _TIMES:
        if post:  # a cordon post holds its crossing for the seal
            label = _SEAL.get(name, label)
        old, new = getattr(tasking, name), values.get(name)
        if old != new:
            parts.append(_moved(label, fmt_utc(old) or _NONE, fmt_utc(new) or _NONE))
    if tasking.capability != values.get("capability"):
        parts.append(later("task %(old)s → %(new)s", old=tasking.capability,
                           new=values.get("capability")))
    if tasking.site_id != values.get("site_id"):
        parts.append(N_("another site of the operation"))
    if tasking.crossing_id != values.get("crossing_id") and tasking.kind == values.get(
            "kind", tasking.kind) != "cordon_post":
        parts.append(N_("another border crossing"))
    return later("New plan published: %(changes)s",
                 changes=Joined(parts) if parts else N_("order re-issued"))


_TRIP_STEPS = (("depart", N_("departure from base")), ("handover", N_("hand-over")),
               ("duty_minutes", N_("minutes on duty")), ("persons", N_("persons")))


def describe_trip_change(trip: EscortTrip, values: Mapping[str, Any],
                         names: Mapping[str, str]) -> str:
    """What a republished hand-over plan changes in a trip: "hand-over 09:00 → 10:00; ..."
    (times are local, of the unit's country, as the trip is driven)."""
    parts: list[object] = []
    for name, label in (("point_id", N_("hand-over point")),
                        ("site_region_id", N_("holding site"))):
        place, moved_to = str(getattr(trip, name)), str(values.get(name))
        if place != moved_to:
            parts.append(_moved(label, names.get(place, place), names.get(moved_to, moved_to)))
    for name, label in _TRIP_STEPS:
        old, new = getattr(trip, name), values.get(name)
        if old != new:
            parts.append(_moved(label, old, new))
    if not parts and trip.route != values.get("route"):
        parts.append(N_("another route"))
    return later("New hand-over plan published, trip of %(day)s (local times): %(changes)s",
                 day=trip.day.isoformat(),
                 changes=Joined(parts) if parts else N_("trip re-issued"))


# --- reading and marking ------------------------------------------------------------------


# Built once, the user a parameter: every page view counts.
_UNREAD = select(func.count()).select_from(Notice).where(
    col(Notice.user_id) == bindparam("user_id"), col(Notice.read_at).is_(None))


def unread_count(session: Session, *, user_id: int) -> int:
    """The navigation badge: one count over ix_notices_user_unread."""
    return int(session.exec(_UNREAD, params={"user_id": user_id}).one())


def list_notices(session: Session, *, user_id: int) -> list[Notice]:
    """The user's notices, unread first, newest first."""
    query = (select(Notice).where(Notice.user_id == user_id)
             .order_by(col(Notice.read_at).is_not(None), col(Notice.created_at).desc(),
                       col(Notice.id).desc())
             .limit(PAGE_SIZE))
    return list(session.exec(query))


def mark_read(session: Session, *, user_id: int, notice_id: int) -> Notice:
    """Mark one of the user's notices read (404 for anyone else's: same as a missing one)."""
    notice = session.get(Notice, notice_id)
    if notice is None or notice.user_id != user_id:
        raise NotFound(N_("No such notice"))
    if notice.read_at is None:
        notice.read_at = utcnow()
        session.add(notice)
        session.flush()
    return notice


def mark_all_read(session: Session, *, user_id: int) -> int:
    """Mark every unread notice of the user read; returns how many."""
    result = session.execute(
        update(Notice).where(col(Notice.user_id) == user_id, col(Notice.read_at).is_(None))
        .values(read_at=utcnow()).execution_options(synchronize_session=False))
    session.expire_all()
    return int(result.rowcount)  # type: ignore[attr-defined]
