"""Crossing lanes for the diagnosis: stagger passages so no crossing carries more than its
lanes (rule 9), around the passages a plan already books.

A greedy, not an optimiser: good enough to build a concrete staffing that the validator
then confirms or refuses.
"""

from __future__ import annotations

from collections import defaultdict

from app.solver.instance import Instance, Interval
from app.solver.reach import earliest_passage, latest_passage
from app.solver.schema import Plan


class LaneBook:
    """The passages booked at each crossing, in horizon minutes (half-open)."""

    def __init__(self, instance: Instance, plan: Plan | None = None) -> None:
        self.instance = instance
        self.taken: dict[str, list[Interval]] = defaultdict(list)
        for scheduled in plan.operations if plan else []:
            for a in scheduled.assignments:
                crossing = instance.crossings.get(a.crossing or "")
                for moment in (a.cross_out, a.cross_back):
                    if crossing is None or moment is None:
                        continue
                    # Rounded outwards, so a passage that fits here fits the exact instants.
                    first = instance.floor_minutes(moment)
                    last = instance.ceil_minutes(moment) + crossing.transit_minutes
                    self.taken[crossing.id].append((first, last))

    def fits(self, crossing_id: str, start: int) -> bool:
        """Whether a passage starting at `start` keeps every instant within the lanes."""
        crossing = self.instance.crossings[crossing_id]
        end = start + crossing.transit_minutes
        overlapping = [p for p in self.taken[crossing_id] if p[0] < end and start < p[1]]
        if len(overlapping) < crossing.lanes:
            return True
        # Concurrency only rises where a passage starts: check those instants.
        points = {start} | {p[0] for p in overlapping if p[0] > start}
        return all(sum(1 for p in overlapping if p[0] <= x < p[1]) < crossing.lanes for x in points)

    def latest(self, crossing_id: str, latest: int) -> int | None:
        """The latest passage start <= `latest` inside opening hours with a free lane."""
        transit = self.instance.crossings[crossing_id].transit_minutes
        opens = self.instance.crossing_open[crossing_id]
        moment = latest_passage(opens, transit, latest)
        while moment is not None and not self.fits(crossing_id, moment):
            blocking = self._overlapping(crossing_id, moment, transit)
            moment = latest_passage(opens, transit, min(p[0] for p in blocking) - transit)
        return moment

    def earliest(self, crossing_id: str, earliest: int) -> int | None:
        """The earliest passage start >= `earliest` inside opening hours with a free lane."""
        transit = self.instance.crossings[crossing_id].transit_minutes
        opens = self.instance.crossing_open[crossing_id]
        moment = earliest_passage(opens, transit, earliest)
        while moment is not None and not self.fits(crossing_id, moment):
            blocking = self._overlapping(crossing_id, moment, transit)
            moment = earliest_passage(opens, transit, max(p[1] for p in blocking))
        return moment

    def _overlapping(self, crossing_id: str, start: int, transit: int) -> list[Interval]:
        end = start + transit
        return [p for p in self.taken[crossing_id] if p[0] < end and start < p[1]]

    def book(self, crossing_id: str, start: int) -> None:
        transit = self.instance.crossings[crossing_id].transit_minutes
        self.taken[crossing_id].append((start, start + transit))
