"""Who is busy when, and which passages use a crossing: the bookkeeping of the greedy."""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort

from app.solver.instance import Instance, Interval, Route
from app.solver.model.timing import Booking, earliest_passage, inside_any, latest_passage

# How many earlier (or later) passage times, a third of a transit apart, to try when a
# crossing's lanes are full: reaches twelve passages back (a one-lane queue).
PASSAGE_TRIES = 36


class BookingState:
    """Busy intervals per unit and passage starts per crossing, kept sorted."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.busy: dict[str, list[Interval]] = {u: [] for u in instance.units}
        self.passages: dict[str, list[int]] = {x: [] for x in instance.crossings}

    def unit_free(self, unit: str, start: int, end: int) -> bool:
        """Inside the horizon, the unit's available time, and clear of its other bookings."""
        if start < 0 or end > self.instance.horizon_minutes:
            return False
        if not inside_any(self.instance.unit_available[unit], start, end):
            return False
        busy = self.busy[unit]
        index = bisect_left(busy, (end,))
        return index == 0 or busy[index - 1][1] <= start

    def lane_free(self, crossing: str, start: int) -> bool:
        """Whether one more passage starting at `start` keeps the crossing within its lanes."""
        transit = self.instance.crossings[crossing].transit_minutes
        lanes = self.instance.crossings[crossing].lanes
        starts = self.passages[crossing]
        low, high = bisect_right(starts, start - transit), bisect_left(starts, start + transit)
        if high - low < lanes:
            return True
        # All passages of a crossing last `transit`; check each instant where one begins.
        points = [start] + [p for p in starts[low:high] if p > start]
        for x in points:
            in_progress = bisect_right(starts, x) - bisect_right(starts, x - transit)
            if in_progress + 1 > lanes:
                return False
        return True

    def add(self, booking: Booking) -> None:
        insort(self.busy[booking.unit], (booking.depart, booking.ret))
        for passage_start, _ in self._passages(booking):
            insort(self.passages[booking.crossing or ""], passage_start)

    def remove(self, booking: Booking) -> None:
        self.busy[booking.unit].remove((booking.depart, booking.ret))
        for passage_start, _ in self._passages(booking):
            self.passages[booking.crossing or ""].remove(passage_start)

    def _passages(self, booking: Booking) -> list[Interval]:
        if booking.crossing is None:
            return []
        return booking.passages(self.instance.crossings[booking.crossing].transit_minutes)

    def trip(
        self, unit: str, route: Route, start: int, duration: int, key: tuple[str, str, str]
    ) -> Booking | None:
        """The tightest legal round trip for the unit by the route, or None."""
        operation, site, capability = key
        end = start + duration
        if route.crossing is None:
            depart, ret = start - route.to_site, end + route.to_site
            if not self.unit_free(unit, depart, ret):
                return None
            return Booking(operation, site, unit, capability, depart, ret, travel=route.travel)
        cross_out = self._passage_out(route, start - route.transit - route.to_site)
        cross_back = self._passage_back(route, end + route.to_site)
        if cross_out is None or cross_back is None:
            return None
        depart = cross_out - route.to_crossing
        ret = cross_back + route.transit + route.to_crossing
        if not self.unit_free(unit, depart, ret):
            return None
        return Booking(
            operation,
            site,
            unit,
            capability,
            depart,
            ret,
            route.crossing,
            cross_out,
            cross_back,
            route.travel,
        )

    def _passage_out(self, route: Route, limit: int) -> int | None:
        assert route.crossing is not None
        opening = self.instance.crossing_open[route.crossing]
        step = max(1, route.transit // 3)
        for _ in range(PASSAGE_TRIES):
            found = latest_passage(opening, route.transit, limit)
            if found is None or self.lane_free(route.crossing, found):
                return found
            limit = found - step
        return None

    def _passage_back(self, route: Route, limit: int) -> int | None:
        assert route.crossing is not None
        opening = self.instance.crossing_open[route.crossing]
        step = max(1, route.transit // 3)
        for _ in range(PASSAGE_TRIES):
            found = earliest_passage(opening, route.transit, limit)
            if found is None or self.lane_free(route.crossing, found):
                return found
            limit = found + step
        return None
