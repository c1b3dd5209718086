"""Who is busy when, and which passages use a crossing: the bookkeeping of the greedy."""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from dataclasses import dataclass

from app.solver.instance import Instance, Interval, Route
from app.solver.model.timing import (
    MAX_WAIT,
    Booking,
    OperationSchedule,
    Post,
    earliest_passage,
    inside_any,
    latest_passage,
)

# At most this many jumps over full lanes when looking for a free passage. Each jump
# passes at least one booked passage, and the search stops MAX_WAIT from the tightest
# trip anyway (the CP-SAT model's passage domains end there, so the greedy's plan stays a
# valid hint); the cap only bounds pathological inputs.
PASSAGE_JUMPS = 200


class CrossingLanes:
    """The passage starts booked at one crossing, sorted; every passage lasts `transit`.

    "Is a lane free for a passage from t to t + transit" is answered with bisections: at
    most `2 * lanes` booked passages overlap such a window when the lanes are respected,
    so a question costs O(lanes * log n), not a scan of the bookings (issue 9: 5.8 million
    scanning calls made the greedy take 142 s on a one-lane, 5-minute-grid scenario).
    """

    def __init__(self, transit: int, lanes: int) -> None:
        self.transit = transit
        self.lanes = lanes
        self.starts: list[int] = []

    def in_progress(self, moment: int) -> int:
        """How many booked passages are under way at `moment` (half-open intervals)."""
        return bisect_right(self.starts, moment) - bisect_right(self.starts, moment - self.transit)

    def full_moments(self, start: int) -> list[int]:
        """The instants of `[start, start + transit)` at which every lane is taken.

        Concurrency only rises where a passage begins, so those instants and `start` are
        the only ones to look at.
        """
        starts, transit = self.starts, self.transit
        low = bisect_right(starts, start - transit)
        high = bisect_left(starts, start + transit)
        if high - low < self.lanes:
            return []
        first = bisect_right(starts, start)
        moments = [start, *starts[first:high]]
        return [x for x in moments if self.in_progress(x) >= self.lanes]

    def free(self, start: int) -> bool:
        return not self.full_moments(start)

    def next_earlier(self, start: int) -> int | None:
        """None when `start` is free; otherwise the latest start that might be.

        Every start s' with s' <= x < s' + transit (x the first full instant) is full too.
        """
        full = self.full_moments(start)
        return None if not full else full[0] - self.transit

    def next_later(self, start: int) -> int | None:
        """None when `start` is free; otherwise the earliest start that might be.

        At the last full instant x all lanes stay taken until the first of the passages
        under way at x ends.
        """
        full = self.full_moments(start)
        if not full:
            return None
        last = full[-1]
        under_way = self.starts[bisect_right(self.starts, last - self.transit)]
        return under_way + self.transit

    def add(self, start: int) -> None:
        insort(self.starts, start)

    def remove(self, start: int) -> None:
        index = bisect_left(self.starts, start)
        if index == len(self.starts) or self.starts[index] != start:
            raise ValueError(f"no passage booked at minute {start}")
        del self.starts[index]


@dataclass(frozen=True)
class Seal:
    """A crossing closed by an operation's cordon over `[start, end)`."""

    start: int
    end: int
    operation: str
    allow_own: bool

    def excludes(self, operation: str, start: int, end: int) -> bool:
        """Whether a passage `[start, end)` of `operation` may not happen during the seal."""
        if operation == self.operation and self.allow_own:
            return False
        return start < self.end and self.start < end


def seals_of(instance: Instance, operation: str, start: int) -> list[tuple[str, Seal]]:
    """The seals of an operation starting at `start`, by crossing (none without a cordon)."""
    cordon = instance.operations[operation].cordon
    if cordon is None:
        return []
    seal = Seal(
        start - cordon.lead_minutes,
        start + instance.operations[operation].duration_minutes + cordon.tail_minutes,
        operation,
        cordon.allow_own_passages,
    )
    return [(crossing, seal) for crossing in instance.sealed[operation]]


