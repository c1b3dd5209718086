"""JSON API under /api/v1: cohorts, hand-over runs and plans, batches and their confirmation.

Same need-to-know as the pages (app/repatriation/queries.py): a cohort or batch that is
not the caller's to know of answers 404 like a missing one. State changes name the
version they act on (409 when it changed since).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from sqlmodel import Session, col, select

from app.campaigns.service import InvalidInput
from app.db import SessionDep
from app.deps import RowId
from app.models import BatchState, Cohort, HandoverBatch, SolverRun
from app.repatriation import diff, planning, queries, service
from app.repatriation.deps import RepatriationUser, VisibleBatch

router = APIRouter(prefix="/api/v1/repatriation", tags=["repatriation"])

BATCH_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such hand-over batch, or not for your eyes"}}
RUN_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such run, or not of a country you plan"}}
PLAN_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such plan, or not of a country you plan"}}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "Changed since you read it, or in the wrong state"}}


def _cohort(line: planning.CohortLine) -> dict[str, Any]:
    c = line.cohort
    return {"id": c.id, "nationality": c.nationality_code, "count": c.count,
            "holding_agency_id": c.holding_agency_id, "site_region_id": c.site_region_id,
            "release_on": c.release_on.isoformat(), "vulnerable": c.vulnerable,
            "source": c.source.value, "report_id": c.report_id, "version": c.version,
            "waiting": line.waiting, "scheduled": line.scheduled,
            "handed_over": line.handed_over}


def _batch(session: Session, batch: HandoverBatch) -> dict[str, Any]:
    cohort = session.get(Cohort, batch.cohort_id)
    return {"id": batch.id, "cohort_id": batch.cohort_id,
            "nationality": cohort.nationality_code if cohort else None,
            "point_id": batch.point_id, "day": batch.day.isoformat(), "time": batch.time,
            "at": batch.at.isoformat(), "persons": batch.persons,
            "escort_unit_id": batch.escort_unit_id, "state": batch.state.value,
            "version": batch.version, "pinned": batch.pinned,
            "confirmed_at": batch.confirmed_at.isoformat() if batch.confirmed_at else None}


def _run(session: Session, run: SolverRun) -> dict[str, Any]:
    plan = planning.plan_of_run(session, run)
    return {"id": run.id, "country": run.params.get("country"), "status": str(run.status),
            "progress": run.progress or {}, "error": run.error,
            "plan": None if plan is None else {
                "id": plan.id, "is_published": plan.is_published, "document": plan.document}}


@router.get("/cohorts", summary="List the cohorts I may know of")
def list_cohorts(session: SessionDep, user: RepatriationUser) -> list[dict[str, Any]]:
    """Cohorts held by my country or of my country's nationals, with what is left."""
    cohorts = list(session.exec(queries.visible_cohorts_query(session, user)
                                .order_by(col(Cohort.id))))
    return [_cohort(line) for line in planning.cohort_lines(session, cohorts)]


