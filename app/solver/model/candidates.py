"""Jurisdiction and candidate generation: which unit may fill which requirement, by which route.

Pruning is safe: a unit or route is dropped only when no start of the operation leaves
room for even the shortest round trip inside the unit's free time, or when the route's
crossing never opens long enough for one passage. Everything else stays a candidate.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from math import inf
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


def longest_fitting_trip(starts: list[int], windows: Sequence[Interval], duration: int) -> float:
    """The most one-way minutes `w` for which `fits_some_start(starts, windows, w,
    duration + w)` holds (-inf when no `w` does): a route fits exactly when its one-way
    minutes are at most this. One answer per free time then serves every route.

    In a window (a, b) a start `s` leaves room for `w` up to `min(s - a, b - duration - s)`:
    `s - a` up to the middle `(a + b - duration) / 2`, `b - duration - s` after it. That
    rises, then falls, so the best start is the last one at or before the middle or the
    first after it.
    """
    best = -inf
    for a, b in windows:
        index = bisect_right(starts, (a + b - duration) // 2)
        if index and starts[index - 1] - a > best:
            best = starts[index - 1] - a
        if index < len(starts) and b - duration - starts[index] > best:
            best = b - duration - starts[index]
    return best


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
    free_id: int = 0  # its units' free time: the position in Profiles.free_times

    def able_units(self, needed: tuple[str, ...]) -> list[tuple[Unit, tuple[str, ...]]]:
        """Units with some of the needed capabilities, with those they have, by id (cached)."""
        if needed not in self.able:
            able: dict[str, tuple[Unit, list[str]]] = {}
            for capability in needed:
                for unit in self.by_capability.get(capability, []):
                    able.setdefault(unit.id, (unit, []))[1].append(capability)
            self.able[needed] = [(u, tuple(caps)) for _, (u, caps) in sorted(able.items())]
        return self.able[needed]

    def able_counts(self, needed: tuple[str, ...]) -> dict[str, int]:
        """How many of `able_units(needed)` have each capability (cached)."""
        if needed not in self.counts:
            self.counts[needed] = {c: len(self.by_capability.get(c, [])) for c in needed}
        return self.counts[needed]


class CandidateGroup(NamedTuple):
    """Units of one profile that may act at a site: same routes, same host status.

    Not tied to one site: the sites of one context share their groups (`Profiles`).
    """

    routes: tuple[Route, ...]  # the routes that fit some start, shortest first
    host: bool
    best_travel: int
    units: list[tuple[Unit, tuple[str, ...]]]  # (unit, capabilities it may fill), by id
    counts: dict[str, int]  # how many of the units have each needed capability

    def candidates(self, site: str) -> list[Candidate]:
        return [
            Candidate(u.id, site, caps, self.routes, self.host, u.personnel, self.best_travel)
            for u, caps in self.units
        ]


class Way(NamedTuple):
    """How units of one agency, base and operating regions may reach a region."""

    routes: tuple[Route, ...]  # passable routes, shortest first (never empty)
    one_ways: tuple[int, ...]  # their one-way minutes
    host: bool  # the units are of the region's country


# The profiles that may act in one region for operations with or without foreign-support
# consent, by capability: (best travel, first unit with the capability, position, number
# of its way in Profiles.way_list), sorted, so that a site's order (travel, then first
# able unit) is a merge of these. Two profiles never tie on (travel, unit id).
ByCapability = dict[str, list[tuple[int, str, int, int]]]

# What decides which profiles may act at a site, and by which routes: the site's region
# (its country, jurisdiction, routes), the operation's foreign-support consent and the
# capabilities the site needs. Thousands of sites share a few hundred contexts.
Context = tuple[str, bool, tuple[str, ...]]


class Entries(NamedTuple):
    """The profiles that may act at the sites of one context, in the order of
    `site_groups`; the operation decides which of their routes fit in time.

    Parallel lists, not an object per profile: a scenario has hundreds of thousands,
    and every long-lived object is walked again by each full garbage collection
    (2,000 operations: a third of the greedy's time).
    """

    free_ids: list[int]  # Profile.free_id
    one_ways: list[tuple[int, ...]]  # of the group's routes
    groups: list[CandidateGroup]  # with every passable route


class Profiles(dict[tuple[object, ...], Profile]):
    """Profiles by key, with an index by country and operating region, and the caches
    that let the sites of a scenario share the work of finding their candidates.

    With many units limited to regions or away part of the time nearly every unit is a
    profile of its own, and a site of a foreign-support operation may take units of every
    agreement country: looking at every profile for every site made the greedy
    superlinear (2,000 operations: 85 % of its time). Jurisdiction and routes are found
    once per region (`ways`), the profiles and groups of a context once (`entries`),
    and the fit in time once per operation and free time (`reach`).
    """

    def __init__(self) -> None:
        super().__init__()
        # country -> positions of profiles; for domestic sites also
        # (country, region or None for "anywhere") -> positions.
        self.by_country: dict[str, list[int]] = {}
        self.by_region: dict[tuple[str, str | None], list[int]] = {}
        self.order: list[Profile] = []
        self.passable: set[str] = set()  # crossings open long enough for one passage
        self.free_times: list[tuple[Interval, ...]] = []  # by Profile.free_id
        self.way_list: list[Way] = []
        self.ways_to: dict[tuple[str, bool], ByCapability] = {}
        self.contexts: dict[Context, Entries] = {}
        self.reach_of: tuple[Operation | None, dict[int, float]] = (None, {})

    def index(self, instance: Instance) -> None:
        self.order = list(self.values())
        self.passable = {x for x in instance.crossings if _crossing_passable(instance, x)}
        for position, profile in enumerate(self.order):
            unit = profile.first
            country = instance.unit_country(unit)
            regions: list[str | None] = (
                [None] if unit.operating_regions is None else list(unit.operating_regions)
            )
            self.by_country.setdefault(country, []).append(position)
            for region in regions:
                self.by_region.setdefault((country, region), []).append(position)

    def for_site(self, instance: Instance, operation: Operation, site: Site) -> list[int]:
        """Positions of the profiles that may act in the site's region, sorted.

        A superset of those that pass `jurisdiction_problem`, never fewer. Depends only on
        the site's region and the operation's foreign support.
        """
        country = instance.site_country(site)
        positions = {
            *self.by_region.get((country, None), ()),
            *self.by_region.get((country, site.region), ()),
        }
        if operation.foreign_support:
            for home, away in instance.agreements:
                if away == country and home != country:
                    positions.update(self.by_country.get(home, ()))
        return sorted(positions)

    def ways(self, instance: Instance, operation: Operation, site: Site) -> ByCapability:
        """The profiles that may act in the site's region by some passable route (cached)."""
        key = (site.region, operation.foreign_support)
        if key not in self.ways_to:
            country = instance.site_country(site)
            result: ByCapability = {}
            # Jurisdiction and the passable routes depend on agency, operating regions
            # and base only: profiles that differ by free time share them.
            ways: dict[tuple[object, ...], int | None] = {}  # number in way_list
            for position in self.for_site(instance, operation, site):
                profile = self.order[position]
                first = profile.first
                shared = (first.agency, first.base, profile.regions)
                if shared not in ways:
                    routes = _passable_routes(instance, first, operation, site, self.passable)
                    host = instance.unit_country(first) == country
                    ways[shared] = None
                    if routes:
                        ways[shared] = len(self.way_list)
                        one_ways = tuple(r.one_way for r in routes)
                        self.way_list.append(Way(routes, one_ways, host))
                number = ways[shared]
                if number is None:
                    continue
                travel = self.way_list[number].routes[0].travel
                for capability, units in profile.by_capability.items():
                    first_id = min(u.id for u in units)
                    result.setdefault(capability, []).append((travel, first_id, position, number))
            for items in result.values():
                items.sort()
            self.ways_to[key] = result
        return self.ways_to[key]

    def entries(
        self, instance: Instance, operation: Operation, site: Site, needed: tuple[str, ...]
    ) -> Entries:
        """The profiles that may act at the site with some needed capability, in the
        order of `site_groups`: best travel, then first able unit id (cached by context)."""
        context = (site.region, operation.foreign_support, needed)
        if context not in self.contexts:
            ways = self.ways(instance, operation, site)
            if len(needed) == 1:
                items = ways.get(needed[0], [])
            else:
                # A profile with several needed capabilities sorts by its first unit with
                # any of them: the least of its items (all of the same travel).
                least: dict[int, tuple[int, str, int, int]] = {}
                for capability in needed:
                    for item in ways.get(capability, ()):
                        known = least.get(item[2])
                        if known is None or item[1] < known[1]:
                            least[item[2]] = item
                items = sorted(least.values())
            entries = Entries([], [], [])
            for travel, _, position, number in items:
                profile = self.order[position]
                routes, one_ways, host = self.way_list[number]
                units, counts = profile.able_units(needed), profile.able_counts(needed)
                entries.free_ids.append(profile.free_id)
                entries.one_ways.append(one_ways)
                entries.groups.append(CandidateGroup(routes, host, travel, units, counts))
            self.contexts[context] = entries
        return self.contexts[context]

    def reach(self, operation: Operation) -> dict[int, float]:
        """`longest_fitting_trip` of the operation by free-time id, filled by the caller;
        kept while the same operation's sites are asked for, one after the other."""
        if self.reach_of[0] is not operation:
            self.reach_of = (operation, {})
        return self.reach_of[1]


def unit_profiles(instance: Instance, free_time: dict[str, list[Interval]]) -> Profiles:
    """Units grouped by what decides jurisdiction and routes (base, country, regions, time)."""
    groups = Profiles()
    free_ids: dict[tuple[Interval, ...], int] = {}
    for unit in instance.scenario.units:
        regions = None if unit.operating_regions is None else tuple(unit.operating_regions)
        free = tuple(free_time[unit.id])
        key = (unit.base, unit.agency, regions, free)
        if key not in groups:
            free_id = free_ids.setdefault(free, len(free_ids))
            groups[key] = Profile(unit, {}, regions, free_id=free_id)
        for capability in unit.capabilities:
            groups[key].by_capability.setdefault(capability, []).append(unit)
    groups.free_times = list(free_ids)
    groups.index(instance)
    return groups


def site_groups(
    instance: Instance,
    operation: Operation,
    site: Site,
    free_time: dict[str, list[Interval]] | None = None,
    profiles: Profiles | None = None,
) -> list[CandidateGroup]:
    """The site's candidates grouped by profile, nearest group first (travel, first unit).

    `profiles`, when given, must have been made from `free_time` (default: the units'
    availability); it carries the caches that make the next sites cheap.
    """
    needed = tuple(sorted({r.capability for r in site.requirements}))
    if profiles is None:
        free = free_time if free_time is not None else instance.unit_available
        profiles = unit_profiles(instance, free)
    starts = instance.start_minutes(operation)
    duration = operation.duration_minutes
    # Whether a route fits some start is monotone in its one-way minutes, so one number
    # per free time (many units share one) says which of a profile's routes fit: those
    # up to it, a prefix of its routes (shortest first).
    reach = profiles.reach(operation)
    free_times = profiles.free_times
    entries = profiles.entries(instance, operation, site, needed)
    groups = []
    for free_id, one_ways, group in zip(
        entries.free_ids, entries.one_ways, entries.groups, strict=True
    ):
        longest = reach.get(free_id)
        if longest is None:
            longest = reach[free_id] = longest_fitting_trip(starts, free_times[free_id], duration)
        if longest >= one_ways[-1]:
            groups.append(group)
        elif longest >= one_ways[0]:
            routes = group.routes[: bisect_right(one_ways, longest)]
            groups.append(CandidateGroup(routes, *group[1:]))
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
    result = [c for g in groups for c in g.candidates(site.id)]
    result.sort(key=lambda c: (c.best_travel, c.unit))
    return result
