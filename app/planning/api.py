"""JSON API of planning under /api/v1: solver runs, plans, publishing, taskings."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from app import idempotency
from app.db import SessionDep, writes_on_read
from app.deps import CurrentUser, PlannerUser, RowId
from app.idempotency import IdempotencyKey
from app.planning import service
from app.planning.export import published_export
from app.planning.publish import publish_plan
from app.planning.review import run_summary
from app.planning.tasking import escort_duties, upcoming, viewable_units
from app.planning.visibility import hidden_busy_units, plan_for, scenario_for, visible_ids
from app.repatriation.service import ESCORT_CAPABILITY
from app.repatriation.tasking import EscortDuty

router = APIRouter(
    prefix="/api/v1",
    tags=["planning API"],
    responses={401: {"description": "Not signed in"}},
)
PLANNERS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not a planner or administrator (for POST and DELETE: or no CSRF token)"}}
RUN_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such solver run"}, **PLANNERS}
PLAN_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such plan"}, **PLANNERS}
BROKEN_BOARD = "the board's data does not form a valid scenario"


class RunRequest(BaseModel):
    """Parameters of a solve of the approved operations."""

    time_limit: float = Field(default=10, ge=1, le=600, description="seconds")
    seed: int = Field(default=0, ge=0)
    workers: int = Field(default=2, ge=1, le=8, description="CP-SAT worker threads")
    release: list[str] = Field(
        default_factory=list, description="published operations to re-plan freely"
    )


class PublishIn(BaseModel):
    """What the publisher confirms: each published operation the plan drops or moves."""

    confirm: list[str] = Field(
        default_factory=list, max_length=1000,
        description="ids of the published operations this plan may drop or move")


class RunStarted(BaseModel):
    id: int
    status: str
    url: str


class PlanSummary(BaseModel):
    id: int
    solver_run_id: int | None
    created_at: datetime
    is_published: bool
    published_at: datetime | None
    scheduled: int
    unscheduled: int
    objective: dict[str, Any] | None


class TaskingOut(BaseModel):
    """One tasking of a unit: a raid order, a cordon post, or an escort trip of a
    published hand-over plan (`kind`). Times are instants in UTC (ISO 8601)."""

    uid: str = Field(description="calendar UID, kept for good (the iCal feeds' UID)")
    sequence: int = Field(description="version: raised on every change (the feeds' SEQUENCE)")
    status: str = Field(description="`active` or `cancelled` (a new plan dropped it)")
    operation_id: str | None = Field(description="the raid operation; null for an escort trip")
    code_name: str
    unit_id: str
    # `raid`: a part in the raid at `site_id`; `cordon_post`: a post at `side` of the
    # crossing `crossing_id` seals (no site; `start`..`end` is the seal).
    kind: str = Field(default="raid", description=(
        "`raid`: a part in the raid at `site_id`; `cordon_post`: a post at `side` of the "
        "crossing `crossing_id` seals (no site; `start`..`end` is the seal); `escort`: an "
        "escort trip of a hand-over plan, base -> holding site (`place`) -> hand-over point "
        "(`point_id`) -> base, `start`..`end` being the hand-over"))
    site_id: str | None
    side: str | None = None
    place: str = Field(description="the site's region; a post's side; an escort's holding site")
    capability: str
    timezone: str = Field(description="the unit's local time zone")
    depart: datetime = Field(description="leaves base (UTC)")
    start: datetime = Field(description="H-hour; the seal's start; the hand-over (UTC)")
    end: datetime = Field(description="the operation's end; the seal's end; the hand-over "
                                      "done (UTC)")
    return_at: datetime = Field(description="back at base (UTC)")
    crossing_id: str | None = Field(description=(
        "the crossing passed (raid), sealed (cordon post) or handed over at (escort)"))
    crossing: str | None
    cross_out: datetime | None
    cross_back: datetime | None
    updated_at: datetime
    point_id: str | None = Field(default=None,
                                 description="escort: the hand-over point (crossing or airport)")
    point: str | None = Field(default=None, description="escort: the hand-over point's name")
    persons: int | None = Field(default=None,
                                description="escort: persons carried and handed over")
    route: list[str] | None = Field(default=None,
                                    description="escort: the places driven through, in order")


@router.post(
    "/solver-runs", status_code=status.HTTP_202_ACCEPTED, response_model=RunStarted,
    summary="Start a solver run (background job)",
    responses={409: {"description": f"No approved operations to solve, or {BROKEN_BOARD}"},
               **PLANNERS},
)
def create_run(
    body: RunRequest, session: SessionDep, user: PlannerUser,
    idempotency_key: IdempotencyKey = None,
) -> RunStarted | JSONResponse:
    """Queue a solve of the approved operations (published ones pinned unless released).
    With an `Idempotency-Key`, a retry gets the first run back instead of a second one."""
    scope, sent = "POST /api/v1/solver-runs", body.model_dump(mode="json")
    earlier = idempotency.replay(session, user=user, key=idempotency_key, scope=scope,
                                 body=sent)
    if earlier is not None:
        return earlier
    run = service.start_run(session, user=user, time_limit=body.time_limit, seed=body.seed,
                            workers=body.workers, released=body.release)
    # The answer is built before the commit, and nothing is read after it: a saved run is
    # never reported as a failure.
    out = RunStarted(id=int(run.id or 0), status=str(run.status),
                     url=f"/api/v1/solver-runs/{run.id}")
    idempotency.remember(session, user=user, key=idempotency_key, scope=scope, body=sent,
                         status_code=202, response=out)
    session.commit()
    return out


@router.get("/solver-runs/{run_id}", summary="Read a solver run: status, progress, plan",
            responses=RUN_NOT_FOUND)
@writes_on_read  # reaps runs whose worker died
def read_run(run_id: RowId, session: SessionDep, user: PlannerUser) -> dict[str, Any]:
    """Status, progress (priority, bound, gap, elapsed) and the plan once there is one."""
    service.reap_stale_runs(session)
    session.commit()
    run = service.get_run(session, run_id=run_id)
    ids = visible_ids(session, user=user)
    return run_summary(run, service.plan_of_run(session, run=run), ids,
                       stoppable=service.may_stop(session, run=run, user=user),
                       busy=hidden_busy_units(session, ids))


@router.delete(
    "/solver-runs/{run_id}", status_code=status.HTTP_202_ACCEPTED,
    summary="Stop a solver run and keep its best plan",
    responses={**RUN_NOT_FOUND, 409: {"description": "The run has already finished"},
               403: {"description": "Not a planner of the agency that started the run, nor a "
                                    "coordinator or administrator (or no CSRF token)"}},
)
def stop_run(run_id: RowId, session: SessionDep, user: PlannerUser) -> dict[str, Any]:
    """Stop the run; the best plan found so far is kept (409 once it has finished)."""
    run = service.cancel_run(session, run=service.get_run(session, run_id=run_id), user=user)
    ids = visible_ids(session, user=user)
    out = run_summary(run, service.plan_of_run(session, run=run), ids,
                      busy=hidden_busy_units(session, ids))
    session.commit()
    return out


def _summary(plan: Any, ids: set[str] | None) -> PlanSummary:
    doc = plan_for(ids, plan.document) or {}
    return PlanSummary(
        id=plan.id, solver_run_id=plan.solver_run_id, created_at=plan.created_at,
        is_published=plan.is_published, published_at=plan.published_at,
        scheduled=len(doc.get("operations", [])), unscheduled=len(doc.get("unscheduled", [])),
        objective=doc.get("objective"),
    )


@router.get("/plans", response_model=list[PlanSummary], summary="List the latest plans",
            responses=PLANNERS)
def list_plans(session: SessionDep, user: PlannerUser) -> list[PlanSummary]:
    """The latest plans, newest first."""
    ids = visible_ids(session, user=user)
    return [_summary(plan, ids) for plan in service.list_plans(session)]


@router.get(
    "/plans/published/export", summary="Export the published plan as jointops-plan/1",
    responses={404: {"description": "No plan is published"},
               409: {"description": BROKEN_BOARD.capitalize()}, **PLANNERS},
)
def export_published(session: SessionDep, user: PlannerUser) -> dict[str, Any]:
    """The published plan as jointops-plan/1 against the board's planning scenario."""
    ids = visible_ids(session, user=user)
    return plan_for(ids, published_export(session), hidden_busy_units(session, ids)) or {}


