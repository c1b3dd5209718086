"""Who may take which workflow step, in which state (the rule the service enforces).

A "lead liaison" is a liaison officer of the operation's lead agency; a "host liaison"
is a liaison officer of an agency of one of the operation's host countries (the
countries of its sites' regions), deciding for that country only. Every check here
assumes the caller already passed need-to-know (the route answered 404 otherwise).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection

from sqlmodel import Session, col, select

from app.models import (
    Agency,
    Approval,
    ApprovalKind,
    AuditEvent,
    Decision,
    Operation,
    OperationState,
    Region,
    Role,
    Site,
    User,
)

S = OperationState
EDITABLE = {S.draft, S.proposed, S.approved, S.scheduled}
ABORTABLE = {S.draft, S.proposed, S.approved, S.scheduled, S.executing}
# Steps whose state precondition is a single state: step -> (from, to).
MOVES = {
    "propose": (S.draft, S.proposed),
    "execute": (S.scheduled, S.executing),
    "complete": (S.executing, S.completed),
}


def is_lead_liaison(user: User, operation: Operation) -> bool:
    """A liaison officer of the operation's lead agency."""
    return user.role == Role.liaison and user.agency_id == operation.lead_agency_id


def may_create(user: User) -> bool:
    """Liaison officers (for their own agency) and administrators create operations."""
    return user.role == Role.admin or (user.role == Role.liaison and user.agency_id is not None)


def may_edit_as(user: User, operation: Operation) -> bool:
    """The lead agency's liaison officers and administrators edit and propose."""
    return user.role == Role.admin or is_lead_liaison(user, operation)


def may_steer(user: User, operation: Operation) -> bool:
    """Abort, mark executing or completed: planners, administrators, the lead liaison."""
    return (user.role in (Role.admin, Role.coordinator, Role.planner)
            or is_lead_liaison(user, operation))


def user_country(session: Session, user: User) -> str | None:
    """The country of the user's agency, if any."""
    if user.agency_id is None:
        return None
    agency = session.get(Agency, user.agency_id)
    return agency.country_code if agency else None


def host_countries(session: Session, operation_id: str) -> list[str]:
    """The countries of the operation's sites' regions, sorted."""
    query = (
        select(Region.country_code)
        .join(Site, col(Site.region_id) == col(Region.id))
        .where(Site.operation_id == operation_id)
        .distinct()
    )
    return sorted(session.exec(query))


def host_countries_by_operation(
    session: Session, operation_ids: Collection[str]
) -> dict[str, list[str]]:
    """host_countries of many operations in one query (an inbox lists dozens)."""
    query = (
        select(Site.operation_id, Region.country_code)
        .join(Region, col(Site.region_id) == col(Region.id))
        .where(col(Site.operation_id).in_(list(operation_ids)))
        .distinct()
    )
    found: dict[str, set[str]] = defaultdict(set)
    for operation_id, country in session.exec(query):
        found[operation_id].add(country)
    return {op_id: sorted(found.get(op_id, ())) for op_id in operation_ids}


def required_kinds(operation: Operation) -> list[ApprovalKind]:
    """Host approval always; consent to foreign units when foreign support is requested."""
    if operation.foreign_support_requested:
        return [ApprovalKind.host, ApprovalKind.foreign_support]
    return [ApprovalKind.host]


Decided = dict[tuple[str, ApprovalKind], Approval]


def decided(session: Session, operation_id: str) -> Decided:
    """The decisions taken so far, by (country, kind)."""
    return decided_by_operation(session, [operation_id])[operation_id]


def decided_by_operation(session: Session, operation_ids: Collection[str]) -> dict[str, Decided]:
    """decided() of many operations in one query."""
    rows = session.exec(select(Approval).where(col(Approval.operation_id).in_(
        list(operation_ids))))
    found: dict[str, Decided] = {op_id: {} for op_id in operation_ids}
    for row in rows:
        found[row.operation_id][(row.country_code, ApprovalKind(row.kind))] = row
    return found


def missing_approvals(session: Session, operation: Operation) -> list[tuple[str, ApprovalKind]]:
    """(country, kind) pairs still lacking an approving decision."""
    return still_missing(operation, host_countries(session, operation.id),
                         decided(session, operation.id))


def still_missing(
    operation: Operation, hosts: list[str], done: Decided
) -> list[tuple[str, ApprovalKind]]:
    """missing_approvals from the operation's host countries and decisions."""
    return [
        (country, kind)
        for country in hosts
        for kind in required_kinds(operation)
        if (row := done.get((country, kind))) is None or row.decision != Decision.approved
    ]


def may_decide_for(session: Session, user: User, operation: Operation) -> list[str]:
    """Host countries this user may approve or decline for, while the operation is proposed."""
    if operation.state != S.proposed:
        return []
    hosts = host_countries(session, operation.id)
    return deciding_for(user, user_country(session, user), hosts)


def deciding_for(user: User, country: str | None, hosts: list[str]) -> list[str]:
    """may_decide_for a proposed operation, from the user's country and its host countries."""
    if user.role == Role.admin:
        return hosts
    return [country] if user.role == Role.liaison and country in hosts else []


def authors(session: Session, operation: Operation) -> set[int]:
    """Who created the operation or proposed it in this round: they may not approve it.

    Host approval is a second person's check (four eyes), even for an administrator or a
    liaison officer whose country both leads and hosts the operation.
    """
    proposer = proposers_by_operation(session, [operation.id]).get(operation.id)
    return {i for i in (operation.created_by_id, proposer) if i is not None}


def proposers_by_operation(session: Session, operation_ids: Collection[str]) -> dict[str, int]:
    """Who proposed each operation in its latest round (those never proposed are left
    out), in one query."""
    rows = session.exec(
        select(AuditEvent.object_id, AuditEvent.actor_id)
        .where(AuditEvent.object_type == "operation",
               col(AuditEvent.object_id).in_(list(operation_ids)),
               AuditEvent.action == "propose")
        .order_by(col(AuditEvent.id))
    )
    latest: dict[str, int | None] = {}
    for op_id, actor in rows:  # by id: the latest round's proposer is written last
        latest[str(op_id)] = actor
    return {op_id: actor for op_id, actor in latest.items() if actor is not None}


def allowed_actions(session: Session, user: User, operation: Operation) -> set[str]:
    """The workflow steps this user may take now (for the action buttons)."""
    state = OperationState(operation.state)
    actions: set[str] = set()
    if may_edit_as(user, operation):
        if state in EDITABLE:
            actions.add("edit")
        if state == S.draft:
            actions.add("propose")
    if may_steer(user, operation):
        if state in ABORTABLE:
            actions.add("abort")
        actions |= {step for step in ("execute", "complete") if MOVES[step][0] == state}
    if may_decide_for(session, user, operation) and user.id not in authors(session, operation):
        actions.add("decide")
    return actions
