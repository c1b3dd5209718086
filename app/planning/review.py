"""What the planner sees of a run: progress, the plan, its totals and changes."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from sqlmodel import Session

from app.config import get_settings
from app.i18n import current_language
from app.maps.features import table_rows
from app.maps.service import run_map
from app.models import Plan, RunStatus, SolverRun, User, utcnow
from app.planning import plan_checks
from app.planning.consent import foreign_units, plan_status
from app.planning.dwell import Dwell, foreign_dwell
from app.planning.guard import Disturbed, disturbed_operations
from app.planning.notice import short_notice
from app.planning.order_diff import OrderDiff, order_diff
from app.planning.scenario import parsed_plan, published_plan
from app.planning.service import (
    ACTIVE,
    best_so_far_attempt,
    interrupted_attempt,
    may_stop,
    plan_of_run,
    run_settings,
)
from app.planning.timeline import OperationPage, Timeline, build_timeline, page_of
from app.planning.visibility import (
    hidden_busy_units,
    ids_for,
    keep,
    plan_for,
    progress_for,
    visible_ids,
)
from app.revision import Derived
from app.solver.diff import diff_plans
from app.solver.loader import DocumentError, load_plan, load_scenario
from app.solver.schema import Objective, Scenario
from app.solver.schema import Plan as PlanDocument
from app.solver.validate import ValidationReport, validate_plan


@dataclass
class RunReview:
    """Everything the run page shows."""

    run: SolverRun
    active: bool
    progress: dict[str, Any]
    plan_row: Plan | None = None
    timeline: Timeline | None = None
    unscheduled: list[dict[str, Any]] = field(default_factory=list)
    totals: dict[str, Any] = field(default_factory=dict)
    changes: list[str] = field(default_factory=list)
    published: Plan | None = None
    # The run's time limit and seed (its parameters are read only to derive: see get_run).
    settings: dict[str, Any] = field(default_factory=dict)
    pinned: list[dict[str, str]] = field(default_factory=list)
    # Published operations this plan drops or moves (visible ones), and whether others.
    disturbed: list[Disturbed] = field(default_factory=list)
    disturbed_hidden: int = 0
    # What publishing this plan does to each order, by operation and unit (and the counts
    # publish_plan will report), for the operations the viewer may see.
    orders: OrderDiff | None = None
    # Each (operation, host) the plan sends foreign units into, and its confirmation.
    host_units: list[dict[str, Any]] = field(default_factory=list)
    # Each foreign unit's waits inside the host country, per tasking (app.planning.dwell).
    dwell: list[dict[str, Any]] = field(default_factory=list)
    dwell_limit_hours: float = 4.0
    # Scheduled operations whose H-hour comes soon after the solve: "id", "name", "lead".
    short_notice: list[dict[str, Any]] = field(default_factory=list)
    solve_start: str = ""  # where this solve's horizon started (now + notice)
    whole_board: bool = True  # the viewer sees every operation (and the board's figures)
    may_stop: bool = True
    # The plan's map as table rows (its text alternative), once the run has a plan.
    map_rows: list[dict[str, Any]] | None = None
    # The attempt whose best plan so far this is, when that attempt was interrupted.
    interrupted: int | None = None
    best_so_far: bool = False  # the plan shown is a best plan so far, not a finished one
    # The operations (by H-hour) the timeline and the map show: one page of them.
    page: OperationPage | None = None


def review_run(
    session: Session, *, run: SolverRun, user: User, revision: int | None = None,
    first: int = 0,
) -> RunReview:
    """The run's progress and, once it has a plan, the timeline, totals and changes.

    Only the operations the user may see are shown (see app.planning.visibility).
    `revision`: the board's (app.revision.current, read before the run was): what the
    page derives from the plan and the whole board is kept under it, per run, status,
    viewer's operations and language, and derived again only when the board changed.
    `first`: the page of operations (by H-hour) the timeline and the map show.
    """
    ids = visible_ids(session, user=user)
    review = RunReview(run, run.status in ACTIVE, progress_for(ids, run.progress))
    review.whole_board = ids is None
    review.may_stop = may_stop(session, run=run, user=user)
    review.published = published_plan(session)
    review.settings = run_settings(session, [run]).get(int(run.id or 0), {})
    # Every raid run is queued with its scenario (service.start_run): a run with a plan
    # has one, read only below when the parts are derived.
    if run.plan is None:
        return review
    review.best_so_far = best_so_far_attempt(run.plan) is not None
    review.interrupted = interrupted_attempt(run)
    review.plan_row = plan_of_run(session, run=run)
    busy = hidden_busy_units(session, ids)
    plan_id = review.plan_row.id if review.plan_row else None
    published_id = review.published.id if review.published else None
    # A run still working replaces its plan with a better one every few seconds; each
    # plan is derived once (planners keep opening the newest run while it works).
    mark = _plan_mark(run.plan) if review.active else None
    whole = _WHOLE.get(0, (run.id, str(run.status), mark, plan_id, published_id),
                       lambda: _whole_run(run, review.plan_row, review.published))
    # What is derived for the viewer depends on the operations they may see among those
    # the run and the published plan name, not on the rest (drafts come and go).
    named = None if ids is None else ids & whole.named
    run_key = (
        run.id, str(run.status), mark, None if named is None else frozenset(named),
        frozenset(busy), plan_id, published_id, current_language.get(), first)
    of_run = _OF_RUN.get(0, run_key, lambda: _run_parts(
        run, whole, run.plan or {}, named, busy, review.plan_row, first))
    # The board's parts read orders and operations beyond those named: kept per board
    # revision, which moves whenever the viewer's operations do.
    board_key = (*run_key, None if ids is None else frozenset(ids))
    of_board = _OF_BOARD.get(revision, board_key, lambda: _board_parts(
        session, run, of_run, ids, review.plan_row))
    for name, value in (of_run | of_board).items():
        if not name.startswith("_"):
            setattr(review, name, value)
    review.timeline = of_run["_timeline"].at(utcnow())
    if review.plan_row is not None and not review.plan_row.is_published:
        # Confirmations carry rows the page reads: always this session's.
        review.host_units = plan_status(session, of_run["_whole_plan"], ids=ids,
                                        needs=of_board.get("_host_needs"))
    return review


def _plan_mark(document: dict[str, Any]) -> str:
    """What tells the best plans so far of a working run apart: the worker stores a new
    one only when its objective is better (app.planning.worker `_better`), and the
    solver summary names the attempt that found it."""
    return json.dumps([document.get("objective"), document.get("solver")], sort_keys=True,
                      default=str)


@dataclass(frozen=True)
class _WholeRun:
    """A run's documents parsed and its plan checked, whoever views it: each viewer's
    parts are cut from these (parsing and validating the large board's plan took most of
    each viewer's first view, and every agency's planners open each new run)."""

    scenario: Scenario
    plan: PlanDocument
    report: ValidationReport  # the whole plan's, with each operation's objective
    # The published plan to compare with (None: nothing to compare, or `error` says why)
    # and its objective by operation against this run's scenario.
    published: PlanDocument | None = None
    published_report: ValidationReport | None = None
    error: str = ""
    # "nothing published", "published" (this run's plan is), or "compared".
    compared: str = "compared"
    # The operations the run pinned (from its parameters, which hold their assignments).
    pinned: tuple[str, ...] = ()
    # Every operation id the run's scenario, plan, pins and the published plan name: a
    # viewer's parts depend only on which of these they may see.
    named: frozenset[str] = frozenset()


# What the run review derives, kept between views (planners open the newest run's page
# again and again). From the run alone (its stored scenario and plan, and the published
# plan's document, none of which ever changes): kept until forgotten, the whole run's
# parsed documents and checks once for every viewer, each viewer's cut of them apart.
_WHOLE = Derived(size=8, max_age=3600)
_OF_RUN = Derived(size=32, max_age=3600)
# From the board as it is now (the order preview exports all of it, the map reads sites
# and units): kept per board revision (app/revision.py).
_OF_BOARD = Derived(size=32)


def _whole_run(run: SolverRun, plan_row: Plan | None, published: Plan | None) -> _WholeRun:
    """The run's scenario and plan parsed once and the plan validated once, whole; the
    published plan (parsed once per process: app.planning.scenario.parsed_plan) checked
    against this run's scenario, when the change list compares with it."""
    document = run.plan or {}
    scenario = load_scenario(run.scenario or {})
    # A 250-operation plan takes 0.1 s to validate: once, with each operation's part of
    # the objective, which a viewer's totals and change list add up for their operations.
    plan = load_plan(document)
    pinned = tuple(run.params.get("pinned", []))
    named = {op.id for op in scenario.operations} | set(pinned) | _named_in(document)
    # The worker checked the plan it stored: its parts are used while they are this plan's.
    report = plan_checks.plan_report(run.plan_checks, document) or validate_plan(scenario, plan)
    whole = _WholeRun(scenario, plan, report, pinned=pinned)
    if published is None:
        return replace(whole, named=frozenset(named), compared="nothing published")
    if plan_row is not None and plan_row.id == published.id:
        return replace(whole, named=frozenset(named), compared="published")
    try:
        earlier = parsed_plan(published)
    except (DocumentError, KeyError, ValueError) as exc:
        return replace(whole, named=frozenset(named), error=str(exc))
    named |= {op.id for op in earlier.operations} | {u.id for u in earlier.unscheduled}
    return replace(whole, named=frozenset(named), published=earlier,
                   published_report=validate_plan(scenario, earlier))


