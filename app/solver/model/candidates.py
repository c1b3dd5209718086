"""Jurisdiction and candidate generation: which unit may fill which requirement, by which route.

Pruning is safe: a unit or route is dropped only when no start of the operation leaves
room for even the shortest round trip inside the unit's free time, or when the route's
crossing never opens long enough for one passage. Everything else stays a candidate.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from typing import NamedTuple

from app.solver.instance import Instance, Interval, Route
from app.solver.model.timing import passage_domain
from app.solver.schema import Operation, Site, Unit


class Candidate(NamedTuple):
    """A unit that may act at a site: the capabilities it may fill there and its routes.

    A named tuple, not a dataclass: the xl sample creates millions of them.
    """

    unit: str
    site: str
    capabilities: tuple[str, ...]
    routes: tuple[Route, ...]  # shortest first
    host: bool  # the unit is of the site's country (rule 5)
    personnel: int
    best_travel: int  # travel minutes of the shortest route


def fits_some_start(starts: list[int], windows: list[Interval], before: int, after: int) -> bool:
    """Whether some start `s` has `[s - before, s + after)` inside one window."""
    for a, b in windows:
        index = bisect_left(starts, a + before)
        if index < len(starts) and starts[index] + after <= b:
            return True
    return False


def _passable_routes(
    instance: Instance, unit: Unit, operation: Operation, site: Site, passable: set[str]
) -> tuple[Route, ...] | None:
    """The unit's routes to the site through open crossings; None when it may not act there."""
    if instance.jurisdiction_problem(unit, operation, site):
        return None
    routes = instance.routes(unit.base, site.region)
    return tuple(r for r in routes if r.crossing is None or r.crossing in passable)


def _crossing_passable(instance: Instance, crossing: str) -> bool:
    """Whether the crossing is open long enough for one passage within the horizon."""
    transit = instance.crossings[crossing].transit_minutes
    return bool(passage_domain(instance.crossing_open[crossing], transit))


@dataclass
class Profile:
    """Units that share base, agency, operating regions and free time, by capability."""

    first: Unit
    by_capability: dict[str, list[Unit]]
    regions: tuple[str, ...] | None = None
    able: dict[tuple[str, ...], list[tuple[Unit, tuple[str, ...]]]] = field(default_factory=dict)
    counts: dict[tuple[str, ...], dict[str, int]] = field(default_factory=dict)

    def able_units(self, needed: tuple[str, ...]) -> list[tuple[Unit, tuple[str, ...]]]:
        """Units with some of the needed capabilities, with those they have, by id (cached)."""
        if needed not in self.able:
            able: dict[str, list[str]] = {}
            for capability in needed:
                for unit in self.by_capability.get(capability, []):
                    able.setdefault(unit.id, []).append(capability)
            by_id = {u.id: u for units in self.by_capability.values() for u in units}
            self.able[needed] = [(by_id[u], tuple(caps)) for u, caps in sorted(able.items())]
        return self.able[needed]

    def able_counts(self, needed: tuple[str, ...]) -> dict[str, int]:
        """How many of `able_units(needed)` have each capability (cached)."""
        key = ("#count", *needed)
        if key not in self.counts:
            self.counts[key] = {c: len(self.by_capability.get(c, [])) for c in needed}
        return self.counts[key]


class Profiles(dict[tuple[object, ...], Profile]):
    """Profiles by key, with an index by country, operating region and capability.

    With many units limited to regions or away part of the time nearly every unit is a
    profile of its own; the index lets a site look only at the profiles that have one of
    its capabilities and may act in its region, not at every unit.
    """

    def __init__(self) -> None:
        super().__init__()
        # (country, capability) -> positions of profiles; for domestic sites also
        # (country, region or None for "anywhere", capability) -> positions.
        self.by_country: dict[tuple[str, str], list[int]] = {}
        self.by_region: dict[tuple[str, str | None, str], list[int]] = {}
        self.order: list[Profile] = []
        self.passable: set[str] = set()  # crossings open long enough for one passage

    def index(self, instance: Instance) -> None:
        self.order = list(self.values())
        self.passable = {x for x in instance.crossings if _crossing_passable(instance, x)}
        for position, profile in enumerate(self.order):
            unit = profile.first
            country = instance.unit_country(unit)
            regions: list[str | None] = (
                [None] if unit.operating_regions is None else list(unit.operating_regions)
            )
            for capability in profile.by_capability:
                self.by_country.setdefault((country, capability), []).append(position)
                for region in regions:
                    self.by_region.setdefault((country, region, capability), []).append(position)

    def for_site(self, instance: Instance, operation: Operation, site: Site) -> list[Profile]:
        """The profiles that may hold a candidate of the site, in profile order.

        A superset of those that pass `jurisdiction_problem`, never fewer.
        """
        needed = {r.capability for r in site.requirements}
        country = instance.site_country(site)
        positions: set[int] = set()
        for capability in needed:
            for region in (None, site.region):
                positions.update(self.by_region.get((country, region, capability), ()))
        if operation.foreign_support:
            homes = {h for h, a in instance.agreements if a == country and h != country}
            for home in homes:
                for capability in needed:
                    positions.update(self.by_country.get((home, capability), ()))
        return [self.order[p] for p in sorted(positions)]


