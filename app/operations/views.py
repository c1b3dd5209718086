"""HTML pages: the board, one operation, its workflow steps, and the approvals inbox."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import Response

from app import access
from app.campaigns import service as campaign_service
from app.db import SessionDep
from app.deps import CurrentUser, VisibleOperation, require_role
from app.errors import Forbidden, is_htmx
from app.i18n import gettext
from app.maps.features import table_rows
from app.maps.service import operation_map
from app.models import ApprovalKind, Decision, OperationState, Role, User
from app.operations import permissions as perm
from app.operations import queries, service
from app.planning import consent, tasking
from app.web import redirect, register_nav, render, state_label

router = APIRouter(tags=["operations"])
BOARD_ROLES = (Role.admin, Role.coordinator, Role.planner, Role.liaison)
BoardUser = Annotated[User, Depends(require_role(*BOARD_ROLES))]
register_nav("Board", "/board", {"admin", "coordinator", "planner", "liaison"}, order=10)
register_nav("Approvals", "/approvals", {"admin", "liaison"}, order=20)

# Required: a step acts on the version its page showed (a form without it is a 422).
Version = Annotated[int, Form()]
Reason = Annotated[str, Form(max_length=2000)]


def board_filters(
    country: Annotated[str | None, Query(max_length=2)] = None,
    agency: Annotated[str | None, Query(max_length=32)] = None,
    state: Annotated[str | None, Query(max_length=24)] = None,
    date_: Annotated[str | None, Query(alias="date", max_length=10)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> queries.BoardFilters:
    """Board filters from the query; unknown values are ignored rather than refused."""
    states = {s.value for s in OperationState}
    try:
        day = date.fromisoformat(date_) if date_ else None
    except ValueError:
        day = None
    return queries.BoardFilters(
        country=country or None, agency=agency or None,
        state=OperationState(state) if state in states else None, day=day,
        q=(q or "").strip() or None)


Filters = Annotated[queries.BoardFilters, Depends(board_filters)]


@router.get("/board")
def board_page(
    request: Request, session: SessionDep, user: BoardUser, filters: Filters
) -> Response:
    """The board: a column per state; htmx requests get only the columns."""
    ctx: dict[str, Any] = {
        **queries.board(session, user=user, filters=filters),
        **queries.filter_choices(session, user=user),
        "filters": filters, "query": filters.query_string(),
        "may_create": perm.may_create(user),
    }
    headers = {}
    if request.headers.get("HX-Trigger") == "board-filters":
        # The address bar gets the filters without the empty fields the form also sends.
        headers["HX-Push-Url"] = "/board" + (f"?{ctx['query']}" if ctx["query"] else "")
    return render(request, "board/board.html", ctx, block="columns", headers=headers)


@router.get("/operations/{operation_id}")
def operation_page(
    request: Request, session: SessionDep, user: CurrentUser,
    operation_id: Annotated[str, Path(max_length=32)],
) -> Response:
    """One operation: sites, window, approvals, deconfliction, taskings, history, actions.

    A unit officer gets the page of what their unit's live taskings need to know, and only
    while it holds one (404 otherwise, as for an operation that does not exist).
    """
    if user.role == Role.unit_officer:
        return _officer_page(request, session, user, operation_id)
    if user.role not in BOARD_ROLES:
        raise Forbidden()
    operation = access.get_visible_operation(session, user=user, operation_id=operation_id)
    ctx = queries.detail(session, user=user, operation=operation)
    ctx["actions"] = perm.allowed_actions(session, user, operation)
    # Approval is a second person's check: the forms are not offered to the authors.
    authored = user.id in perm.authors(session, operation)
    ctx["decide_for"] = [] if authored else perm.may_decide_for(session, user, operation)
    ctx["campaign_phase"] = campaign_service.phase_of(session, operation.id)
    ctx["map_rows"] = table_rows(operation_map(session, operation=operation))
    ctx["unit_confirmations"] = consent.for_operation(session, user=user, operation=operation)
    ctx["confirm_units"] = consent.pending_for(session, user=user, operation_id=operation.id)
    if operation.state == OperationState.approved:
        ctx["not_scheduled"] = queries.not_scheduled(session, operation=operation, user=user)
    return render(request, "operations/detail.html", ctx)


def _officer_page(
    request: Request, session: SessionDep, user: User, operation_id: str
) -> Response:
    operation, taskings = access.get_tasked_operation(
        session, user=user, operation_id=operation_id)
    ctx = {"op": operation,
           "orders": [(t, tasking.brief(session, tasking=t, operation=operation))
                      for t in taskings],
           "zones": tasking.operation_zones(session, operation.id)}
    return render(request, "operations/officer.html", ctx)


@router.get("/operations/{operation_id}/order")
def order_page(
    request: Request, session: SessionDep, user: BoardUser, operation: VisibleOperation
) -> Response:
    """The printable operation order (five paragraphs) and a tasking order per unit."""
    return render(request, "operations/order.html",
                  queries.order(session, user=user, operation=operation))


def _done(request: Request, operation_id: str, message: str) -> Response:
    return redirect(request, f"/operations/{operation_id}", flash=message)


@router.post("/operations/{operation_id}/propose")
def propose(
    request: Request, session: SessionDep, user: BoardUser, operation: VisibleOperation,
    version: Version,
) -> Response:
    """Send the draft to the host countries."""
    service.propose(session, operation=operation, actor=user, version=version)
    session.commit()
    return _done(request, operation.id, gettext("Proposed: waiting for the host countries."))


@router.post("/operations/{operation_id}/abort")
def abort(
    request: Request, session: SessionDep, user: BoardUser, operation: VisibleOperation,
    version: Version, reason: Reason = "",
) -> Response:
    """Call the operation off, with a reason."""
    service.abort(session, operation=operation, actor=user, reason=reason, version=version)
    session.commit()
    return _done(request, operation.id, gettext("Operation aborted."))


@router.post("/operations/{operation_id}/execute")
def execute(
    request: Request, session: SessionDep, user: BoardUser, operation: VisibleOperation,
    version: Version,
) -> Response:
    """Mark the scheduled operation as executing (go)."""
    service.advance(session, operation=operation, actor=user, step="execute", version=version)
    session.commit()
    return _done(request, operation.id, gettext("Operation marked executing."))


@router.post("/operations/{operation_id}/complete")
def complete(
    request: Request, session: SessionDep, user: BoardUser, operation: VisibleOperation,
    version: Version,
) -> Response:
    """Mark the executing operation as completed."""
    service.advance(session, operation=operation, actor=user, step="complete", version=version)
    session.commit()
    return _done(request, operation.id, gettext("Operation marked completed."))


@router.post("/operations/{operation_id}/approvals")
def decide(
    request: Request, session: SessionDep, user: BoardUser, operation: VisibleOperation,
    decision: Annotated[Decision, Form()], version: Version,
    kind: Annotated[ApprovalKind, Form()] = ApprovalKind.host,
    country_code: Annotated[str | None, Form(max_length=2)] = None, reason: Reason = "",
    back: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """A host country's decision; from the inbox (htmx) the inbox list comes back."""
    if decision == Decision.approved and reason.strip():
        # The approve form has no reason field: an approval carrying one came from a
        # decline typed into a page of the old layout, where Enter pressed Approve.
        raise service.InvalidOperation(
            {"reason": "an approval has no reason; to decline, press Decline"},
            "Not recorded: this approval carried a reason. To decline, press Decline.")
    service.decide(session, operation=operation, actor=user, decision=decision, kind=kind,
                   country_code=country_code or None, reason=reason, version=version)
    session.commit()
    message = gettext("%(operation)s: %(decision)s.") % {
        "operation": operation.code_name, "decision": state_label(decision)}
    if back == "inbox":
        if is_htmx(request):
            ctx = {"items": queries.pending_for(session, user=user), "notice": message}
            return render(request, "operations/approvals.html", ctx, block="inbox")
        return redirect(request, "/approvals", flash=message)
    return _done(request, operation.id, message)


@router.post("/operations/{operation_id}/unit-confirmations/{confirmation_id}")
def decide_units(
    request: Request, session: SessionDep, user: BoardUser, operation: VisibleOperation,
    confirmation_id: Annotated[int, Path(ge=1)], decision: Annotated[Decision, Form()],
    reason: Reason = "", back: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """A host country confirms or declines the actual foreign units a plan sends in."""
    consent.decide(session, operation=operation, confirmation_id=confirmation_id, user=user,
                   decision=decision, reason=reason)
    session.commit()
    message = gettext("%(operation)s: units %(decision)s.") % {
        "operation": operation.code_name, "decision": state_label(decision)}
    if back == "inbox":
        return redirect(request, "/approvals", flash=message)
    return _done(request, operation.id, message)


@router.get("/approvals")
def approvals_page(request: Request, session: SessionDep, user: BoardUser) -> Response:
    """Operations waiting for a decision of the user's country, and the foreign units
    that plans would send into it, waiting for the country's confirmation."""
    ctx = {"items": queries.pending_for(session, user=user),
           "confirm_units": consent.pending_for(session, user=user)}
    return render(request, "operations/approvals.html", ctx, block="inbox")
