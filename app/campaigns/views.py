"""HTML pages: campaigns, their dashboard and phase review, exports, after-action reports."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlmodel import Session, col, select
from starlette.datastructures import FormData

from app.access import visible_operations_query
from app.campaigns import charts, figures, forms, reports, service
from app.campaigns.deps import CampaignUser, VisibleCampaign
from app.campaigns.schemas import CURRENCIES, DEVICE_UNITS, VEHICLE_UNITS
from app.db import SessionDep
from app.deps import VisibleOperation
from app.errors import Conflict, Forbidden
from app.i18n import N_, gettext, shown
from app.models import (
    METRIC_LABELS,
    TLP,
    Agency,
    Campaign,
    Country,
    Metric,
    Operation,
    OperationPhase,
    Region,
    User,
)
from app.operations import permissions as perm
from app.repatriation import service as cohorts
from app.web import redirect, register_nav, render, state_label

router = APIRouter(tags=["campaigns"])
register_nav("Campaigns", "/campaigns", {"admin", "coordinator", "planner", "liaison"}, order=25)


async def _form(request: Request) -> FormData:
    return await request.form()


Posted = Annotated[FormData, Depends(_form)]


def _choices(session: Session) -> dict[str, Any]:
    return {
        "all_agencies": session.exec(select(Agency).order_by(col(Agency.id))).all(),
        "countries": session.exec(select(Country).order_by(col(Country.code))).all(),
        "regions": session.exec(select(Region).order_by(col(Region.country_code),
                                                        col(Region.id))).all(),
        "metrics": [(m.value, METRIC_LABELS[m]) for m in Metric],
    }


@router.get("/campaigns")
def list_page(request: Request, session: SessionDep, user: CampaignUser) -> Response:
    """The campaigns the user's agency takes part in."""
    rows = session.exec(service.visible_campaigns_query(user).order_by(col(Campaign.name))).all()
    items = [(c, service.phases_of(session, c.id)) for c in rows if c.id is not None]
    return render(request, "campaigns/list.html",
                  {"items": items, "may_create": service.may_create(user)})


def _form_page(request: Request, session: Session, doc: dict[str, Any], *,
               campaign: Campaign | None = None, version: int | None = None,
               errors: dict[str, str] | None = None, conflict: str | None = None,
               status: int = 200) -> Response:
    ctx = {"data": doc, "campaign": campaign, "version": version, "errors": shown(errors or {}),
           "conflict": conflict, **_choices(session)}
    return render(request, "campaigns/form.html", ctx, block="phases", status_code=status)


@router.get("/campaigns/new")
def new_page(request: Request, session: SessionDep, user: CampaignUser) -> Response:
    """An empty campaign form."""
    if not service.may_create(user):
        raise Forbidden(N_("Only planners and administrators set up campaigns"))
    return _form_page(request, session, forms.blank_campaign(user.agency_id))


@router.post("/campaigns/new")
def create(request: Request, session: SessionDep, user: CampaignUser, form: Posted) -> Response:
    """Save a new campaign; a row button only adds or removes rows."""
    if not service.may_create(user):
        raise Forbidden(N_("Only planners and administrators set up campaigns"))
    doc = forms.parse_campaign(form)
    if action := str(form.get("row_action", "")):
        forms.apply_row_action(doc, action)
        return _form_page(request, session, doc)
    try:
        data = service.validate(session, data=forms.campaign_input(doc))
        campaign = service.create(session, data=data, actor=user)
    except service.InvalidInput as exc:
        return _form_page(request, session, doc, errors=exc.errors, status=422)
    session.commit()
    return redirect(request, f"/campaigns/{campaign.id}", flash=N_("Campaign saved."))


@router.get("/campaigns/{campaign_id}/edit")
def edit_page(request: Request, session: SessionDep, user: CampaignUser,
              campaign: VisibleCampaign) -> Response:
    """The form filled with the campaign as it is now, and its version."""
    if not service.may_manage(session, user, campaign):
        raise Forbidden(N_("Only planners of a participating agency edit this campaign"))
    assert campaign.id is not None
    phases = service.phases_of(session, campaign.id)
    doc = forms.from_campaign(campaign, service.agencies_of(session, campaign.id), phases,
                              service.goals_of(session, [p.id for p in phases if p.id]))
    return _form_page(request, session, doc, campaign=campaign, version=campaign.version)


