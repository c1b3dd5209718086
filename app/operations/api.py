"""JSON API of operations, approvals and units under /api/v1 (same rules as the pages).

Invisible operations are 404, as on the pages; a stale `version` is 409. Units: planners
and administrators see every unit (they plan with all of them), everybody else only the
units of their own agency.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse
from sqlmodel import Session, col, select

from app import idempotency
from app.db import SessionDep
from app.deps import VisibleOperation
from app.idempotency import IdempotencyKey
from app.models import Approval, ApprovalKind, Operation, Region, UnitPublic, User
from app.operations import cordons, queries, service
from app.operations import permissions as perm
from app.operations.schemas import (
    ApprovalOut,
    DecisionIn,
    OperationCreateIn,
    OperationOut,
    OperationPatch,
    OperationSummary,
    PendingOut,
    RequirementOut,
    SiteOut,
    StepIn,
    apply_priority_level,
)
from app.operations.views import BoardUser, Filters

router = APIRouter(
    prefix="/api/v1",
    tags=["operations API"],
    responses={401: {"description": "Not signed in"},
               403: {"description": "Not an administrator, planner or liaison officer"}},
)
# Every step names the version it acts on (422 without it): an approver approves what
# they read, an abort or a step does not land on content changed since.
Step = Annotated[StepIn, Body()]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such operation, or not for your eyes"}}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "Changed by someone else since you read it, or in the wrong state"},
    **NOT_FOUND}


def _forbidden(who: str) -> dict[int | str, dict[str, Any]]:
    """A 403 that says who may do it (a missing CSRF token is 403 too)."""
    return {403: {"description": f"{who} (or the CSRF token is missing)"}}


def _out(
    session: Session, operation: Operation, *, fresh: bool = False,
    decisions: dict[tuple[str, ApprovalKind], Approval] | None = None,
) -> OperationOut:
    """The operation as answered, read in the write transaction, before its commit.

    On SQLite that transaction holds the write lock, and every query in it lets the
    other writers wait longer (bench/load_sqlite.py): `fresh` when the operation was just
    read back in this transaction, `decisions` when the caller knows them (a new or
    just proposed operation has none), and the host countries come from the sites'
    regions read here anyway (perm.host_countries asks the database again).
    """
    if not fresh:
        session.refresh(operation)
    countries = dict(session.exec(select(Region.id, Region.country_code).where(
        col(Region.id).in_([s.region_id for s in operation.sites]))).all())
    done = perm.decided(session, operation.id) if decisions is None else decisions
    names = queries.names(session, [row.user_id for row in done.values()])
    hosts = sorted(set(countries.values()))
    approvals = [_approval(c, kind, done.get((c, kind)), names)
                 for c in hosts for kind in perm.required_kinds(operation)]
    sites = [SiteOut(id=s.id, region_id=s.region_id, country_code=countries.get(s.region_id, ""),
                     objective=s.objective, min_personnel=s.min_personnel, lat=s.lat, lon=s.lon,
                     requirements=[RequirementOut(capability=r.capability, count=r.count)
                                   for r in s.requirements])
             for s in operation.sites]
    return OperationOut.model_validate(
        operation, update={"host_countries": hosts, "sites": sites, "approvals": approvals,
                           "cordon": cordons.as_input(operation)})


def _committed(session: Session, out: OperationOut) -> OperationOut:
    """Commit, then answer with what was written: nothing is read after the commit, so a
    saved change is never reported as a failure (a read failing there once gave a 500
    for a saved write, and the client's retry made a duplicate)."""
    session.commit()
    return out


def _approval(country: str, kind: Any, row: Approval | None, names: dict[int, str]) -> ApprovalOut:
    if row is None:
        return ApprovalOut(country_code=country, kind=kind, decision=None)
    return ApprovalOut(country_code=country, kind=kind, decision=row.decision, at=row.at,
                       by=names.get(row.user_id or -1), reason=row.reason)


@router.get("/operations", response_model=list[OperationSummary],
            summary="List the operations I may see (board filters)")
def list_operations(
    session: SessionDep, user: BoardUser, filters: Filters
) -> list[OperationSummary]:
    """The operations the caller may see, filtered like the board (country, agency, ...)."""
    result = queries.board(session, user=user, filters=filters, capped=False)
    return [
        OperationSummary.model_validate(card.operation, update={"host_countries": card.countries})
        for cards in result["columns"].values() for card in cards
    ]


@router.post("/operations", response_model=OperationOut, status_code=201,
             summary="Create a draft operation",
             responses=_forbidden("Not an administrator or a liaison officer of the lead agency"))
def create_operation(
    session: SessionDep, user: BoardUser, body: OperationCreateIn,
    idempotency_key: IdempotencyKey = None,
) -> OperationOut | JSONResponse:
    """Create a draft; errors name the field path (422). With an `Idempotency-Key`, a
    retry gets the first response again (a different body with the key: 422)."""
    scope, sent = "POST /api/v1/operations", body.model_dump(mode="json")
    earlier = idempotency.replay(session, user=user, key=idempotency_key, scope=scope,
                                 body=sent)
    if earlier is not None:
        return earlier
    doc = body.model_dump(exclude={"priority_level"})
    apply_priority_level(doc, body.priority_level)
    doc["lead_agency_id"] = doc["lead_agency_id"] or user.agency_id
    data = service.validate(session, data=doc)
    operation = service.create(session, data=data, actor=user)
    out = _out(session, operation, fresh=True, decisions={})  # read back by create
    idempotency.remember(session, user=user, key=idempotency_key, scope=scope, body=sent,
                         status_code=201, response=out)
    return _committed(session, out)


@router.get("/operations/{operation_id}", response_model=OperationOut,
            summary="Read one operation with its sites and approvals", responses=NOT_FOUND)
def get_operation(
    session: SessionDep, user: BoardUser, operation: VisibleOperation
) -> OperationOut:
    """One operation with its sites and approvals."""
    return _out(session, operation)


@router.patch("/operations/{operation_id}", response_model=OperationOut,
             summary="Edit an operation (needs its current version)",
             responses={**CONFLICT,
                        **_forbidden("Not a liaison officer of the lead agency")})
def patch_operation(
    session: SessionDep, user: BoardUser, operation: VisibleOperation, body: OperationPatch
) -> OperationOut:
    """Change some fields; `version` is required and must be the current one (else 409)."""
    doc = service.as_input(operation)
    doc.update(body.model_dump(exclude_unset=True,
                               exclude={"version", "confirm_cancel", "priority_level"}))
    if body.priority_level is not None:
        # Checked against the weight the body gives, not the one stored.
        asked: dict[str, object] = {"priority": body.priority}
        apply_priority_level(asked, body.priority_level)
        doc["priority"] = asked["priority"]
    if body.sites is not None:
        doc["sites"] = [site.model_dump() for site in body.sites]
    data = service.validate(session, data=doc)
    service.update_operation(session, operation=operation, data=data, version=body.version,
                             actor=user, confirm_cancel=body.confirm_cancel)
    return _committed(session, _out(session, operation))


@router.post("/operations/{operation_id}/approvals", response_model=OperationOut,
             summary="Decide host-nation approval or foreign-unit consent",
             responses={**CONFLICT,
                        **_forbidden("You may not decide for this country on this operation")})
def decide(
    session: SessionDep, user: BoardUser, operation: VisibleOperation, body: DecisionIn
) -> OperationOut:
    """A host country's decision (country_code may be omitted by a one-country liaison)."""
    service.decide(session, operation=operation, actor=user, decision=body.decision,
                   kind=body.kind, country_code=body.country_code, reason=body.reason,
                   version=body.version)
    return _committed(session, _out(session, operation))


@router.post("/operations/{operation_id}/propose", response_model=OperationOut,
             summary="Propose a draft to its host countries",
             responses={**CONFLICT,
                        **_forbidden("Not a liaison officer of the lead agency")})
def propose(
    session: SessionDep, user: BoardUser, operation: VisibleOperation, body: Step
) -> OperationOut:
    """Send a draft to the host countries (`version` required)."""
    service.propose(session, operation=operation, actor=user, version=body.version)
    # A proposal starts a fresh round: every earlier decision was cleared.
    return _committed(session, _out(session, operation, decisions={}))


@router.post("/operations/{operation_id}/abort", response_model=OperationOut,
             summary="Abort an operation (reason required)",
             responses={**CONFLICT, **_forbidden(
                 "Not a planner or a liaison officer of the lead agency")})
def abort(
    session: SessionDep, user: BoardUser, operation: VisibleOperation, body: StepIn
) -> OperationOut:
    """Call the operation off; `reason` and `version` are required."""
    service.abort(session, operation=operation, actor=user, reason=body.reason or "",
                  version=body.version)
    return _committed(session, _out(session, operation))


@router.post("/operations/{operation_id}/execute", response_model=OperationOut,
             summary="Mark a scheduled operation executing",
             responses={**CONFLICT, **_forbidden(
                 "Not a planner or a liaison officer of the lead agency")})
def execute(
    session: SessionDep, user: BoardUser, operation: VisibleOperation, body: Step
) -> OperationOut:
    """Mark a scheduled operation executing."""
    return _advance(session, user, operation, "execute", body)


@router.post("/operations/{operation_id}/complete", response_model=OperationOut,
             summary="Mark an executing operation completed",
             responses={**CONFLICT, **_forbidden(
                 "Not a planner or a liaison officer of the lead agency")})
def complete(
    session: SessionDep, user: BoardUser, operation: VisibleOperation, body: Step
) -> OperationOut:
    """Mark an executing operation completed."""
    return _advance(session, user, operation, "complete", body)


def _advance(
    session: Session, user: User, operation: Operation, step: str, body: StepIn
) -> OperationOut:
    service.advance(session, operation=operation, actor=user, step=step, version=body.version)
    return _committed(session, _out(session, operation))


@router.get("/approvals", response_model=list[PendingOut],
            summary="List approvals waiting for my country")
def pending(session: SessionDep, user: BoardUser) -> list[PendingOut]:
    """Decisions waiting for the caller's country (every host country for administrators)."""
    return [
        PendingOut(operation_id=item["op"].id, code_name=item["op"].code_name,
                   version=item["op"].version, country_code=item["country"], kind=item["kind"])
        for item in queries.pending_for(session, user=user)
    ]


@router.get("/units", response_model=list[UnitPublic], summary="List units I may see")
def units(session: SessionDep, user: BoardUser) -> list[Any]:
    """Units the caller may see: all for planners and admins, else their agency's."""
    return list(queries.units_for(session, user=user))
