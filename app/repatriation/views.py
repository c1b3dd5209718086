"""HTML pages: the repatriation overview, cohorts, hand-over points, plans, country boards."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlmodel import Session, col, select
from starlette.datastructures import FormData

from app.campaigns import charts
from app.campaigns.reports import nationalities
from app.campaigns.service import InvalidInput
from app.db import SessionDep
from app.deps import AdminUser, RowId, VisibleOperation
from app.errors import AppError, Conflict, Forbidden, NotFound
from app.i18n import N_, gettext, later, shown
from app.models import (
    Agency,
    BatchState,
    Cohort,
    Crossing,
    HandoverBatch,
    HandoverPoint,
    Nationality,
    PointKind,
    Region,
    RunStatus,
    User,
    utcnow,
)
from app.planning.service import ACTIVE, cancel_run
from app.repatriation import planning, queries, service
from app.repatriation.deps import RepatriationUser, VisibleBatch
from app.repatriation.diff import plan_diff
from app.web import redirect, register_nav, render

router = APIRouter(tags=["repatriation"])
register_nav("Repatriation", "/repatriation", {"admin", "coordinator", "planner", "liaison"},
             order=27)


async def _form(request: Request) -> FormData:
    return await request.form()


Posted = Annotated[FormData, Depends(_form)]


def _names(session: Session) -> dict[str, str]:
    return {n.code: n.name for n in session.exec(select(Nationality))}


def backlog_charts(session: Session, cohorts: list[Cohort]) -> list[tuple[str, Any, Any]]:
    """One step chart of persons not yet handed over per nationality (UTC days)."""
    today = utcnow().date()
    names = _names(session)
    drawn = []
    for code, points in planning.backlog(session, cohorts, until=today).items():
        start = points[0][0] if points else today
        drawn.append((code, points, charts.line(
            points, title=gettext("Backlog of %(nationality)s nationals (persons not yet "
                                  "handed over)") % {"nationality": names.get(code, code)},
            start=start, end=max(today, start + timedelta(days=1)))))
    return drawn


def _overview(request: Request, session: Session, user: User, *,
              plan_form: dict[str, str] | None = None, plan_error: str | None = None,
              status: int = 200) -> Response:
    cohorts = list(session.exec(queries.visible_cohorts_query(session, user)
                                .order_by(col(Cohort.nationality_code), col(Cohort.id))))
    lines = planning.cohort_lines(session, cohorts)
    receiving = sorted({c.nationality_code for c in cohorts}
                       | ({own} if (own := queries.country_of(session, user)) else set()))
    ctx = {"lines": lines, "receiving": receiving, "names": _names(session),
           "charts": backlog_charts(session, cohorts),
           "may_create": service.may_create_cohorts(user),
           "editable": {c.id for c in cohorts if service.may_edit_cohort(user, c)},
           "holding": planning.holding_countries(session, user),
           "runs": planning.list_runs(session, user=user), "is_admin": user.role == "admin",
           "plan_form": plan_form or {"country": "", "days": "30", "time_limit": "10"},
           "plan_error": plan_error}
    return render(request, "repatriation/index.html", ctx, status_code=status)


@router.get("/repatriation")
def overview(request: Request, session: SessionDep, user: RepatriationUser) -> Response:
    """The cohorts you may know of, the boards of receiving countries, planning."""
    return _overview(request, session, user)


# --- cohorts ----------------------------------------------------------------------------


def _cohort_form(request: Request, session: Session, user: User, data: dict[str, Any], *,
                 errors: dict[str, str] | None = None, status: int = 200,
                 cohort: Cohort | None = None, version: int | None = None,
                 conflict: str | None = None) -> Response:
    ctx = {"data": data, "errors": shown(errors or {}), "nationalities": nationalities(session),
           "cohort": cohort, "version": version, "conflict": conflict,
           "names": _names(session),
           "agencies": service.holding_choices(session, user),
           "regions": session.exec(select(Region).order_by(col(Region.country_code),
                                                           col(Region.id))).all()}
    return render(request, "repatriation/cohort_form.html", ctx, status_code=status)


@router.get("/repatriation/cohorts/new")
def new_cohort(request: Request, session: SessionDep, user: RepatriationUser) -> Response:
    """An empty cohort form: nationality, count, holding agency and site, release, vulnerable."""
    if not service.may_create_cohorts(user):
        raise Forbidden(N_("Only planners, coordinators and administrators record cohorts"))
    return _cohort_form(request, session, user, service.blank_cohort(user, utcnow().date()))


@router.post("/repatriation/cohorts/new")
def create_cohort(request: Request, session: SessionDep, user: RepatriationUser,
                  form: Posted) -> Response:
    """Record a cohort by hand; errors are shown next to their field, the input kept."""
    data: dict[str, Any] = {k: str(form.get(k, "")) for k in ("nationality_code", "count",
                                              "holding_agency_id", "site_region_id",
                                              "release_on")}
    data["vulnerable"] = form.get("vulnerable") == "on"
    try:
        service.create_cohort(session, data=data, actor=user)
    except InvalidInput as exc:
        return _cohort_form(request, session, user, data, errors=exc.errors, status=422)
    session.commit()
    return redirect(request, "/repatriation", flash=N_("Cohort recorded."))


def _editable_cohort(session: Session, user: User, cohort_id: int) -> Cohort:
    cohort = queries.get_visible_cohort(session, user=user, cohort_id=cohort_id)
    if not service.may_edit_cohort(user, cohort):
        raise Forbidden(N_("Only planners of the holding agency, coordinators and "
                           "administrators edit a cohort"))
    return cohort


@router.get("/repatriation/cohorts/{cohort_id}/edit")
def edit_cohort(request: Request, session: SessionDep, user: RepatriationUser,
                cohort_id: RowId) -> Response:
    """Edit a cohort's count, holding site, release date and vulnerable flag."""
    cohort = _editable_cohort(session, user, cohort_id)
    return _cohort_form(request, session, user, service.cohort_as_input(cohort),
                        cohort=cohort, version=cohort.version)


