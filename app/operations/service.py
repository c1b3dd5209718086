"""The operation workflow: each step checks who may take it, writes an audit event, flushes.

| step                | from state(s)               | to          | who may                     |
| ------------------- | --------------------------- | ----------- | --------------------------- |
| create              | -                           | draft       | liaison (own agency), admin |
| edit                | draft, proposed, approved,  | see (1)     | lead liaison, admin         |
|                     | scheduled                   |             |                             |
| propose             | draft                       | proposed    | lead liaison, admin         |
| approve (host, or   | proposed                    | approved (2)| host liaison of that        |
| foreign-unit consent)|                            |             | country, admin              |
| decline (reason)    | proposed                    | draft (3)   | host liaison, admin         |
| abort (reason)      | draft .. executing          | aborted     | lead liaison, planner, admin|
| mark executing      | scheduled                   | executing   | lead liaison, planner, admin|
| mark completed      | executing                   | completed   | lead liaison, planner, admin|
| set_state (publish) | approved                    | scheduled   | the planning service        |

(1) Editing a draft keeps it a draft; editing a proposed, approved or scheduled operation
makes it proposed again and clears every approval: they were given on other content. Its
published orders are cancelled too (the next publish re-issues them once approved again).
(2) Automatically, once every host country approved (and consented to foreign units
when foreign support is requested). (3) With the reason, shown on the operation.
A re-proposal starts a fresh round of approvals.

Optimistic concurrency: every step is a compare-and-set `UPDATE ... WHERE version = :v`;
a stale version raises a 409 naming who changed the operation and when. The route commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import update
from sqlmodel import Session, col, select

from app import audit as trail
from app.db import lock_board
from app.errors import AppError, Conflict, Forbidden
from app.i18n import N_, later, pydantic_message
from app.models import (
    Agency,
    Approval,
    ApprovalKind,
    AuditEvent,
    Decision,
    NoticeKind,
    Operation,
    OperationState,
    Region,
    Tasking,
    TaskingStatus,
    Unit,
    User,
    utcnow,
)
from app.notices import service as notices
from app.operations import cordons, sites
from app.operations import permissions as perm
from app.operations.schemas import OperationIn
from app.web import fmt_utc

S = OperationState


class InvalidOperation(AppError):
    """Input that breaks a rule; `errors` maps a field path to its message."""

    def __init__(self, errors: dict[str, str], message: str | None = None) -> None:
        details = [{"path": path, "message": text} for path, text in errors.items()]
        message = message or "The operation is not valid; see the fields marked"
        super().__init__(message, 422, details=details)
        self.errors = errors


def validate(session: Session, *, data: dict[str, Any]) -> OperationIn:
    """Validate a whole operation (known regions and agencies included) or raise per field."""
    agencies = set(session.exec(select(Agency.id)))
    errors = _region_errors(session, data) | _position_errors(data) | cordons.errors(
        session, data)
    try:
        result = OperationIn.model_validate(data, context={"agencies": agencies})
    except ValidationError as exc:
        for err in exc.errors():
            path = ".".join(str(part) for part in err["loc"]) or "__all__"
            errors.setdefault(path, pydantic_message(err))
    if errors:
        raise InvalidOperation(errors)
    return result


def _region_errors(session: Session, data: dict[str, Any]) -> dict[str, str]:
    sites = data.get("sites")
    if not isinstance(sites, list):
        return {}
    known = set(session.exec(select(Region.id)))
    errors: dict[str, str] = {}
    for i, site in enumerate(sites):
        if not isinstance(site, dict):
            continue
        region = site.get("region_id")
        if isinstance(region, str) and not region.strip():
            # A row left on "Choose…" would otherwise reach the database as region ''.
            errors[f"sites.{i}.region_id"] = later("choose the region of this site")
        elif region and region not in known:
            errors[f"sites.{i}.region_id"] = later("unknown region %(region)s",
                                                   region=repr(region))
    return errors


# Each coordinate: its form label, its range, and an example for the message.
POSITION = {"lat": (N_("latitude"), 90, "20.35"), "lon": (N_("longitude"), 180, "99.88")}


def _position_errors(data: dict[str, Any]) -> dict[str, str]:
    """A site's point is optional, but whole: a latitude needs its longitude and back."""
    sites = data.get("sites")
    errors: dict[str, str] = {}
    for i, site in enumerate(sites if isinstance(sites, list) else []):
        if not isinstance(site, dict):
            continue
        given = {key: site.get(key) for key in POSITION if site.get(key) not in (None, "")}
        for key, (label, bound, example) in POSITION.items():
            if key not in given:
                if given:
                    other = POSITION["lon" if key == "lat" else "lat"][0]
                    errors[f"sites.{i}.{key}"] = later(
                        "give the %(label)s too, or clear the %(other)s: a point needs both",
                        label=label, other=other)
                continue
            try:
                value = float(str(given[key]))
            except (TypeError, ValueError):
                value = float("nan")
            if not -bound <= value <= bound:  # NaN fails too
                errors[f"sites.{i}.{key}"] = later(
                    "%(label)s must be a number of degrees from -%(bound)s to %(bound)s, "
                    "e.g. %(example)s", label=label, bound=bound, example=example)
    return errors


