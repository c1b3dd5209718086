"""Planning pages: solve, watch a run, review and publish its plan; my tasking."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from app import revision
from app.db import SessionDep, writes_on_read
from app.deps import CurrentUser, PlannerUser, RowId
from app.i18n import later, shown
from app.maps.features import table_rows
from app.maps.service import tasking_map
from app.planning import consent, horizon, service
from app.planning.closures import horizon_effects
from app.planning.publish import publish_plan
from app.planning.review import review_run
from app.planning.scenario import pinnable_operations, plan_summary, published_plan
from app.planning.spawn import worker_lifespan
from app.planning.tasking import (
    escort_duties,
    escort_order,
    tasking_order,
    upcoming,
    viewable_units,
)
from app.planning.visibility import visible_ids
from app.web import fmt_utc, redirect, register_nav, render, wants_fragment

router = APIRouter(tags=["planning"], lifespan=worker_lifespan)
register_nav("Planning", "/planning", {"planner", "coordinator", "admin"}, order=30)
register_nav("My tasking", "/tasking",
             {"unit_officer", "planner", "coordinator", "admin", "liaison"}, order=40)


@router.get("/planning")
@writes_on_read  # reaps runs whose worker died
def planning_page(request: Request, session: SessionDep, user: PlannerUser) -> Response:
    """Runs, the solve form with its release control, and the published plan."""
    service.reap_stale_runs(session)
    session.commit()
    return _planning(request, session, user)


def _planning(
    request: Request, session: SessionDep, user: PlannerUser, *,
    horizon_form: dict[str, str] | None = None, horizon_errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    runs = service.list_runs(session)
    ctx: dict[str, Any] = {"runs": runs, "settings": service.run_settings(session, runs)}
    if not wants_fragment(request):  # the 2-second poll while a run works shows only runs
        ctx["published"] = published = published_plan(session)
        ctx["summary"] = plan_summary(published) if published else None
        ctx["pinnable"] = pinnable_operations(session, ids=visible_ids(session, user=user))
        config = horizon.current(session)
        ctx["closures"] = horizon_effects(session, config.horizon_start, config.horizon_end)
        ctx.update(horizon=config, horizon_form=horizon_form or horizon.as_form(config),
                   horizon_errors=horizon_errors or {})
    return render(request, "planning/index.html", ctx, block="runs", status_code=status_code)


@router.post("/planning/horizon")
def set_horizon(
    request: Request, session: SessionDep, user: PlannerUser,
    horizon_start: Annotated[str, Form(max_length=40)] = "",
    horizon_end: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Change the planning horizon (UTC); errors come back beside the fields."""
    typed = {"horizon_start": horizon_start, "horizon_end": horizon_end}
    try:
        values = horizon.parse(typed)
        config = horizon.set_horizon(session, start=values["horizon_start"],
                                     end=values["horizon_end"], user=user)
    except horizon.InvalidHorizon as exc:
        return _planning(request, session, user, horizon_form=typed,
                         horizon_errors=shown(exc.errors), status_code=422)
    session.commit()
    return redirect(request, "/planning", flash=later(
        "Planning horizon set to %(start)s – %(end)s", start=fmt_utc(config.horizon_start),
        end=fmt_utc(config.horizon_end)))


