"""What the model and the greedy share: road times, agreements, and escort trip timing.

A trip leaves its base at the start of duty, drives to the holding site, loads, drives
to the hand-over point, waits for screening to open if it is early, hands over, and
drives back to its base. Leaving later never helps (waiting at the point is free), so
each (unit base, site, point) has one earliest timing, or none when the hand-over cannot
end within screening hours or the unit cannot be back within its duty.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

from app.solver.repatriation.schema import Cohort, EscortUnit, Point, Problem


def minutes_of(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class Trip:
    """The earliest timing of a trip from `base` via `site` to `point` and back."""

    base: str
    site: str
    point: str
    depart: int  # minutes after midnight
    handover: int
    duty_minutes: int

    @property
    def route(self) -> list[str]:
        if self.base == self.site:
            return [self.site, self.point, self.base]
        return [self.base, self.site, self.point, self.base]


class Network:
    """Indexes of one problem: days, shortest road times, agreed points, trip timings."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.cohorts = {c.id: c for c in problem.cohorts}
        self.points = {p.id: p for p in problem.points}
        self.units = {u.id: u for u in problem.escorts}
        self.days = problem.horizon.days
        self._adjacent: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for road in problem.roads:
            self._adjacent[road.a].append((road.b, road.minutes))
            self._adjacent[road.b].append((road.a, road.minutes))
        self._distances: dict[str, dict[str, int]] = {}

    def day(self, index: int) -> date:
        return self.problem.horizon.start + timedelta(days=index)

    def day_index(self, day: date) -> int:
        return (day - self.problem.horizon.start).days

    def release_index(self, cohort: Cohort) -> int:
        """The first day index the cohort may be handed over (0 when released before)."""
        return max(0, self.day_index(cohort.release))

    def distance(self, a: str, b: str) -> int | None:
        """Shortest driving minutes from a to b, None when no road joins them."""
        if a not in self._distances:
            best = {a: 0}
            queue = [(0, a)]
            while queue:
                d, here = heapq.heappop(queue)
                if d > best.get(here, d):
                    continue
                for there, minutes in self._adjacent[here]:
                    if d + minutes < best.get(there, d + minutes + 1):
                        best[there] = d + minutes
                        heapq.heappush(queue, (d + minutes, there))
            self._distances[a] = best
        return self._distances[a].get(b)

    def agreed(self, cohort: Cohort) -> list[Point]:
        """Points where an agency of the cohort's own country takes persons over."""
        return [
            p
            for p in self.problem.points
            if any(a.country == cohort.nationality for a in p.agencies)
        ]

    def trip(self, base: str, site: str, point: str) -> Trip | None:
        """The earliest feasible trip, or None (no road, outside hours, or too long)."""
        return self._trips.get((base, site, point))

    @cached_property
    def _trips(self) -> dict[tuple[str, str, str], Trip]:
        trips: dict[tuple[str, str, str], Trip] = {}
        start = minutes_of(self.problem.duty.start)
        sites = {c.site for c in self.problem.cohorts}
        for base in {u.base for u in self.problem.escorts}:
            for site in sites:
                for point in self.problem.points:
                    trip = self._timing(base, site, point, start)
                    if trip is not None:
                        trips[(base, site, point.id)] = trip
        return trips

    def _timing(self, base: str, site: str, point: Point, start: int) -> Trip | None:
        legs = [
            self.distance(base, site),
            self.distance(site, point.id),
            self.distance(point.id, base),
        ]
        if any(leg is None for leg in legs):
            return None
        to_site, to_point, home = (int(leg) for leg in legs)  # type: ignore[arg-type]
        handover = max(start + to_site + to_point, minutes_of(point.screening.from_))
        if handover + point.handover_minutes > minutes_of(point.screening.to):
            return None
        duty = handover + point.handover_minutes + home - start
        if duty > self.problem.duty.minutes:
            return None
        return Trip(base, site, point.id, start, handover, duty)

    def routes(self, cohort: Cohort) -> list[tuple[Point, list[EscortUnit]]]:
        """Each agreed point with the escort units that can take the cohort there in hours."""
        out = []
        for point in self.agreed(cohort):
            units = [u for u in self.problem.escorts if self.trip(u.base, cohort.site, point.id)]
            if units:
                out.append((point, units))
        return out