def unit_profiles(instance: Instance, free_time: dict[str, list[Interval]]) -> Profiles:
    """Units grouped by what decides jurisdiction and routes (base, country, regions, time)."""
    groups = Profiles()
    for unit in instance.scenario.units:
        regions = None if unit.operating_regions is None else tuple(unit.operating_regions)
        key = (unit.base, unit.agency, regions, tuple(free_time[unit.id]))
        profile = groups.setdefault(key, Profile(unit, {}, regions))
        for capability in unit.capabilities:
            profile.by_capability.setdefault(capability, []).append(unit)
    groups.index(instance)
    return groups


class CandidateGroup(NamedTuple):
    """Units of one profile that may act at a site: same routes, same host status."""

    site: str
    routes: tuple[Route, ...]
    host: bool
    best_travel: int
    units: list[tuple[Unit, tuple[str, ...]]]  # (unit, capabilities it may fill), by id
    counts: dict[str, int]  # how many of the units have each needed capability

    def candidates(self) -> list[Candidate]:
        return [
            Candidate(u.id, self.site, caps, self.routes, self.host, u.personnel, self.best_travel)
            for u, caps in self.units
        ]


def site_groups(
    instance: Instance,
    operation: Operation,
    site: Site,
    free_time: dict[str, list[Interval]] | None = None,
    profiles: Profiles | None = None,
) -> list[CandidateGroup]:
    """The site's candidates grouped by profile, nearest group first."""
    needed = tuple(sorted({r.capability for r in site.requirements}))
    country = instance.site_country(site)
    free_time = free_time if free_time is not None else instance.unit_available
    profiles = profiles if profiles is not None else unit_profiles(instance, free_time)
    starts = instance.start_minutes(operation)
    groups = []
    # Profiles differ mostly by free time: jurisdiction and the passable routes depend
    # only on agency, operating regions and base, so they are found once per site.
    allowed: dict[tuple[object, ...], tuple[Route, ...] | None] = {}
    duration = operation.duration_minutes
    for profile in profiles.for_site(instance, operation, site):
        if not any(c in profile.by_capability for c in needed):
            continue
        first = profile.first
        key = (first.agency, first.base, profile.regions)
        if key not in allowed:
            allowed[key] = _passable_routes(instance, first, operation, site, profiles.passable)
        passable = allowed[key]
        if passable is None:
            continue
        free = free_time[first.id]
        routes = tuple(
            r for r in passable if fits_some_start(starts, free, r.one_way, duration + r.one_way)
        )
        if not routes:
            continue
        units = profile.able_units(needed)
        host = instance.unit_country(first) == country
        counts = profile.able_counts(needed)
        groups.append(CandidateGroup(site.id, routes, host, routes[0].travel, units, counts))
    groups.sort(key=lambda g: (g.best_travel, g.units[0][0].id))
    return groups


def site_candidates(
    instance: Instance,
    operation: Operation,
    site: Site,
    free_time: dict[str, list[Interval]] | None = None,
    profiles: Profiles | None = None,
) -> list[Candidate]:
    """Every unit that may still fill a requirement of the site, sorted by travel then id."""
    groups = site_groups(instance, operation, site, free_time, profiles)
    result = [c for g in groups for c in g.candidates()]
    result.sort(key=lambda c: (c.best_travel, c.unit))
    return result
