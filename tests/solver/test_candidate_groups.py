"""The candidate groups of a site, found through shared caches (issue 9, item 3), are
exactly those of the straightforward search: every unit, its jurisdiction, its routes
through open crossings and a start of the operation that leaves room for the trip."""

from __future__ import annotations

import random
from typing import Any

import pytest

from app.solver.greedy import Greedy
from app.solver.instance import Instance, Route
from app.solver.loader import load_scenario
from app.solver.model.candidates import (
    CandidateGroup,
    fits_some_start,
    longest_fitting_trip,
    site_groups,
    unit_profiles,
)
from app.solver.model.timing import passage_domain
from app.solver.sample import generate, knobs_for, to_json
from app.solver.schema import Operation, Site, Unit


def _instance(shape: str, **knobs: Any) -> Instance:
    return Instance(load_scenario(to_json(generate(knobs_for(shape, **knobs)))))


def straightforward_groups(
    instance: Instance, operation: Operation, site: Site
) -> list[CandidateGroup]:
    """The reference: unit by unit, no index and no cache, grouped by profile."""
    needed = tuple(sorted({r.capability for r in site.requirements}))
    starts = instance.start_minutes(operation)
    duration = operation.duration_minutes
    passable = {
        c.id
        for c in instance.scenario.crossings
        if passage_domain(instance.crossing_open[c.id], c.transit_minutes)
    }
    found: dict[tuple[object, ...], tuple[tuple[Route, ...], list[tuple[Unit, tuple[str, ...]]]]]
    found = {}
    for unit in instance.scenario.units:
        capabilities = tuple(c for c in needed if c in unit.capabilities)
        if not capabilities or instance.jurisdiction_problem(unit, operation, site):
            continue
        free = instance.unit_available[unit.id]
        routes = tuple(
            r
            for r in instance.routes(unit.base, site.region)
            if (r.crossing is None or r.crossing in passable)
            and fits_some_start(starts, free, r.one_way, duration + r.one_way)
        )
        if not routes:
            continue
        regions = None if unit.operating_regions is None else tuple(unit.operating_regions)
        profile = (unit.base, unit.agency, regions, tuple(free))
        found.setdefault(profile, (routes, []))[1].append((unit, capabilities))
    groups = []
    for routes, units in found.values():
        units.sort(key=lambda uc: uc[0].id)
        host = instance.unit_country(units[0][0]) == instance.site_country(site)
        counts = {c: sum(c in caps for _, caps in units) for c in needed}
        groups.append(CandidateGroup(routes, host, routes[0].travel, units, counts))
    groups.sort(key=lambda g: (g.best_travel, g.units[0][0].id))
    return groups


SCENARIOS = {
    # The shape that made the greedy slow: one-lane crossings open 08:00-17:30, operating
    # regions, availability gaps, foreign support.
    "scarce": dict(shape="scarce", operations=80, units=180, seed=3),
    "scarce-other-seed": dict(shape="scarce", operations=60, units=135, seed=11),
    "plentiful": dict(shape="plentiful", operations=60, units=240, days=7, seed=5),
    # Crossings open one short hour: some never fit a passage, some only the short trips.
    "short-crossing-hours": dict(
        shape="plentiful",
        operations=50,
        units=150,
        days=3,
        seed=2,
        crossing_hours="09:00-09:40",
        region_limited=0.4,
        availability_gaps=0.6,
        foreign_support=0.8,
    ),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_site_groups_are_those_of_the_straightforward_search(name: str) -> None:
    knobs = dict(SCENARIOS[name])
    instance = _instance(str(knobs.pop("shape")), **knobs)
    # One set of profiles for every site, as the greedy and the model builder use it: the
    # caches filled by one site serve the next.
    profiles = unit_profiles(instance, instance.unit_available)
    sites = [(o, s) for o in instance.scenario.operations for s in o.sites]
    partial = 0
    for operation, site in sites:
        expected = straightforward_groups(instance, operation, site)
        assert site_groups(instance, operation, site, profiles=profiles) == expected, site.id
        # Without shared profiles too (what site_candidates does when given none).
        assert site_groups(instance, operation, site) == expected, site.id
        everything = instance.routes
        partial += sum(
            len(g.routes) < len(everything(g.units[0][0].base, site.region)) for g in expected
        )
    # The scenarios reach the cases that matter: shared contexts, candidates abroad,
    # groups that keep only some of their routes.
    assert len(profiles.contexts) < len(sites)
    assert partial > 0


def test_the_greedys_counts_are_those_of_the_straightforward_groups() -> None:
    instance = _instance(**SCENARIOS["scarce"])  # type: ignore[arg-type]
    greedy = Greedy(instance)
    for operation in instance.scenario.operations:
        for site in operation.sites:
            groups = straightforward_groups(instance, operation, site)
            expected = {r.capability: 0 for r in site.requirements}
            for group in groups:
                for _, capabilities in group.units:
                    for capability in capabilities:
                        expected[capability] += 1
            assert greedy.able_counts(operation, site) == expected, site.id


def test_the_longest_fitting_trip_answers_as_fits_some_start() -> None:
    rng = random.Random(9)
    for _ in range(3000):
        slot = rng.choice([5, 15, 60])
        first = rng.randrange(0, 400, 5)
        starts = sorted({first + slot * k for k in range(rng.randrange(0, 30))})
        if rng.random() < 0.2:
            starts = sorted(rng.sample(range(0, 800, 5), rng.randrange(0, 6)))
        windows = []
        edge = rng.randrange(-50, 200)
        for _ in range(rng.randrange(0, 4)):
            a = edge + rng.randrange(0, 200)
            edge = a + rng.randrange(1, 500)
            windows.append((a, edge))
        duration = rng.randrange(1, 240)
        longest = longest_fitting_trip(starts, windows, duration)
        for one_way in range(0, 300, 7):
            fits = fits_some_start(starts, windows, one_way, duration + one_way)
            assert fits is (one_way <= longest), (starts, windows, duration, one_way)