def as_input(operation: Operation) -> dict[str, Any]:
    """The operation as an input document (the base a PATCH or the edit form starts from)."""
    doc = operation.model_dump(include=set(OperationIn.model_fields) - {"sites", "cordon"})
    doc["sites"] = [
        {
            "id": site.id,
            "region_id": site.region_id,
            "objective": site.objective,
            "min_personnel": site.min_personnel,
            "lat": site.lat,
            "lon": site.lon,
            "requirements": [
                {"capability": r.capability, "count": r.count} for r in site.requirements
            ],
        }
        for site in operation.sites
    ]
    doc["cordon"] = cordons.as_input(operation)
    return doc


def create(session: Session, *, data: OperationIn, actor: User) -> Operation:
    """A new draft operation led by the actor's agency (administrators choose any)."""
    if not perm.may_create(actor):
        raise Forbidden(N_("Only liaison officers and administrators create operations"))
    if actor.role != "admin" and data.lead_agency_id != actor.agency_id:
        raise Forbidden(N_("You may create operations only for your own agency"))
    fields = data.model_dump(exclude={"sites", "cordon"})
    operation = Operation(id=f"OP-{uuid.uuid4().hex[:8].upper()}", created_by_id=actor.id,
                          state=S.draft, **fields)
    session.add(operation)
    session.flush()
    sites.add_sites(session, operation_id=operation.id, sites=data.sites)
    cordons.save(session, operation=operation, cordon=data.cordon, new=True)
    _audit(session, actor=actor, action="create", operation=operation,
           code_name=operation.code_name)
    session.flush()
    session.refresh(operation)
    return operation


# Fields that describe an operation without changing what the host countries approved or
# what the units were ordered to do: an edit of only these is amended in place.
DESCRIPTIVE = frozenset({"code_name", "description", "commander", "commander_phone",
                         "radio_net"})


class EditNeedsConfirmation(AppError):
    """A change to what was approved would cancel orders or approvals: say which, first."""

    def __init__(self, impact: EditImpact) -> None:
        super().__init__(
            "This change sends the operation back to the host countries; confirm to cancel "
            f"{len(impact.orders)} published tasking order(s) and restart "
            f"{len(impact.approvals)} decision(s)", 409,
            details=[{"path": "orders", "message": o} for o in impact.orders]
            + [{"path": "approvals", "message": a} for a in impact.approvals])
        self.impact = impact


@dataclass
class EditImpact:
    """What saving an edit does: the fields it changes, and what it cancels."""

    changed: list[str]
    in_place: bool
    orders: list[str] = field(default_factory=list)  # "RTP-K9-1 of TH-RTP: k9 at ..."
    approvals: list[str] = field(default_factory=list)  # "MM host approval (approved)"

    @property
    def needs_confirmation(self) -> bool:
        return not self.in_place and bool(self.orders or self.approvals)


def edit_impact(session: Session, *, operation: Operation, data: OperationIn) -> EditImpact:
    """What saving `data` would do to the operation, its approvals and its orders."""
    changed = _changes(operation, data)
    if operation.state == S.draft or set(changed) <= DESCRIPTIVE:
        return EditImpact(changed, in_place=True)
    orders = [
        f"{unit.callsign} of {unit.agency_id} (unit {unit.id}): {_order_place(order)}, "
        f"{'seal from' if order.site_id is None else 'H-hour'} {fmt_utc(order.start)}"
        for order, unit in session.exec(
            select(Tasking, Unit).join(Unit, col(Unit.id) == col(Tasking.unit_id))
            .where(Tasking.operation_id == operation.id,
                   Tasking.status == TaskingStatus.active)
            .order_by(col(Unit.agency_id), col(Unit.callsign)))
    ]
    kinds = {ApprovalKind.host: "host approval",
             ApprovalKind.foreign_support: "consent to foreign units"}
    approvals = [
        f"{row.country_code} {kinds[ApprovalKind(row.kind)]} ({row.decision.value})"
        for row in session.exec(select(Approval).where(Approval.operation_id == operation.id)
                                .order_by(col(Approval.country_code), col(Approval.kind)))
    ]
    return EditImpact(changed, in_place=False, orders=orders, approvals=approvals)


