"""Why is an operation unscheduled? True, specific reasons a liaison officer can act on.

The checks go from the most basic to the least: no start fits the horizon; rules that no
time can satisfy (capability, jurisdiction, roads, counts, host nation, headcount); rules
no start of the window can satisfy (travel, crossing hours, availability, sites at
different times); then, when the operation can be staffed on its own (proved by a tiny
CP-SAT model), the operations of the plan that hold the units it needs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from app.solver.diagnose_static import static_reasons
from app.solver.diagnose_time import timing_reasons
from app.solver.instance import Instance, Interval
from app.solver.schema import Operation, Plan, ScheduledOperation
from app.solver.staffing import (
    Candidate,
    Staffing,
    candidates,
    free_candidates,
    legs,
    staff_alone,
    to_scheduled,
)
from app.solver.wording import minute_time, short_time

# Checks whether a plan with one more operation is still valid (the validator, in practice).
PlanCheck = Callable[[Plan], bool]


def explain_unscheduled(instance: Instance, plan: Plan) -> dict[str, list[str]]:
    """For every operation of the scenario that the plan leaves out, at least one reason."""
    scheduled = {op.id for op in plan.operations}
    busy = busy_intervals(instance, plan)
    return {
        op.id: explain_operation(instance, op, plan, busy)
        for op in instance.scenario.operations
        if op.id not in scheduled
    }


def explain_operation(
    instance: Instance,
    operation: Operation,
    plan: Plan,
    busy: dict[str, list[Interval]] | None = None,
) -> list[str]:
    """The reasons one operation is not in the plan (never empty)."""
    starts = instance.start_minutes(operation)
    if not starts:
        return [_no_start_reason(instance, operation)]
    reasons = static_reasons(instance, operation)
    if reasons:
        return reasons
    found = candidates(instance, operation, starts)
    reasons = timing_reasons(instance, operation, starts, found)
    if reasons:
        return reasons
    alone = staff_alone(instance, operation, found, starts)
    if alone.staffing is None:
        verdict = "no" if alone.proven_impossible else "the diagnosis found no"
        return [
            f"{verdict} combination of the units that may act at its sites staffs all of "
            "them at one start: they compete for the same units (a unit serves one site "
            "per operation) or their times do not line up"
        ]
    if busy is None:
        busy = busy_intervals(instance, plan)
    return _plan_reasons(instance, operation, plan, busy, starts, found, alone.staffing)


def _no_start_reason(instance: Instance, operation: Operation) -> str:
    """The window (or fixed start) leaves no slot start inside the horizon."""
    horizon = instance.scenario.horizon
    if operation.fixed_start is not None:
        end = operation.fixed_start + timedelta(minutes=operation.duration_minutes)
        return (
            f"fixed start {short_time(operation.fixed_start)} cannot be met: the operation "
            f"would run until {short_time(end)}, outside the planning horizon "
            f"{short_time(horizon.start)} – {short_time(horizon.end)}"
        )
    return (
        f"its window {short_time(operation.earliest_start)} – "
        f"{short_time(operation.latest_end)} leaves no slot start at which "
        f"{operation.duration_minutes} min fit inside the planning horizon "
        f"{short_time(horizon.start)} – {short_time(horizon.end)}"
    )


def busy_intervals(instance: Instance, plan: Plan) -> dict[str, list[Interval]]:
    """Each unit's busy minutes in the plan, rounded outwards so overlaps are never missed."""
    busy: dict[str, list[Interval]] = {}
    for scheduled in plan.operations:
        for a in scheduled.assignments:
            interval = (instance.floor_minutes(a.depart), instance.ceil_minutes(a.return_))
            busy.setdefault(a.unit, []).append(interval)
    return busy


def _plan_reasons(
    instance: Instance,
    operation: Operation,
    plan: Plan,
    busy: dict[str, list[Interval]],
    starts: list[int],
    found: list[Candidate],
    alone: Staffing,
) -> list[str]:
    """The operation can be staffed alone: name what in the plan stands in its way."""
    example = _example(instance, alone)
    free = free_candidates(instance, operation, found, busy)
    beside = staff_alone(instance, operation, free, starts)
    if beside.staffing is not None:
        addition = to_scheduled(instance, operation, beside.staffing, busy)
        if _fits(instance, plan, addition):
            return [
                f"it fits into this plan as it stands ({_example(instance, beside.staffing)}):"
                " the solver stopped before finding it; solve again with a longer time limit"
            ]
    blockers = _blockers(instance, operation, plan, found)
    if not blockers:
        return [
            f"it could be staffed alone ({example}), but not beside this plan's operations: "
            "the crossing lanes it would need are taken at those times"
        ]
    higher = all(instance.operations[b].priority > operation.priority for b in blockers)
    named = ", ".join(
        f"{b} (priority {instance.operations[b].priority})" for b in blockers[:6]
    ) + (f" and {len(blockers) - 6} more" if len(blockers) > 6 else "")
    kind = "higher-priority operations" if higher else "operations"
    return [
        f"the units it needs are taken by {kind} {named}: it could be staffed alone "
        f"({example}), but not beside them"
    ]


def _example(instance: Instance, staffing: Staffing) -> str:
    units = ", ".join(c.unit.id for c in staffing.picks[:6])
    return f"e.g. at {minute_time(instance, staffing.start)} with {units}"


def _fits(instance: Instance, plan: Plan, addition: ScheduledOperation) -> bool:
    """Whether the plan with the addition is valid (lanes included), by the validator."""
    from app.solver.validate import validate_plan

    operations = [*plan.operations, addition]
    done = {op.id for op in operations}
    unscheduled = [u for u in plan.unscheduled if u.id not in done]
    trial = plan.model_copy(update={"operations": operations, "unscheduled": unscheduled})
    before = {v.message for v in validate_plan(instance.scenario, plan).violations}
    after = validate_plan(instance.scenario, trial).violations
    return all(v.message in before for v in after)


def _blockers(
    instance: Instance, operation: Operation, plan: Plan, found: list[Candidate]
) -> list[str]:
    """Plan operations that keep an eligible unit busy when it could serve this operation."""
    booked: dict[str, list[tuple[str, Interval]]] = {}
    for scheduled in plan.operations:
        for a in scheduled.assignments:
            interval = (instance.floor_minutes(a.depart), instance.ceil_minutes(a.return_))
            booked.setdefault(a.unit, []).append((scheduled.id, interval))
    blockers: set[str] = set()
    for candidate in found:
        if candidate.unit.id not in booked:
            continue
        for start in candidate.starts:
            for leg in legs(instance, operation, candidate, start):
                blockers.update(
                    op_id for op_id, (first, last) in booked.get(candidate.unit.id, [])
                    if leg.depart < last and first < leg.return_
                )
    known = [b for b in blockers if b in instance.operations]
    return sorted(known, key=lambda b: (-instance.operations[b].priority, b))
