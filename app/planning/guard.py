"""Published operations a plan would drop or move, and the confirmation that publishing needs.

Units already hold orders for a published operation; a new plan that leaves it out cancels
every one of them, and one that shifts its H-hour amends them all. That must never happen
with an ordinary Publish click (issue 11: an import narrowed the horizon and the next
solve dropped three published operations unnoticed). The run page names each such
operation in red; publishing then needs an explicit confirmation naming each of them, and
the server refuses without it, listing them.

The published state is read from the active tasking orders, which are what the units
actually hold, not from the earlier plan document.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.errors import AppError
from app.i18n import N_, later
from app.models import Operation, OperationState, Tasking, TaskingStatus, Unit, User
from app.planning.visibility import visible_ids
from app.solver.schema import Plan as PlanDocument
from app.web import fmt_utc


@dataclass(frozen=True)
class Disturbed:
    """One published operation the plan drops or moves, with whose orders change."""

    id: str
    name: str
    kind: str  # "dropped" or "moved"
    h_hour: datetime
    new_h_hour: datetime | None
    orders: list[str] = field(default_factory=list)  # "RTP-K9-1 (TH-RTP)"

    def describe(self) -> str:
        """In English (the API); a page shows it in the reader's language."""
        values = {"operation": self.id, "name": self.name, "count": len(self.orders),
                  "orders": ", ".join(self.orders), "h_hour": fmt_utc(self.h_hour)}
        if self.kind == "dropped":
            return later("%(operation)s %(name)s: dropped; its %(count)s published tasking "
                         "order(s) are cancelled (%(orders)s); H-hour was %(h_hour)s", **values)
        return later("%(operation)s %(name)s: moved from H-hour %(h_hour)s to %(new_h_hour)s; "
                     "%(count)s published tasking order(s) are amended (%(orders)s)",
                     new_h_hour=fmt_utc(self.new_h_hour), **values)


def disturbed_operations(session: Session, document: PlanDocument) -> list[Disturbed]:
    """The scheduled operations with active orders that `document` drops or moves."""
    planned = {op.id: op.start for op in document.operations}
    # Columns, not entities: the run review calls this on every view, and loading every
    # active order of the board as three objects each took 0.4 s on the large sample.
    rows = session.execute(
        select(col(Tasking.operation_id), col(Tasking.start), col(Operation.code_name),
               col(Unit.callsign), col(Unit.agency_id))
        .join(Operation, col(Operation.id) == col(Tasking.operation_id))
        .join(Unit, col(Unit.id) == col(Tasking.unit_id))
        .where(col(Tasking.status) == TaskingStatus.active,
               col(Operation.state) == OperationState.scheduled)
        .order_by(col(Tasking.operation_id), col(Tasking.unit_id))
    ).all()
    found: dict[str, dict[str, Any]] = {}
    for operation_id, start, code_name, callsign, agency_id in rows:
        entry = found.setdefault(operation_id, {"name": code_name, "h_hour": start,
                                                "orders": []})
        entry["orders"].append(f"{callsign} ({agency_id})")
    disturbed = []
    for op_id, entry in found.items():
        if op_id not in planned:
            disturbed.append(Disturbed(op_id, entry["name"], "dropped", entry["h_hour"], None,
                                       entry["orders"]))
        elif planned[op_id] != entry["h_hour"]:
            disturbed.append(Disturbed(op_id, entry["name"], "moved", entry["h_hour"],
                                       planned[op_id], entry["orders"]))
    return disturbed


def check_confirmed(
    session: Session, document: PlanDocument, confirmed: Collection[str], *, user: User
) -> None:
    """Publishing's gate: every published operation the plan disturbs is confirmed."""
    disturbed = disturbed_operations(session, document)
    if disturbed:
        require_confirmation(disturbed, confirmed, visible=visible_ids(session, user=user))


def require_confirmation(
    disturbed: list[Disturbed], confirmed: Collection[str], *, visible: set[str] | None
) -> None:
    """Refuse (409) unless every disturbed operation is named in `confirmed`.

    Operations outside the user's need-to-know are counted, never named: a planner who
    may see them has to publish this plan.
    """
    hidden = [d for d in disturbed if visible is not None and d.id not in visible]
    missing = [d for d in disturbed if d not in hidden and d.id not in set(confirmed)]
    if not missing and not hidden:
        return
    details = [{"path": d.id, "message": d.describe()} for d in missing]
    if hidden:
        # Counted nowhere: how many hidden operations there are is itself not to be known.
        details.append({"path": "", "message": N_(
            "published operations you may not see would be dropped or moved; only the "
            "coordination centre may publish this plan")})
    raise AppError(later(
        "Not published: this plan drops or moves %(count)s published operation(s) you did "
        "not confirm. Confirm each one by name to publish it anyway", count=len(missing)),
        409, details=details)