@router.post("/cohorts", status_code=201, summary="Record a cohort (a count, never names)")
def create_cohort(session: SessionDep, user: RepatriationUser,
                  body: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
    """`{nationality_code, count, holding_agency_id, site_region_id, release_on,
    vulnerable}`; any other field (a name) is refused."""
    cohort = service.create_cohort(session, data=body, actor=user)
    session.commit()
    return _cohort(planning.cohort_lines(session, [cohort])[0])


@router.post("/cohorts/{cohort_id}", summary="Edit a cohort (count, site, release, vulnerable)",
             responses={404: {"description": "No such cohort, or not for your eyes"},
                        **CONFLICT})
def edit_cohort(session: SessionDep, user: RepatriationUser, cohort_id: RowId,
                body: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
    """`{version, count, site_region_id, release_on, vulnerable}`; the count may not drop
    below the persons already scheduled or handed over (422 on `count`)."""
    cohort = queries.get_visible_cohort(session, user=user, cohort_id=cohort_id)
    version = body.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise InvalidInput({"version": "give the version you read"})
    data = {**service.cohort_as_input(cohort),
            **{k: body[k] for k in service.EDITABLE if k in body}}
    service.update_cohort(session, cohort=cohort, data=data, version=version, actor=user)
    session.commit()
    session.refresh(cohort)
    return _cohort(planning.cohort_lines(session, [cohort])[0])


@router.post("/runs", status_code=202, summary="Plan the hand-overs of a holding country",
             responses=CONFLICT)
def start_run(session: SessionDep, user: RepatriationUser,
              body: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
    """`{country, days (1-60, default 30), time_limit (s, default 10)}`; the worker solves."""
    errors: dict[str, str] = {}
    country = body.get("country")
    if not isinstance(country, str):
        errors["country"] = "the holding country's code"
    days, limit = body.get("days", 30), body.get("time_limit", 10)
    if not isinstance(days, int) or isinstance(days, bool):
        errors["days"] = "a whole number of days"
    if not isinstance(limit, int | float) or isinstance(limit, bool):
        errors["time_limit"] = "seconds"
    if errors:
        raise InvalidInput(errors)
    run = planning.start_run(session, user=user, country=str(country), days=int(days),
                             time_limit=float(limit))
    session.commit()
    return _run(session, run)


@router.get("/runs/{run_id}", summary="Read a hand-over run: progress, then its plan",
            responses=RUN_NOT_FOUND)
def get_run(session: SessionDep, user: RepatriationUser, run_id: RowId) -> dict[str, Any]:
    return _run(session, planning.get_run(session, user=user, run_id=run_id))


@router.get("/plans/{plan_id}/diff", summary="What publishing a hand-over plan would change",
            responses=PLAN_NOT_FOUND)
def plan_diff(session: SessionDep, user: RepatriationUser, plan_id: RowId) -> dict[str, Any]:
    """Against the published plan, from the plan's first day on: batches added, moved and
    dropped (by cohort and point), escort trips added, changed and dropped, confirmed
    hand-overs; `flags` name those already confirmed or due within 24 hours."""
    changes = diff.plan_diff(session, plan=planning.get_plan(session, user=user,
                                                             plan_id=plan_id))

    def slot(value: Any) -> dict[str, Any] | None:
        return None if value is None else {"day": value[0].isoformat(), "time": value[1],
                                           "persons": value[2], "escort": value[3]}

    def batch(c: diff.BatchChange) -> dict[str, Any]:
        return {"cohort_id": c.cohort_id, "cohort": c.cohort, "point": c.point,
                "change": c.kind, "before": slot(c.before), "after": slot(c.after),
                "flags": c.flags}

    return {"published_id": changes.published_id,
            "start": changes.start.isoformat() if changes.start else None,
            "counts": changes.counts, "trip_counts": changes.trip_counts,
            "batches": [batch(c) for c in changes.batches],
            "confirmed": [batch(c) for c in changes.confirmed],
            "trips": [{"unit": t.unit, "day": t.day.isoformat(), "change": t.kind,
                       "before": t.before, "after": t.after, "flags": t.flags}
                      for t in changes.trips]}


@router.post("/plans/{plan_id}/publish", summary="Publish a hand-over plan",
             responses={**PLAN_NOT_FOUND, **CONFLICT})
def publish_plan(session: SessionDep, user: RepatriationUser, plan_id: RowId) -> dict[str, Any]:
    """Its batches replace the scheduled ones from its first day on (coordination centre)."""
    plan = planning.publish(session, plan=planning.get_plan(session, user=user,
                                                            plan_id=plan_id), actor=user)
    session.commit()
    return {"id": plan.id, "is_published": plan.is_published,
            "batches": len(plan.document.get("batches", []))}


@router.get("/batches", summary="List the hand-over batches I may know of")
def list_batches(session: SessionDep, user: RepatriationUser,
                 country: Annotated[str | None, Query(max_length=3)] = None,
                 ) -> list[dict[str, Any]]:
    """Scheduled and handed-over batches, optionally of one receiving country's nationals."""
    query = queries.visible_batches_query(session, user).where(
        col(HandoverBatch.state) != BatchState.cancelled)
    if country:
        query = query.where(col(HandoverBatch.cohort_id).in_(
            select(Cohort.id).where(Cohort.nationality_code == country)))
    batches = session.exec(query.order_by(col(HandoverBatch.at), col(HandoverBatch.id)))
    return [_batch(session, b) for b in batches]


@router.post("/batches/{batch_id}/pin", summary="Pin or unpin a hand-over (holding country)",
             responses={**BATCH_NOT_FOUND, **CONFLICT})
def pin_batch(session: SessionDep, user: RepatriationUser, batch: VisibleBatch,
              body: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
    """`{version, pinned: true|false}`: a pinned scheduled batch is kept by the next solve."""
    errors: dict[str, str] = {}
    version, pinned = body.get("version"), body.get("pinned", True)
    if not isinstance(version, int) or isinstance(version, bool):
        errors["version"] = "give the version you read"
    if not isinstance(pinned, bool):
        errors["pinned"] = "true or false"
    if errors:
        raise InvalidInput(errors)
    planning.set_pinned(session, batch=batch, pinned=bool(pinned), version=int(str(version)),
                        actor=user)
    session.commit()
    session.refresh(batch)
    return _batch(session, batch)


@router.post("/batches/{batch_id}/confirm", summary="Confirm a hand-over (receiving agency)",
             responses={**BATCH_NOT_FOUND, **CONFLICT})
def confirm_batch(session: SessionDep, user: RepatriationUser, batch: VisibleBatch,
                  body: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
    """`{version}` as read; the receiving agency at the point confirms its own nationals."""
    version = body.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise InvalidInput({"version": "give the version you read"})
    planning.confirm(session, batch=batch, version=version, actor=user)
    session.commit()
    session.refresh(batch)
    return _batch(session, batch)
