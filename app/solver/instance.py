"""A scenario compiled for planning: distances, routes, opening hours and time grids.

The solver works in whole minutes counted from `horizon.start`. Where an input instant
does not fall on a whole minute, windows are rounded inwards (starts up, ends down), so
every plan the solver builds on these numbers is valid against the exact instants.
The validator (`app.solver.validate`) does not use the rounded numbers.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from app.solver.intervals import subtract
from app.solver.schema import Crossing, DailyWindow, Operation, Scenario, Site, TimeWindow, Unit

MINUTE = timedelta(minutes=1)
ONE_DAY = timedelta(days=1)
Interval = tuple[int, int]
ExactInterval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Route:
    """One way from a unit's base to a site: directly, or through one border crossing.

    Roads are undirected, so the way back is the same length: `d(site, B) = d(B, site)`.
    """

    crossing: str | None
    to_crossing: int  # d(base, A); 0 for a domestic route
    transit: int  # the crossing's transit minutes; 0 for a domestic route
    to_site: int  # d(B, site), or d(base, site) for a domestic route

    @property
    def one_way(self) -> int:
        return self.to_crossing + self.transit + self.to_site

    @property
    def travel(self) -> int:
        """Travel minutes of the round trip, as the objective counts them."""
        return 2 * self.one_way


def shortest_paths(
    regions: list[str], roads: list[tuple[str, str, int]]
) -> dict[str, dict[str, int]]:
    """All-pairs road distances (Dijkstra from every region); a missing key is unreachable."""
    neighbours: dict[str, dict[str, int]] = defaultdict(dict)
    for a, b, minutes in roads:
        for x, y in ((a, b), (b, a)):
            if minutes < neighbours[x].get(y, minutes + 1):
                neighbours[x][y] = minutes
    result: dict[str, dict[str, int]] = {}
    for source in regions:
        best = {source: 0}
        queue = [(0, source)]
        while queue:
            dist, here = heapq.heappop(queue)
            if dist > best.get(here, dist):
                continue
            for there, minutes in neighbours[here].items():
                candidate = dist + minutes
                if candidate < best.get(there, candidate + 1):
                    best[there] = candidate
                    heapq.heappush(queue, (candidate, there))
        result[source] = best
    return result


def merge_exact(windows: list[ExactInterval]) -> list[ExactInterval]:
    """Join overlapping or touching intervals; drop empty ones."""
    merged: list[ExactInterval] = []
    for start, end in sorted(w for w in windows if w[0] < w[1]):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _local_time(text: str) -> tuple[time, int]:
    """`HH:MM` as a time and a day offset (`24:00` is midnight of the next day)."""
    if text == "24:00":
        return time(0, 0), 1
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes)), 0


def crossing_open_exact(
    crossing: Crossing, first: datetime, last: datetime
) -> list[ExactInterval]:
    """The crossing's open time between two instants, as joined exact UTC intervals:
    its daily hours (always open without them), less its dated closures."""
    closed = [(w.start, w.end) for w in crossing.closed or []]
    return subtract(_daily_open(crossing, first, last), closed)


def _daily_open(crossing: Crossing, first: datetime, last: datetime) -> list[ExactInterval]:
    if not crossing.open:
        return [(first, last)]
    zone = ZoneInfo(crossing.timezone)
    # From the local day before to the day after, within the calendar Python knows
    # (a horizon in the years 1 or 9999 is valid, if unusual).
    day = max(_utc_day(first, date.min), date.min + ONE_DAY) - ONE_DAY
    final_day = min(_utc_day(last, date.max), date.max - ONE_DAY) + ONE_DAY
    windows: list[ExactInterval] = []
    for days in range((final_day - day).days + 1):
        for window in crossing.open:
            try:
                windows.append(_window_on(day + days * ONE_DAY, window, zone))
            except OverflowError:  # beyond year 9999 in UTC: outside any horizon
                continue
    clipped = [(max(s, first), min(e, last)) for s, e in windows]
    return merge_exact([(s, e) for s, e in clipped if s < e])


def _utc_day(instant: datetime, beyond: date) -> date:
    """The instant's date in UTC (`beyond` when that is outside years 1 to 9999)."""
    try:
        return instant.astimezone(UTC).date()
    except OverflowError:
        return beyond


