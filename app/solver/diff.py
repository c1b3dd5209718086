"""What changed between two plans of one scenario, for people (text) and machines (JSON)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.solver.replan import count_changed_orders
from app.solver.schema import (
    Assignment,
    Objective,
    Plan,
    Scenario,
    ScheduledOperation,
    format_instant,
)
from app.solver.validate import validate_plan
from app.solver.wording import short_time


@dataclass(frozen=True)
class Retimed:
    operation: str
    old_start: datetime
    new_start: datetime


@dataclass(frozen=True)
class UnitSwap:
    operation: str
    site: str
    removed: list[str]
    added: list[str]


@dataclass(frozen=True)
class AssignmentRetimed:
    """A unit kept at a site whose movements (times or crossing) changed."""

    operation: str
    site: str
    unit: str
    old: Assignment
    new: Assignment


@dataclass
class PlanDiff:
    added: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    retimed: list[Retimed] = field(default_factory=list)
    swaps: list[UnitSwap] = field(default_factory=list)
    moved: list[AssignmentRetimed] = field(default_factory=list)
    objective_a: Objective = field(default_factory=lambda: Objective(priority=0, travel_minutes=0))
    objective_b: Objective = field(default_factory=lambda: Objective(priority=0, travel_minutes=0))
    changed_orders: int = 0

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.dropped or self.retimed or self.swaps or self.moved)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data; instants in UTC."""
        a, b = self.objective_a, self.objective_b
        return {
            "added": self.added,
            "dropped": self.dropped,
            "retimed": [
                {
                    "operation": r.operation,
                    "old_start": short_iso(r.old_start),
                    "new_start": short_iso(r.new_start),
                }
                for r in self.retimed
            ],
            "units_swapped": [
                {"operation": s.operation, "site": s.site, "removed": s.removed, "added": s.added}
                for s in self.swaps
            ],
            "assignments_retimed": [_moved_json(m) for m in self.moved],
            "objective": {
                "a": a.model_dump(),
                "b": b.model_dump(),
                "priority_change": b.priority - a.priority,
                "travel_change": b.travel_minutes - a.travel_minutes,
            },
            "changed_orders": self.changed_orders,
        }

    def to_text(self) -> str:
        """Lines for people, one change a line."""
        lines = [f"+ {op} added" for op in self.added]
        lines += [f"- {op} dropped" for op in self.dropped]
        lines += [
            f"~ {r.operation} re-timed: {short_time(r.old_start)} -> {short_time(r.new_start)}"
            for r in self.retimed
        ]
        for s in self.swaps:
            parts = [f"-{u}" for u in s.removed] + [f"+{u}" for u in s.added]
            lines.append(f"~ {s.operation} site {s.site}: units {' '.join(parts)}")
        for m in self.moved:
            lines.append(
                f"~ {m.operation} site {m.site} unit {m.unit}: "
                f"{_movement(m.old)} -> {_movement(m.new)}"
            )
        if self.unchanged:
            lines.append("no change in operations or assignments")
        a, b = self.objective_a, self.objective_b
        lines.append(
            f"objective: priority {a.priority} -> {b.priority} ({b.priority - a.priority:+d}), "
            f"travel {a.travel_minutes} -> {b.travel_minutes} min "
            f"({b.travel_minutes - a.travel_minutes:+d})"
        )
        lines.append(f"tasking orders changed: {self.changed_orders}")
        return "\n".join(lines)


def short_iso(value: datetime | None) -> str | None:
    """An optional instant as RFC 3339 UTC text."""
    return None if value is None else format_instant(value)


def _movement(a: Assignment) -> str:
    text = f"depart {short_time(a.depart)}, return {short_time(a.return_)}"
    if a.crossing and a.cross_out and a.cross_back:
        text += (
            f" via {a.crossing} (out {short_time(a.cross_out)}, back {short_time(a.cross_back)})"
        )
    return text


def _moved_json(m: AssignmentRetimed) -> dict[str, Any]:
    def times(a: Assignment) -> dict[str, Any]:
        return {
            "depart": short_iso(a.depart),
            "return": short_iso(a.return_),
            "crossing": a.crossing,
            "cross_out": short_iso(a.cross_out),
            "cross_back": short_iso(a.cross_back),
        }

    return {
        "operation": m.operation,
        "site": m.site,
        "unit": m.unit,
        "old": times(m.old),
        "new": times(m.new),
    }


def diff_plans(
    scenario: Scenario, a: Plan, b: Plan, *, objective_a: Objective | None = None,
    objective_b: Objective | None = None,
) -> PlanDiff:
    """Operations added, dropped and re-timed, units swapped and moved, objective change.

    `objective_a`, `objective_b`: `a`'s and `b`'s objectives when the caller validated
    them against `scenario` already (the run review does: validating a 250-operation
    plan is its dearest step).
    """
    old = {op.id: op for op in a.operations}
    new = {op.id: op for op in b.operations}
    result = PlanDiff(
        added=[op_id for op_id in new if op_id not in old],
        dropped=[op_id for op_id in old if op_id not in new],
        objective_a=objective_a or validate_plan(scenario, a).objective,
        objective_b=objective_b or validate_plan(scenario, b).objective,
        changed_orders=count_changed_orders(a, b),
    )
    for op_id in (op_id for op_id in old if op_id in new):
        before, after = old[op_id], new[op_id]
        if before.start != after.start:
            result.retimed.append(Retimed(op_id, before.start, after.start))
        _compare_sites(result, before, after)
    return result


def _compare_sites(result: PlanDiff, before: ScheduledOperation, after: ScheduledOperation) -> None:
    """Units removed and added per site, and kept units whose movements changed."""
    old = {(a.site, a.unit): a for a in before.assignments}
    new = {(a.site, a.unit): a for a in after.assignments}
    sites = sorted({site for site, _ in old} | {site for site, _ in new})
    for site in sites:
        removed = sorted(u for s, u in old if s == site and (s, u) not in new)
        added = sorted(u for s, u in new if s == site and (s, u) not in old)
        if removed or added:
            result.swaps.append(UnitSwap(before.id, site, removed, added))
    for key in sorted(old.keys() & new.keys()):
        o, n = old[key], new[key]
        if (o.depart, o.return_, o.crossing, o.cross_out, o.cross_back) != (
            n.depart,
            n.return_,
            n.crossing,
            n.cross_out,
            n.cross_back,
        ):
            result.moved.append(AssignmentRetimed(before.id, key[0], key[1], o, n))