@router.post("/campaigns/{campaign_id}/edit")
def save(request: Request, session: SessionDep, user: CampaignUser, campaign: VisibleCampaign,
         form: Posted) -> Response:
    """Save the edit if nobody changed the campaign since the form was opened (else 409)."""
    if not service.may_manage(session, user, campaign):
        raise Forbidden(N_("Only planners of a participating agency edit this campaign"))
    doc = forms.parse_campaign(form)
    version = _int(form.get("version"))
    if action := str(form.get("row_action", "")):
        forms.apply_row_action(doc, action)
        return _form_page(request, session, doc, campaign=campaign, version=version)
    try:
        data = service.validate(session, data=forms.campaign_input(doc), campaign_id=campaign.id)
        service.update_campaign(session, campaign=campaign, data=data, version=version or 0,
                                actor=user)
    except service.InvalidInput as exc:
        return _form_page(request, session, doc, campaign=campaign, version=version,
                          errors=exc.errors, status=422)
    except Conflict as exc:
        return _form_page(request, session, doc, campaign=campaign, version=version,
                          conflict=exc.message, status=409)
    session.commit()
    return redirect(request, f"/campaigns/{campaign.id}", flash=N_("Campaign saved."))


def _operations(session: Session, user: User, campaign: Campaign) -> list[tuple[Operation, int]]:
    """The campaign's operations this user may see, with their phase."""
    phase_ids = [p.id for p in service.phases_of(session, campaign.id or 0)]
    visible = visible_operations_query(user).subquery()
    rows = session.exec(
        select(Operation, OperationPhase.phase_id)
        .join(OperationPhase, col(OperationPhase.operation_id) == col(Operation.id))
        .where(col(OperationPhase.phase_id).in_(phase_ids),
               col(Operation.id).in_(select(visible.c.id)))
        .order_by(col(Operation.earliest_start))).all()
    return [(op, phase_id) for op, phase_id in rows]


@router.get("/campaigns/{campaign_id}")
def detail_page(request: Request, session: SessionDep, user: CampaignUser,
                campaign: VisibleCampaign) -> Response:
    """Agencies, phases, goals with confirmed progress, and the operations you may see."""
    assert campaign.id is not None
    ctx = {"campaign": campaign, "agencies": service.agencies_of(session, campaign.id),
           "figures": figures.compute(session, campaign=campaign, viewer=user),
           "operations": _operations(session, user, campaign),
           "may_manage": service.may_manage(session, user, campaign)}
    return render(request, "campaigns/detail.html", ctx)


@router.get("/campaigns/{campaign_id}/dashboard")
def dashboard_page(request: Request, session: SessionDep, user: CampaignUser,
                   campaign: VisibleCampaign) -> Response:
    """Progress per goal, phase and country; cumulative outcomes; operations per state."""
    found = figures.compute(session, campaign=campaign, viewer=user)
    drawn = []
    for pf in found.phases:
        goal_charts = [charts.bars([(f"{gf.scope}", gf.actual)],
                                   title=gettext("%(phase)s: %(goal)s in %(place)s") % {
                                       "phase": pf.phase.name, "goal": gettext(gf.label),
                                       "place": gf.scope},
                                   target=gf.goal.target) for gf in pf.goals]
        drawn.append((pf, goal_charts))
    first = found.phases[0].phase.starts_on if found.phases else found.today
    last = found.phases[-1].phase.ends_on if found.phases else found.today + timedelta(days=1)
    cumulative = [(metric, points, charts.line(
        points, title=gettext("Cumulative %(metric)s (confirmed)") % {
            "metric": gettext(METRIC_LABELS[Metric(metric)])},
        start=first, end=max(last, first + timedelta(days=1))))
        for metric, points in found.cumulative.items()]
    states = sorted(found.states.items())
    ctx = {"campaign": campaign, "figures": found, "phases": drawn, "cumulative": cumulative,
           "states": states, "labels": METRIC_LABELS,
           "states_chart": charts.bars([(state_label(s), n) for s, n in states],
                                       title=gettext("Operations per state"))}
    return render(request, "campaigns/dashboard.html", ctx)


@router.get("/campaigns/{campaign_id}/review")
def review_page(request: Request, session: SessionDep, user: CampaignUser,
                campaign: VisibleCampaign) -> Response:
    """Per phase: which goals were met, missed or are at risk, from the confirmed figures."""
    found = figures.compute(session, campaign=campaign, viewer=user)
    return render(request, "campaigns/review.html", {"campaign": campaign, "figures": found})


