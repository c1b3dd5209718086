"""JSON API of host confirmations of foreign units (app/planning/consent.py): the planner
asks the hosts, a host's liaison lists and decides what waits for its country."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.db import SessionDep
from app.deps import PlannerUser, RowId, VisibleOperation
from app.models import Decision
from app.operations.views import BoardUser
from app.planning import consent, service

router = APIRouter(prefix="/api/v1", tags=["planning API"], responses={
    401: {"description": "Not signed in"}, 403: {"description": "Not allowed"}})


class ConfirmationOut(BaseModel):
    """One request to a host country: the foreign units, and its answer (None: pending)."""

    id: int
    operation_id: str
    country_code: str
    units: list[dict[str, Any]]
    decision: Decision | None
    reason: str | None
    requested_at: datetime
    decided_at: datetime | None


class UnitDecisionIn(BaseModel):
    decision: Decision
    reason: str = Field(default="", max_length=2000,
                        description="needed to decline; an approval has none")


def _out(row: Any) -> ConfirmationOut:
    return ConfirmationOut(
        id=row.id, operation_id=row.operation_id, country_code=row.country_code,
        units=row.units, decision=row.decision, reason=row.reason,
        requested_at=row.requested_at, decided_at=row.decided_at)


@router.post("/plans/{plan_id}/host-confirmations", summary="Ask the hosts to confirm the "
             "foreign units of a plan", responses={404: {"description": "No such plan"}})
def ask_hosts(plan_id: RowId, session: SessionDep, user: PlannerUser) -> dict[str, int]:
    """Requests each host's confirmation where none of this unit set is given or pending."""
    asked = consent.request_confirmations(
        session, plan=service.get_plan(session, plan_id=plan_id), user=user)
    session.commit()
    return {"requested": asked}


@router.get("/unit-confirmations", response_model=list[ConfirmationOut],
            summary="List the foreign units waiting for my country's confirmation")
def pending(session: SessionDep, user: BoardUser) -> list[ConfirmationOut]:
    """Pending requests of the caller's country (every country for administrators)."""
    return [_out(item["row"]) for item in consent.pending_for(session, user=user)]


@router.post("/operations/{operation_id}/unit-confirmations/{confirmation_id}",
             response_model=ConfirmationOut, summary="Confirm or decline the foreign units",
             responses={404: {"description": "No such operation or request"},
                        409: {"description": "Already decided"},
                        422: {"description": "A decline without a reason"}})
def decide(confirmation_id: RowId, session: SessionDep, user: BoardUser,
           operation: VisibleOperation, body: UnitDecisionIn) -> ConfirmationOut:
    """The host's answer to one request (a decline needs a reason)."""
    row = consent.decide(session, operation=operation, confirmation_id=confirmation_id,
                         user=user, decision=body.decision, reason=body.reason)
    out = _out(row)
    session.commit()
    return out
