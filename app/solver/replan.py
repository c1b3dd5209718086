"""Replanning after the scenario changed: which earlier orders still hold, what changed.

`--pin` keeps the still-valid operations of an earlier plan exactly (`fixed`); `--stable`
only prefers them (`preferred`), and the planner reports how many tasking orders changed.
"""

from __future__ import annotations

from datetime import datetime

from app.solver.schema import Assignment, Plan, Scenario, ScheduledOperation, Unscheduled
from app.solver.validate import OperationsChecker, validate_plan

# A tasking order as a unit receives it: where, as what, and when.
Order = tuple[str, str, datetime, datetime, datetime, str | None, datetime | None, datetime | None]


def sub_plan(scenario: Scenario, operations: list[ScheduledOperation]) -> Plan:
    """A complete plan of just these operations (all others listed as unscheduled)."""
    kept = {op.id for op in operations}
    return Plan(
        format="jointops-plan/1",
        scenario=scenario.name,
        operations=operations,
        unscheduled=[
            Unscheduled(id=op.id, reasons=[]) for op in scenario.operations if op.id not in kept
        ],
    )


def still_valid_operations(scenario: Scenario, earlier: Plan) -> list[ScheduledOperation]:
    """The earlier plan's operations that are valid now, alone and all together.

    Each operation is first checked alone (at its start, with its units). When the
    survivors conflict (a unit now unavailable elsewhere, a lane less), the one of
    lowest priority named by a violation is dropped until the rest is valid.
    """
    known = {op.id: op for op in scenario.operations}
    checker = OperationsChecker(scenario)
    seen: set[str] = set()
    kept = []
    for scheduled in earlier.operations:
        if scheduled.id in known and scheduled.id not in seen and checker.valid([scheduled]):
            kept.append(scheduled)
            seen.add(scheduled.id)
    while kept:
        violations = checker.violations(kept)
        if not violations:
            break
        named = {v.operation for v in violations if v.operation} & {op.id for op in kept}
        if not named:
            return _greedy_keep(checker, kept)
        drop = min(named, key=lambda op_id: (known[op_id].priority, _negated(op_id)))
        kept = [op for op in kept if op.id != drop]
    return kept


def _negated(op_id: str) -> list[int]:
    """Sort key that puts later ids first (ties drop the later-listed operation)."""
    return [-ord(ch) for ch in op_id]


def _greedy_keep(
    checker: OperationsChecker, operations: list[ScheduledOperation]
) -> list[ScheduledOperation]:
    """Add operations by priority while the whole stays valid."""
    priority = {op.id: op.priority for op in checker.scenario.operations}
    kept: list[ScheduledOperation] = []
    for op in sorted(operations, key=lambda o: -priority[o.id]):
        if checker.valid([*kept, op]):
            kept.append(op)
    order = {op.id: i for i, op in enumerate(operations)}
    return sorted(kept, key=lambda o: order[o.id])


def orders(plan: Plan) -> dict[tuple[str, str], Order]:
    """Each tasking order of the plan, keyed by (operation, unit)."""
    result: dict[tuple[str, str], Order] = {}
    for scheduled in plan.operations:
        for a in scheduled.assignments:
            result[scheduled.id, a.unit] = (
                a.site,
                a.capability,
                scheduled.start,
                a.depart,
                a.return_,
                a.crossing,
                a.cross_out,
                a.cross_back,
            )
    return result


def count_changed_orders(a: Plan, b: Plan) -> int:
    """How many tasking orders differ: issued, cancelled, or changed in place or time."""
    first, second = orders(a), orders(b)
    return sum(1 for key in first.keys() | second.keys() if first.get(key) != second.get(key))


def pinned_operations(scenario: Scenario, earlier: Plan) -> list[ScheduledOperation]:
    """`--pin`: the operations the new plan must keep exactly as they were."""
    return still_valid_operations(scenario, earlier)


def preferred_operations(scenario: Scenario, earlier: Plan) -> list[ScheduledOperation]:
    """`--stable`: the operations the new plan should keep unless that costs priority.

    Only still-valid ones are offered, so a preference never points the solver at a
    start or unit that the current scenario forbids.
    """
    return still_valid_operations(scenario, earlier)


def _route_key(op: ScheduledOperation, a: Assignment) -> tuple[object, ...]:
    return (op.id, op.start, a.unit, a.site, a.capability, a.crossing)


def keep_earlier_times(
    scenario: Scenario, plan: Plan, earlier: list[ScheduledOperation]
) -> Plan:
    """Give unchanged orders their earlier depart, crossing and return times.

    The solver may place an order's movements anywhere in its slack, so a stable re-plan
    with the same operation, H-hour, unit, site and crossing could still move a departure
    by hours. The earlier times are taken only if the whole plan stays valid.
    """
    before = {_route_key(op, a): a for op in earlier for a in op.assignments}
    operations = [
        op.model_copy(
            update={"assignments": [before.get(_route_key(op, a), a) for a in op.assignments]}
        )
        for op in plan.operations
    ]
    if operations == plan.operations:
        return plan
    candidate = plan.model_copy(update={"operations": operations})
    return candidate if validate_plan(scenario, candidate).valid else plan
