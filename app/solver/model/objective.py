"""The lexicographic objective: priority first, then travel minutes."""

from __future__ import annotations

from ortools.sat.python import cp_model

from app.solver.model.travel import TripVars
from app.solver.model.windows import OperationVars


def priority_expr(operations: dict[str, OperationVars]) -> cp_model.LinearExpr:
    """Sum of priorities of the scheduled operations."""
    return cp_model.LinearExpr.weighted_sum(
        [o.is_scheduled for o in operations.values()],
        [o.operation.priority for o in operations.values()],
    )


def travel_expr(trips: list[TripVars]) -> cp_model.LinearExpr:
    """Sum of route travel minutes of the chosen trips."""
    return cp_model.LinearExpr.weighted_sum(
        [t.is_chosen for t in trips], [t.route.travel for t in trips]
    )


def travel_upper_bound(trips: list[TripVars]) -> int:
    """A travel total no solution can exceed: every candidate on its longest route."""
    longest: dict[tuple[str, str], int] = {}
    for trip in trips:
        key = (trip.candidate.unit, trip.candidate.site)
        longest[key] = max(longest.get(key, 0), trip.route.travel)
    return sum(longest.values())
