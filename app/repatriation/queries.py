"""Need-to-know for repatriation: who may know of which cohort and its batches.

| who                                   | sees                                            |
| ------------------------------------- | ----------------------------------------------- |
| administrators, coordination centre   | every cohort                                    |
| planners and liaisons of country H    | every cohort held by an agency of H             |
| planners and liaisons of country R    | the cohorts of R's nationals (and their batches) |
| anyone else                           | nothing: a cohort or batch by its id is a 404   |

Unit officers do not use these pages (the routes admit the roles above only).
"""

from __future__ import annotations

from sqlalchemy import false, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.access import sees_whole_board
from app.errors import NotFound
from app.i18n import N_
from app.models import Agency, Cohort, HandoverBatch, Role, User

REPATRIATION_ROLES = (Role.admin, Role.coordinator, Role.planner, Role.liaison)


def country_of(session: Session, user: User) -> str | None:
    """The country of the user's agency (None without an agency)."""
    if user.agency_id is None:
        return None
    agency = session.get(Agency, user.agency_id)
    return agency.country_code if agency else None


def holding_agencies(country: str) -> SelectOfScalar[str]:
    return select(Agency.id).where(Agency.country_code == country)


def visible_cohorts_query(session: Session, user: User) -> SelectOfScalar[Cohort]:
    """SELECT of the cohorts this user may know of (see the table above)."""
    query = select(Cohort)
    if sees_whole_board(user):
        return query
    country = country_of(session, user)
    if country is None or user.role not in REPATRIATION_ROLES:
        return query.where(false())
    return query.where(or_(
        col(Cohort.holding_agency_id).in_(holding_agencies(country)),
        col(Cohort.nationality_code) == country,
    ))


def get_visible_cohort(session: Session, *, user: User, cohort_id: int) -> Cohort:
    found = session.exec(visible_cohorts_query(session, user)
                         .where(Cohort.id == cohort_id)).first()
    if found is None:
        raise NotFound(N_("No such cohort"))
    return found


def visible_batches_query(session: Session, user: User) -> SelectOfScalar[HandoverBatch]:
    """The batches of the cohorts this user may know of."""
    visible = visible_cohorts_query(session, user).subquery()
    return select(HandoverBatch).where(col(HandoverBatch.cohort_id).in_(select(visible.c.id)))


def get_visible_batch(session: Session, *, user: User, batch_id: int) -> HandoverBatch:
    found = session.exec(visible_batches_query(session, user)
                         .where(HandoverBatch.id == batch_id)).first()
    if found is None:
        raise NotFound(N_("No such hand-over batch"))
    return found


def may_see_country_board(session: Session, user: User, country: str) -> bool:
    """The board of receiving country R: its own people, whoever holds some of R's
    nationals (they see the part they hold), and the whole-board roles."""
    if sees_whole_board(user):
        return True
    own = country_of(session, user)
    if own is None or user.role not in REPATRIATION_ROLES:
        return False
    if own == country:
        return True
    held = visible_cohorts_query(session, user).where(Cohort.nationality_code == country)
    return session.exec(held).first() is not None