def _order_place(order: Tasking) -> str:
    """What an order is, in the words of the edit warning."""
    if order.site_id is None:  # a cordon post
        return f"cordon post at {order.crossing_id}, side {order.side}"
    return f"{order.capability} at site {order.site_id}"


def update_operation(
    session: Session, *, operation: Operation, data: OperationIn, version: int, actor: User,
    confirm_cancel: bool = False,
) -> Operation:
    """Save an edit.

    Only descriptive fields changed (or a draft): amended in place; the state, approvals
    and orders stay, and active orders get a SEQUENCE bump so calendars show the new text.
    Otherwise it becomes proposed again, approvals are cleared and orders cancelled; when
    there are any, only with `confirm_cancel` (else EditNeedsConfirmation lists them).
    """
    if not perm.may_edit_as(actor, operation):
        raise Forbidden(N_("Only the lead agency's liaison officers edit this operation"))
    _require_state(operation, perm.EDITABLE, N_("edited"))
    if data.lead_agency_id != operation.lead_agency_id:
        raise InvalidOperation({"lead_agency_id": "the lead agency cannot be changed"})
    lock_board(session, shared=True)  # publishing must not re-issue the orders this withdraws
    # Read under the lock: the orders listed are the ones the save would cancel.
    impact = edit_impact(session, operation=operation, data=data)
    if impact.needs_confirmation and not confirm_cancel:
        raise EditNeedsConfirmation(impact)
    before = OperationState(operation.state)
    after = before if impact.in_place else S.proposed
    fields = data.model_dump(exclude={"sites", "lead_agency_id", "cordon"})
    _compare_and_set(session, operation=operation, version=version, state=after, **fields)
    if not (impact.in_place and before != S.draft):
        sites.replace_sites(session, operation_id=operation.id, sites=data.sites)
        cordons.save(session, operation=operation, cordon=data.cordon)
    withdrawn = amended = 0
    changed = ", ".join(name.replace("_", " ") for name in impact.changed)
    if before != S.draft and impact.in_place:
        amended = _amend_orders(session, operation_id=operation.id,
                                what=later("Amended in place: %(changed)s; times and place "
                                           "are unchanged", changed=changed)
                                ) if impact.changed else 0
    elif before != S.draft:
        _clear_approvals(session, operation_id=operation.id)
        withdrawn = _withdraw_orders(
            session, operation_id=operation.id,
            what=later("The operation was changed (%(changed)s) and goes back to the host "
                       "countries for approval; this order is withdrawn until a new plan is "
                       "published", changed=changed))
    _audit(session, actor=actor, action="amend" if impact.in_place and before != S.draft
           else "edit", operation=operation, changed=impact.changed, state_from=before,
           state_to=after, orders_withdrawn=withdrawn or None, orders_amended=amended or None)
    session.flush()
    session.expire(operation)
    return operation


def _amend_orders(session: Session, *, operation_id: str, what: str) -> int:
    """A descriptive amendment reaches the calendars: active orders get SEQUENCE + 1 and a
    new DTSTAMP (their updated_at), so apps replace the event with the new text; and
    their officers get a notice saying `what`."""
    now = utcnow()
    orders = session.exec(select(Tasking).where(Tasking.operation_id == operation_id,
                                                Tasking.status == TaskingStatus.active)).all()
    for order in orders:
        order.sequence, order.updated_at = order.sequence + 1, now
        session.add(order)
    session.flush()
    notices.notify(session, [notices.OrderChange(o, NoticeKind.amended, what) for o in orders],
                   now=now)
    return len(orders)


def _changes(operation: Operation, data: OperationIn) -> list[str]:
    """The names of the fields an edit changes ("sites" for any site or requirement)."""
    old = as_input(operation)
    new = data.model_dump(exclude={"lead_agency_id"})
    changed = [k for k, v in new.items() if k not in ("sites", "cordon") and old.get(k) != v]
    if old.get("cordon") != new.get("cordon"):
        changed.append("cordon")

    def shape(sites: list[dict[str, Any]]) -> list[Any]:
        # A moved point is a change to the site the host countries approved.
        return sorted((s["region_id"], s["objective"], s["min_personnel"] or 0,
                       s.get("lat"), s.get("lon"),
                       sorted((r["capability"], r["count"]) for r in s["requirements"]))
                      for s in sites)

    if shape(old["sites"]) != shape(new["sites"]):
        changed.append("sites")
    return sorted(changed)


