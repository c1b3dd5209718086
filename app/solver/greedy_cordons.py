"""The greedy's cordon posts: after an operation's raid is staffed at a start, seal its
crossings and staff every post with the nearest free border-control units
(app.solver.cordons), or give the start up.

A seal is taken only when no passage it excludes is booked during it; once taken, the
booking state refuses such passages to every later trip (`BookingState.sealed`).
"""

from __future__ import annotations

from app.solver.cordons import CORDON_CAPABILITY, PostNeed, post_needs, post_problem
from app.solver.instance import Instance
from app.solver.model.state import BookingState, seals_of
from app.solver.model.timing import Booking, Post
from app.solver.schema import Operation

PostUnits = dict[tuple[str, str], list[tuple[str, int]]]


def post_units(instance: Instance, need: PostNeed, cache: PostUnits) -> list[tuple[str, int]]:
    """Units that may staff the post, with their road minutes to it, nearest first."""
    key = (need.crossing, need.side)
    if key not in cache:
        found = []
        for unit in instance.scenario.units:
            if CORDON_CAPABILITY not in unit.capabilities:
                continue
            if post_problem(unit, instance.unit_country(unit), need) is not None:
                continue
            distance = instance.distance(unit.base, need.region)
            if distance is not None:
                found.append((unit.id, distance))
        cache[key] = sorted(found, key=lambda pair: (pair[1], pair[0]))
    return cache[key]


def staff_cordon(
    instance: Instance,
    state: BookingState,
    operation: Operation,
    start: int,
    bookings: list[Booking],
    cache: PostUnits,
) -> tuple[Post, ...] | None:
    """The posts of the operation at `start` (booked), or None (nothing booked) when a
    seal would meet a booked passage or a post cannot be staffed. The caller books the
    operation's seals (before its raid, so that its trips keep out of them)."""
    if operation.cordon is None:
        return ()
    seals = seals_of(instance, operation.id, start)
    for crossing, seal in seals:
        during = state.passages_during(crossing, seal.start, seal.end)
        if seal.allow_own:
            transit = instance.crossings[crossing].transit_minutes
            during -= sum(
                1
                for b in bookings
                if b.crossing == crossing
                for a, z in b.passages(transit)
                if a < seal.end and seal.start < z
            )
        if during > 0:
            return None
    raid = {b.unit for b in bookings}
    posts: list[Post] = []
    for need in post_needs(instance.scenario, operation):
        missing = need.count
        for unit, distance in post_units(instance, need, cache):
            if missing == 0:
                break
            if unit in raid or any(p.unit == unit for p in posts):
                continue
            seal_start = start - operation.cordon.lead_minutes
            seal_end = start + operation.duration_minutes + operation.cordon.tail_minutes
            depart, ret = seal_start - distance, seal_end + distance
            if state.unit_free(unit, depart, ret):
                post = Post(
                    operation.id, need.crossing, need.side, unit, depart, ret, 2 * distance
                )
                state.add_post(post)
                posts.append(post)
                missing -= 1
        if missing:
            for post in posts:
                state.remove_post(post)
            return None
    return tuple(posts)
