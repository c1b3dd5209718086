"""Foreign dwell time: how long a foreign unit waits inside the host country.

A unit that crosses a border is inside the host country from the end of its passage in
(`cross_out + transit`) until its passage back starts (`cross_back`). Its wait before the
task is the time from crossing in to H-hour, its wait after the time from the task's end
to crossing out again (both include the drive between the crossing and the site). A wait
over the board's limit (JOINTOPS_FOREIGN_DWELL_LIMIT_HOURS, default 4 h) is flagged: an
armed foreign unit idling in the host country for hours is a risk the host must hear of.

Pure: instants in, durations out; the run review and the operation page both call it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Dwell:
    """A foreign unit's waits inside the host country around one task."""

    before: timedelta  # from crossing in to H-hour
    after: timedelta  # from the task's end to crossing out
    limit: timedelta

    @property
    def over_before(self) -> bool:
        return self.before > self.limit

    @property
    def over_after(self) -> bool:
        return self.after > self.limit

    @property
    def flagged(self) -> bool:
        return self.over_before or self.over_after

    @property
    def total(self) -> timedelta:
        return self.before + self.after


def foreign_dwell(
    *, cross_out: datetime | None, cross_back: datetime | None, transit_minutes: int,
    start: datetime, end: datetime, limit: timedelta,
) -> Dwell | None:
    """The waits of a unit that crosses at `cross_out` (passage taking `transit_minutes`)
    for a task from `start` to `end` and crosses back at `cross_back`; None for a unit
    that does not cross a border (it is at home).

    A wait never counts below zero (a plan is checked elsewhere: here an inconsistent
    order would only show as no wait).
    """
    if cross_out is None or cross_back is None:
        return None
    inside = cross_out + timedelta(minutes=transit_minutes)
    zero = timedelta(0)
    return Dwell(before=max(start - inside, zero), after=max(cross_back - end, zero),
                 limit=limit)

