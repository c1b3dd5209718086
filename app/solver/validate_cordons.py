"""Rules 11 (cordon staff) and 12 (sealed crossings) of docs/cordon-format.md, on exact
instants. Posts also add their busy intervals to rule 10 (one place at a time)."""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING

from app.solver.cordons import post_needs, post_problem, sealed_crossings
from app.solver.schema import CordonPost, Operation, ScheduledOperation
from app.solver.validate_travel import plus, show

if TYPE_CHECKING:
    from app.solver.validate_rules import PlanChecker

RULE_STAFF = 11
RULE_SEAL = 12
CORDON_RULE_NAMES = {RULE_STAFF: "cordon staff", RULE_SEAL: "sealed crossing"}


def seal_of(operation: Operation, start: datetime) -> tuple[datetime, datetime]:
    """`[s - lead, e + tail)` of an operation with a cordon."""
    cordon = operation.cordon
    assert cordon is not None
    return (
        plus(start, -cordon.lead_minutes),
        plus(start, operation.duration_minutes, cordon.tail_minutes),
    )


def check_cordon(
    checker: PlanChecker, operation: Operation, scheduled: ScheduledOperation
) -> None:
    """Rule 11 for one scheduled operation; its posts' busy intervals go to rule 10."""
    from app.solver.validate_rules import Busy

    posts = scheduled.cordon or []
    if operation.cordon is None:
        if posts:
            checker.add(RULE_STAFF, "the operation has no cordon but lists posts", operation.id)
        return
    needs = {(n.crossing, n.side): n for n in post_needs(checker.scenario, operation)}
    seal_start, seal_end = seal_of(operation, scheduled.start)
    raid_units = {a.unit for a in scheduled.assignments}
    counts: Counter[tuple[str, str]] = Counter()
    seen: set[str] = set()
    for post in posts:
        where = (operation.id, f"{post.crossing} side {post.side}", post.unit)
        need = needs.get((post.crossing, post.side))
        unit = checker.instance.units.get(post.unit)
        if need is None:
            checker.add(RULE_STAFF, f"{post.crossing} is not sealed by this cordon", *where)
            continue
        if unit is None:
            checker.add(0, "unknown unit id", *where)
            continue
        counts[(post.crossing, post.side)] += 1
        problem = post_problem(unit, checker.instance.unit_country(unit), need)
        if problem is not None:
            checker.add(RULE_STAFF, problem, *where)
        if unit.id in raid_units:
            checker.add(RULE_STAFF, "the unit takes part in the raid it cordons", *where)
        if unit.id in seen:
            checker.add(RULE_STAFF, "the unit staffs more than one post", *where)
        seen.add(unit.id)
        _check_post_times(checker, post, need.region, (seal_start, seal_end), where)
        checker.busy[unit.id].append(
            Busy(post.depart, post.return_, operation.id, f"cordon {post.crossing}")
        )
    for (crossing, side), need in needs.items():
        found = counts[(crossing, side)]
        if found != need.count:
            checker.add(
                RULE_STAFF,
                f"side {side} of {crossing} has {found} post(s), not {need.count}",
                operation.id,
            )


def _check_post_times(
    checker: PlanChecker,
    post: CordonPost,
    region: str,
    seal: tuple[datetime, datetime],
    where: tuple[str, str, str],
) -> None:
    seal_start, seal_end = seal
    if post.start != seal_start or post.end != seal_end:
        checker.add(
            RULE_STAFF,
            f"post [{show(post.start)}, {show(post.end)}) is not the seal "
            f"[{show(seal_start)}, {show(seal_end)})",
            *where,
        )
    unit = checker.instance.units[post.unit]
    distance = checker.instance.distance(unit.base, region)
    if distance is None:
        checker.add(RULE_STAFF, f"no road from {unit.base} to {region}", *where)
        return
    checker.travel += 2 * distance
    if plus(post.depart, distance) > post.start:
        checker.add(
            RULE_STAFF,
            f"departs {show(post.depart)}, too late to reach {region} ({distance} min) "
            f"by {show(post.start)}",
            *where,
        )
    if plus(post.end, distance) > post.return_:
        checker.add(
            RULE_STAFF,
            f"cannot be back from {region} ({distance} min) by {show(post.return_)}",
            *where,
        )


def check_seals(checker: PlanChecker, scheduled: list[ScheduledOperation]) -> None:
    """Rule 12: no excluded passage overlaps a seal of its crossing (after all passages
    are collected). Passages are sorted by start; a seal looks only at those that start
    before it ends."""
    sealing = [
        s for s in scheduled if checker.instance.operations[s.id].cordon is not None
    ]
    if not sealing:
        return  # plans without cordons pay nothing for this rule
    by_crossing = {
        crossing: sorted(passages, key=lambda p: p.start)
        for crossing, passages in checker.passages.items()
    }
    starts = {c: [p.start for p in ps] for c, ps in by_crossing.items()}
    for scheduled_op in sealing:
        operation = checker.instance.operations[scheduled_op.id]
        assert operation.cordon is not None
        seal_start, seal_end = seal_of(operation, scheduled_op.start)
        for crossing in sealed_crossings(checker.scenario, operation):
            passages = by_crossing.get(crossing, [])
            last = bisect_left(starts.get(crossing, []), seal_end)
            for passage in passages[:last]:
                if passage.end <= seal_start:
                    continue
                if passage.operation == operation.id and operation.cordon.allow_own_passages:
                    continue
                whose = "its own " if passage.operation == operation.id else ""
                checker.add(
                    RULE_SEAL,
                    f"{whose}{passage.direction} passage through {crossing} at "
                    f"{show(passage.start)} ({passage.operation}) overlaps the seal of "
                    f"{operation.id} [{show(seal_start)}, {show(seal_end)})",
                    passage.operation,
                    passage.site,
                    passage.unit,
                )
