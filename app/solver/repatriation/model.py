"""CP-SAT model of repatriation, solved lexicographically in stages.

Variables: x[c, p, d] persons of cohort c handed over at point p on day d (only where an
agency of c's country is at p, some escort can make the trip in hours, and d is on or
after release), and t[k, s, p, d] trips of escort type k (units of one base and one size
are interchangeable) from site s to point p on day d. Rules: a cohort's parts add up to
at most its count; a point takes at most its capacity a day; the trips from s to p on d
carry everything handed over there; a unit makes at most one trip a day.

The objective is lexicographic (docs/repatriation-format.md), so it is solved in
stages: each stage minimises one level, then fixes it (at its optimum when proven, else
at the value found) for the next. Weighted sums of all levels would overflow 64-bit
coefficients at benchmark size. Each stage starts from the previous solution as a hint,
and the first from the best of the greedy orders and the day-by-day heuristic
(`daily`), so a valid plan exists from the first second. Each stage's bound is the
larger of CP-SAT's and the LP relaxation's (`relax`).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from app.solver.model.search import _stop_watch
from app.solver.repatriation.assemble import Load, assemble
from app.solver.repatriation.daily import daily_values
from app.solver.repatriation.greedy import greedy_loads
from app.solver.repatriation.network import Network
from app.solver.repatriation.relax import relax
from app.solver.repatriation.schema import Problem, RepatriationPlan

# Share of the time left per stage: left persons, vulnerable person-days, person-days,
# trips (a stage proven at once leaves its time to the later ones). Person-days get the
# most: their gap is the benchmark's goal.
SHARES = (0.1, 0.2, 0.55, 0.15)
# Share of the time limit for the day-by-day heuristic that makes the first hint.
HEURISTIC_SHARE = 0.3
# Most of the time left that GLOP may take for a stage's LP relaxation (0.2 to 3 s at
# benchmark size on busy cores); past it the stage keeps CP-SAT's own bound.
LP_SHARE = 0.25


@dataclass
class StageResult:
    name: str
    value: int
    bound: int
    optimal: bool
    seconds: float


class RepatriationModel:
    def __init__(self, network: Network) -> None:
        self.network = network
        problem = network.problem
        self.m = cp_model.CpModel()
        m = self.m
        types: dict[tuple[str, int], list[str]] = defaultdict(list)
        for unit in problem.escorts:
            types[(unit.base, unit.persons_per_trip)].append(unit.id)
        self.types = dict(sorted(types.items()))
        self.x: dict[tuple[str, str, int], cp_model.IntVar] = {}
        self.left: dict[str, cp_model.IntVar] = {}
        first_day: dict[tuple[str, str], int] = {}
        for cohort in problem.cohorts:
            release = network.release_index(cohort)
            for point, _units in network.routes(cohort):
                pair = (cohort.site, point.id)
                first_day[pair] = min(first_day.get(pair, release), release)
                for d in range(release, network.days):
                    self.x[(cohort.id, point.id, d)] = m.new_int_var(
                        0, min(cohort.count, point.capacity), f"x_{cohort.id}_{point.id}_{d}"
                    )
        self.t: dict[tuple[tuple[str, int], str, str, int], cp_model.IntVar] = {}
        for (site, point_id), first in sorted(first_day.items()):
            for kind, ids in self.types.items():
                if network.trip(kind[0], site, point_id) is None:
                    continue
                for d in range(first, network.days):
                    self.t[(kind, site, point_id, d)] = m.new_int_var(
                        0, len(ids), f"t_{kind[0]}_{kind[1]}_{site}_{point_id}_{d}"
                    )
        by_cohort = defaultdict(list)
        by_point_day = defaultdict(list)
        by_route_day = defaultdict(list)
        for (c, p, d), var in self.x.items():
            by_cohort[c].append(var)
            by_point_day[(p, d)].append(var)
            by_route_day[(network.cohorts[c].site, p, d)].append(var)
        for cohort in problem.cohorts:
            left = m.new_int_var(0, cohort.count, f"left_{cohort.id}")
            self.left[cohort.id] = left
            m.add(sum(by_cohort[cohort.id]) + left == cohort.count)
        for (p, _d), vars_ in by_point_day.items():
            m.add(sum(vars_) <= network.points[p].capacity)
        carry = defaultdict(list)
        per_type_day = defaultdict(list)
        for (kind, s, p, d), var in self.t.items():
            carry[(s, p, d)].append(kind[1] * var)
            per_type_day[(kind, d)].append(var)
        for key, vars_ in by_route_day.items():
            m.add(sum(vars_) <= sum(carry[key]))
        for (kind, _d), vars_ in per_type_day.items():
            m.add(sum(vars_) <= len(self.types[kind]))
        self._pin(network)
        days = network.days
        vulnerable = [c for c in problem.cohorts if c.vulnerable]
        total = sum(c.count for c in problem.cohorts)
        person_days = self._person_days(problem.cohorts, days)
        # Vulnerable person-days come first, all person-days break ties: weighted by one
        # more than the largest possible person-days, so the order stays lexicographic and
        # the stage does not wreck the next level (values stay far inside 64 bits).
        most = sum(c.count * max(0, days - network.release_index(c)) for c in problem.cohorts)
        self.weight = most + 1
        self.levels = {
            "left": sum((total + 1) * self.left[c.id] for c in vulnerable)
            + sum(self.left.values()),
            "vulnerable_person_days": self.weight * self._person_days(vulnerable, days)
            + person_days,
            "person_days": person_days,
            "trips": sum(self.t.values()),
        }

    def _pin(self, network: Network) -> None:
        """Pinned batches: at least their persons at their point on their day, and a trip
        there for each pinned unit (loads() puts the pinned persons on that unit). The
        loader has checked every pin can be kept, so a missing variable is a bug."""
        persons: dict[tuple[str, str, int], int] = defaultdict(int)
        units: dict[tuple[tuple[str, int], str, str, int], set[str]] = defaultdict(set)
        self.pinned: dict[tuple[str, int], tuple[str, str]] = {}
        for pin in network.problem.pinned:
            day = network.day_index(pin.day)
            site = network.cohorts[pin.cohort].site
            persons[(pin.cohort, pin.point, day)] += pin.persons
            unit = network.units[pin.escort]
            units[((unit.base, unit.persons_per_trip), site, pin.point, day)].add(unit.id)
            self.pinned[(unit.id, day)] = (site, pin.point)
        for key, count in persons.items():
            if key not in self.x:
                raise AssertionError(f"pinned {key} has no variable: the loader let it pass")
            self.m.add(self.x[key] >= count)
        for trip_key, ids in units.items():
            if trip_key not in self.t:
                raise AssertionError(f"pinned trip {trip_key} has no variable")
            self.m.add(self.t[trip_key] >= len(ids))

    def _person_days(self, cohorts, days):  # type: ignore[no-untyped-def]
        ids = {c.id for c in cohorts}
        terms = [
            (d - self.network.release_index(self.network.cohorts[c])) * var
            for (c, _p, d), var in self.x.items()
            if c in ids and d > self.network.release_index(self.network.cohorts[c])
        ]
        terms += [max(0, days - self.network.release_index(c)) * self.left[c.id] for c in cohorts]
        return sum(terms)

    def hint(self, loads: list[Load]) -> None:
        xs: dict[tuple[str, str, int], int] = defaultdict(int)
        ts: dict[tuple[tuple[str, int], str, str, int], int] = defaultdict(int)
        for load in loads:
            unit = self.network.units[load.unit]
            ts[((unit.base, unit.persons_per_trip), load.site, load.point, load.day)] += 1
            for c, persons in load.cohorts.items():
                xs[(c, load.point, load.day)] += persons
        self.m.clear_hints()
        for key, var in self.x.items():
            self.m.add_hint(var, xs.get(key, 0))
        for trip_key, trip_var in self.t.items():
            self.m.add_hint(trip_var, ts.get(trip_key, 0))
        handed: dict[str, int] = defaultdict(int)
        for (c, _p, _d), n in xs.items():
            handed[c] += n
        for c, var in self.left.items():
            self.m.add_hint(var, self.network.cohorts[c].count - handed[c])

    def loads(self, value: Callable[[cp_model.IntVar], int]) -> list[Load]:
        """Concrete units for the trip counts `value` gives (a solver's, or a heuristic's),
        filled largest unit first."""
        out: list[Load] = []
        by_route_day: dict[tuple[str, str, int], list[Load]] = defaultdict(list)
        # Pinned units drive their pinned route; the others of their type fill the rest.
        free: dict[tuple[tuple[str, int], int], list[str]] = {}
        for (kind, s, p, d), var in sorted(self.t.items(), key=lambda kv: (-kv[0][0][1], kv[0])):
            pool = free.setdefault((kind, d), [u for u in self.types[kind]
                                               if (u, d) not in self.pinned])
            mine = [u for u in self.types[kind] if self.pinned.get((u, d)) == (s, p)]
            count = value(var)
            chosen = mine[:count] + [pool.pop(0) for _ in range(max(0, count - len(mine)))]
            by_route_day[(s, p, d)].extend(Load(unit, d, s, p) for unit in chosen)
        pinned_persons: dict[tuple[str, str, int], int] = defaultdict(int)
        for pin in self.network.problem.pinned:
            day = self.network.day_index(pin.day)
            site = self.network.cohorts[pin.cohort].site
            load = next(item for item in by_route_day[(site, pin.point, day)]
                        if item.unit == pin.escort)
            load.cohorts[pin.cohort] = load.cohorts.get(pin.cohort, 0) + pin.persons
            pinned_persons[(pin.cohort, pin.point, day)] += pin.persons
        for (c, p, d), var in sorted(self.x.items()):
            persons = value(var) - pinned_persons.get((c, p, d), 0)
            trips = by_route_day[(self.network.cohorts[c].site, p, d)]
            for load in trips:
                if persons == 0:
                    break
                room = self.network.units[load.unit].persons_per_trip - load.persons
                take = min(room, persons)
                if take > 0:
                    load.cohorts[c] = load.cohorts.get(c, 0) + take
                    persons -= take
            if persons:
                raise AssertionError(f"trips from the model cannot carry {c} on day {d}")
        for trips in by_route_day.values():
            out.extend(load for load in trips if load.persons)
        return out


def _key(plan: RepatriationPlan) -> tuple[int, ...]:
    o = plan.objective
    assert o is not None
    return (o.vulnerable_left, o.persons_left, o.vulnerable_person_days, o.person_days, o.trips)


def _first_hint(
    model: RepatriationModel, budget: float, should_stop: Callable[[], bool] | None
) -> tuple[list[Load], str]:
    """The lexicographically best of the two greedy orders and the day-by-day heuristic
    (guided by the LP relaxation), and which one it is."""
    network = model.network
    candidates = {
        "greedy": greedy_loads(network),
        "greedy, vulnerable first": greedy_loads(network, True),
    }
    model.m.minimize(model.levels["vulnerable_person_days"])
    relaxation = relax(model.m, budget * LP_SHARE)
    guide = (
        {key: relaxation.values[var.index] for key, var in model.x.items()}
        if relaxation is not None
        else {}
    )
    solved = daily_values(model, guide, budget, should_stop)
    if solved is not None:
        by_index = {model.x[key].index: n for key, n in solved[0].items()}
        by_index.update({model.t[key].index: n for key, n in solved[1].items()})
        candidates["day by day"] = model.loads(lambda var: by_index.get(var.index, 0))
    keys = {name: _key(assemble(network, loads, {})) for name, loads in candidates.items()}
    name = min(keys, key=lambda n: keys[n])
    return candidates[name], name


def _hinted_value(m: cp_model.CpModel) -> int:
    """The objective at the model's (complete) hint."""
    proto = m.proto
    hint = dict(zip(list(proto.solution_hint.vars), list(proto.solution_hint.values), strict=True))
    terms = zip(list(proto.objective.vars), list(proto.objective.coeffs), strict=True)
    return int(round(sum(c * hint[v] for v, c in terms) + proto.objective.offset))


