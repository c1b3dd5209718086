"""Cordons (rules 11 and 12 of docs/cordon-format.md): posts at sealed crossings, and the
seal that closes a crossing to the passages of other operations.

A post is filled by a border-control unit of the side's own country that takes no part
in the raid; it drives from its base (domestic, so its busy interval is fixed by the
operation's start, like a domestic trip): `[s - lead - d, e + tail + d)`. The posts of
a need are exactly `units_per_side` when the operation is scheduled, so an operation
whose cordon cannot be staffed cannot be scheduled.

A seal is one optional interval `[s - lead, e + tail)` per operation. For each sealed
crossing a cumulative of capacity `lanes` holds the seal at demand `lanes` together with
the passages it excludes (those of the other operations, and its own unless allowed):
none of them may overlap the seal, and among themselves they keep the lane limit (rule 9,
which the main lane cumulative states anyway). Seals of two operations never meet in
one cumulative, so they may overlap.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ortools.sat.python import cp_model

from app.solver.cordons import (
    CORDON_CAPABILITY,
    PostNeed,
    post_needs,
    post_problem,
    sealed_crossings,
)
from app.solver.instance import Instance, Interval
from app.solver.model.candidates import fits_some_start
from app.solver.model.timing import Post, Solution
from app.solver.model.windows import OperationVars


@dataclass(frozen=True)
class PostCandidate:
    """A unit that may staff one side of one sealed crossing of an operation."""

    need: PostNeed
    unit: str
    distance: int  # d(base, side region), each way
    lead: int  # the seal starts this long before the operation's start
    after: int  # and ends this long after it (duration + tail)


@dataclass
class PostVars:
    candidate: PostCandidate
    is_chosen: cp_model.IntVar
    busy: cp_model.IntervalVar

    @property
    def travel(self) -> int:
        return 2 * self.candidate.distance


@dataclass
class SealVars:
    """The seal of one operation, and the crossings it closes."""

    operation: str
    crossings: list[str]
    allow_own: bool
    interval: cp_model.IntervalVar


def seal_span(instance: Instance, operation_id: str, start: int) -> Interval:
    """The seal `[s - lead, e + tail)` in minutes (the operation must have a cordon)."""
    operation = instance.operations[operation_id]
    cordon = operation.cordon
    assert cordon is not None
    return (
        start - cordon.lead_minutes,
        start + operation.duration_minutes + cordon.tail_minutes,
    )


def post_candidates(
    instance: Instance, operation_vars: OperationVars, free: dict[str, list[Interval]]
) -> list[PostCandidate]:
    """Every unit that may staff each post of the operation, nearest first per post.

    Pruned safely: a unit stays when some start of the operation leaves its whole busy
    interval inside one window of its free time.
    """
    operation = operation_vars.operation
    cordon = operation.cordon
    if cordon is None:
        return []
    before = cordon.lead_minutes
    after = operation.duration_minutes + cordon.tail_minutes
    result = []
    able = [u for u in instance.scenario.units if CORDON_CAPABILITY in u.capabilities]
    for need in post_needs(instance.scenario, operation):
        found = []
        for unit in able:
            if post_problem(unit, instance.unit_country(unit), need) is not None:
                continue
            distance = instance.distance(unit.base, need.region)
            if distance is None or 2 * distance + before + after > instance.horizon_minutes:
                continue
            if fits_some_start(
                operation_vars.starts, free[unit.id], before + distance, after + distance
            ):
                found.append(PostCandidate(need, unit.id, distance, before, after))
        result.extend(sorted(found, key=lambda c: (c.distance, c.unit)))
    return result


def add_cordon(
    model: cp_model.CpModel,
    instance: Instance,
    operation_vars: OperationVars,
    raid_fills: dict[str, list[cp_model.IntVar]],
    free: dict[str, list[Interval]],
) -> tuple[list[PostVars], SealVars | None]:
    """Posts and seal of one operation. `raid_fills`: its fill literals by unit."""
    operation = operation_vars.operation
    cordon = operation.cordon
    if cordon is None:
        return [], None
    scheduled = operation_vars.is_scheduled
    start = operation_vars.start
    lead, tail = cordon.lead_minutes, cordon.tail_minutes
    duration = operation.duration_minutes
    posts = []
    for candidate in post_candidates(instance, operation_vars, free):
        need = candidate.need
        name = f"{operation.id},{need.crossing},{need.side},{candidate.unit}"
        chosen = model.new_bool_var(f"staffs_post[{name}]")
        d = candidate.distance
        busy = model.new_optional_fixed_size_interval_var(
            start - lead - d, lead + duration + tail + 2 * d, chosen, f"post_busy[{name}]"
        )
        posts.append(PostVars(candidate, chosen, busy))
    by_need: dict[tuple[str, str], list[cp_model.IntVar]] = defaultdict(list)
    by_unit: dict[str, list[cp_model.IntVar]] = defaultdict(list)
    for post in posts:
        by_need[(post.candidate.need.crossing, post.candidate.need.side)].append(post.is_chosen)
        by_unit[post.candidate.unit].append(post.is_chosen)
    for need in post_needs(instance.scenario, operation):
        literals = by_need.get((need.crossing, need.side), [])
        if len(literals) < need.count:
            model.add(scheduled == 0)  # the cordon cannot be staffed: neither the operation
        model.add(sum(literals) == need.count * scheduled)
    for unit, literals in by_unit.items():
        # One post per unit, and no post for a unit of the raid.
        together = literals + raid_fills.get(unit, [])
        if len(together) > 1:
            model.add_at_most_one(together)
    crossings = sorted({need.crossing for need in post_needs(instance.scenario, operation)})
    if not crossings:
        return posts, None
    seal = model.new_optional_fixed_size_interval_var(
        start - lead, lead + duration + tail, scheduled, f"seal[{operation.id}]"
    )
    return posts, SealVars(operation.id, crossings, cordon.allow_own_passages, seal)


def add_seal_limits(
    model: cp_model.CpModel,
    instance: Instance,
    seals: list[SealVars],
    passages: dict[str, list[tuple[str, cp_model.IntervalVar]]],
    fixed: Solution,
) -> None:
    """Each seal keeps the passages it excludes out of its crossings.

    `passages`: the model's optional passage intervals per crossing, with their
    operation. Fixed (pinned or kept) operations contribute their passages and seals
    as fixed intervals.
    """
    fixed_passages: dict[str, list[tuple[str, Interval]]] = defaultdict(list)
    for op_id, schedule in fixed.items():
        for booking in schedule.bookings:
            if booking.crossing is not None:
                transit = instance.crossings[booking.crossing].transit_minutes
                for passage in booking.passages(transit):
                    fixed_passages[booking.crossing].append((op_id, passage))
    for seal in seals:
        for crossing in seal.crossings:
            excluded = [
                interval
                for op_id, interval in passages.get(crossing, [])
                if op_id != seal.operation or not seal.allow_own
            ]
            excluded += [
                model.new_fixed_size_interval_var(a, b - a, f"fixed_passage[{crossing},{a}]")
                for op_id, (a, b) in fixed_passages.get(crossing, [])
            ]
            _exclude(model, instance, crossing, seal.interval, excluded)
    for op_id, schedule in fixed.items():
        if instance.operations[op_id].cordon is None:
            continue
        a, b = seal_span(instance, op_id, schedule.start)
        fixed_seal = model.new_fixed_size_interval_var(a, b - a, f"fixed_seal[{op_id}]")
        for crossing in sealed_crossings(instance.scenario, instance.operations[op_id]):
            # The model's operations are all others: every passage of theirs is excluded.
            excluded = [interval for _, interval in passages.get(crossing, [])]
            _exclude(model, instance, crossing, fixed_seal, excluded)


def _exclude(
    model: cp_model.CpModel,
    instance: Instance,
    crossing: str,
    seal: cp_model.IntervalVar,
    excluded: list[cp_model.IntervalVar],
) -> None:
    if not excluded:
        return
    lanes = instance.crossings[crossing].lanes
    model.add_cumulative([seal, *excluded], [lanes] + [1] * len(excluded), lanes)


def extract_posts(
    posts: list[PostVars], solver: cp_model.CpSolver, starts: dict[str, int]
) -> dict[str, list[Post]]:
    """The chosen posts per scheduled operation (`starts`: their start minutes)."""
    result: dict[str, list[Post]] = defaultdict(list)
    for post in posts:
        need = post.candidate.need
        if need.operation not in starts or not solver.boolean_value(post.is_chosen):
            continue
        c = post.candidate
        a, b = starts[need.operation] - c.lead, starts[need.operation] + c.after
        d = c.distance
        result[need.operation].append(
            Post(need.operation, need.crossing, need.side, post.candidate.unit, a - d, b + d, 2 * d)
        )
    return result
