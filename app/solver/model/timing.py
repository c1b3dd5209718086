"""Travel timing in whole minutes: border passages inside open hours, busy intervals.

Shared by the greedy and the CP-SAT model so both build the same kind of round trip.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from app.solver.instance import Interval, Route

# The longest wait at a crossing the model considers, beyond the tightest trip. Daily
# opening hours repeat every 24 h, so only lane congestion lasting a day could need more;
# the bound keeps passage domains (and the model) small.
MAX_WAIT = 24 * 60


@dataclass(frozen=True)
class Booking:
    """One assignment in minutes from the horizon start (the plan's instants, compiled)."""

    operation: str
    site: str
    unit: str
    capability: str
    depart: int
    ret: int
    crossing: str | None = None
    cross_out: int | None = None
    cross_back: int | None = None
    travel: int = 0

    def passages(self, transit: int) -> list[Interval]:
        """The two half-open passage intervals of a border trip (none when domestic)."""
        if self.cross_out is None or self.cross_back is None:
            return []
        return [
            (self.cross_out, self.cross_out + transit),
            (self.cross_back, self.cross_back + transit),
        ]


@dataclass(frozen=True)
class Post:
    """One border-control unit at one side of a sealed crossing (app.solver.cordons).

    Busy from `depart` to `ret`: the drive from its base, the whole seal, the drive back.
    """

    operation: str
    crossing: str
    side: str
    unit: str
    depart: int
    ret: int
    travel: int = 0


@dataclass(frozen=True)
class OperationSchedule:
    """A scheduled operation: its start, its bookings and its cordon posts."""

    start: int
    bookings: tuple[Booking, ...]
    posts: tuple[Post, ...] = ()


Solution = dict[str, OperationSchedule]


def passage_domain(open_intervals: list[Interval], transit: int) -> list[Interval]:
    """Closed ranges of passage starts `t` with `[t, t + transit)` inside one opening."""
    return [(a, b - transit) for a, b in open_intervals if b - transit >= a]


def latest_passage(open_intervals: list[Interval], transit: int, limit: int) -> int | None:
    """The latest passage start `t <= limit` whose passage lies inside an opening."""
    for a, b in reversed(open_intervals):
        latest = min(limit, b - transit)
        if latest >= a:
            return latest
    return None


def earliest_passage(open_intervals: list[Interval], transit: int, limit: int) -> int | None:
    """The earliest passage start `t >= limit` whose passage lies inside an opening."""
    for a, b in open_intervals:
        earliest = max(limit, a)
        if earliest + transit <= b:
            return earliest
    return None


def inside_any(windows: list[Interval], start: int, end: int) -> bool:
    """Whether `[start, end)` lies inside one of the sorted, joined windows."""
    index = bisect_right(windows, (start, float("inf"))) - 1
    return index >= 0 and windows[index][0] <= start and end <= windows[index][1]


def minimal_busy(route: Route, start: int, duration: int) -> Interval:
    """The shortest possible busy interval for a route, ignoring opening hours and lanes."""
    return start - route.one_way, start + duration + route.one_way
