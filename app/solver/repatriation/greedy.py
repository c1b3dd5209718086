"""First-come greedy: the baseline the CP-SAT model must beat, and its first hint.

Day by day, cohorts in order of release (vulnerable first among equals) take the first
agreed point with room, topping up trips already going from their site to that point
before calling out another free unit (the largest that can make the trip in hours).
"""

from __future__ import annotations

import time

from app.solver.repatriation.assemble import Load, assemble
from app.solver.repatriation.network import Network
from app.solver.repatriation.schema import Problem, RepatriationPlan


def greedy_loads(network: Network, vulnerable_first: bool = False) -> list[Load]:
    """First come, first served (vulnerable first among equals); with `vulnerable_first`
    every released vulnerable cohort goes before any other (a second hint for the model,
    not the baseline)."""
    problem = network.problem
    remaining = {c.id: c.count for c in problem.cohorts}
    if vulnerable_first:
        order = sorted(
            problem.cohorts, key=lambda c: (not c.vulnerable, network.release_index(c), c.id)
        )
    else:
        order = sorted(
            problem.cohorts, key=lambda c: (network.release_index(c), not c.vulnerable, c.id)
        )
    routes = {c.id: network.routes(c) for c in problem.cohorts}
    loads: list[Load] = []
    pins = pinned_loads(network)
    # Pinned persons are spoken for from the start: nobody hands them over earlier.
    for pin in problem.pinned:
        remaining[pin.cohort] -= pin.persons
    for day in range(network.days):
        room = {p.id: p.capacity for p in problem.points}
        busy: set[str] = set()
        open_trips: dict[tuple[str, str], list[Load]] = {}
        # Pinned batches go first, on their own units (the loader checked they fit).
        for load in pins.get(day, []):
            loads.append(load)
            busy.add(load.unit)
            open_trips.setdefault((load.site, load.point), []).append(load)
            room[load.point] -= load.persons
        for cohort in order:
            if network.release_index(cohort) > day:
                continue
            for point, units in routes[cohort.id]:
                while remaining[cohort.id] > 0 and room[point.id] > 0:
                    trips = open_trips.setdefault((cohort.site, point.id), [])
                    spare = [t for t in trips if t.persons < network.units[t.unit].persons_per_trip]
                    if spare:
                        load = spare[0]
                    else:
                        free = [u for u in units if u.id not in busy]
                        if not free:
                            break
                        unit = max(free, key=lambda u: (u.persons_per_trip, u.id))
                        busy.add(unit.id)
                        load = Load(unit.id, day, cohort.site, point.id)
                        trips.append(load)
                        loads.append(load)
                    take = min(
                        remaining[cohort.id],
                        room[point.id],
                        network.units[load.unit].persons_per_trip - load.persons,
                    )
                    load.cohorts[cohort.id] = load.cohorts.get(cohort.id, 0) + take
                    remaining[cohort.id] -= take
                    room[point.id] -= take
    return loads


def pinned_loads(network: Network) -> dict[int, list[Load]]:
    """The trips pinned batches need, by day index: one per unit and day, loaded with the
    pinned persons (fresh objects on every call: the solvers top them up)."""
    found: dict[tuple[str, int], Load] = {}
    for pin in network.problem.pinned:
        day = network.day_index(pin.day)
        site = network.cohorts[pin.cohort].site
        load = found.setdefault((pin.escort, day), Load(pin.escort, day, site, pin.point))
        load.cohorts[pin.cohort] = load.cohorts.get(pin.cohort, 0) + pin.persons
    by_day: dict[int, list[Load]] = {}
    for (_unit, day), load in sorted(found.items()):
        by_day.setdefault(day, []).append(load)
    return by_day


def solve_greedy(problem: Problem) -> RepatriationPlan:
    started = time.monotonic()
    network = Network(problem)
    loads = greedy_loads(network)
    return assemble(
        network, loads, {"method": "greedy", "seconds": round(time.monotonic() - started, 3)}
    )