def _window_on(day: date, window: DailyWindow, zone: ZoneInfo) -> ExactInterval:
    open_time, open_shift = _local_time(window.from_)
    close_time, close_shift = _local_time(window.to)
    opens = datetime.combine(day + timedelta(days=open_shift), open_time, zone)
    closes = datetime.combine(day + timedelta(days=close_shift), close_time, zone)
    return opens, closes


def availability_exact(
    available: list[TimeWindow] | None, first: datetime, last: datetime
) -> list[ExactInterval]:
    """A unit's available time inside `[first, last]`, joined."""
    if available is None:
        return [(first, last)]
    return merge_exact([(max(w.start, first), min(w.end, last)) for w in available])


@dataclass
class Instance:
    """Everything the planning algorithms need to know about one scenario, precomputed."""

    scenario: Scenario
    # The earliest instant anything new may happen (the board's now plus the notice a unit
    # needs): free operations start, and their units leave, no earlier. Pinned (fixed)
    # operations keep their times, which may lie before it. None: the horizon start.
    not_before: datetime | None = None
    start: datetime = field(init=False)
    horizon_minutes: int = field(init=False)
    distances: dict[str, dict[str, int]] = field(init=False)
    region_country: dict[str, str] = field(init=False)
    agency_country: dict[str, str] = field(init=False)
    agreements: set[tuple[str, str]] = field(init=False)

    def __post_init__(self) -> None:
        scenario = self.scenario
        self.start = scenario.horizon.start
        self.horizon_minutes = self.floor_minutes(scenario.horizon.end)
        self.region_country = {r.id: r.country for r in scenario.regions}
        self.agency_country = {a.id: a.country for a in scenario.agencies}
        self.agreements = {(a.from_, a.to) for a in scenario.agreements}
        self.distances = shortest_paths(
            [r.id for r in scenario.regions], [(r.a, r.b, r.minutes) for r in scenario.roads]
        )
        self._routes: dict[tuple[str, str], list[Route]] = {}

    # ---- lookups -------------------------------------------------------------------

    @cached_property
    def units(self) -> dict[str, Unit]:
        return {u.id: u for u in self.scenario.units}

    @cached_property
    def operations(self) -> dict[str, Operation]:
        return {o.id: o for o in self.scenario.operations}

    @cached_property
    def crossings(self) -> dict[str, Crossing]:
        return {c.id: c for c in self.scenario.crossings}

    @cached_property
    def sites(self) -> dict[str, tuple[Operation, Site]]:
        return {s.id: (o, s) for o in self.scenario.operations for s in o.sites}

    @cached_property
    def sealed(self) -> dict[str, list[str]]:
        """The crossings each operation's cordon seals (docs/cordon-format.md)."""
        from app.solver.cordons import sealed_crossings

        return {o.id: sealed_crossings(self.scenario, o) for o in self.scenario.operations}

    def unit_country(self, unit: Unit) -> str:
        return self.agency_country[unit.agency]

    def site_country(self, site: Site) -> str:
        return self.region_country[site.region]

    def distance(self, a: str, b: str) -> int | None:
        """Road minutes from region a to region b, or None when no road path exists."""
        return self.distances.get(a, {}).get(b)

    # ---- time ----------------------------------------------------------------------

    @property
    def on_whole_minutes(self) -> bool:
        """Whether the horizon starts on a whole minute, so that whole-minute windows
        (crossing hours, most availability) need no rounding."""
        return self.start.second == 0 and self.start.microsecond == 0

    def _offset(self, instant: datetime) -> timedelta:
        return instant - self.start

    def floor_minutes(self, instant: datetime) -> int:
        return self._offset(instant) // MINUTE

    def ceil_minutes(self, instant: datetime) -> int:
        return -((self.start - instant) // MINUTE)

    def instant(self, minutes: int) -> datetime:
        """The instant `minutes` after the horizon start."""
        return self.start + minutes * MINUTE

    def start_minutes(self, operation: Operation) -> list[int]:
        """Every slot-grid start (minutes from horizon start) the operation's window allows.

        The whole operation must also fit in the horizon, since every unit's busy interval
        `[depart, return)` contains `[s, e)` and must lie inside the horizon.
        """
        slot = self.scenario.slot_minutes
        duration = operation.duration_minutes
        if operation.fixed_start is not None:
            offset = self._offset(operation.fixed_start)
            if offset % (slot * MINUTE):
                return []
            candidates = [offset // MINUTE]
        else:
            first_slot = -((self.start - operation.earliest_start) // (slot * MINUTE))
            last_slot = (operation.latest_end - self.start - duration * MINUTE) // (slot * MINUTE)
            candidates = [k * slot for k in range(max(first_slot, 0), last_slot + 1)]
        latest_end = self.floor_minutes(operation.latest_end)
        earliest = self.ceil_minutes(operation.earliest_start)
        first_start = max(0, earliest, self.first_free_minute)
        last_start = min(self.horizon_minutes, latest_end) - duration
        return [s for s in candidates if first_start <= s <= last_start]

    def _round_inwards(self, windows: list[ExactInterval]) -> list[Interval]:
        rounded = [(self.ceil_minutes(s), self.floor_minutes(e)) for s, e in windows]
        return [(s, e) for s, e in rounded if s < e]

    @cached_property
    def crossing_open(self) -> dict[str, list[Interval]]:
        """Open intervals of each crossing in horizon minutes, joined, rounded inwards."""
        end = self.scenario.horizon.end
        return {
            c.id: self._round_inwards(crossing_open_exact(c, self.start, end))
            for c in self.scenario.crossings
        }

    @cached_property
    def first_free_minute(self) -> int:
        """`not_before` in horizon minutes (0 without it)."""
        return 0 if self.not_before is None else max(0, self.ceil_minutes(self.not_before))

    @cached_property
    def unit_available(self) -> dict[str, list[Interval]]:
        """Available intervals of each unit in horizon minutes, joined, rounded inwards,
        from `not_before` on: no new trip leaves before it."""
        end = self.scenario.horizon.end
        first = self.first_free_minute
        available = {
            u.id: self._round_inwards(availability_exact(u.available, self.start, end))
            for u in self.scenario.units
        }
        if not first:
            return available
        return {unit: [(max(a, first), b) for a, b in windows if b > first]
                for unit, windows in available.items()}

    # ---- routes and jurisdiction ---------------------------------------------------

    def routes(self, base: str, site_region: str) -> list[Route]:
        """Every way from a base to a site region (empty when unreachable), shortest first."""
        key = (base, site_region)
        if key not in self._routes:
            self._routes[key] = self._compute_routes(base, site_region)
        return self._routes[key]

    def _compute_routes(self, base: str, site_region: str) -> list[Route]:
        # A round trip longer than the horizon can never be part of a valid plan; dropping
        # it also keeps absurd road or transit minutes out of the solver's integer bounds.
        return [r for r in self._all_routes(base, site_region) if r.travel <= self.horizon_minutes]

    def _all_routes(self, base: str, site_region: str) -> list[Route]:
        home, away = self.region_country[base], self.region_country[site_region]
        if home == away:
            direct = self.distance(base, site_region)
            return [] if direct is None else [Route(None, 0, 0, direct)]
        routes = []
        for crossing in self.scenario.crossings:
            ends = {self.region_country[end]: end for end in (crossing.a, crossing.b)}
            if set(ends) != {home, away}:
                continue
            to_crossing = self.distance(base, ends[home])
            to_site = self.distance(ends[away], site_region)
            if to_crossing is not None and to_site is not None:
                routes.append(Route(crossing.id, to_crossing, crossing.transit_minutes, to_site))
        return sorted(routes, key=lambda r: (r.one_way, r.crossing or ""))

    def jurisdiction_problem(self, unit: Unit, operation: Operation, site: Site) -> str | None:
        """Why the unit may not act at the site (rule 6), or None when it may."""
        home, away = self.unit_country(unit), self.site_country(site)
        if home == away:
            if unit.operating_regions is not None and site.region not in unit.operating_regions:
                return f"{site.region} is outside the operating regions of {unit.id}"
            return None
        if not operation.foreign_support:
            return f"{operation.id} has no foreign-support consent for units of {home}"
        if (home, away) not in self.agreements:
            return f"no agreement lets units of {home} deploy into {away}"
        return None

    def may_fill(self, unit: Unit, operation: Operation, site: Site, capability: str) -> bool:
        """Capability, jurisdiction and a road route: the static part of eligibility."""
        return (
            capability in unit.capabilities
            and self.jurisdiction_problem(unit, operation, site) is None
            and bool(self.routes(unit.base, site.region))
        )
