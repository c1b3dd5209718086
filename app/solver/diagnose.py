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

from app.solver.diagnose_cordons import (
    cordon_busy_reasons,
    cordon_static_reasons,
    cordon_together_reason,
)
from app.solver.diagnose_static import static_reasons
from app.solver.diagnose_time import timing_reasons
from app.solver.instance import Instance, Interval
from app.solver.lanes import LaneBook
from app.solver.schema import Operation, Plan, Reason, ReasonPart, ScheduledOperation
from app.solver.staffing import (
    STAFFING_SECONDS,
    Candidate,
    OutOfTime,
    Staffing,
    candidates,
    free_candidates,
    legs,
    staff_alone,
    to_scheduled,
)
from app.solver.wording import minute_time, short_time

# What a reader who may not see an operation reads in its place (app.planning.visibility).
HIDDEN_OPERATION = "an operation you may not see"

# Checks whether a plan with one more operation is still valid (the validator, in practice).
PlanCheck = Callable[[Plan], bool]


# How long past `seconds_left()` reaching 0 operations still get the reasons that need
# no search; after that, OUT_OF_TIME_REASON alone.
STATIC_REASONS_SECONDS = 0.5
# The reason of an operation the finishing step had no time left to examine.
OUT_OF_TIME_REASON = (
    "the time limit ran out before this operation could be tried against the finished "
    "plan: solve again with a longer time limit"
)


def explain_unscheduled(instance: Instance, plan: Plan) -> dict[str, list[str]]:
    """For every operation of the scenario that the plan leaves out, at least one reason."""
    scheduled = {op.id for op in plan.operations}
    facts = PlanFacts(instance, plan)
    return {
        op.id: explain_operation(instance, op, plan, facts)
        for op in instance.scenario.operations
        if op.id not in scheduled
    }


def complete_plan(
    instance: Instance, plan: Plan, seconds_left: Callable[[], float]
) -> tuple[list[ScheduledOperation], dict[str, list[str]]]:
    """Finish a solver's plan: the operations it left out that fit it as it stands, and
    the reasons of the others.

    A search ended by its time limit can miss an operation that fits beside everything it
    kept; taking them highest priority first, each one that fits is added (the plan it is
    tried against grows with them). The reasons of the others stay true as it grows: an
    addition only takes units and lanes. Once `seconds_left()` reaches 0, operations get
    only the reasons that need no search, and no staffing search runs past it.
    """
    scheduled = {op.id for op in plan.operations}
    left_out = [op for op in instance.scenario.operations if op.id not in scheduled]
    left_out.sort(key=lambda op: (-op.priority, op.id))
    facts = PlanFacts(instance, plan, seconds_left)
    added: list[ScheduledOperation] = []
    reasons: dict[str, list[str]] = {}
    for operation in left_out:
        left = seconds_left()
        if left <= -STATIC_REASONS_SECONDS:
            # The reasons without search scan every unit (~20 ms an operation with 3,600
            # units): past this grace, they would break the time limit (issue 9).
            reasons[operation.id] = [OUT_OF_TIME_REASON]
            continue
        if left <= 0:
            reasons[operation.id] = _reasons_without_search(instance, operation)
            continue
        try:
            found = merge_sites(_reasons(instance, operation, facts))
        except OutOfTime:
            reasons[operation.id] = _reasons_without_search(instance, operation)
            continue
        addition = facts.fits.get(operation.id)
        if addition is None:
            reasons[operation.id] = found
            continue
        added.append(addition)
        facts = PlanFacts(instance, _with(facts.plan, addition), seconds_left)
    return added, reasons


def _with(plan: Plan, addition: ScheduledOperation) -> Plan:
    """The plan with one more operation (and no longer listing it as unscheduled)."""
    unscheduled = [u for u in plan.unscheduled if u.id != addition.id]
    operations = [*plan.operations, addition]
    return plan.model_copy(update={"operations": operations, "unscheduled": unscheduled})


def _reasons_without_search(instance: Instance, operation: Operation) -> list[str]:
    """The reasons found without candidates or CP-SAT, else OUT_OF_TIME_REASON."""
    if not instance.start_minutes(operation):
        return [_no_start_reason(instance, operation)]
    found = static_reasons(instance, operation) + cordon_static_reasons(instance, operation)
    return merge_sites(found) or [OUT_OF_TIME_REASON]