def propose(
    session: Session, *, operation: Operation, actor: User, version: int | None = None
) -> Operation:
    """Send a draft to the host countries for approval (a fresh round)."""
    if not perm.may_edit_as(actor, operation):
        raise Forbidden(N_("Only the lead agency's liaison officers propose this operation"))
    _require_state(operation, {S.draft}, "proposed")
    lock_board(session, shared=True)
    # The compare-and-set expires the operation: its id is taken first, so the writes
    # after it do not read the operation back (the caller reads it once, to answer).
    operation_id = operation.id
    _compare_and_set(session, operation=operation, version=version, state=S.proposed,
                     decline_reason=None)
    _clear_approvals(session, operation_id=operation_id)
    trail.record(session, actor=actor, action="propose", object_type="operation",
                 object_id=operation_id, details={})
    return operation


def decide(
    session: Session,
    *,
    operation: Operation,
    actor: User,
    decision: Decision,
    kind: ApprovalKind = ApprovalKind.host,
    country_code: str | None = None,
    reason: str | None = None,
    version: int | None = None,
) -> Operation:
    """A host country approves or declines (host approval or consent to foreign units)."""
    country = _decision_country(session, actor, operation, country_code, kind)
    if decision == Decision.approved and actor.id in perm.authors(session, operation):
        raise Forbidden(N_("Approval must come from another person than the one who created or "
                           "proposed this operation"))
    reason = (reason or "").strip() or None
    if decision == Decision.declined and not reason:
        raise InvalidOperation({"reason": "give a reason for declining"},
                               "Give a reason for declining")
    lock_board(session, shared=True)  # an approval changes what publishing may schedule
    # Compare-and-set first: it locks the row, so a concurrent decision waits, then fails.
    _compare_and_set(session, operation=operation, version=version)
    _upsert_approval(session, operation_id=operation.id, country=country, kind=kind,
                     decision=decision, actor=actor, reason=reason)
    state = _state_after_decision(session, operation, decision)
    extra = {"decline_reason": f"{country}: {reason}"} if decision == Decision.declined else {}
    session.execute(update(Operation).where(col(Operation.id) == operation.id)
                    .values(state=state, **extra).execution_options(synchronize_session=False))
    session.expire(operation)
    _audit(session, actor=actor, action=f"{decision.value}_{kind.value}", operation=operation,
           country=country, reason=reason, state_to=state)
    return operation


def _decision_country(
    session: Session, actor: User, operation: Operation, country_code: str | None,
    kind: ApprovalKind,
) -> str:
    """The host country the actor decides for, or why they may not."""
    _require_state(operation, {S.proposed}, N_("approved or declined"))
    countries = perm.may_decide_for(session, actor, operation)
    if country_code is None and len(countries) > 1:
        raise InvalidOperation({"country_code": "say which host country you decide for"},
                               "Say which host country you decide for")
    country = country_code or (countries[0] if countries else None)
    if country is None or country not in countries:
        raise Forbidden(N_("You may not decide for this country on this operation"))
    if kind not in perm.required_kinds(operation):
        raise Conflict(N_("Foreign support was not requested for this operation"))
    return country


def _state_after_decision(
    session: Session, operation: Operation, decision: Decision
) -> OperationState:
    if decision == Decision.declined:
        return S.draft
    session.flush()
    return S.approved if not perm.missing_approvals(session, operation) else S.proposed


def abort(
    session: Session, *, operation: Operation, actor: User, reason: str,
    version: int | None = None,
) -> Operation:
    """Call the operation off (no-go), with the reason."""
    if not perm.may_steer(actor, operation):
        raise Forbidden(N_("Only planners or the lead agency's liaison officers abort"))
    _require_state(operation, perm.ABORTABLE, "aborted")
    if not reason.strip():
        raise InvalidOperation({"reason": "give a reason for aborting"},
                               "Give a reason for aborting")
    lock_board(session, shared=True)  # publishing must not re-issue the orders this withdraws
    _compare_and_set(session, operation=operation, version=version, state=S.aborted)
    # A no-go must reach the units at once: their calendars show the orders as cancelled.
    withdrawn = _withdraw_orders(session, operation_id=operation.id,
                                 what=later("The operation was aborted: %(reason)s",
                                            reason=reason.strip()))
    _audit(session, actor=actor, action="abort", operation=operation, reason=reason.strip(),
           orders_withdrawn=withdrawn or None)
    return operation


