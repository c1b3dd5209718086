"""Dwell: minutes foreign units spend in the host country beyond what travel needs.

A unit deployed across a border is in the host country from the end of its outbound
passage to the start of its return passage. Travel needs `d(B, site)` each way plus the
strike itself; anything beyond is waiting abroad (armed foreign units waiting overnight
in the host country: a sovereignty and OPSEC problem, issue 9). It is the objective's
third level, after priority and travel: `tighten` moves passages only, never a start, a
unit or a route, so neither of the first two levels can change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from app.solver.instance import Instance, Route
from app.solver.model.state import BookingState
from app.solver.model.timing import Booking, OperationSchedule, Solution


def booking_route(instance: Instance, booking: Booking) -> Route | None:
    """The route a border booking takes (None for a domestic one)."""
    if booking.crossing is None:
        return None
    base = instance.units[booking.unit].base
    region = instance.sites[booking.site][1].region
    for route in instance.routes(base, region):
        if route.crossing == booking.crossing:
            return route
    return None


def booking_dwell(instance: Instance, booking: Booking, start: int, duration: int) -> int:
    """Minutes the booking's unit waits in the host country (0 for a domestic one)."""
    route = booking_route(instance, booking)
    if route is None or booking.cross_out is None or booking.cross_back is None:
        return 0
    before = start - route.to_site - (booking.cross_out + route.transit)
    after = booking.cross_back - (start + duration + route.to_site)
    return max(0, before) + max(0, after)


def solution_dwell(instance: Instance, solution: Solution) -> int:
    """Total dwell of the solution's border bookings."""
    total = 0
    for op_id, schedule in solution.items():
        duration = instance.operations[op_id].duration_minutes
        total += sum(
            booking_dwell(instance, b, schedule.start, duration) for b in schedule.bookings
        )
    return total


def tighten(
    instance: Instance,
    solution: Solution,
    keep: set[str],
    out_of_time: Callable[[], bool] = lambda: False,
) -> tuple[Solution, bool]:
    """Every border trip re-timed to its latest free outbound and earliest free return passage.

    Operations in `keep` (pinned) stay as they are. Moving one trip's passages can free a
    lane for another, so passes repeat while they shorten something (at most a few).
    A trip's new passages are the latest free at or before the old outbound limit and the
    earliest free at or after the return limit; the old ones are free once the trip is
    lifted, so the new busy interval lies inside the old one and the unit stays free.
    The flag is False when `out_of_time` ended it early.
    """
    state = BookingState(instance)
    for op_id, schedule in solution.items():
        state.add_schedule(op_id, schedule)
    result = dict(solution)
    for _ in range(3):
        changed = False
        for op_id in sorted(result):
            if op_id in keep:
                continue
            if out_of_time():
                return result, False
            schedule = result[op_id]
            duration = instance.operations[op_id].duration_minutes
            bookings = []
            for booking in schedule.bookings:
                shorter = _shorter_trip(instance, state, booking, schedule.start, duration)
                changed = changed or shorter is not booking
                bookings.append(shorter)
            result[op_id] = OperationSchedule(schedule.start, tuple(bookings), schedule.posts)
        if not changed:
            break
    return result, True


def _shorter_trip(
    instance: Instance, state: BookingState, booking: Booking, start: int, duration: int
) -> Booking:
    """The booking with tighter passages (already in `state`), or the booking itself."""
    route = booking_route(instance, booking)
    if route is None:
        return booking
    before = booking_dwell(instance, booking, start, duration)
    if before == 0:
        return booking
    state.remove(booking)
    key = (booking.operation, booking.site, booking.capability)
    trip = state.trip(booking.unit, route, start, duration, key)
    if trip is None or booking_dwell(instance, trip, start, duration) >= before:
        state.add(booking)
        return booking
    tighter = replace(
        booking,
        depart=trip.depart,
        ret=trip.ret,
        cross_out=trip.cross_out,
        cross_back=trip.cross_back,
    )
    state.add(tighter)
    return tighter