@router.get("/plans/published/scenario",
            summary="Export the planning scenario (the published plan checks against it)",
            responses=PLANNERS)
def published_scenario(session: SessionDep, user: PlannerUser) -> dict[str, Any]:
    """The scenario the published export is checked against (approved and scheduled)."""
    from app.planning.scenario import planning_document

    ids = visible_ids(session, user=user)
    return scenario_for(ids, planning_document(session, ids=ids))


@router.get("/plans/{plan_id}", summary="Read a plan as jointops-plan/1",
            responses=PLAN_NOT_FOUND)
def read_plan(plan_id: RowId, session: SessionDep, user: PlannerUser) -> dict[str, Any]:
    """The plan's jointops-plan/1 document."""
    document = service.get_plan(session, plan_id=plan_id).document
    ids = visible_ids(session, user=user)
    return plan_for(ids, document, hidden_busy_units(session, ids)) or {}


@router.post(
    "/plans/{plan_id}/publish", response_model=PlanSummary,
    summary="Publish a plan as tasking orders",
    responses={**PLAN_NOT_FOUND, 409: {
        "description": "Already the published plan, it no longer fits the board, or it "
                       "drops or moves published operations not confirmed"}},
)
def publish(
    plan_id: RowId, session: SessionDep, user: PlannerUser, body: PublishIn | None = None
) -> PlanSummary:
    """Publish the plan into tasking orders (409 if it no longer fits the board, or if it
    drops or moves published operations that `confirm` does not name)."""
    plan = service.get_plan(session, plan_id=plan_id)
    publish_plan(session, plan=plan, user=user, confirmed=set(body.confirm if body else []))
    out = _summary(plan, visible_ids(session, user=user))
    session.commit()
    return out