def advance(
    session: Session, *, operation: Operation, actor: User, step: str,
    version: int | None = None,
) -> Operation:
    """Mark a scheduled operation executing ("execute"), or an executing one completed."""
    if step not in ("execute", "complete"):
        raise AppError(f"Unknown step {step!r}", 404)
    if not perm.may_steer(actor, operation):
        raise Forbidden(N_("Only planners or the lead agency's liaison officers do this"))
    source, target = perm.MOVES[step]
    _require_state(operation, {source}, "marked " + target.value)
    lock_board(session, shared=True)
    _compare_and_set(session, operation=operation, version=version, state=target)
    _audit(session, actor=actor, action=step, operation=operation, state_to=target)
    return operation


def set_state(
    session: Session, *, operation: Operation, state: OperationState, actor: User | None,
    reason: str | None = None,
) -> Operation:
    """Move to `state` for another service (publishing marks scheduled); audited, no role check."""
    before = OperationState(operation.state)
    _compare_and_set(session, operation=operation, version=None, state=state)
    _audit(session, actor=actor, action="set_state", operation=operation, state_from=before,
           state_to=state, reason=reason)
    return operation


# --- helpers ----------------------------------------------------------------------------


def _require_state(operation: Operation, allowed: set[OperationState], what: str) -> None:
    if operation.state not in allowed:
        raise Conflict(later("This operation is %(state)s; it cannot be %(what)s now",
                             state=operation.state.value, what=what))


def _compare_and_set(
    session: Session, *, operation: Operation, version: int | None, **values: Any
) -> None:
    """UPDATE ... WHERE version = :v, or a 409 that names who changed it; nothing written."""
    expected = operation.version if version is None else version
    statement = (
        update(Operation)
        .where(col(Operation.id) == operation.id, col(Operation.version) == expected)
        .values(version=expected + 1, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    result = session.execute(statement)
    session.expire(operation)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(conflict_message(session, operation_id=operation.id))


def conflict_message(session: Session, *, operation_id: str) -> str:
    """Who changed the operation last, and when, for the 409."""
    event = session.exec(
        select(AuditEvent)
        .where(AuditEvent.object_type == "operation", AuditEvent.object_id == operation_id)
        .order_by(col(AuditEvent.id).desc())
    ).first()
    who, at = N_("someone"), None
    if event is not None:
        actor = session.get(User, event.actor_id) if event.actor_id else None
        who = (actor.full_name or actor.username) if actor else N_("the system")
        at = event.at
    if at is None:
        row = session.get(Operation, operation_id)
        at = row.updated_at if row else None
    when = fmt_utc(at) if isinstance(at, datetime) else N_("an unknown time")
    return later("This operation was changed by %(who)s at %(when)s since you opened it; "
                 "reload to see their changes", who=who, when=when)


def _audit(
    session: Session, *, actor: User | None, action: str, operation: Operation, **details: Any
) -> None:
    clean = {k: (v.value if hasattr(v, "value") else v) for k, v in details.items()}
    trail.record(session, actor=actor, action=action, object_type="operation",
                 object_id=operation.id, details=clean)


def _clear_approvals(session: Session, *, operation_id: str) -> None:
    # ORM deletes keep the identity map honest (SQLite may reuse a deleted row's id).
    for row in session.exec(select(Approval).where(Approval.operation_id == operation_id)):
        session.delete(row)
    session.flush()


def _withdraw_orders(session: Session, *, operation_id: str, what: str) -> int:
    """Cancel the published orders of an operation that lost its approval (as publishing
    cancels them: status, cancelled_at, sequence + 1), so no calendar keeps a stale raid;
    their officers get a notice saying `what`."""
    now = utcnow()
    orders = session.exec(select(Tasking).where(Tasking.operation_id == operation_id,
                                                Tasking.status == TaskingStatus.active)).all()
    for order in orders:
        order.status, order.cancelled_at = TaskingStatus.cancelled, now
        order.sequence, order.updated_at = order.sequence + 1, now
        session.add(order)
    session.flush()
    notices.notify(session, [notices.OrderChange(o, NoticeKind.cancelled, what)
                             for o in orders], now=now)
    return len(orders)


def _upsert_approval(
    session: Session, *, operation_id: str, country: str, kind: ApprovalKind,
    decision: Decision, actor: User, reason: str | None,
) -> None:
    row = session.exec(select(Approval).where(
        Approval.operation_id == operation_id, Approval.country_code == country,
        Approval.kind == kind)).first()
    row = row or Approval(operation_id=operation_id, country_code=country, kind=kind,
                          decision=decision)
    row.decision, row.user_id, row.at, row.reason = decision, actor.id, utcnow(), reason
    session.add(row)
    session.flush()
