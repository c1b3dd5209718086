"""JSON API under /api/v1: campaigns, their figures, phases of operations, reports."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body
from sqlmodel import col

from app.campaigns import figures, reports, service
from app.campaigns.deps import CampaignUser, VisibleCampaign
from app.db import SessionDep
from app.deps import VisibleOperation
from app.errors import Forbidden
from app.i18n import N_
from app.models import Campaign
from app.operations import permissions as perm
from app.operations.api import NOT_FOUND

router = APIRouter(prefix="/api/v1", tags=["campaigns"])


def _campaign(session: SessionDep, campaign: Campaign) -> dict[str, Any]:
    assert campaign.id is not None
    phases = service.phases_of(session, campaign.id)
    goals = service.goals_of(session, [p.id for p in phases if p.id is not None])
    return {
        "id": campaign.id, "name": campaign.name, "description": campaign.description,
        "version": campaign.version, "agencies": service.agencies_of(session, campaign.id),
        "phases": [{
            "id": p.id, "name": p.name, "starts_on": p.starts_on.isoformat(),
            "ends_on": p.ends_on.isoformat(),
            "goals": [{"metric": g.metric.value, "scope": g.region_id or g.country_code or "",
                       "target": g.target} for g in goals if g.phase_id == p.id],
        } for p in phases],
    }


@router.get("/campaigns", summary="List the campaigns my agency takes part in")
def list_campaigns(session: SessionDep, user: CampaignUser) -> list[dict[str, Any]]:
    """The campaigns the caller's agency takes part in."""
    rows = session.exec(service.visible_campaigns_query(user).order_by(col(Campaign.name)))
    return [_campaign(session, c) for c in rows]


@router.post("/campaigns", status_code=201, summary="Set up a campaign with its phases and goals")
def create_campaign(session: SessionDep, user: CampaignUser,
                    body: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
    """A new campaign (planners and administrators); errors name each field."""
    if not service.may_create(user):
        raise Forbidden(N_("Only planners and administrators set up campaigns"))
    data = service.validate(session, data=body)
    campaign = service.create(session, data=data, actor=user)
    session.commit()
    return _campaign(session, campaign)


@router.get("/campaigns/{campaign_id}", summary="Read one campaign with its phases",
            responses=NOT_FOUND)
def get_campaign(session: SessionDep, campaign: VisibleCampaign) -> dict[str, Any]:
    return _campaign(session, campaign)


@router.put("/campaigns/{campaign_id}", summary="Replace a campaign (with the version read)",
            responses=NOT_FOUND)
def update_campaign(session: SessionDep, user: CampaignUser, campaign: VisibleCampaign,
                    body: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
    """Replace the campaign; `version` is the one read (409 if it changed since)."""
    if not service.may_manage(session, user, campaign):
        raise Forbidden(N_("Only planners of a participating agency edit this campaign"))
    version = body.pop("version", None)
    if not isinstance(version, int):
        raise service.InvalidInput({"version": "give the version you read"})
    data = service.validate(session, data=body, campaign_id=campaign.id)
    service.update_campaign(session, campaign=campaign, data=data, version=version, actor=user)
    session.commit()
    return _campaign(session, campaign)


@router.get("/campaigns/{campaign_id}/figures",
            summary="Progress against every goal, from what I may see", responses=NOT_FOUND)
def campaign_figures(session: SessionDep, user: CampaignUser,
                     campaign: VisibleCampaign) -> dict[str, Any]:
    """Goals, confirmed figures and statuses from the operations the caller may see."""
    return figures.to_json(figures.compute(session, campaign=campaign, viewer=user))


@router.get("/nationalities", summary="List the nationalities reports count under")
def list_nationalities(session: SessionDep, user: CampaignUser) -> list[dict[str, str]]:
    """The managed list detentions are counted under."""
    return [{"code": n.code, "name": n.name} for n in reports.nationalities(session)]


@router.put("/operations/{operation_id}/phase",
            summary="Put an operation in a campaign phase", responses=NOT_FOUND)
def set_phase(session: SessionDep, user: CampaignUser, operation: VisibleOperation,
              body: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
    """Put the operation in a campaign phase (`{"phase_id": null}` takes it out)."""
    if not perm.may_edit_as(user, operation):
        raise Forbidden(N_("Only the lead agency's liaison officers edit this operation"))
    phase_id = service.parse_phase(session, body.get("phase_id"),
                                   lead_agency_id=operation.lead_agency_id)
    service.assign_phase(session, operation=operation, phase_id=phase_id, actor=user)
    session.commit()
    return {"operation_id": operation.id, "phase_id": phase_id}


def _report(session: SessionDep, operation: VisibleOperation) -> dict[str, Any]:
    report = reports.report_of(session, operation.id)
    doc = reports.as_input(session, operation, report)
    parts = {p.country_code: p for p in reports.parts_of(session, report.id)} \
        if report and report.id else {}
    for country, part in doc["parts"].items():
        row = parts.get(country)
        part["confirmed_at"] = row.confirmed_at.isoformat() if row and row.confirmed_at else None
    return {"operation_id": operation.id, "state": report.state.value if report else None,
            "version": report.version if report else 0, **doc}


@router.get("/operations/{operation_id}/report",
            summary="Read the after-action report of an operation", responses=NOT_FOUND)
def get_report(session: SessionDep, user: CampaignUser,
               operation: VisibleOperation) -> dict[str, Any]:
    """The after-action report (state null and version 0 while none is filed)."""
    return _report(session, operation)


@router.put("/operations/{operation_id}/report",
            summary="Save the after-action report draft", responses=NOT_FOUND)
def put_report(session: SessionDep, user: CampaignUser, operation: VisibleOperation,
               body: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
    """Save the draft; `version` is the one read (0 for a new report)."""
    version = body.pop("version", None)
    if not isinstance(version, int):
        raise service.InvalidInput({"version": "give the version you read (0 for a new one)"})
    data = reports.validate(session, operation=operation, data=body)
    reports.save(session, operation=operation, data=data, version=version, actor=user)
    session.commit()
    return _report(session, operation)


def _version_read(body: dict[str, Any]) -> int:
    """The body's `version`: a whole number, or 422 naming the field (`int()` of any
    JSON value made text such as "abc" a 500)."""
    version = body.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise service.InvalidInput({"version": "give the version you read"})
    return version


@router.post("/operations/{operation_id}/report/submit",
             summary="Submit the after-action report to the hosts", responses=NOT_FOUND)
def submit_report(session: SessionDep, user: CampaignUser, operation: VisibleOperation,
                  body: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
    reports.submit(session, operation=operation, version=_version_read(body), actor=user)
    session.commit()
    return _report(session, operation)


@router.post("/operations/{operation_id}/report/confirm",
             summary="Confirm my country's part of the report", responses=NOT_FOUND)
def confirm_report(session: SessionDep, user: CampaignUser, operation: VisibleOperation,
                   body: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
    """A host country confirms its part (`country_code` when the caller may confirm several)."""
    reports.confirm(session, operation=operation, country=body.get("country_code"),
                    version=_version_read(body), actor=user)
    session.commit()
    return _report(session, operation)
