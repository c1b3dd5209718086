"""Need-to-know for planning: what of a run, plan or scenario a user may see.

The solver plans the whole board (units are shared, so a partial solve would double-book
them), but what a planner reads is cut down to the operations the need-to-know rule of
app.access lets them see: lists, plans, exports and taskings never name the others.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col

from app.access import sees_whole_board, visible_operations_query
from app.models import Operation, User


def visible_ids(session: Session, *, user: User) -> set[str] | None:
    """The operation ids this user may see; None means all (administrators, coordinators)."""
    if sees_whole_board(user):
        return None
    query = visible_operations_query(user).with_only_columns(col(Operation.id))
    return set(session.exec(query).all())  # type: ignore[call-overload]


def keep(ids: set[str] | None, op_id: str) -> bool:
    return ids is None or op_id in ids


# What of a run's progress report is not a figure of the whole board.
PRIVATE_PROGRESS = ("elapsed", "solver_status")


def progress_for(ids: set[str] | None, progress: dict[str, Any] | None) -> dict[str, Any]:
    """A run's progress: priority, bound, gap and travel count every agency's operations,
    so only those who see the whole board get them; others get the elapsed time."""
    progress = dict(progress or {})
    if ids is None:
        return progress
    return {k: v for k, v in progress.items() if k in PRIVATE_PROGRESS}


def plan_for(ids: set[str] | None, document: dict[str, Any] | None) -> dict[str, Any] | None:
    """A plan document cut down to the visible operations (still a valid sub-plan)."""
    if document is None or ids is None:
        return document
    cut = dict(document)
    cut["operations"] = [op for op in document.get("operations", []) if op["id"] in ids]
    cut["unscheduled"] = [u for u in document.get("unscheduled", []) if u["id"] in ids]
    cut.pop("objective", None)  # the whole board's totals would hint at the hidden part
    if isinstance(document.get("solver"), dict):
        # So would the bound of the priority of the whole board.
        cut["solver"] = {k: v for k, v in document["solver"].items() if k != "priority_bound"}
    return cut


def scenario_for(ids: set[str] | None, document: dict[str, Any]) -> dict[str, Any]:
    """A scenario document with only the visible operations."""
    if ids is None:
        return document
    return {**document, "operations": [op for op in document["operations"] if op["id"] in ids]}


def ids_for(ids: set[str] | None, values: list[str]) -> list[str]:
    return [v for v in values if keep(ids, v)]
