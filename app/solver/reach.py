"""Can a unit be at a site for a given start? Round trips with the shortest busy time.

Used by the diagnosis (why an operation is unscheduled) and by replanning checks. All
times are whole minutes from the horizon start, as in `Instance`.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from app.solver.instance import Instance, Interval, Route
from app.solver.schema import Site, Unit

# Why a unit cannot make a round trip for a start, from the most to the least basic.
TRAVEL = "travel"  # the horizon is too short for the roads, even with open crossings
CROSSING = "crossing"  # the crossing hours leave no passage in time
AVAILABILITY = "availability"  # the unit is not available for the whole trip


@dataclass(frozen=True)
class Leg:
    """One round trip to a site for one start; waiting is cut to the minimum."""

    route: Route
    depart: int
    cross_out: int | None
    cross_back: int | None
    return_: int


def _first_key(interval: Interval) -> int:
    return interval[0]


def latest_passage(opens: list[Interval], transit: int, latest: int) -> int | None:
    """The latest passage start <= `latest` inside one of the sorted, disjoint intervals."""
    index = bisect_right(opens, latest, key=_first_key) - 1
    while index >= 0:
        start, end = opens[index]
        candidate = min(latest, end - transit)
        if candidate >= start:
            return candidate
        index -= 1
    return None


def earliest_passage(opens: list[Interval], transit: int, earliest: int) -> int | None:
    """The earliest passage start >= `earliest` inside one of the sorted, disjoint intervals."""
    index = max(bisect_right(opens, earliest, key=_first_key) - 1, 0)
    while index < len(opens):
        start, end = opens[index]
        candidate = max(earliest, start)
        if candidate + transit <= end:
            return candidate
        index += 1
    return None


def round_trip(
    instance: Instance, route: Route, start: int, end: int, *, crossing_hours: bool = True
) -> Leg | None:
    """The tightest round trip along `route` for `[start, end)` inside the horizon, if any."""
    if route.crossing is None:
        leg = Leg(route, start - route.to_site, None, None, end + route.to_site)
    else:
        always = [(0, instance.horizon_minutes)]
        opens = instance.crossing_open[route.crossing] if crossing_hours else always
        out = latest_passage(opens, route.transit, start - route.transit - route.to_site)
        back = earliest_passage(opens, route.transit, end + route.to_site)
        if out is None or back is None:
            return None
        home = back + route.transit + route.to_crossing
        leg = Leg(route, out - route.to_crossing, out, back, home)
    if leg.depart < 0 or leg.return_ > instance.horizon_minutes:
        return None
    return leg


def fits(windows: list[Interval], first: int, last: int) -> bool:
    """Whether `[first, last]` lies inside one of the sorted, joined windows."""
    index = bisect_right(windows, first, key=_first_key) - 1
    return index >= 0 and last <= windows[index][1]


def trips(instance: Instance, base: str, region: str, start: int, duration: int) -> list[Leg]:
    """Every route's tightest round trip from a base, cached: units share bases."""
    # Cached on the instance itself so the cache lives and dies with the scenario.
    cache: dict[tuple[str, str, int, int], list[Leg]] = vars(instance).setdefault("_trip_cache", {})
    key = (base, region, start, duration)
    if key not in cache:
        found = (
            round_trip(instance, route, start, start + duration)
            for route in instance.routes(base, region)
        )
        cache[key] = [leg for leg in found if leg is not None]
    return cache[key]


def legs_at(instance: Instance, unit: Unit, site: Site, start: int, duration: int) -> list[Leg]:
    """Every route's tightest round trip that the unit's availability allows."""
    available = instance.unit_available[unit.id]
    return [
        leg
        for leg in trips(instance, unit.base, site.region, start, duration)
        if fits(available, leg.depart, leg.return_)
    ]


def failure_at(instance: Instance, unit: Unit, site: Site, start: int, duration: int) -> str:
    """Why no leg works at this start: the most basic obstacle that holds."""
    routes = instance.routes(unit.base, site.region)
    end = start + duration
    if all(round_trip(instance, r, start, end, crossing_hours=False) is None for r in routes):
        return TRAVEL
    if all(round_trip(instance, r, start, end) is None for r in routes):
        return CROSSING
    return AVAILABILITY


def unit_failure(
    instance: Instance, unit: Unit, site: Site, starts: list[int], duration: int
) -> str:
    """Why the unit can reach the site at none of the starts: the least basic obstacle seen."""
    kinds = {failure_at(instance, unit, site, s, duration) for s in starts}
    for kind in (AVAILABILITY, CROSSING):
        if kind in kinds:
            return kind
    return TRAVEL


def feasible_starts(
    instance: Instance, unit: Unit, site: Site, starts: list[int], duration: int
) -> list[int]:
    """The starts at which the unit can make some round trip to the site."""
    available = instance.unit_available[unit.id]
    # Units of one base with the same availability share the answer.
    cache: dict[tuple[object, ...], list[int]] = vars(instance).setdefault("_starts_cache", {})
    key = (unit.base, site.region, duration, tuple(starts), tuple(available))
    if key not in cache:
        cache[key] = [
            s
            for s in starts
            if any(
                fits(available, leg.depart, leg.return_)
                for leg in trips(instance, unit.base, site.region, s, duration)
            )
        ]
    return cache[key]