def solve_model(
    problem: Problem,
    time_limit: float = 10.0,
    workers: int = 2,
    seed: int = 0,
    on_stage: Callable[[StageResult], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> tuple[RepatriationPlan, list[StageResult]]:
    """The lexicographically best plan found within `time_limit` seconds, and each stage.

    `on_stage` hears each finished stage (progress); `should_stop` is polled during the
    search and between stages (cancel): the plan is then the best found so far, valid
    like any other, since every stage starts from a complete solution.
    """
    started = time.monotonic()
    deadline = started + time_limit
    network = Network(problem)
    model = RepatriationModel(network)
    best, first = _first_hint(model, time_limit * HEURISTIC_SHARE, should_stop)
    stages: list[StageResult] = []
    stopped = False
    names = list(model.levels)
    for index, name in enumerate(names):
        if should_stop is not None and should_stop():
            stopped = True
            break
        share = SHARES[index] / sum(SHARES[index:])
        stage = _run_stage(model, name, best, (deadline, share), workers, seed, should_stop)
        stages.append(stage.result)
        best = stage.loads
        if on_stage is not None:
            on_stage(stage.result)
    info: dict[str, object] = {
        "method": "cp-sat",
        "seconds": round(time.monotonic() - started, 3),
        "first_hint": first,
        "stages": [s.__dict__ for s in stages],
        "seed": seed,
        "workers": workers,
        "stopped": stopped,
    }
    return assemble(network, best, info), stages


@dataclass
class _Stage:
    result: StageResult
    loads: list[Load]


def _run_stage(
    model: RepatriationModel,
    name: str,
    hint: list[Load],
    time_share: tuple[float, float],
    workers: int,
    seed: int,
    should_stop: Callable[[], bool] | None,
) -> _Stage:
    """Minimise one level from `hint`, then fix it (at most the value found) for the next.

    `time_share` is (deadline, share): the search gets that share of the time left once
    the LP is solved, so that the LP's own time does not make the solve overrun.

    The LP relaxation bounds the level from below. When the hint already meets that
    bound on the level's own scale the stage is proven without a search, which leaves
    its time to the later stages; when the search finds nothing (presolve alone can
    outlast a short limit on a busy machine) the hint's value is kept, and the next
    stages still run.
    """
    level = model.levels[name]
    stage_start = time.monotonic()
    model.hint(hint)
    model.m.minimize(level)
    hinted = _hinted_value(model.m)
    deadline, share = time_share
    # Every level is a sum of non-negative terms: a hint at 0 needs no LP to be proven.
    relaxation = relax(model.m, LP_SHARE * (deadline - time.monotonic())) if hinted else None
    lower = max(0, relaxation.bound) if relaxation is not None else 0
    # The vulnerable stage breaks ties by all person-days: its own level is value // weight,
    # and bound // weight is still a lower bound since all person-days stay below the weight.
    scale = model.weight if name == "vulnerable_person_days" else 1
    value, bound, optimal, loads = hinted, lower, hinted // scale == lower // scale, hint
    if not optimal:
        model.m.add(level >= lower)
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.5, (deadline - time.monotonic()) * share)
        solver.parameters.num_workers = workers
        solver.parameters.random_seed = seed
        with _stop_watch(solver, should_stop):
            status = solver.solve(model.m)
        # A presolve step can make a feasible hint infeasible: never end worse than it.
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) and solver.objective_value <= hinted:
            value = int(round(solver.objective_value))
            bound = max(lower, int(round(solver.best_objective_bound)))
            optimal = status == cp_model.OPTIMAL or value // scale == bound // scale
            loads = model.loads(solver.value)
    model.m.add(level <= value)
    result = StageResult(
        name, value // scale, bound // scale, optimal, round(time.monotonic() - stage_start, 3)
    )
    return _Stage(result, loads)