class BookingState:
    """Busy intervals per unit, passage starts per crossing and seals, kept sorted."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.busy: dict[str, list[Interval]] = {u: [] for u in instance.units}
        self.lanes: dict[str, CrossingLanes] = {
            x.id: CrossingLanes(x.transit_minutes, x.lanes) for x in instance.scenario.crossings
        }
        # Passage searches are asked again for every candidate unit of a site; the answer
        # depends only on the crossing's bookings, so it is kept until they change.
        self.version: dict[str, int] = {x: 0 for x in self.lanes}
        self.found: dict[tuple[str, int, bool], tuple[int, int | None]] = {}
        # Cordons (app.solver.cordons): crossings closed to passages during seals.
        self.seals: dict[str, list[Seal]] = {}

    def add_seals(self, operation: str, start: int) -> list[tuple[str, Seal]]:
        """Book the operation's seals at `start`; what `remove_seals` takes back."""
        seals = seals_of(self.instance, operation, start)
        for crossing, seal in seals:
            self.seals.setdefault(crossing, []).append(seal)
        return seals

    def remove_seals(self, seals: list[tuple[str, Seal]]) -> None:
        for crossing, seal in seals:
            self.seals[crossing].remove(seal)

    def add_schedule(self, operation: str, schedule: OperationSchedule) -> None:
        """Book a whole scheduled operation: its trips, its posts and its seals."""
        for booking in schedule.bookings:
            self.add(booking)
        for post in schedule.posts:
            self.add_post(post)
        self.add_seals(operation, schedule.start)

    def remove_schedule(self, operation: str, schedule: OperationSchedule) -> None:
        for booking in schedule.bookings:
            self.remove(booking)
        for post in schedule.posts:
            self.remove_post(post)
        self.remove_seals(seals_of(self.instance, operation, schedule.start))

    def add_post(self, post: Post) -> None:
        insort(self.busy[post.unit], (post.depart, post.ret))

    def remove_post(self, post: Post) -> None:
        self.busy[post.unit].remove((post.depart, post.ret))

    def unsealed_passage(
        self, crossing: str, operation: str, limit: int, outbound: bool
    ) -> int | None:
        """`passage()` that also keeps out of the seals closing the crossing to the
        operation: before a seal it jumps to just before it starts (outbound), or to its
        end (back), never beyond MAX_WAIT from `limit`."""
        moment = limit
        transit = self.lanes[crossing].transit
        for _ in range(PASSAGE_JUMPS):
            found = self.passage(crossing, moment, outbound)
            if found is None or abs(found - limit) > MAX_WAIT:
                return None
            end = found + transit
            blocking = [
                s for s in self.seals.get(crossing, ()) if s.excludes(operation, found, end)
            ]
            if not blocking:
                return found
            if outbound:
                moment = min(s.start for s in blocking) - transit
            else:
                moment = max(s.end for s in blocking)
        return None

    def passages_during(self, crossing: str, start: int, end: int) -> int:
        """How many booked passages of the crossing overlap `[start, end)`."""
        lanes = self.lanes[crossing]
        return bisect_left(lanes.starts, end) - bisect_right(lanes.starts, start - lanes.transit)

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
        return self.lanes[crossing].free(start)

    def add(self, booking: Booking) -> None:
        insort(self.busy[booking.unit], (booking.depart, booking.ret))
        for passage_start, _ in self._passages(booking):
            self.lanes[booking.crossing or ""].add(passage_start)
        if booking.crossing is not None:
            self.version[booking.crossing] += 1

    def remove(self, booking: Booking) -> None:
        self.busy[booking.unit].remove((booking.depart, booking.ret))
        for passage_start, _ in self._passages(booking):
            self.lanes[booking.crossing or ""].remove(passage_start)
        if booking.crossing is not None:
            self.version[booking.crossing] += 1

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
        # Any trip by the route holds the unit at least one way before the start and one
        # way after the end (passages only move outwards): a unit busy within that needs
        # no passage search, the greedy's most frequent answer when units are scarce.
        if not self.unit_free(unit, start - route.one_way, end + route.one_way):
            return None
        cross_out = self.unsealed_passage(
            route.crossing, operation, start - route.transit - route.to_site, True
        )
        if cross_out is None:
            return None
        cross_back = self.unsealed_passage(route.crossing, operation, end + route.to_site, False)
        if cross_back is None:
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

    def passage(self, crossing: str, limit: int, outbound: bool) -> int | None:
        """The latest free passage start <= `limit` (outbound) or earliest >= it (back)."""
        key = (crossing, limit, outbound)
        version = self.version[crossing]
        cached = self.found.get(key)
        if cached is not None and cached[0] == version:
            return cached[1]
        found = self._search(crossing, limit, outbound)
        self.found[key] = (version, found)
        return found

    def _search(self, crossing: str, limit: int, outbound: bool) -> int | None:
        opening = self.instance.crossing_open[crossing]
        lanes = self.lanes[crossing]
        transit = lanes.transit
        moment = limit
        for _ in range(PASSAGE_JUMPS):
            if outbound:
                found = latest_passage(opening, transit, moment)
                if found is None or found < limit - MAX_WAIT:
                    return None
                moment_next = lanes.next_earlier(found)
            else:
                found = earliest_passage(opening, transit, moment)
                if found is None or found > limit + MAX_WAIT:
                    return None
                moment_next = lanes.next_later(found)
            if moment_next is None:
                return found
            moment = moment_next
        return None