@router.post("/planning/runs")
def start_run(
    request: Request,
    session: SessionDep,
    user: PlannerUser,
    time_limit: Annotated[float, Form(ge=1, le=600)] = 10,
    seed: Annotated[int, Form(ge=0)] = 0,
    release: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Queue a solve; the worker picks it up."""
    run = service.start_run(
        session, user=user, time_limit=time_limit, seed=seed, released=release or []
    )
    session.commit()
    return redirect(request, f"/planning/runs/{run.id}", flash=later("Solver run %(run)s queued",
                                                                          run=run.id))


@router.get("/planning/runs/{run_id}")
@writes_on_read  # reaps runs whose worker died
def run_page(request: Request, session: SessionDep, user: PlannerUser, run_id: RowId,
             first: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> Response:
    """Live progress (the `run` block is polled while the run is active), then the result;
    `first`: the page of operations (by H-hour) the timeline and the map show."""
    service.reap_stale_runs(session)
    session.commit()
    board_revision = revision.current(session)  # before the run is read: see app/revision.py
    review = review_run(session, run=service.get_run(session, run_id=run_id, lazy=True),
                        user=user, revision=board_revision, first=first)
    return render(request, "planning/run.html", {"r": review}, block="run")


@router.post("/planning/runs/{run_id}/cancel")
def cancel_run(request: Request, session: SessionDep, user: PlannerUser, run_id: RowId) -> Response:
    """Stop the run; the best plan found so far is kept."""
    run = service.cancel_run(session, run=service.get_run(session, run_id=run_id), user=user)
    session.commit()
    review = review_run(session, run=run, user=user)
    return render(request, "planning/run.html", {"r": review}, block="run")


@router.post("/planning/runs/{run_id}/keep-best")
def keep_best_plan(
    request: Request, session: SessionDep, user: PlannerUser, run_id: RowId,
    attempt: Annotated[int, Form(ge=1)],
) -> Response:
    """Keep an interrupted attempt's best plan so far as a plan that can be published."""
    run = service.get_run(session, run_id=run_id)
    plan = service.keep_best_plan(session, run=run, attempt=attempt, user=user)
    session.commit()
    return redirect(request, f"/planning/runs/{run_id}",
                    flash=later("Plan %(plan)s kept from attempt %(attempt)s: review it, "
                                "then publish", plan=plan.id, attempt=attempt))


@router.post("/planning/plans/{plan_id}/publish")
def publish(
    request: Request, session: SessionDep, user: PlannerUser, plan_id: RowId,
    confirm: Annotated[list[str] | None, Form(max_length=64)] = None,
) -> Response:
    """Publish the plan: tasking orders go out to the units.

    Each published operation the plan drops or moves must be ticked (`confirm`).
    """
    plan = service.get_plan(session, plan_id=plan_id)
    counts = publish_plan(session, plan=plan, user=user, confirmed=set(confirm or []))
    session.commit()
    message = later("Plan %(plan)s published: %(issued)s new, %(amended)s amended, "
                    "%(cancelled)s cancelled tasking orders", plan=plan.id,
                    issued=counts["issued"], amended=counts["amended"],
                    cancelled=counts["cancelled"])
    target = f"/planning/runs/{plan.solver_run_id}" if plan.solver_run_id else "/planning"
    return redirect(request, target, flash=message)


@router.post("/planning/plans/{plan_id}/host-confirmations")
def ask_hosts(request: Request, session: SessionDep, user: PlannerUser, plan_id: RowId) -> Response:
    """Ask the host countries to confirm the foreign units this plan sends into them."""
    plan = service.get_plan(session, plan_id=plan_id)
    asked = consent.request_confirmations(session, plan=plan, user=user)
    session.commit()
    target = f"/planning/runs/{plan.solver_run_id}" if plan.solver_run_id else "/planning"
    return redirect(request, target, flash=later(
        "%(count)s host confirmation(s) requested", count=asked))


@router.get("/tasking")
def tasking_page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    unit: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    """A unit's upcoming deployments (your own unit unless you may choose another)."""
    units = viewable_units(session, user=user, unit_id=unit or None)
    deployments = upcoming(session, units=units, user=user)
    escorts = escort_duties(session, units=units, user=user)
    ctx = {"units": units, "deployments": deployments, "asked": unit, "escorts": escorts,
           "map_rows": table_rows(tasking_map(session, deployments=deployments,
                                              escorts=escorts))}
    return render(request, "tasking/index.html", ctx)


@router.get("/tasking/escort-order")
def escort_order_page(request: Request, session: SessionDep, user: CurrentUser,
                      unit: Annotated[str | None, Query(max_length=32)] = None) -> Response:
    """A unit's escort trips as printable orders: a TLP-labelled section per trip."""
    ctx = escort_order(session, user=user, unit_id=unit or None)
    return render(request, "tasking/escort_order.html", ctx | {"asked": unit})


@router.get("/tasking/{uid}/order")
def tasking_order_page(request: Request, session: SessionDep, user: CurrentUser,
                       uid: str) -> Response:
    """One printable tasking order: objective, times in every zone, route, who else."""
    return render(request, "tasking/order.html", tasking_order(session, user=user, uid=uid))
