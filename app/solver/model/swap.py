"""Nearer units: each booked unit swapped for a nearer free one that may fill its place.

A pass of single-unit moves, in Python, on a whole plan: start, site and capability stay,
so priority cannot change; a move is taken only when it shortens travel and the site keeps
its headcount and a host-nation unit (rules 4 and 5). The greedy staffs operations one by
one, nearest free unit first; once later operations are placed, a nearer unit is often
free at an earlier operation's time only by a different route, or the plan came from a
search neighbourhood that never looked at that unit. The LNS then starts from (and the
plan ends with) fewer such easy gains left.
"""

from __future__ import annotations

from collections.abc import Callable

from app.solver.greedy import Greedy
from app.solver.instance import Instance
from app.solver.model.timing import Booking, OperationSchedule, Solution
from app.solver.schema import Operation, Site

PASSES = 3


def nearer_units(
    instance: Instance,
    solution: Solution,
    keep: set[str],
    out_of_time: Callable[[], bool] = lambda: False,
    caches: Greedy | None = None,
) -> Solution:
    """The solution with every improving single-unit swap taken (operations in `keep` stay).

    `caches`: a greedy whose candidate lists to reuse (building them is most of the time).
    """
    planner = caches.sharing_caches() if caches is not None else Greedy(instance)
    state = planner.state
    for op_id, schedule in solution.items():
        state.add_schedule(op_id, schedule)
    result = dict(solution)
    # A unit moved away frees its old place for a unit farther out: passes repeat while
    # they shorten travel (the third found little on the large sample).
    for _ in range(PASSES):
        changed = False
        for op_id in sorted(result):
            if op_id in keep:
                continue
            if out_of_time():
                return result
            operation = instance.operations[op_id]
            schedule = result[op_id]
            bookings = list(schedule.bookings)
            for index in range(len(bookings)):
                swapped = _swap(planner, operation, schedule.start, bookings, index)
                if swapped is not None:
                    bookings[index] = swapped
                    changed = True
            result[op_id] = OperationSchedule(schedule.start, tuple(bookings), schedule.posts)
        if not changed:
            break
    return result


def _swap(
    planner: Greedy, operation: Operation, start: int, bookings: list[Booking], index: int
) -> Booking | None:
    """A nearer unit for bookings[index], booked in the planner's state, or None."""
    instance, state = planner.instance, planner.state
    booking = bookings[index]
    site = instance.sites[booking.site][1]
    in_operation = {b.unit for b in bookings}
    for candidate in planner.ordered_candidates(operation, site, 0):
        if candidate.best_travel >= booking.travel:
            return None  # nearest first: nothing nearer follows
        if candidate.unit in in_operation or booking.capability not in candidate.capabilities:
            continue
        state.remove(booking)
        new = planner.book(operation, candidate, booking.capability, start)
        if new is not None and new.travel < booking.travel:
            others = [b for i, b in enumerate(bookings) if i != index and b.site == site.id]
            if _site_holds(instance, site, [*others, new]):
                return new
        if new is not None:
            state.remove(new)
        state.add(booking)
    return None


def _site_holds(instance: Instance, site: Site, bookings: list[Booking]) -> bool:
    """Headcount and host-nation presence of a site staffed by these bookings."""
    units = [instance.units[b.unit] for b in bookings]
    host = instance.site_country(site)
    enough = sum(u.personnel for u in units) >= site.required_personnel
    return enough and any(instance.unit_country(u) == host for u in units)