def explain_operation(
    instance: Instance,
    operation: Operation,
    plan: Plan,
    facts: PlanFacts | None = None,
) -> list[str]:
    """The reasons one operation is not in the plan (never empty)."""
    return merge_sites(_reasons(instance, operation, facts or PlanFacts(instance, plan)))


def merge_sites(reasons: list[str]) -> list[str]:
    """One reason for several sites when the text after `site X (R): ` is the same."""
    groups: dict[str, list[str]] = {}  # the text after the label -> the site labels
    for reason in reasons:
        label, separator, rest = reason.partition(": ")
        if not reason.startswith("site ") or not separator:
            label, rest = "", reason
        groups.setdefault(rest, []).append(label)
    merged = []
    for rest, labels in groups.items():
        named = [label.removeprefix("site ") for label in labels if label]
        if not named:
            merged.append(rest)
        else:
            merged.append(f"site{'s' if len(named) > 1 else ''} {', '.join(named)}: {rest}")
    return merged


def _reasons(
    instance: Instance,
    operation: Operation,
    facts: PlanFacts,
) -> list[str]:
    """The first kind of reason that holds, from the most basic to the least."""
    starts = instance.start_minutes(operation)
    if not starts:
        return [_no_start_reason(instance, operation)]
    reasons = static_reasons(instance, operation) + cordon_static_reasons(instance, operation)
    if reasons:
        return reasons
    found = candidates(instance, operation, starts, facts.check)
    facts.check()
    reasons = timing_reasons(instance, operation, starts, found)
    if reasons:
        return reasons
    alone = staff_alone(instance, operation, found, starts, seconds=facts.search_seconds())
    if alone.staffing is None:
        verdict = "no" if alone.proven_impossible else "the diagnosis found no"
        return [
            f"{verdict} combination of the units that may act at its sites staffs all "
            f"{len(operation.sites)} of them at any one of its {len(starts)} possible starts: "
            "each start leaves a requirement, the host-nation unit or the headcount uncovered "
            "once every unit fills only one requirement of the operation"
        ]
    if operation.cordon is None:
        return _plan_reasons(instance, operation, facts, starts, found, alone.staffing)
    reasons = cordon_busy_reasons(instance, operation, facts.plan, starts)
    if reasons:
        return reasons
    reasons = _plan_reasons(instance, operation, facts, starts, found, alone.staffing)
    # Raid units taken by the plan is a true reason; the others (it fits, or only the
    # lanes stand in the way) were found without the posts and seals of the cordon.
    if reasons and not reasons[0].startswith("the units it needs are taken"):
        facts.fits.pop(operation.id, None)
        return [cordon_together_reason(instance, operation)]
    return reasons


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
    floor = instance.not_before
    if floor is not None and operation.latest_end - timedelta(
            minutes=operation.duration_minutes) < floor:
        return (
            f"its window {short_time(operation.earliest_start)} – "
            f"{short_time(operation.latest_end)} closes before now plus the notice units "
            f"need ({short_time(floor)}): nothing new is scheduled in the past; widen the "
            "window to plan it"
        )
    return (
        f"its window {short_time(operation.earliest_start)} – "
        f"{short_time(operation.latest_end)} leaves no slot start at which "
        f"{operation.duration_minutes} min fit inside the planning horizon "
        f"{short_time(horizon.start)} – {short_time(horizon.end)}"
    )


