"""Rule 8 (travel across a border) and crossing opening hours on exact instants."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from app.solver.instance import ExactInterval, crossing_open_exact
from app.solver.schema import Assignment, Crossing, Operation, Scenario, Site, Unit, format_instant

if TYPE_CHECKING:
    from app.solver.validate_rules import PlanChecker

DAY = timedelta(days=1)
FAR_FUTURE = datetime.max.replace(tzinfo=UTC)
Openings = tuple[list[datetime], list[ExactInterval]]


def plus(moment: datetime, *minutes: int) -> datetime:
    """`moment` plus whole minutes; beyond the calendar's end, FAR_FUTURE (never fits).

    Durations and road minutes have no upper bound in the spec, so a sum may not fit a
    datetime; such a moment is later than every real instant, which is the right verdict.
    """
    try:
        return moment + timedelta(minutes=sum(minutes))
    except OverflowError:
        return FAR_FUTURE


@dataclass(frozen=True)
class Passage:
    """One unit's passage through a crossing, `[start, end)`."""

    start: datetime
    end: datetime
    direction: str  # "outbound" or "return"
    operation: str
    site: str
    unit: str


def show(moment: datetime) -> str:
    """An instant in UTC for messages."""
    return format_instant(moment)


def show_local(moment: datetime, zone: ZoneInfo) -> str:
    """An instant in a local zone for messages: minutes, or seconds when it has any."""
    try:
        local = moment.astimezone(zone)
    except OverflowError:  # FAR_FUTURE has no local time
        return show(moment)
    spec = "minutes" if not (local.second or local.microsecond) else "auto"
    return local.isoformat(timespec=spec)


class CrossingHours:
    """The exact open time of every crossing, computed once over the horizon."""

    def __init__(self, scenario: Scenario) -> None:
        self.crossings = {c.id: c for c in scenario.crossings}
        # One spare day each side: passages just outside the horizon are still judged
        # by the crossing's real hours (rule 10 reports them as outside the horizon).
        self.first, self.last = scenario.horizon.start, scenario.horizon.end
        if (
            datetime.min.replace(tzinfo=UTC) + 3 * DAY
            < self.first
            < self.last
            < FAR_FUTURE - 3 * DAY
        ):
            self.first, self.last = self.first - DAY, self.last + DAY
        self._open: dict[str, Openings] = {}

    def zone(self, crossing_id: str) -> ZoneInfo:
        return ZoneInfo(self.crossings[crossing_id].timezone)

    def is_open(self, crossing: Crossing, start: datetime, end: datetime) -> bool:
        """Whether `[start, end)` lies inside one joined opening of the crossing."""
        if not crossing.open and not crossing.closed:
            return True
        try:
            starts, windows = self._openings(crossing, start, end)
        except OverflowError:  # at the ends of the calendar: treat as closed
            return False
        index = bisect_right(starts, start) - 1
        return index >= 0 and end <= windows[index][1]

    def _openings(self, crossing: Crossing, start: datetime, end: datetime) -> Openings:
        """Openings covering `[start, end)`: the cached horizon ones when they cover it."""
        if self.first <= start and end <= self.last:
            if crossing.id not in self._open:
                self._open[crossing.id] = _indexed(
                    crossing_open_exact(crossing, self.first, self.last)
                )
            return self._open[crossing.id]
        # Clipping only shrinks openings, so any range covering the passage is exact.
        return _indexed(crossing_open_exact(crossing, start - DAY, end + DAY))


def _indexed(windows: list[ExactInterval]) -> Openings:
    return [s for s, _ in windows], windows


def check_abroad(
    checker: PlanChecker,
    operation: Operation,
    site: Site,
    assignment: Assignment,
    unit: Unit,
    strike: tuple[datetime, datetime],
) -> None:
    """Rule 8 for a unit deployed outside its own country; records passages for rule 9."""
    where = (operation.id, site.id, unit.id)
    fields = (assignment.crossing, assignment.cross_out, assignment.cross_back)
    if any(value is None for value in fields):
        missing = [
            n
            for n, v in zip(("crossing", "cross_out", "cross_back"), fields, strict=True)
            if v is None
        ]
        checker.add(
            8,
            f"a unit deployed abroad needs crossing, cross_out and cross_back "
            f"(missing: {', '.join(missing)})",
            *where,
        )
        return
    crossing = checker.instance.crossings.get(assignment.crossing or "")
    if crossing is None:
        checker.add(0, f"unknown crossing id {assignment.crossing!r}", *where)
        return
    ends = _crossing_ends(checker, crossing, unit, site)
    if ends is None:
        checker.add(
            8,
            f"crossing {crossing.id} does not join "
            f"{checker.instance.unit_country(unit)} and "
            f"{checker.instance.site_country(site)}",
            *where,
        )
        return
    _check_route(checker, crossing, ends, assignment, unit, site, strike, where)