@router.post("/repatriation/cohorts/{cohort_id}/edit")
def save_cohort(request: Request, session: SessionDep, user: RepatriationUser,
                cohort_id: RowId, form: Posted) -> Response:
    """Save the edit if nobody changed the cohort meanwhile; errors keep what was typed."""
    cohort = _editable_cohort(session, user, cohort_id)
    data: dict[str, Any] = {**service.cohort_as_input(cohort),
                            **{k: str(form.get(k, "")) for k in ("count", "site_region_id",
                                                                 "release_on")}}
    data["vulnerable"] = form.get("vulnerable") == "on"
    version = _int(form.get("version"))
    try:
        service.update_cohort(session, cohort=cohort, data=data, version=version or 0,
                              actor=user)
    except InvalidInput as exc:
        return _cohort_form(request, session, user, data, errors=exc.errors, status=422,
                            cohort=cohort, version=version)
    except Conflict as exc:
        return _cohort_form(request, session, user, data, cohort=cohort, version=version,
                            conflict=exc.message, status=409)
    session.commit()
    return redirect(request, "/repatriation", flash=later("Cohort C%(cohort)s saved.",
                                                                  cohort=cohort_id))


@router.post("/operations/{operation_id}/report/cohorts")
def cohorts_from_report(request: Request, session: SessionDep, user: RepatriationUser,
                        operation: VisibleOperation) -> Response:
    """One click: a cohort per nationality detained in your country's confirmed part."""
    made = service.cohorts_from_report(session, operation=operation, actor=user)
    session.commit()
    return redirect(request, "/repatriation",
                    flash=later("%(count)s cohort(s) recorded from the report.",
                                count=len(made)))


# --- hand-over points and escorts (administrators) --------------------------------------


def _point_choices(session: Session) -> dict[str, Any]:
    return {
        "regions": session.exec(select(Region).order_by(col(Region.country_code),
                                                        col(Region.id))).all(),
        "crossings": session.exec(select(Crossing).order_by(col(Crossing.id))).all(),
        "all_agencies": session.exec(select(Agency).order_by(col(Agency.id))).all(),
        "kinds": [k.value for k in PointKind],
    }


@router.get("/repatriation/points")
def points_page(request: Request, session: SessionDep, user: AdminUser) -> Response:
    """Hand-over points with their receiving agencies, and the escort units' capacities."""
    ctx = {"points": service.points(session), "agencies": service.point_agencies(session),
           "escorts": service.escort_units(session)}
    return render(request, "repatriation/points.html", ctx)


def _point_form(request: Request, session: Session, data: dict[str, Any], *,
                point: HandoverPoint | None = None, version: int | None = None,
                errors: dict[str, str] | None = None, conflict: str | None = None,
                status: int = 200) -> Response:
    ctx = {"data": data, "point": point, "version": version, "errors": shown(errors or {}),
           "conflict": conflict, **_point_choices(session)}
    return render(request, "repatriation/point_form.html", ctx, status_code=status)


def _point_data(form: FormData) -> dict[str, Any]:
    data: dict[str, Any] = {k: str(form.get(k, "")) for k in (
        "id", "name", "kind", "region_id", "crossing_id", "capacity", "screening_from",
        "screening_to", "handover_minutes")}
    data["agencies"] = [str(a) for a in form.getlist("agencies")]
    return data


