"""Jurisdiction and candidate generation: which unit may fill which requirement, by which route.

Pruning is safe: a unit or route is dropped only when no start of the operation leaves
room for even the shortest round trip inside the unit's free time, or when the route's
crossing never opens long enough for one passage. Everything else stays a candidate.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

from app.solver.instance import Instance, Interval, Route
from app.solver.model.timing import passage_domain
from app.solver.schema import Operation, Site, Unit


@dataclass(frozen=True)
class Candidate:
    """A unit that may act at a site: the capabilities it may fill there and its routes."""

    unit: str
    site: str
    capabilities: tuple[str, ...]
    routes: tuple[Route, ...]  # shortest first
    host: bool  # the unit is of the site's country (rule 5)
    personnel: int

    @property
    def best_travel(self) -> int:
        return self.routes[0].travel


def fits_some_start(starts: list[int], windows: list[Interval], before: int, after: int) -> bool:
    """Whether some start `s` has `[s - before, s + after)` inside one window."""
    for a, b in windows:
        index = bisect_left(starts, a + before)
        if index < len(starts) and starts[index] + after <= b:
            return True
    return False


def usable_routes(
    instance: Instance,
    unit: Unit,
    operation: Operation,
    site: Site,
    free: list[Interval],
    starts: list[int],
) -> tuple[Route, ...]:
    """The unit's routes to the site that can fit at least one start (a necessary condition)."""
    result = []
    for route in instance.routes(unit.base, site.region):
        if route.crossing is not None and not _crossing_passable(instance, route.crossing):
            continue
        after = operation.duration_minutes + route.one_way
        if fits_some_start(starts, free, route.one_way, after):
            result.append(route)
    return tuple(result)


def _crossing_passable(instance: Instance, crossing: str) -> bool:
    """Whether the crossing is open long enough for one passage within the horizon."""
    transit = instance.crossings[crossing].transit_minutes
    return bool(passage_domain(instance.crossing_open[crossing], transit))


def unit_profiles(
    instance: Instance, free_time: dict[str, list[Interval]]
) -> dict[tuple[object, ...], list[Unit]]:
    """Units grouped by what decides jurisdiction and routes (base, country, regions, time)."""
    groups: dict[tuple[object, ...], list[Unit]] = {}
    for unit in instance.scenario.units:
        regions = None if unit.operating_regions is None else tuple(unit.operating_regions)
        key = (unit.base, unit.agency, regions, tuple(free_time[unit.id]))
        groups.setdefault(key, []).append(unit)
    return groups


def site_candidates(
    instance: Instance,
    operation: Operation,
    site: Site,
    free_time: dict[str, list[Interval]] | None = None,
    profiles: dict[tuple[object, ...], list[Unit]] | None = None,
) -> list[Candidate]:
    """Every unit that may still fill a requirement of the site, sorted by travel then id."""
    needed = {r.capability for r in site.requirements}
    country = instance.site_country(site)
    free_time = free_time if free_time is not None else instance.unit_available
    profiles = profiles if profiles is not None else unit_profiles(instance, free_time)
    starts = instance.start_minutes(operation)
    result = []
    for group in profiles.values():
        units = [u for u in group if needed.intersection(u.capabilities)]
        if not units:
            continue
        first = units[0]
        if instance.jurisdiction_problem(first, operation, site):
            continue
        routes = usable_routes(instance, first, operation, site, free_time[first.id], starts)
        if not routes:
            continue
        host = instance.unit_country(first) == country
        for unit in units:
            capabilities = tuple(sorted(needed.intersection(unit.capabilities)))
            if capabilities:
                result.append(
                    Candidate(unit.id, site.id, capabilities, routes, host, unit.personnel)
                )
    return sorted(result, key=lambda c: (c.best_travel, c.unit))
