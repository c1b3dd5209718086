"""Conversion between solver solutions (minutes) and `jointops-plan/1` plans (instants)."""

from __future__ import annotations

from typing import Any

from app.solver.instance import Instance
from app.solver.model.timing import Booking, OperationSchedule, Post, Solution
from app.solver.schema import (
    PLAN_FORMAT,
    Assignment,
    CordonPost,
    Objective,
    Plan,
    ScheduledOperation,
    SolverInfo,
    Unscheduled,
)

GENERIC_REASON = "no feasible staffing found together with the higher-priority operations"


def solution_priority(instance: Instance, solution: Solution) -> int:
    return sum(instance.operations[o].priority for o in solution)


def solution_travel(solution: Solution) -> int:
    """Travel of the bookings and of the cordon posts (docs/cordon-format.md)."""
    raid = sum(b.travel for s in solution.values() for b in s.bookings)
    return raid + sum(p.travel for s in solution.values() for p in s.posts)


def _cordon_post(instance: Instance, post: Post, start: int) -> CordonPost:
    from app.solver.model.cordons import seal_span

    seal_start, seal_end = seal_span(instance, post.operation, start)
    return CordonPost(
        crossing=post.crossing,
        side=post.side,  # type: ignore[arg-type]
        unit=post.unit,
        depart=instance.instant(post.depart),
        start=instance.instant(seal_start),
        end=instance.instant(seal_end),
        return_=instance.instant(post.ret),
    )


def _assignment(instance: Instance, booking: Booking) -> Assignment:
    crossing = booking.crossing
    return Assignment(
        site=booking.site,
        unit=booking.unit,
        capability=booking.capability,
        depart=instance.instant(booking.depart),
        return_=instance.instant(booking.ret),
        crossing=crossing,
        cross_out=None if crossing is None else instance.instant(booking.cross_out or 0),
        cross_back=None if crossing is None else instance.instant(booking.cross_back or 0),
    )


def scheduled_operations(instance: Instance, solution: Solution) -> list[ScheduledOperation]:
    """The scheduled operations sorted by id, assignments by site then unit."""
    result = []
    for op_id in sorted(solution):
        schedule = solution[op_id]
        bookings = sorted(schedule.bookings, key=lambda b: (b.site, b.unit))
        result.append(
            ScheduledOperation(
                id=op_id,
                start=instance.instant(schedule.start),
                assignments=[_assignment(instance, b) for b in bookings],
                cordon=[
                    _cordon_post(instance, p, schedule.start)
                    for p in sorted(schedule.posts, key=lambda p: (p.crossing, p.side, p.unit))
                ]
                if instance.operations[op_id].cordon is not None
                else None,
            )
        )
    return result


def unscheduled_reasons(instance: Instance, plan: Plan) -> dict[str, list[str]]:
    """Reasons per unscheduled operation, from `app.solver.diagnose` when it exists."""
    try:
        from app.solver.diagnose import explain_unscheduled
    except ImportError:
        return {}
    try:
        return explain_unscheduled(instance, plan)
    except Exception:  # noqa: BLE001 - a diagnosis bug must not lose a valid plan
        return {}


def build_plan(
    instance: Instance,
    solution: Solution,
    solver: dict[str, Any],
    pinned: list[ScheduledOperation] | None = None,
    reasons: dict[str, list[str]] | None = None,
) -> Plan:
    """A complete plan: operations, unscheduled with reasons, objective, solver info.

    `pinned` operations appear exactly as given (their instants need not be whole minutes).
    `reasons` of the unscheduled operations are found by the diagnosis unless given.
    """
    scenario = instance.scenario
    originals = {o.id: o for o in pinned or []}
    operations = [originals.get(o.id, o) for o in scheduled_operations(instance, solution)]
    missing = sorted(o.id for o in scenario.operations if o.id not in solution)
    objective = Objective(
        priority=solution_priority(instance, solution), travel_minutes=solution_travel(solution)
    )
    draft = Plan(
        format=PLAN_FORMAT,
        scenario=scenario.name,
        operations=operations,
        unscheduled=[Unscheduled(id=o, reasons=[GENERIC_REASON]) for o in missing],
        objective=objective,
        solver=SolverInfo(**solver),
    )
    if reasons is None:
        reasons = unscheduled_reasons(instance, draft)
    unscheduled = [Unscheduled(id=o, reasons=reasons.get(o) or [GENERIC_REASON]) for o in missing]
    return draft.model_copy(update={"unscheduled": unscheduled})


def solution_from_operations(instance: Instance, operations: list[ScheduledOperation]) -> Solution:
    """Compile plan operations into minutes; busy time is widened to whole minutes."""
    solution: Solution = {}
    for scheduled in operations:
        if scheduled.id not in instance.operations:
            continue
        bookings = []
        for a in scheduled.assignments:
            route_travel = _travel_of(instance, a)
            bookings.append(
                Booking(
                    operation=scheduled.id,
                    site=a.site,
                    unit=a.unit,
                    capability=a.capability,
                    depart=instance.floor_minutes(a.depart),
                    ret=instance.ceil_minutes(a.return_),
                    crossing=a.crossing,
                    cross_out=None if a.cross_out is None else instance.floor_minutes(a.cross_out),
                    cross_back=None
                    if a.cross_back is None
                    else instance.floor_minutes(a.cross_back),
                    travel=route_travel,
                )
            )
        start = instance.floor_minutes(scheduled.start)
        posts = tuple(_post_of(instance, scheduled.id, p) for p in scheduled.cordon or [])
        solution[scheduled.id] = OperationSchedule(start, tuple(bookings), posts)
    return solution


def _travel_of(instance: Instance, assignment: Assignment) -> int:
    """Travel minutes of an assignment's route (the crossing it names, or domestic)."""
    unit = instance.units.get(assignment.unit)
    site = instance.sites.get(assignment.site)
    if unit is None or site is None:
        return 0
    for route in instance.routes(unit.base, site[1].region):
        if route.crossing == assignment.crossing:
            return route.travel
    return 0


def _post_of(instance: Instance, operation: str, post: CordonPost) -> Post:
    """A plan's post in minutes; busy time is widened to whole minutes."""
    unit = instance.units.get(post.unit)
    crossing = instance.crossings.get(post.crossing)
    distance = None
    if unit is not None and crossing is not None:
        region = crossing.a if post.side == "a" else crossing.b
        distance = instance.distance(unit.base, region)
    return Post(
        operation,
        post.crossing,
        post.side,
        post.unit,
        instance.floor_minutes(post.depart),
        instance.ceil_minutes(post.return_),
        2 * (distance or 0),
    )