@router.get("/repatriation/points/new")
def new_point(request: Request, session: SessionDep, user: AdminUser) -> Response:
    return _point_form(request, session, service.blank_point())


@router.post("/repatriation/points/new")
def create_point(request: Request, session: SessionDep, user: AdminUser,
                 form: Posted) -> Response:
    data = _point_data(form)
    try:
        service.create_point(session, data=data, actor=user)
    except InvalidInput as exc:
        return _point_form(request, session, data, errors=exc.errors, status=422)
    session.commit()
    return redirect(request, "/repatriation/points", flash=N_("Hand-over point saved."))


@router.get("/repatriation/points/{point_id}/edit")
def edit_point(request: Request, session: SessionDep, user: AdminUser,
               point_id: str) -> Response:
    point = service.get_point(session, point_id)
    return _point_form(request, session, service.point_as_input(session, point), point=point,
                       version=point.version)


@router.post("/repatriation/points/{point_id}/edit")
def save_point(request: Request, session: SessionDep, user: AdminUser, point_id: str,
               form: Posted) -> Response:
    point = service.get_point(session, point_id)
    data = {**_point_data(form), "id": point.id}
    version = _int(form.get("version"))
    try:
        service.update_point(session, point=point, data=data, version=version or 0,
                             actor=user)
    except InvalidInput as exc:
        return _point_form(request, session, data, point=point, version=version,
                           errors=exc.errors, status=422)
    except Conflict as exc:
        return _point_form(request, session, data, point=point, version=version,
                           conflict=exc.message, status=409)
    session.commit()
    return redirect(request, "/repatriation/points", flash=N_("Hand-over point saved."))


@router.post("/repatriation/escorts/{unit_id}")
def save_escort(request: Request, session: SessionDep, user: AdminUser, unit_id: str,
                persons_per_trip: Annotated[str, Form(max_length=8)] = "",
                vehicle: Annotated[str, Form(max_length=64)] = "") -> Response:
    """Set how many persons an escort unit carries per trip."""
    try:
        service.set_escort_capacity(session, unit_id=unit_id, persons=persons_per_trip,
                                    vehicle=vehicle, actor=user)
    except InvalidInput as exc:
        ctx = {"points": service.points(session), "agencies": service.point_agencies(session),
               "escorts": service.escort_units(session), "errors": exc.errors,
               "error_unit": unit_id, "typed": persons_per_trip}
        return render(request, "repatriation/points.html", ctx, status_code=422)
    session.commit()
    return redirect(request, "/repatriation/points", flash=later("Escort unit %(unit)s saved.",
                                                                        unit=unit_id))


# --- planning ---------------------------------------------------------------------------


@router.post("/repatriation/plan")
def plan_handovers(request: Request, session: SessionDep, user: RepatriationUser,
                   country: Annotated[str, Form(max_length=2)] = "",
                   days: Annotated[str, Form(max_length=8)] = "30",
                   time_limit: Annotated[str, Form(max_length=8)] = "10") -> Response:
    """Queue a solve of the country's hand-overs; the worker solves it, never this request.
    A refusal (bad numbers, nobody waiting) comes back on the page with the input kept."""
    typed = {"country": country, "days": days, "time_limit": time_limit}
    try:
        try:
            numbers = int(days), float(time_limit)
        except ValueError:
            raise AppError(N_("The horizon is a whole number of days and the time limit a "
                              "number of seconds"), 422) from None
        run = planning.start_run(session, user=user, country=country, days=numbers[0],
                                 time_limit=numbers[1])
    except AppError as exc:  # start_run refuses before it writes anything
        if isinstance(exc, NotFound | Forbidden):
            raise
        return _overview(request, session, user, plan_form=typed, plan_error=exc.message,
                         status=exc.status)
    session.commit()
    return redirect(request, f"/repatriation/runs/{run.id}", flash=N_("Planning started."))


def _run_context(session: Session, user: User, run_id: int) -> dict[str, Any]:
    run = planning.get_run(session, user=user, run_id=run_id)
    plan = planning.plan_of_run(session, run)
    names = _names(session)
    cohorts = {planning.cohort_key(c.id or 0): c
               for c in planning.held_cohorts(session, run.params["country"])}
    changes = (plan_diff(session, plan=plan)
               if plan is not None and not plan.is_published else None)
    return {"run": run, "plan": plan, "active": run.status in ACTIVE, "cohorts": cohorts,
            "names": names, "may_publish": planning.may_publish(user)
            and run.status in (RunStatus.succeeded, RunStatus.cancelled), "changes": changes}


