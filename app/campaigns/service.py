"""Campaigns, phases and goals: who may see and change them, validation, saving.

| step          | who may                                                          |
| ------------- | ---------------------------------------------------------------- |
| see           | admins; planners and liaison officers of a participating agency  |
| create        | admins; planners (their own agency must take part)               |
| edit          | admins; planners of a participating agency                       |
| put an operation in a phase | whoever may edit the operation, if its lead agency takes part |

A campaign someone may not see answers 404, as an invisible operation does. Edits are a
compare-and-set on `version` (409 naming who changed it). Every change is audited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import exists, false, update
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app import audit as trail
from app.access import WHOLE_BOARD
from app.campaigns.schemas import CampaignIn
from app.errors import AppError, Conflict, Forbidden, NotFound
from app.i18n import N_, later, pydantic_message
from app.models import (
    Agency,
    AuditEvent,
    Campaign,
    CampaignAgency,
    Country,
    Goal,
    Operation,
    OperationPhase,
    Phase,
    Region,
    Role,
    User,
    utcnow,
)
from app.web import fmt_utc


class InvalidInput(AppError):
    """Input that breaks a rule; `errors` maps a field path to its message."""

    def __init__(self, errors: dict[str, str], message: str | None = None) -> None:
        details = [{"path": path, "message": text} for path, text in errors.items()]
        super().__init__(message or "The input is not valid; see the fields marked", 422,
                         details=details)
        self.errors = errors


def pydantic_errors(exc: ValidationError) -> dict[str, str]:
    """Pydantic's errors as {field path: message} (the form's field names)."""
    errors: dict[str, str] = {}
    for err in exc.errors():
        path = ".".join(str(part) for part in err["loc"]) or "__all__"
        errors.setdefault(path, pydantic_message(err))
    return errors


# --- need-to-know -----------------------------------------------------------------------


def visible_campaigns_query(user: User) -> SelectOfScalar[Campaign]:
    """Campaigns this user may know of: their agency takes part (admins: all)."""
    query = select(Campaign)
    if user.role in WHOLE_BOARD:  # administrators and the joint coordination centre
        return query
    if user.agency_id is None or user.role not in (Role.planner, Role.liaison):
        return query.where(false())
    return query.where(exists().where(
        col(CampaignAgency.campaign_id) == col(Campaign.id),
        col(CampaignAgency.agency_id) == user.agency_id))


def get_visible_campaign(session: Session, *, user: User, campaign_id: int) -> Campaign:
    """The campaign, or 404 whether it is missing or merely not the user's to see."""
    found = session.exec(visible_campaigns_query(user).where(Campaign.id == campaign_id)).first()
    if found is None:
        raise NotFound(N_("No such campaign"))
    return found


def agencies_of(session: Session, campaign_id: int) -> list[str]:
    return sorted(session.exec(select(CampaignAgency.agency_id)
                               .where(CampaignAgency.campaign_id == campaign_id)))


def may_create(user: User) -> bool:
    return user.role in (Role.admin, Role.planner)


def may_manage(session: Session, user: User, campaign: Campaign) -> bool:
    if user.role == Role.admin:
        return True
    assert campaign.id is not None
    return user.role == Role.planner and user.agency_id in agencies_of(session, campaign.id)


def phases_of(session: Session, campaign_id: int) -> list[Phase]:
    return list(session.exec(select(Phase).where(Phase.campaign_id == campaign_id)
                             .order_by(col(Phase.position), col(Phase.id))))


def goals_of(session: Session, phase_ids: list[int]) -> list[Goal]:
    return list(session.exec(select(Goal).where(col(Goal.phase_id).in_(phase_ids))
                             .order_by(col(Goal.phase_id), col(Goal.id))))


# --- validation and saving --------------------------------------------------------------


