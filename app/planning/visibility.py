"""Need-to-know for planning: what of a run, plan or scenario a user may see.

The solver plans the whole board (units are shared, so a partial solve would double-book
them), but what a planner reads is cut down to the operations the need-to-know rule of
app.access lets them see: lists, plans, exports and taskings never name the others.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from typing import Any

from sqlmodel import Session, col, select

from app.access import sees_whole_board, visible_operations_query
from app.i18n import later
from app.models import Operation, Tasking, User
from app.solver.diagnose import HIDDEN_OPERATION

# A reason of a plan stored before reasons had parts, naming an operation the reader may
# not see: nothing of it is shown.
WITHHELD = f"the reason names {HIDDEN_OPERATION}: ask the coordination centre"
# A reason quoting the available time of a unit that a hidden operation has had.
WITHHELD_AVAILABILITY = (f"a unit it needs is not available at the hours it needs (its time "
                         f"is partly taken by {HIDDEN_OPERATION})")


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


def hidden_busy_units(session: Session, ids: set[str] | None) -> set[str]:
    """Units that have (or had) an order in an operation the reader may not see.

    A unit's availability in a run's scenario has the deployments of operations outside
    the solve cut out, and a reason quoting its windows would tell when a hidden
    operation has it (see WITHHELD_AVAILABILITY).
    """
    if ids is None:
        return set()
    query = select(Tasking.unit_id).where(col(Tasking.operation_id).not_in(ids)).distinct()
    return set(session.exec(query).all())


def plan_for(
    ids: set[str] | None, document: dict[str, Any] | None, busy: Collection[str] = ()
) -> dict[str, Any] | None:
    """A plan document cut down to the visible operations (still a valid sub-plan);
    `busy`: the units whose availability windows the reader may not be shown."""
    if document is None or ids is None:
        return document
    cut = dict(document)
    every = {op["id"] for key in ("operations", "unscheduled") for op in document.get(key, [])}
    hidden = every - ids
    cut["operations"] = [op for op in document.get("operations", []) if op["id"] in ids]
    cut["unscheduled"] = [_unscheduled_for(ids, hidden, u, busy)
                          for u in document.get("unscheduled", []) if u["id"] in ids]
    cut.pop("objective", None)  # the whole board's totals would hint at the hidden part
    if isinstance(document.get("solver"), dict):
        # So would the bound of the priority of the whole board.
        cut["solver"] = {k: v for k, v in document["solver"].items() if k != "priority_bound"}
    return cut


def _unscheduled_for(
    ids: set[str], hidden: set[str], entry: dict[str, Any], busy: Collection[str]
) -> dict[str, Any]:
    """An unscheduled operation's reasons as this reader may read them."""
    details = entry.get("details")
    if details:
        reasons = [render_reason(parts, ids) for parts in details]
    else:
        reasons = [WITHHELD if names_any(r, hidden) else r for r in entry.get("reasons", [])]
    return {"id": entry["id"], "reasons": [_without_windows(r, busy) for r in reasons]}


def _without_windows(reason: str, busy: Collection[str]) -> str:
    """The reason, or WITHHELD_AVAILABILITY (after its site label) when it quotes the
    available time of a unit a hidden operation has had."""
    quoted = any(re.search(rf"(?<![\w-]){re.escape(unit)} (?:available|never available)",
                           reason) for unit in busy)
    if not quoted:
        return reason
    label, separator, _ = reason.partition(": ")
    prefix = f"{label}{separator}" if reason.startswith("site ") and separator else ""
    return prefix + WITHHELD_AVAILABILITY


def render_reason(parts: Iterable[dict[str, Any]], ids: set[str] | None) -> str:
    """A reason's parts joined, those about an operation the reader may not see replaced
    by their `hidden` text (each such text once: two hidden operations read as one)."""
    pieces: list[str] = []
    said: set[str] = set()
    for part in parts:
        if ids is None or all(op_id in ids for op_id in part.get("operations", [])):
            pieces.append(part["text"])
            continue
        hidden = part.get("hidden", "")
        key = hidden.lstrip(", ;")
        if key and key in said:
            continue
        said.add(key)
        pieces.append(hidden)
    return "".join(pieces)


def names_any(text: str, op_ids: Collection[str]) -> bool:
    """Whether the text names one of the operations (as a whole id)."""
    return any(re.search(rf"(?<![\w-]){re.escape(op_id)}(?![\w-])", text) for op_id in op_ids)


# HIDDEN_OPERATION's words, whole, so that each language can word the sentence.
_HIDDEN_PROBLEM = later("an operation you may not see no longer fits the board or clashes "
                        "with this plan")
assert _HIDDEN_PROBLEM.startswith(HIDDEN_OPERATION)  # noqa: S101


def violations_for(
    ids: set[str] | None, all_ids: Collection[str], problems: list[dict[str, str]]
) -> list[dict[str, str]]:
    """Publish-refusal problems ({path: operation, message}) as this reader may read them:
    one about, or naming, an operation they may not see says only that such an operation
    no longer fits (not its site, unit or times)."""
    if ids is None:
        return problems
    hidden = set(all_ids) - ids
    shown: list[dict[str, str]] = []
    for problem in problems:
        if problem["path"] in hidden or names_any(problem["message"], hidden):
            problem = {"path": "", "message": _HIDDEN_PROBLEM}
            if problem in shown:
                continue
        shown.append(problem)
    return shown


def scenario_for(ids: set[str] | None, document: dict[str, Any]) -> dict[str, Any]:
    """A scenario document with only the visible operations."""
    if ids is None:
        return document
    return {**document, "operations": [op for op in document["operations"] if op["id"] in ids]}


def ids_for(ids: set[str] | None, values: list[str]) -> list[str]:
    return [v for v in values if keep(ids, v)]
