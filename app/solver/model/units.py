"""Unit availability and one place at a time (rule 10): a no-overlap per unit.

Time outside the horizon, outside the unit's available windows, and already booked by
operations outside this model becomes fixed intervals in the unit's no-overlap, so a
busy interval can only lie inside the unit's free time.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from app.solver.instance import Interval

# Far enough outside the horizon that no trip can start before or end after it.
FAR = 10**7


def blocked_time(free: list[Interval]) -> list[Interval]:
    """The complement of sorted, disjoint free windows on (-FAR, FAR)."""
    blocked = []
    cursor = -FAR
    for a, b in free:
        if a > cursor:
            blocked.append((cursor, a))
        cursor = max(cursor, b)
    blocked.append((cursor, FAR))
    return blocked


def add_unit_no_overlap(
    model: cp_model.CpModel,
    unit: str,
    busy: list[cp_model.IntervalVar],
    free: list[Interval],
) -> None:
    """The unit's busy intervals lie in its free time and never overlap each other."""
    blocked = [
        model.new_fixed_size_interval_var(a, b - a, f"blocked[{unit},{a}]")
        for a, b in blocked_time(free)
    ]
    model.add_no_overlap(busy + blocked)