@router.get("/campaigns/{campaign_id}/export.csv")
def export_csv(session: SessionDep, user: CampaignUser, campaign: VisibleCampaign) -> Response:
    """Goals, targets and confirmed figures as CSV (formula cells neutralised)."""
    body = figures.to_csv(figures.compute(session, campaign=campaign, viewer=user))
    return Response(body, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="campaign-{campaign.id}.csv"'})


@router.get("/campaigns/{campaign_id}/export.json")
def export_json(session: SessionDep, user: CampaignUser, campaign: VisibleCampaign) -> Response:
    """The campaign's figures as JSON (string cells neutralised like the CSV)."""
    body = json.dumps(figures.to_json(figures.compute(session, campaign=campaign, viewer=user)),
                      ensure_ascii=False, indent=1)
    return Response(body, media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="campaign-{campaign.id}.json"'})


# --- after-action reports ---------------------------------------------------------------


def _report_page(request: Request, session: Session, user: User, operation: Operation, *,
                 doc: dict[str, Any] | None = None, version: int | None = None,
                 errors: dict[str, str] | None = None, conflict: str | None = None,
                 status: int = 200) -> Response:
    report = reports.report_of(session, operation.id)
    parts = reports.parts_of(session, report.id) if report and report.id else []
    editable = (reports.may_file(user, operation) and operation.state in reports.FINISHED
                and (report is None or report.state != "confirmed"))
    ctx = {
        "op": operation, "report": report, "parts": {p.country_code: p for p in parts},
        "data": doc or reports.as_input(session, operation, report),
        "version": version if version is not None else (report.version if report else 0),
        "errors": shown(errors or {}), "conflict": conflict, "editable": editable,
        "may_submit": reports.may_file(user, operation) and report is not None
        and report.state == "draft",
        "confirm_for": reports.may_confirm_for(session, user, operation, report),
        "hosts": perm.host_countries(session, operation.id),
        "nationalities": reports.nationalities(session), "tlps": list(TLP),
        "currencies": CURRENCIES, "device_units": DEVICE_UNITS, "vehicle_units": VEHICLE_UNITS,
        "finished": operation.state in reports.FINISHED,
        # Detained persons of the user's country not yet in a cohort (app/repatriation).
        "cohort_preview": cohorts.report_cohort_preview(session, operation=operation,
                                                        user=user),
    }
    return render(request, "campaigns/report.html", ctx, status_code=status)


@router.get("/operations/{operation_id}/report")
def report_page(request: Request, session: SessionDep, user: CampaignUser,
                operation: VisibleOperation) -> Response:
    """The after-action report: the form for its lead, the figures for everyone else."""
    return _report_page(request, session, user, operation)


@router.post("/operations/{operation_id}/report")
def report_save(request: Request, session: SessionDep, user: CampaignUser,
                operation: VisibleOperation, form: Posted) -> Response:
    """Save the draft (a stale version is refused and the input kept)."""
    hosts = perm.host_countries(session, operation.id)
    doc = forms.parse_report(form, hosts)
    version = _int(form.get("version")) or 0
    try:
        data = reports.validate(session, operation=operation, data=doc)
        reports.save(session, operation=operation, data=data, version=version, actor=user)
    except service.InvalidInput as exc:
        return _report_page(request, session, user, operation, doc=doc, version=version,
                            errors=exc.errors, status=422)
    except Conflict as exc:
        return _report_page(request, session, user, operation, doc=doc, version=version,
                            conflict=exc.message, status=409)
    session.commit()
    return redirect(request, f"/operations/{operation.id}/report", flash=N_("Report saved."))


@router.post("/operations/{operation_id}/report/submit")
def report_submit(request: Request, session: SessionDep, user: CampaignUser,
                  operation: VisibleOperation,
                  version: Annotated[int, Form()]) -> Response:
    """Send the report to the host countries for confirmation."""
    reports.submit(session, operation=operation, version=version, actor=user)
    session.commit()
    return redirect(request, f"/operations/{operation.id}/report",
                    flash=N_("Report submitted: waiting for the host countries."))


@router.post("/operations/{operation_id}/report/confirm")
def report_confirm(request: Request, session: SessionDep, user: CampaignUser,
                   operation: VisibleOperation, version: Annotated[int, Form()],
                   country_code: Annotated[str | None, Form(max_length=2)] = None) -> Response:
    """A host country confirms its part."""
    reports.confirm(session, operation=operation, country=country_code or None,
                    version=version, actor=user)
    session.commit()
    return redirect(request, f"/operations/{operation.id}/report", flash=N_("Part confirmed."))


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