def validate(session: Session, *, data: dict[str, Any], campaign_id: int | None = None
             ) -> CampaignIn:
    """The whole document checked, known agencies and scopes included, or errors per field."""
    errors: dict[str, str] = {}
    result: CampaignIn | None = None
    try:
        result = CampaignIn.model_validate(data)
    except ValidationError as exc:
        errors.update(pydantic_errors(exc))
    agencies = set(session.exec(select(Agency.id)))
    countries = set(session.exec(select(Country.code)))
    regions = set(session.exec(select(Region.id)))
    for i, agency in enumerate(data.get("agencies") or []):
        if isinstance(agency, str) and agency not in agencies:
            errors.setdefault(f"agencies.{i}", f"unknown agency {agency!r}")
    for i, phase in enumerate(data.get("phases") or []):
        for j, goal in enumerate((phase or {}).get("goals") or [] if isinstance(phase, dict)
                                 else []):
            scope = goal.get("scope") if isinstance(goal, dict) else None
            if scope and scope not in countries and scope not in regions:
                errors.setdefault(f"phases.{i}.goals.{j}.scope",
                                  f"unknown country or region {scope!r}")
    name = data.get("name")
    if isinstance(name, str) and name.strip():
        clash = session.exec(select(Campaign.id).where(Campaign.name == name.strip())).first()
        if clash is not None and clash != campaign_id:
            errors.setdefault("name", "another campaign has this name")
    if result is not None and campaign_id is not None:
        known = {p.id for p in phases_of(session, campaign_id)}
        for i, phase in enumerate(result.phases):
            if phase.id is not None and phase.id not in known:
                errors.setdefault(f"phases.{i}.id", "not a phase of this campaign")
    if errors or result is None:
        raise InvalidInput(errors)
    return result


def create(session: Session, *, data: CampaignIn, actor: User) -> Campaign:
    if not may_create(actor):
        raise Forbidden(N_("Only planners and administrators set up campaigns"))
    if actor.role != Role.admin and actor.agency_id not in data.agencies:
        raise InvalidInput({"agencies": later("your own agency must take part in the campaign")})
    campaign = Campaign(name=data.name, description=data.description, created_by_id=actor.id)
    session.add(campaign)
    session.flush()
    assert campaign.id is not None
    _save_parts(session, campaign.id, data)
    _audit(session, actor, "create", campaign.id, name=data.name)
    session.refresh(campaign)
    return campaign


def update_campaign(
    session: Session, *, campaign: Campaign, data: CampaignIn, version: int, actor: User
) -> Campaign:
    """Save an edit if nobody changed the campaign since `version` was read (else 409)."""
    if not may_manage(session, actor, campaign):
        raise Forbidden(N_("Only planners of a participating agency edit this campaign"))
    if actor.role != Role.admin and actor.agency_id not in data.agencies:
        raise InvalidInput({"agencies": later("your own agency must stay in the campaign")})
    assert campaign.id is not None
    _check_removed_phases(session, campaign.id, data)
    result = session.execute(
        update(Campaign).where(col(Campaign.id) == campaign.id, col(Campaign.version) == version)
        .values(version=version + 1, updated_at=utcnow(), name=data.name,
                description=data.description).execution_options(synchronize_session=False))
    session.expire(campaign)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(changed_by_message(session, object_type="campaign",
                                          object_id=str(campaign.id), noun="campaign"))
    _save_parts(session, campaign.id, data)
    _audit(session, actor, "edit", campaign.id, name=data.name)
    return campaign


def _save_parts(session: Session, campaign_id: int, data: CampaignIn) -> None:
    """Agencies and phases as given; phases keep their id (and their operations)."""
    for row in session.exec(select(CampaignAgency).where(
            CampaignAgency.campaign_id == campaign_id)):
        session.delete(row)
    session.flush()
    session.add_all(CampaignAgency(campaign_id=campaign_id, agency_id=a)
                    for a in sorted(set(data.agencies)))
    existing = {p.id: p for p in phases_of(session, campaign_id)}
    kept: set[int] = set()
    countries = set(session.exec(select(Country.code)))
    for position, given in enumerate(data.phases, start=1):
        phase = existing.get(given.id) if given.id is not None else None
        if phase is None:
            phase = Phase(campaign_id=campaign_id, name=given.name, starts_on=given.starts_on,
                          ends_on=given.ends_on, position=position)
        else:
            phase.name, phase.starts_on, phase.ends_on = given.name, given.starts_on, given.ends_on
            phase.position = position
        session.add(phase)
        session.flush()
        assert phase.id is not None
        kept.add(phase.id)
        for goal in session.exec(select(Goal).where(Goal.phase_id == phase.id)):
            session.delete(goal)
        session.flush()
        session.add_all(
            Goal(phase_id=phase.id, metric=g.metric, target=g.target,
                 country_code=g.scope if g.scope in countries else None,
                 region_id=g.scope if g.scope and g.scope not in countries else None)
            for g in given.goals)
    for phase_id, phase in existing.items():
        if phase_id not in kept:
            session.delete(phase)
    session.flush()