class PlanFacts:
    """What the diagnosis needs to know about a plan, computed once for all operations."""

    def __init__(
        self,
        instance: Instance,
        plan: Plan,
        seconds_left: Callable[[], float] = lambda: STAFFING_SECONDS,
    ) -> None:
        self.instance = instance
        self.plan = plan
        self.seconds_left = seconds_left
        self.busy = busy_intervals(instance, plan)
        self._baseline: set[str] | None = None
        # Operations found to fit the plan as it stands, with the staffing that does.
        self.fits: dict[str, ScheduledOperation] = {}

    def check(self) -> None:
        """Raise OutOfTime when the time given for the diagnosis is up."""
        if self.seconds_left() <= 0:
            raise OutOfTime

    def search_seconds(self) -> float:
        """How long one staffing search may take now."""
        return min(STAFFING_SECONDS, self.seconds_left())

    def new_violations(self, addition: ScheduledOperation) -> list[str]:
        """What the validator finds wrong with the plan plus the addition, beyond the plan."""
        from app.solver.validate import validate_plan

        scenario, plan = self.instance.scenario, self.plan
        if self._baseline is None:
            self._baseline = {v.message for v in validate_plan(scenario, plan).violations}
        operations = [*plan.operations, addition]
        done = {op.id for op in operations}
        unscheduled = [u for u in plan.unscheduled if u.id not in done]
        trial = plan.model_copy(update={"operations": operations, "unscheduled": unscheduled})
        after = validate_plan(scenario, trial).violations
        return [v.message for v in after if v.message not in self._baseline]


def busy_intervals(instance: Instance, plan: Plan) -> dict[str, list[Interval]]:
    """Each unit's busy minutes in the plan, rounded outwards so overlaps are never missed."""
    busy: dict[str, list[Interval]] = {}
    for scheduled in plan.operations:
        spans = [(a.unit, a.depart, a.return_) for a in scheduled.assignments]
        spans += [(p.unit, p.depart, p.return_) for p in scheduled.cordon or []]
        for unit, depart, ret in spans:
            interval = (instance.floor_minutes(depart), instance.ceil_minutes(ret))
            busy.setdefault(unit, []).append(interval)
    return busy


def _plan_reasons(
    instance: Instance,
    operation: Operation,
    facts: PlanFacts,
    starts: list[int],
    found: list[Candidate],
    alone: Staffing,
) -> list[str]:
    """The operation can be staffed alone: name what in the plan stands in its way."""
    plan, busy = facts.plan, facts.busy
    free = free_candidates(instance, operation, found, busy, facts.check)
    beside = staff_alone(instance, operation, free, starts, seconds=facts.search_seconds()).staffing
    trial_violations: list[str] = []
    if beside is not None:
        addition = to_scheduled(instance, operation, beside, busy, LaneBook(instance, plan))
        if addition is not None:
            trial_violations = facts.new_violations(addition)
            if not trial_violations:
                facts.fits[operation.id] = addition
                return [
                    f"it fits into this plan as it stands ({_example(instance, beside)}): the "
                    "solver stopped before finding it; solve again with a longer time limit"
                ]
    least = _least_clashing(instance, operation, starts, found, free, facts) or alone
    if not _valid_alone(instance, operation, least):
        return [
            "units can be found for it only by ignoring the crossing lanes "
            f"({_example(instance, least)}); the diagnosis found no staffing within the lanes"
        ]
    held = _holders(instance, operation, plan, least)
    if not held:
        crossings = sorted(
            {
                leg.route.crossing
                for c in least.picks
                for leg in legs(instance, operation, c, least.start)
                if leg.route.crossing
            }
        )
        where = f" at {', '.join(crossings)}" if crossings else ""
        detail = f" ({trial_violations[0]})" if trial_violations else ""
        sealed = [v for v in trial_violations if v.startswith("rule 12")]
        if sealed:
            # A cordon of the plan seals the crossing (docs/cordon-format.md).
            users = sorted({s.id for s in plan.operations
                            if set(instance.sealed.get(s.id, ())) & set(crossings)})
            return [Reason([
                ReasonPart(text=f"it could be staffed alone ({_example(instance, least)}) "
                                "with units this plan leaves free, but its passages"
                                f"{where} fall in the seal of a cordon ("),
                ReasonPart(text=", ".join(users), operations=users, hidden=HIDDEN_OPERATION),
                ReasonPart(text="): the crossing is closed to other operations then"),
            ])]
        # Which crossings the plan's operations use, and when, is theirs to know.
        users = sorted({s.id for s in plan.operations for a in s.assignments
                        if a.crossing in crossings})
        return [Reason([
            ReasonPart(text=f"it could be staffed alone ({_example(instance, least)}) with "
                            "units this plan leaves free, but not within the crossing lanes "
                            "this plan already uses"),
            ReasonPart(text=f"{where}{detail}", operations=users,
                       hidden=f" ({HIDDEN_OPERATION} among those using them)"),
        ])]
    return [_taken_reason(instance, operation, least, held)]