def _named_in(document: dict[str, Any]) -> set[str]:
    """The operation ids a plan document names: scheduled, unscheduled, and in the parts
    of its reasons."""
    named = {op["id"] for key in ("operations", "unscheduled") for op in document.get(key, [])}
    for entry in document.get("unscheduled", []):
        for parts in entry.get("details") or []:
            named |= {op_id for part in parts for op_id in part.get("operations", [])}
    return named


def _cut_scenario(scenario: Scenario, ids: set[str] | None) -> Scenario:
    """The parsed scenario with only the operations in `ids` (as scenario_for cuts the
    document), sharing its parts."""
    if ids is None:
        return scenario
    return scenario.model_copy(
        update={"operations": [op for op in scenario.operations if op.id in ids]})


def _cut_plan(
    whole: PlanDocument, document: dict[str, Any], ids: set[str] | None, busy: set[str]
) -> PlanDocument:
    """The parsed plan as plan_for cuts the document for the viewer: its operations
    those of `whole` in `ids` (not parsed again), the rest (the unscheduled operations'
    reasons as the viewer may read them, no objective or bound) parsed from the cut."""
    if ids is None:
        return whole
    cut = plan_for(ids, document, busy) or {}
    return load_plan({**cut, "operations": []}).model_copy(
        update={"operations": [op for op in whole.operations if op.id in ids]})