def _check_removed_phases(session: Session, campaign_id: int, data: CampaignIn) -> None:
    """A phase that holds operations cannot be dropped (checked before anything is written)."""
    given = {p.id for p in data.phases if p.id is not None}
    for phase in phases_of(session, campaign_id):
        if phase.id in given:
            continue
        used = session.exec(select(OperationPhase).where(
            OperationPhase.phase_id == phase.id)).first()
        if used is not None:
            raise InvalidInput({"phases": later(
                "phase %(phase)s has operations; move them to another phase before removing "
                "it", phase=repr(phase.name))})


def _audit(session: Session, actor: User | None, action: str, campaign_id: int,
           **details: Any) -> None:
    trail.record(session, actor=actor, action=action, object_type="campaign",
                 object_id=campaign_id, details=details)


def changed_by_message(session: Session, *, object_type: str, object_id: str,
                       noun: str, tail: str = "") -> str:
    """A 409's words: who saved the object last (from the audit trail), and when."""
    event = session.exec(select(AuditEvent).where(
        AuditEvent.object_type == object_type, AuditEvent.object_id == object_id)
        .order_by(col(AuditEvent.id).desc())).first()
    who, when = "someone", "an unknown time"
    if event is not None:
        actor = session.get(User, event.actor_id) if event.actor_id else None
        who = (actor.full_name or actor.username) if actor else "the system"
        when = fmt_utc(event.at) if isinstance(event.at, datetime) else when
    return (f"This {noun} was changed by {who} at {when} since you opened it; "
            f"reload to see their changes{tail}")


# --- operations in phases ---------------------------------------------------------------


def phase_choices(session: Session, *, lead_agency_id: str | None, user: User
                  ) -> list[tuple[int, str]]:
    """(phase id, "Campaign — Phase") an operation of this lead agency may be put in."""
    query = (select(Phase, Campaign).join(Campaign, col(Campaign.id) == col(Phase.campaign_id))
             .order_by(col(Campaign.name), col(Phase.position)))
    if lead_agency_id:
        query = query.where(exists().where(col(CampaignAgency.campaign_id) == col(Campaign.id),
                                           col(CampaignAgency.agency_id) == lead_agency_id))
    elif user.role != Role.admin:
        return []
    return [(p.id, f"{c.name} — {p.name}") for p, c in session.exec(query) if p.id is not None]


def phase_of(session: Session, operation_id: str) -> tuple[Campaign, Phase] | None:
    row = session.exec(
        select(Campaign, Phase).join(Phase, col(Phase.campaign_id) == col(Campaign.id))
        .join(OperationPhase, col(OperationPhase.phase_id) == col(Phase.id))
        .where(OperationPhase.operation_id == operation_id)).first()
    return (row[0], row[1]) if row else None


def parse_phase(session: Session, value: Any, *, lead_agency_id: str) -> int | None:
    """A posted phase id checked against the lead agency's campaigns; errors per field."""
    text = str(value or "").strip()
    if not text:
        return None
    try:
        phase_id = int(text)
    except ValueError:
        raise InvalidInput({"campaign_phase_id": later("choose a phase from the list")}) from None
    allowed = {pid for pid, _ in phase_choices(session, lead_agency_id=lead_agency_id,
                                               user=User(role=Role.liaison, username="-",
                                                         password_hash="-"))}
    if phase_id not in allowed:
        raise InvalidInput({"campaign_phase_id":
                            later("not a phase of a campaign the lead agency takes part in")})
    return phase_id


def assign_phase(session: Session, *, operation: Operation, phase_id: int | None,
                 actor: User) -> None:
    """Put the operation in a phase (None: in none); the caller checked it may edit it."""
    row = session.get(OperationPhase, operation.id)
    before = row.phase_id if row else None
    if before == phase_id:
        return
    if row is not None:
        session.delete(row)
        session.flush()
    if phase_id is not None:
        session.add(OperationPhase(operation_id=operation.id, phase_id=phase_id))
    trail.record(session, actor=actor, action="set_phase", object_type="operation",
                 object_id=operation.id, details={"phase_from": before, "phase_to": phase_id})