def _least_clashing(
    instance: Instance,
    operation: Operation,
    starts: list[int],
    found: list[Candidate],
    free: list[Candidate],
    facts: PlanFacts,
) -> Staffing | None:
    """The staffing that needs the fewest units the plan already keeps busy."""
    free_starts = {(c.unit.id, c.site.id, c.capability): c.starts for c in free}
    conflicted = [
        c.starts - free_starts.get((c.unit.id, c.site.id, c.capability), frozenset()) for c in found
    ]
    seconds = facts.search_seconds()
    return staff_alone(instance, operation, found, starts, conflicted, seconds).staffing


def _taken_reason(
    instance: Instance, operation: Operation, least: Staffing, held: dict[str, list[str]]
) -> Reason:
    """`the units it needs are taken by ...: staffed alone ..., but in this plan U is busy`.

    In parts naming the blocking operations: a reader who may not see one of them reads
    HIDDEN_OPERATION in its place, and nothing of its priority, units or times (the
    staffing and the busy units together would tell when a hidden operation uses which).
    """
    blockers = sorted(
        {op_id for ops in held.values() for op_id in ops},
        key=lambda b: (-instance.operations[b].priority, b),
    )
    higher = all(instance.operations[b].priority > operation.priority for b in blockers)
    kind = "higher-priority operations" if higher else "operations"
    parts = [ReasonPart(text=f"the units it needs are taken by {kind} ", operations=blockers,
                        hidden="the units it needs are taken by ")]
    for index, b in enumerate(blockers):
        comma = ", " if index else ""
        parts.append(ReasonPart(text=f"{comma}{b} (priority {instance.operations[b].priority})",
                                operations=[b], hidden=f"{comma}{HIDDEN_OPERATION}"))
    busy_text = "; ".join(f"{unit} is busy with {', '.join(ops)}" for unit, ops in held.items())
    parts.append(ReasonPart(
        text=(f": staffed alone it could start at {minute_time(instance, least.start)} with "
              f"{', '.join(c.unit.id for c in least.picks)}, but in this plan {busy_text}"),
        operations=blockers,
    ))
    return Reason(parts)


def _valid_alone(instance: Instance, operation: Operation, staffing: Staffing) -> bool:
    """Whether the staffing, lanes staggered, is a valid plan of this operation alone."""
    from app.solver.validate import OperationsChecker

    scheduled = to_scheduled(instance, operation, staffing, None, LaneBook(instance))
    if scheduled is None:
        return False
    return OperationsChecker(instance.scenario, instance).valid([scheduled])


def _holders(
    instance: Instance, operation: Operation, plan: Plan, staffing: Staffing
) -> dict[str, list[str]]:
    """For each unit of the staffing that the plan keeps busy, the operations holding it."""
    booked: dict[str, list[tuple[str, Interval]]] = {}
    for scheduled in plan.operations:
        for a in scheduled.assignments:
            interval = (instance.floor_minutes(a.depart), instance.ceil_minutes(a.return_))
            booked.setdefault(a.unit, []).append((scheduled.id, interval))
    held: dict[str, list[str]] = {}
    for candidate in staffing.picks:
        options = legs(instance, operation, candidate, staffing.start)
        clashes = [
            {
                op_id
                for op_id, (first, last) in booked.get(candidate.unit.id, [])
                if leg.depart < last and first < leg.return_
            }
            for leg in options
        ]
        if clashes and all(clashes):
            # Every way there clashes; name who holds the unit on its shortest way.
            held[candidate.unit.id] = sorted(
                (b for b in clashes[0] if b in instance.operations),
                key=lambda b: (-instance.operations[b].priority, b),
            )
    return {unit: ops for unit, ops in held.items() if ops}


def _example(instance: Instance, staffing: Staffing) -> str:
    units = ", ".join(c.unit.id for c in staffing.picks[:6])
    return f"e.g. at {minute_time(instance, staffing.start)} with {units}"
