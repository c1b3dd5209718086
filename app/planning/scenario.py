"""The planning scenario of the board and the published plan's pinned operations."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from app import revision
from app.errors import Conflict
from app.i18n import N_
from app.models import Operation, OperationState, Plan, Tasking, TaskingStatus
from app.revision import Derived
from app.solver.intervals import subtract
from app.solver.loader import ScenarioError, load_plan, load_scenario
from app.solver.replan import still_valid_operations
from app.solver.schema import Plan as PlanDocument
from app.solver.schema import Scenario, ScheduledOperation, format_instant, parse_instant
from app.transfer.service import SCENARIO_STATES, export_scenario
from app.transfer.service import operation_document as operation_document

# Operations the solver plans: approved ones, and scheduled ones (already published,
# kept in place unless released). The same as the board export's, by definition.
PLANNED_STATES = SCENARIO_STATES


def planning_document(session: Session, *, ids: set[str] | None = None) -> dict[str, Any]:
    """The board as a jointops-scenario/1 document: approved and scheduled operations.

    The board export (`jointops export`, /admin/export.json) with the same operations,
    except that units still out on an operation outside the solve are unavailable then.
    `ids`: only those operations' deployments are cut out (None: all): a gap in a unit's
    availability tells when an operation uses it, so a reader sees only the gaps of the
    operations they may see. Accepted mutual-support offers for the campaign phases of its
    operations add their agreements (app/campaigns/offers.py).
    """
    from app.campaigns.offers import add_offer_agreements
    from app.planning.closures import apply_closures

    document = export_scenario(session)
    # Crossings closed in the horizon lose those hours (or leave the scenario).
    apply_closures(session, document)
    _block_busy_units(session, document, ids)
    add_offer_agreements(session, document)
    return document


def _block_busy_units(
    session: Session, document: dict[str, Any], ids: set[str] | None = None
) -> None:
    """Units still out on an operation outside the solve (executing...) are not available.

    Their active taskings' [depart, return) are cut out of the unit's `available` windows,
    so a new plan never sends a unit that is in the middle of a raid.
    """
    busy: dict[str, list[tuple[datetime, datetime]]] = {}
    query = (
        select(Tasking)
        .join(Operation, col(Operation.id) == Tasking.operation_id)
        .where(Tasking.status == TaskingStatus.active,
               col(Operation.state).not_in(PLANNED_STATES))
    )
    if ids is not None:
        query = query.where(col(Tasking.operation_id).in_(ids))
    for tasking in session.exec(query):
        busy.setdefault(tasking.unit_id, []).append((tasking.depart, tasking.return_at))
    horizon = (parse_instant(document["horizon"]["start"]),
               parse_instant(document["horizon"]["end"]))
    for unit in document["units"]:
        if unit["id"] in busy:
            unit["available"] = _subtract(unit.get("available"), busy[unit["id"]], horizon)


def _subtract(
    available: list[dict[str, str]] | None,
    busy: list[tuple[datetime, datetime]],
    horizon: tuple[datetime, datetime],
) -> list[dict[str, str]]:
    """Availability windows minus busy intervals, as scenario windows."""
    windows = ([horizon] if available is None else
               [(parse_instant(w["start"]), parse_instant(w["end"])) for w in available])
    windows = subtract(windows, busy)
    return [{"start": format_instant(a), "end": format_instant(b)} for a, b in windows]


def planning_scenario(session: Session) -> tuple[dict[str, Any], Scenario]:
    """The planning document and its checked scenario (409 if the board data is broken)."""
    document = planning_document(session)
    return document, _checked(document)


@dataclass(frozen=True)
class SolveBasis:
    """What a solve starts from: the planning document (the caller's own copy, free to
    change), its checked scenario (shared: never to be changed), and the document's JSON
    text, which keys what is derived from it."""

    document: dict[str, Any]
    scenario: Scenario
    text: str


# What starting a solve derives from the whole board. A new solve starts every few
# seconds under bench/load.py, and each export and check of the large board took about
# 55 ms of CPU, pinning 60 ms (ad hoc, 2026-12-04):
# - the whole board's planning document, as JSON text, per board revision: no export
#   while the board stands still (the cut documents of `planning_document(ids=...)` are
#   never kept here);
# - its checked scenario, and the published operations still valid in it, per text:
#   changes that leave the planned operations alone (a draft, a proposal, a sign-in)
#   move the revision, not the text. Both are pure functions of what keys them.
# Few entries: each holds tens of thousands of objects that every full garbage collection
# walks (ad hoc: a gen-2 collection took ~30 ms with 4 + 8 of them kept, ~4 ms before).
_BOARD_TEXT = Derived(size=2)
_CHECKED = Derived(size=2, max_age=3600)
_STILL_VALID = Derived(size=4, max_age=3600)


def solve_basis(session: Session) -> SolveBasis:
    """planning_scenario's document and scenario (409 if the board data is broken),
    derived again only when the board changed (app/revision.py)."""
    board_revision = revision.current_within(session)  # before the board is read
    built: list[dict[str, Any]] = []

    def build() -> str:
        built.append(planning_document(session))
        return json.dumps(built[0])

    text = _BOARD_TEXT.get(board_revision, "whole board", build)
    # Only the text is kept: a document just built is the caller's own already.
    document = built[0] if built else json.loads(text)
    scenario = _CHECKED.get(0, text, lambda: _checked(document))
    return SolveBasis(document, scenario, text)


def _checked(document: dict[str, Any]) -> Scenario:
    """The document's checked scenario, or 409 listing the first problems."""
    try:
        return load_scenario(document)
    except ScenarioError as exc:
        problems = [{"path": p.path, "message": p.message} for p in exc.problems[:20]]
        error = Conflict(N_("The board's data does not form a valid scenario; fix it before "
                            "solving"))
        error.details = problems
        raise error from None


