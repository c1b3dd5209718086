"""Need-to-know: who may see which operation. One rule, used by every view, API and feed."""

from __future__ import annotations

from sqlalchemy import exists, false, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.errors import NotFound
from app.i18n import N_
from app.models import Agency, Operation, Region, Role, Site, Tasking, TaskingStatus, Unit, User

# The roles with the need to know of every operation (SECURITY.md, "Need to know").
WHOLE_BOARD = (Role.admin, Role.coordinator)


def sees_whole_board(user: User) -> bool:
    """Administrators and the joint coordination centre see every operation."""
    return user.role in WHOLE_BOARD


def visible_operations_query(user: User) -> SelectOfScalar[Operation]:
    """SELECT of the operations this user may see.

    Visible to: its lead agency; the agencies of its host countries (the countries of its
    sites' regions); the agencies whose units hold a live (not cancelled) published
    tasking in it; admins and coordinators. A cancelled tasking grants nothing: an agency
    taken off an operation must not read its later edits (its own cancelled taskings
    still reach its feeds, see app.feeds.queries.scope_filter).
    """
    query = select(Operation)
    if sees_whole_board(user):
        return query
    if user.agency_id is None:
        return query.where(false())
    agency_country = select(Agency.country_code).where(Agency.id == user.agency_id)
    hosts = exists().where(
        col(Site.operation_id) == col(Operation.id),
        col(Region.id) == col(Site.region_id),
        col(Region.country_code).in_(agency_country.scalar_subquery()),
    )
    tasked = exists().where(
        col(Tasking.operation_id) == col(Operation.id),
        col(Unit.id) == col(Tasking.unit_id),
        col(Unit.agency_id) == user.agency_id,
        col(Tasking.status) == TaskingStatus.active,
    )
    return query.where(or_(col(Operation.lead_agency_id) == user.agency_id, hosts, tasked))


def can_see_operation(session: Session, *, user: User, operation: Operation) -> bool:
    """Whether the need-to-know rule lets this user see the operation."""
    query = visible_operations_query(user).where(Operation.id == operation.id)
    return session.exec(query).first() is not None


def get_visible_operation(session: Session, *, user: User, operation_id: str) -> Operation:
    """The operation, or NotFound (404) whether it is missing or merely not visible."""
    query = visible_operations_query(user).where(Operation.id == operation_id)
    operation = session.exec(query).first()
    if operation is None:
        raise NotFound(N_("No such operation"))
    return operation


def live_unit_taskings_query(user: User, operation_id: str) -> SelectOfScalar[Tasking]:
    """The live (not cancelled) taskings of the user's own unit in one operation.

    A unit officer's window on an operation: they see it only while their unit holds a
    live tasking in it, and only what that tasking needs (app.planning.tasking.brief).
    Their agency's leading or hosting the operation gives them nothing more; a cancelled
    tasking gives nothing at all.
    """
    if user.unit_id is None:
        return select(Tasking).where(false())
    return (
        select(Tasking)
        .where(Tasking.operation_id == operation_id, Tasking.unit_id == user.unit_id,
               Tasking.status == TaskingStatus.active)
        .order_by(col(Tasking.start), col(Tasking.id))
    )


def get_tasked_operation(
    session: Session, *, user: User, operation_id: str
) -> tuple[Operation, list[Tasking]]:
    """The operation and the user's unit's live taskings in it, or NotFound (404)."""
    taskings = list(session.exec(live_unit_taskings_query(user, operation_id)))
    operation = session.get(Operation, operation_id) if taskings else None
    if operation is None:
        raise NotFound(N_("No such operation"))
    return operation, taskings
