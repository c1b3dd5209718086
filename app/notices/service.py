"""Writing notices: one per officer of a unit whose published order was amended or
cancelled, in the transaction that changed the order.

The in-app notice is the record. When SMTP is configured an email is queued on the same
row (mail_status "pending") and sent by app.notices.outbox after the commit: never inside
the transaction that amends the order, and never at the cost of the notice if the mail
server is away.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, func, update
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from app.config import get_settings
from app.errors import NotFound
from app.models import (
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
    officers: dict[str, list[User]] = {}
    for user in session.exec(select(User).where(col(User.unit_id).in_(sorted(unit_ids)),
                                                col(User.is_active).is_(True))
                             .order_by(col(User.id))):
        officers.setdefault(user.unit_id or "", []).append(user)
    if not officers:
        return 0
    operations = {op.id: op for op in session.exec(
        select(Operation).where(col(Operation.id).in_(sorted({c.tasking.operation_id
                                                              for c in changes}))))}
    callsigns = dict(session.exec(select(Unit.id, Unit.callsign)
                                  .where(col(Unit.id).in_(sorted(unit_ids)))).all())
    mail = bool(get_settings().smtp_host)
    written = 0
    for change in changes:
        order, op = change.tasking, operations[change.tasking.operation_id]
        unit = callsigns.get(order.unit_id, order.unit_id)
        verb = "amended" if change.kind == NoticeKind.amended else "cancelled"
        for officer in officers.get(order.unit_id, []):
            assert officer.id is not None
            wants_mail = mail and bool(officer.email)
            session.add(Notice(
                user_id=officer.id, operation_id=op.id, unit_id=order.unit_id,
                kind=change.kind, title=f"{op.code_name}: the order of {unit} was {verb}",
                body=change.what[:4000], tlp=op.tlp, created_at=now,
                mail_status=MailStatus.pending if wants_mail else MailStatus.none,
                mail_next_at=now if wants_mail else None,
            ))
            written += 1
            if wants_mail:
                session.info[MAIL_WAITING] = True
    session.flush()
    return written


@event.listens_for(OrmSession, "after_commit")
def _send_after_commit(session: OrmSession) -> None:
    """The emails leave once the notices they point to are committed (and only then)."""
    if session.info.pop(MAIL_WAITING, False):
        outbox.kick()


@event.listens_for(OrmSession, "after_rollback")
def _forget_after_rollback(session: OrmSession) -> None:
    session.info.pop(MAIL_WAITING, None)


# --- what changed, in plain words ------------------------------------------------------

_TIMES = (("start", "H-hour"), ("end", "end"), ("depart", "departure"),
          ("return_at", "return"), ("cross_out", "border crossing out"),
          ("cross_back", "border crossing back"))


def describe_change(tasking: Tasking, values: dict[str, Any]) -> str:
    """What a new plan changes in an active order: "H-hour 2026-12-02 03:00Z → 05:00Z; ..."."""
    parts = []
    if tasking.kind != values.get("kind", tasking.kind):
        parts.append("now a cordon post at a border crossing"
                     if values.get("kind") == "cordon_post" else "now a part in the raid")
    elif tasking.side != values.get("side", tasking.side) or (
            tasking.kind == "cordon_post"
            and tasking.crossing_id != values.get("crossing_id")):
        parts.append("another cordon post")
    post = values.get("kind", tasking.kind) == "cordon_post"
    for name, label in _TIMES:
        if post:  # a cordon post holds its crossing for the seal
            label = {"start": "seal from", "end": "seal until"}.get(name, label)
        old, new = getattr(tasking, name), values.get(name)
        if old != new:
            parts.append(f"{label} {fmt_utc(old) or 'none'} → {fmt_utc(new) or 'none'}")
    if tasking.capability != values.get("capability"):
        parts.append(f"task {tasking.capability} → {values.get('capability')}")
    if tasking.site_id != values.get("site_id"):
        parts.append("another site of the operation")
    if tasking.crossing_id != values.get("crossing_id") and tasking.kind == values.get(
            "kind", tasking.kind) != "cordon_post":
        parts.append("another border crossing")
    return "New plan published: " + ("; ".join(parts) if parts else "order re-issued")


# --- reading and marking ------------------------------------------------------------------


def unread_count(session: Session, *, user_id: int) -> int:
    """The navigation badge: one count over ix_notices_user_unread."""
    query = select(func.count()).select_from(Notice).where(
        Notice.user_id == user_id, col(Notice.read_at).is_(None))
    return int(session.exec(query).one())


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
        raise NotFound("No such notice")
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