def published_plan(session: Session) -> Plan | None:
    """The plan currently published, if any; its document is read when first used (most
    pages need only its id, and the large board's is 250 KB of JSON)."""
    return session.exec(
        select(Plan).options(defer(Plan.document))  # type: ignore[arg-type]
        .where(col(Plan.is_published).is_(True)).order_by(col(Plan.id).desc())
    ).first()


def pinned_operations(
    session: Session, scenario: Scenario, released: set[str]
) -> list[ScheduledOperation]:
    """Published operations that keep their start and units: still valid and not released."""
    published = published_plan(session)
    if published is None:
        return []
    return still_valid_operations(scenario, _candidates(session, scenario, released, published))


def pinned_for_solve(
    session: Session, basis: SolveBasis, released: set[str], published: Plan | None
) -> tuple[list[ScheduledOperation], list[dict[str, Any]]]:
    """pinned_operations of the basis against the published plan, and their documents
    (the caller's own copies); the check and the documents are kept per basis text,
    plan and candidates. The operations are shared: never to be changed."""
    if published is None:
        return [], []
    earlier = _candidates(session, basis.scenario, released, published)

    def check() -> tuple[list[ScheduledOperation], str]:
        kept = still_valid_operations(basis.scenario, earlier)
        return kept, json.dumps([op.model_dump(mode="json", by_alias=True) for op in kept])

    key = (basis.text, published.id, tuple(op.id for op in earlier.operations))
    fixed, text = _STILL_VALID.get(0, key, check)
    return list(fixed), json.loads(text)


def _candidates(
    session: Session, scenario: Scenario, released: set[str], published: Plan
) -> PlanDocument:
    """The published plan's operations that the scenario holds, not released, and still
    scheduled on the board: those that may be pinned if still valid."""
    # Parsed once per process: every solve started pins against the same published plan.
    earlier = parsed_plan(published)
    scheduled_ids = {op.id for op in scenario.operations} - released
    kept = [op for op in earlier.operations if op.id in scheduled_ids]
    candidates = session.exec(
        select(Operation.id).where(
            col(Operation.id).in_([op.id for op in kept]),
            Operation.state == OperationState.scheduled,
        )
    ).all()
    pinnable = set(candidates)
    return earlier.model_copy(update={"operations": [op for op in kept if op.id in pinnable]})


@dataclass(frozen=True)
class PlanSummary:
    """What the planning page shows of a plan: each scheduled operation's H-hour, how many
    were left unscheduled, and the objective."""

    starts: dict[str, str]
    unscheduled: int
    objective: dict[str, Any] | None


# By plan id: its summary, and its parsed document (pinning). A plan's document never
# changes once stored, and decoding it (250 KB of JSON on the large board) at every view
# was a third of the planning page's CPU in an ad hoc profile of bench/load.py, and
# parsing it again a sixth of starting each solve.
_SUMMARIES = Derived(size=8)
_PARSED = Derived(size=4)


def parsed_plan(plan: Plan) -> PlanDocument:
    """The plan's document parsed, once per process (pinning each new solve against the
    published plan, and each new run's change list on the run page, share it): callers
    must not change it. Raises what load_plan raises."""
    return _PARSED.get(0, plan.id, lambda: load_plan(plan.document))


def plan_summary(plan: Plan) -> PlanSummary:
    """The plan's summary, its document decoded once per process."""
    def summarise() -> PlanSummary:
        document = plan.document
        return PlanSummary({op["id"]: op["start"] for op in document.get("operations", [])},
                           len(document.get("unscheduled", [])), document.get("objective"))
    return _SUMMARIES.get(0, plan.id, summarise)


def pinnable_operations(session: Session, *, ids: set[str] | None) -> list[dict[str, Any]]:
    """The published plan's operations still scheduled (among `ids`, None: all)."""
    published = published_plan(session)
    if published is None:
        return []
    every_start = plan_summary(published).starts
    starts = {op_id: start for op_id, start in every_start.items()
              if ids is None or op_id in ids}
    operations = session.exec(
        select(Operation.id, Operation.code_name)
        .where(col(Operation.id).in_(list(starts)), Operation.state == OperationState.scheduled)
        .order_by(col(Operation.id))
    ).all()
    return [{"id": op_id, "code_name": code_name, "start": starts[op_id]}
            for op_id, code_name in operations]