def _run_parts(
    run: SolverRun, whole: _WholeRun, document: dict[str, Any], ids: set[str] | None,
    busy: set[str], plan_row: Plan | None, first: int,
) -> dict[str, Any]:
    """What the review computes from the run's scenario and plan alone for a viewer who
    sees `ids` (None: all), as plain values (no rows of a session); parsed documents
    under names starting with "_"."""
    scenario = _cut_scenario(whole.scenario, ids)
    plan = _cut_plan(whole.plan, document, ids, busy)
    names = {op.id: op.name for op in scenario.operations}
    shown, page = page_of(plan, first)
    parts: dict[str, Any] = {"_whole_plan": whole.plan, "_scenario": scenario, "_shown": shown,
                             "page": page, "_timeline": build_timeline(scenario, shown)}
    parts["unscheduled"] = [
        {"id": u.id, "name": names.get(u.id, u.id), "reasons": u.reasons}
        for u in plan.unscheduled
    ]
    # When the solve was asked for: its horizon started at that moment plus the notice.
    solved_at = run.created_at
    # Pinned operations kept the times they were published with: not this solve's notice.
    kept = set(whole.pinned)
    parts["short_notice"] = [
        {"id": op.id, "name": names.get(op.id, op.id), "lead": op.start - solved_at}
        for op in plan.operations if op.id not in kept and short_notice(op.start, solved_at)
    ]
    parts["solve_start"] = scenario.horizon.start.strftime("%Y-%m-%d %H:%MZ")
    limit_hours = get_settings().foreign_dwell_limit_hours
    parts["dwell_limit_hours"] = limit_hours
    parts["dwell"] = dwell_rows(scenario, plan, timedelta(hours=limit_hours))
    pinned = set(ids_for(ids, list(whole.pinned)))
    parts["pinned"] = [{"id": op_id, "name": names.get(op_id, op_id)} for op_id in sorted(pinned)]
    # What validating the viewer's cut of the plan against their cut of the scenario
    # recomputes: each operation's part depends on it alone.
    objective = whole.report.objective_of(ids)
    parts["totals"] = {
        "priority": objective.priority,
        # The bound covers the whole board: shown only to those who see all of it.
        "bound": (plan.solver.priority_bound if plan.solver and ids is None else None),
        "travel_minutes": objective.travel_minutes,
        "scheduled": len(plan.operations),
        "operations": len(scenario.operations),
        "solver_status": plan.solver.status if plan.solver else "",
    }
    parts["changes"] = _changes(scenario, whole, plan_row=plan_row, plan=plan, ids=ids,
                                objective=objective)
    return parts


