"""Host confirmations for tests whose subject is not consent (tests/planning/
test_host_consent.py tests the confirmations themselves)."""

from __future__ import annotations

from sqlmodel import Session

from app.models import Decision, Plan, UnitConfirmation
from app.planning import consent
from app.solver.loader import load_plan


def confirm_hosts(session: Session, plan: Plan) -> None:
    """Record each host country's confirmation of the foreign units `plan` sends in."""
    for need in consent.foreign_units(session, load_plan(plan.document)):
        session.add(UnitConfirmation(operation_id=need.operation_id, country_code=need.country,
                                     unit_key=need.key, units=need.units,
                                     decision=Decision.approved))
    session.flush()