@router.get("/repatriation/runs/{run_id}")
def run_page(request: Request, session: SessionDep, user: RepatriationUser,
             run_id: RowId) -> Response:
    """Progress while the worker solves, then the plan's batches and what is left."""
    return render(request, "repatriation/run.html", _run_context(session, user, run_id),
                  block="run")


@router.post("/repatriation/runs/{run_id}/cancel")
def stop_run(request: Request, session: SessionDep, user: RepatriationUser,
             run_id: RowId) -> Response:
    """Stop the solve; the best plan found so far is kept."""
    cancel_run(session, run=planning.get_run(session, user=user, run_id=run_id), user=user)
    session.commit()
    return render(request, "repatriation/run.html", _run_context(session, user, run_id),
                  block="run")


@router.post("/repatriation/plans/{plan_id}/publish")
def publish_plan(request: Request, session: SessionDep, user: RepatriationUser,
                 plan_id: RowId) -> Response:
    """Publish the plan: its batches go on the boards of the receiving countries."""
    plan = planning.publish(session, plan=planning.get_plan(session, user=user,
                                                            plan_id=plan_id), actor=user)
    session.commit()
    return redirect(request, f"/repatriation/runs/{plan.solver_run_id}",
                    flash=N_("Hand-over plan published."))


# --- the board of a receiving country ---------------------------------------------------


@router.get("/repatriation/countries/{country}")
def country_board(request: Request, session: SessionDep, user: RepatriationUser,
                  country: str) -> Response:
    """Waiting, scheduled and handed over, for one receiving country's nationals."""
    if not queries.may_see_country_board(session, user, country):
        raise NotFound(N_("No such repatriation board"))
    cohorts = list(session.exec(queries.visible_cohorts_query(session, user)
                                .where(Cohort.nationality_code == country)
                                .order_by(col(Cohort.id))))
    ids = [c.id for c in cohorts]
    by_id = {c.id: c for c in cohorts}
    batches = list(session.exec(select(HandoverBatch).where(
        col(HandoverBatch.cohort_id).in_(ids), col(HandoverBatch.state) != BatchState.cancelled)
        .order_by(col(HandoverBatch.at), col(HandoverBatch.id))))
    points = {p.id: p for p in service.points(session)}
    ctx = {"country": country, "name": _names(session).get(country, country),
           "lines": planning.cohort_lines(session, cohorts), "cohorts": by_id,
           "scheduled": [b for b in batches if b.state == BatchState.scheduled],
           "handed": [b for b in batches if b.state == BatchState.handed_over],
           "points": points, "charts": backlog_charts(session, cohorts),
           "confirmable": {b.id for b in batches
                           if planning.may_confirm(session, user, b, by_id[b.cohort_id])},
           "today": {c.id: planning.handover_today(session, c) for c in cohorts},
           "pinnable": _pinnable(session, user, cohorts)}
    return render(request, "repatriation/board.html", ctx, block="board")


def _pinnable(session: Session, user: User, cohorts: list[Cohort]) -> set[int | None]:
    """The cohorts whose scheduled batches this user may pin (their holding country's)."""
    return {c.id for c in cohorts if planning.may_pin(session, user, c)}


@router.post("/repatriation/batches/{batch_id}/pin")
def pin_batch(request: Request, session: SessionDep, user: RepatriationUser,
              batch: VisibleBatch, version: Annotated[int, Form()],
              pinned: Annotated[str, Form(max_length=1)] = "1") -> Response:
    """Pin a scheduled hand-over so the next solve keeps it (`pinned=0` unpins it)."""
    cohort = session.get(Cohort, batch.cohort_id)
    assert cohort is not None
    planning.set_pinned(session, batch=batch, pinned=pinned == "1", version=version,
                        actor=user)
    session.commit()
    return redirect(request, f"/repatriation/countries/{cohort.nationality_code}",
                    flash=N_("Hand-over pinned: the next plan keeps it.") if pinned == "1"
                    else N_("Hand-over unpinned."))


@router.post("/repatriation/batches/{batch_id}/confirm")
def confirm_batch(request: Request, session: SessionDep, user: RepatriationUser,
                  batch: VisibleBatch, version: Annotated[int, Form()]) -> Response:
    """The receiving agency confirms it took the batch over (a stale version is a 409)."""
    cohort = session.get(Cohort, batch.cohort_id)
    assert cohort is not None
    planning.confirm(session, batch=batch, version=version, actor=user)
    session.commit()
    return redirect(request, f"/repatriation/countries/{cohort.nationality_code}",
                    flash=N_("Hand-over confirmed."))


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