def _board_parts(
    session: Session, run: SolverRun, of_run: dict[str, Any], ids: set[str] | None,
    plan_row: Plan | None,
) -> dict[str, Any]:
    """What the review computes from the run's plan and the board as it is now: the map's
    table (sites and units as they are), and what publishing would do to the orders."""
    parts: dict[str, Any] = {"map_rows": table_rows(run_map(
        session, run=run, scenario=of_run["_scenario"], plan=of_run["_shown"]))}
    if plan_row is not None and not plan_row.is_published:
        # plan_of_run's row holds the run's plan itself: _whole_plan is its document.
        whole_plan = of_run["_whole_plan"]
        disturbed = disturbed_operations(session, whole_plan)
        parts["disturbed"] = [d for d in disturbed if keep(ids, d.id)]
        parts["disturbed_hidden"] = len(disturbed) - len(parts["disturbed"])
        parts["orders"] = order_diff(session, whole_plan, ids=ids, disturbed=parts["disturbed"])
        # Which foreign units the plan sends into which hosts (sites, units and agencies
        # as they are); the hosts' confirmations are read at every view.
        parts["_host_needs"] = foreign_units(session, whole_plan, ids=ids)
    return parts


def dwell_rows(
    scenario: Scenario, plan: PlanDocument, limit: timedelta
) -> list[dict[str, Any]]:
    """Every tasking of the plan that crosses a border, with its waits in the host country
    (the longest first)."""
    operations = {op.id: op for op in scenario.operations}
    crossings = {c.id: c for c in scenario.crossings}
    callsigns = {u.id: u.callsign for u in scenario.units}
    rows = []
    for scheduled in plan.operations:
        known = operations.get(scheduled.id)
        end = scheduled.start + timedelta(minutes=known.duration_minutes if known else 0)
        for a in scheduled.assignments:
            crossing = crossings.get(a.crossing or "")
            if crossing is None:
                continue
            dwell: Dwell | None = foreign_dwell(
                cross_out=a.cross_out, cross_back=a.cross_back,
                transit_minutes=crossing.transit_minutes, start=scheduled.start, end=end,
                limit=limit)
            if dwell is None:
                continue
            rows.append({"operation": known.name if known else scheduled.id,
                         "operation_id": scheduled.id, "unit": callsigns.get(a.unit, a.unit),
                         "crossing": crossing.name, "dwell": dwell})
    return sorted(rows, key=lambda r: (-r["dwell"].total, r["operation_id"], r["unit"]))


def _changes(
    scenario: Scenario, whole: _WholeRun, *, plan_row: Plan | None, plan: PlanDocument,
    ids: set[str] | None, objective: Objective,
) -> list[str]:
    """The change list against the published plan (nothing published: everything is new)
    cut to the operations in `ids`; `objective`: `plan`'s (not validated again)."""
    if whole.compared == "nothing published":
        return ["no plan is published yet: every tasking of this plan would be new"]
    if whole.compared == "published":
        return ["this is the published plan"]
    if whole.published is None or whole.published_report is None:
        return [f"the published plan cannot be compared with this one: {whole.error}"]
    earlier = whole.published
    if ids is not None:
        earlier = earlier.model_copy(update={
            "operations": [op for op in earlier.operations if op.id in ids],
            "unscheduled": [u for u in earlier.unscheduled if u.id in ids]})
    try:
        return diff_plans(scenario, earlier, plan, objective_a=whole.published_report
                          .objective_of(ids), objective_b=objective).to_text().splitlines()
    except (KeyError, ValueError) as exc:
        return [f"the published plan cannot be compared with this one: {exc}"]


def run_summary(
    run: SolverRun, plan_row: Plan | None = None, ids: set[str] | None = None, *,
    stoppable: bool = True, busy: Collection[str] = (),
) -> dict[str, Any]:
    """The JSON form of a run (API), cut down to the operations in `ids` (None: all);
    `stoppable`: whether the viewer may stop it."""
    params = {k: v for k, v in run.params.items() if k != "fixed"}
    params["pinned"] = ids_for(ids, params.get("pinned", []))
    params["released"] = ids_for(ids, params.get("released", []))
    return {
        "id": run.id,
        "status": str(run.status),
        "params": params,
        "progress": progress_for(ids, run.progress),
        "error": run.error,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "heartbeat_at": run.heartbeat_at,
        "plan_id": plan_row.id if plan_row else None,
        "plan": plan_for(ids, run.plan, busy),
        "finished": run.status not in ACTIVE,
        "cancellable": stoppable and run.status in (RunStatus.queued, RunStatus.running),
    }