@router.get(
    "/taskings", response_model=list[TaskingOut],
    summary="List the upcoming taskings of my unit (or of a unit I may see)",
    responses={404: {"description": "No such unit, or not one you may see"}},
)
def my_taskings(
    session: SessionDep,
    user: CurrentUser,
    unit: Annotated[str | None, Query(max_length=32)] = None,
) -> list[TaskingOut]:
    """Upcoming taskings of your unit (or of `unit`, if you may see it: 404 otherwise),
    raid orders, cordon posts and escort trips alike, in order of departure; as My
    tasking, recently cancelled ones too."""
    units = viewable_units(session, user=user, unit_id=unit)
    found = [_tasking_out(d) for d in upcoming(session, units=units, user=user)]
    found += [_escort_out(d) for d in escort_duties(session, units=units, user=user)]
    return sorted(found, key=lambda t: t.depart)  # stable: raid orders keep their order


def _tasking_out(d: Any) -> TaskingOut:
    t = d.tasking
    return TaskingOut(
        uid=t.uid, sequence=t.sequence, status=str(t.status), operation_id=t.operation_id,
        code_name=d.code_name, unit_id=t.unit_id, kind=str(t.kind), site_id=t.site_id,
        side=t.side, place=d.site_region,
        capability=t.capability, timezone=d.timezone, depart=t.depart, start=t.start,
        end=t.end, return_at=t.return_at, crossing_id=t.crossing_id, crossing=d.crossing,
        cross_out=t.cross_out, cross_back=t.cross_back, updated_at=t.updated_at,
    )


def _escort_out(d: EscortDuty) -> TaskingOut:
    trip = d.trip
    return TaskingOut(
        uid=trip.uid, sequence=trip.sequence,
        status="cancelled" if trip.cancelled else "active", operation_id=None,
        code_name=f"Escort to {d.point}", unit_id=trip.unit_id, kind="escort",
        site_id=None, place=d.site, capability=ESCORT_CAPABILITY, timezone=d.timezone,
        depart=d.depart_at, start=d.handover_at, end=d.handover_end, return_at=d.return_at,
        crossing_id=d.crossing.id if d.crossing else None,
        crossing=d.crossing.name if d.crossing else None, cross_out=None, cross_back=None,
        updated_at=trip.updated_at, point_id=trip.point_id, point=d.point,
        persons=trip.persons, route=list(d.route),
    )