def _crossing_ends(
    checker: PlanChecker, crossing: Crossing, unit: Unit, site: Site
) -> tuple[str, str] | None:
    """(A, B): the crossing's end in the unit's country and the one in the site's country."""
    home, away = checker.instance.unit_country(unit), checker.instance.site_country(site)
    by_country = {checker.instance.region_country[end]: end for end in (crossing.a, crossing.b)}
    if set(by_country) != {home, away}:
        return None
    return by_country[home], by_country[away]


def _check_route(
    checker: PlanChecker,
    crossing: Crossing,
    ends: tuple[str, str],
    assignment: Assignment,
    unit: Unit,
    site: Site,
    strike: tuple[datetime, datetime],
    where: tuple[str, str, str],
) -> None:
    """The four timing inequalities of rule 8, opening hours, and the travel minutes."""
    a_end, b_end = ends
    to_crossing = checker.instance.distance(unit.base, a_end)
    to_site = checker.instance.distance(b_end, site.region)
    if to_crossing is None or to_site is None:
        gap = f"base {unit.base} to {a_end}" if to_crossing is None else f"{b_end} to {site.region}"
        checker.add(8, f"no road from {gap} (route through {crossing.id})", *where)
        return
    checker.travel += 2 * (to_crossing + crossing.transit_minutes + to_site)
    for text in _timing_problems(crossing, (to_crossing, to_site), assignment, strike):
        checker.add(8, text, *where)
    assert assignment.cross_out is not None and assignment.cross_back is not None
    checker.dwell += _dwell_minutes(crossing, to_site, assignment, strike)
    for direction, moment in (
        ("outbound", assignment.cross_out),
        ("return", assignment.cross_back),
    ):
        _record_passage(checker, crossing, direction, moment, where)


def _dwell_minutes(
    crossing: Crossing, to_site: int, assignment: Assignment, strike: tuple[datetime, datetime]
) -> int:
    """Whole minutes the unit waits in the host country beyond travel and the strike.

    In the host country from the end of the outbound passage to the start of the return
    one; travel needs `to_site` each way. Waits that break rule 8 count as none.
    """
    out, back = assignment.cross_out, assignment.cross_back
    assert out is not None and back is not None
    start, end = strike
    before = (start - plus(out, crossing.transit_minutes, to_site)).total_seconds()
    after = (back - plus(end, to_site)).total_seconds()
    return int((max(0.0, before) + max(0.0, after)) // 60)


def _timing_problems(
    crossing: Crossing,
    legs: tuple[int, int],
    assignment: Assignment,
    strike: tuple[datetime, datetime],
) -> list[str]:
    """What breaks the four inequalities of rule 8 (legs: d(base, A) and d(B, site))."""
    to_crossing, to_site = legs
    transit, start, end = crossing.transit_minutes, *strike
    out, back = assignment.cross_out, assignment.cross_back
    assert out is not None and back is not None  # checked by the caller
    problems = []
    if plus(assignment.depart, to_crossing) > out:
        problems.append(
            f"departs {show(assignment.depart)}, {to_crossing} min from {crossing.id}, "
            f"cannot cross out at {show(out)}"
        )
    if plus(out, transit, to_site) > start:
        problems.append(
            f"crosses out at {show(out)}, cannot reach the site ({transit} min transit + "
            f"{to_site} min) by the start {show(start)}"
        )
    if plus(end, to_site) > back:
        problems.append(
            f"the strike ends {show(end)}, cannot be back at {crossing.id} ({to_site} min) "
            f"to cross back at {show(back)}"
        )
    if plus(back, transit, to_crossing) > assignment.return_:
        problems.append(
            f"crosses back at {show(back)}, cannot be home ({transit} min transit + "
            f"{to_crossing} min) by the return {show(assignment.return_)}"
        )
    return problems


def _record_passage(
    checker: PlanChecker,
    crossing: Crossing,
    direction: str,
    moment: datetime,
    where: tuple[str, str, str],
) -> None:
    finish = plus(moment, crossing.transit_minutes)
    if not checker.hours.is_open(crossing, moment, finish):
        local = show_local(moment, checker.hours.zone(crossing.id))
        checker.add(
            8,
            f"{direction} passage through {crossing.id} at {local} local is outside its open hours",
            *where,
            label="crossing hours",
        )
    checker.passages[crossing.id].append(Passage(moment, finish, direction, *where))
