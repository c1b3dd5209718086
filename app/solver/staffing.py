"""Staff one operation on its own (ignoring every other operation) with a tiny CP-SAT model.

The diagnosis uses it to prove claims: "this operation could be staffed alone, so the
plan's other operations are what keeps it out". Lanes are not modelled here; a staffing
meant to be added to a plan is checked by the validator afterwards.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from app.solver.instance import Instance, Interval
from app.solver.lanes import LaneBook
from app.solver.reach import Leg, feasible_starts, fits, legs_at
from app.solver.schema import Assignment, Operation, ScheduledOperation, Site, Unit

# The longest a search for one operation's staffing may take, and the least it is given.
STAFFING_SECONDS = 5.0
MIN_STAFFING_SECONDS = 0.05


@dataclass(frozen=True)
class Candidate:
    """A unit that may fill one requirement of one site, at the starts where it can be there."""

    unit: Unit
    site: Site
    capability: str
    starts: frozenset[int]


@dataclass(frozen=True)
class Staffing:
    """A start and, per filled requirement, the unit and its round trip."""

    start: int
    picks: list[Candidate]


@dataclass(frozen=True)
class Outcome:
    """The answer of `staff_alone`: a staffing, or a proof that none exists, or neither."""

    staffing: Staffing | None
    proven_impossible: bool


class OutOfTime(Exception):
    """Raised by a `check` callback when the caller's time for a search is up."""


def _no_check() -> None:
    return None


def candidates(
    instance: Instance,
    operation: Operation,
    starts: list[int],
    check: Callable[[], None] = _no_check,
) -> list[Candidate]:
    """Every (unit, site, capability) that may fill a requirement at some start.

    `check` is called before each unit's trips are worked out (a second on a fine slot
    grid with many units); it may raise OutOfTime.
    """
    found = []
    for site in operation.sites:
        reachable: dict[str, frozenset[int]] = {}  # per unit: one computation for all needs
        for requirement in site.requirements:
            for unit in instance.scenario.units:
                if not instance.may_fill(unit, operation, site, requirement.capability):
                    continue
                if unit.id not in reachable:
                    check()
                    reachable[unit.id] = frozenset(
                        feasible_starts(instance, unit, site, starts, operation.duration_minutes)
                    )
                if reachable[unit.id]:
                    found.append(Candidate(unit, site, requirement.capability, reachable[unit.id]))
    return found


def legs(instance: Instance, operation: Operation, candidate: Candidate, start: int) -> list[Leg]:
    """The candidate's possible round trips for this start (shortest route first)."""
    return legs_at(instance, candidate.unit, candidate.site, start, operation.duration_minutes)


def free_candidates(
    instance: Instance,
    operation: Operation,
    found: list[Candidate],
    busy: dict[str, list[Interval]],
    check: Callable[[], None] = _no_check,
) -> list[Candidate]:
    """The candidates restricted to starts with a round trip clear of the unit's busy times
    (`check` as for `candidates`)."""
    free = []
    for candidate in found:
        check()
        taken = busy.get(candidate.unit.id)
        if not taken:
            free.append(candidate)
            continue
        starts = frozenset(
            s
            for s in candidate.starts
            if any(_clear(leg, taken) for leg in legs(instance, operation, candidate, s))
        )
        if starts:
            free.append(Candidate(candidate.unit, candidate.site, candidate.capability, starts))
    return free


def _clear(leg: Leg, busy: list[Interval]) -> bool:
    return all(leg.return_ <= start or end <= leg.depart for start, end in busy)


def staff_alone(
    instance: Instance,
    operation: Operation,
    found: list[Candidate],
    starts: list[int],
    conflicted: list[frozenset[int]] | None = None,
    seconds: float = STAFFING_SECONDS,
) -> Outcome:
    """Find one start and units that staff every site of the operation (rules 2-8, 10),
    searching at most `seconds`.

    With `conflicted` (per candidate, the starts at which it clashes with other work),
    the staffing with the fewest clashing units is sought.
    """
    model = cp_model.CpModel()
    start_at = {s: model.new_bool_var(f"start_{s}") for s in starts}
    model.add_exactly_one(start_at.values())
    chosen = [model.new_bool_var(f"{c.unit.id}_{c.site.id}_{c.capability}") for c in found]
    per_requirement: dict[tuple[str, str], list[cp_model.IntVar]] = defaultdict(list)
    per_unit: dict[str, list[cp_model.IntVar]] = defaultdict(list)
    for candidate, var in zip(found, chosen, strict=True):
        per_requirement[candidate.site.id, candidate.capability].append(var)
        per_unit[candidate.unit.id].append(var)
        # A chosen unit must be able to be there at the chosen start.
        model.add_bool_or([var.Not()] + [start_at[s] for s in candidate.starts if s in start_at])
    for unit_vars in per_unit.values():
        model.add_at_most_one(unit_vars)
    for site in operation.sites:
        _add_site_rules(instance, model, site, found, chosen, per_requirement)
    if conflicted is not None:
        _minimise_clashes(model, start_at, chosen, conflicted)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = max(MIN_STAFFING_SECONDS, seconds)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Outcome(None, status == cp_model.INFEASIBLE)
    start = next(s for s, var in start_at.items() if solver.boolean_value(var))
    picks = [c for c, var in zip(found, chosen, strict=True) if solver.boolean_value(var)]
    return Outcome(Staffing(start, picks), False)


def _minimise_clashes(
    model: cp_model.CpModel,
    start_at: dict[int, cp_model.IntVar],
    chosen: list[cp_model.IntVar],
    conflicted: list[frozenset[int]],
) -> None:
    """Count a chosen candidate as a clash when the chosen start is one of its clashes."""
    clashes = []
    for var, bad in zip(chosen, conflicted, strict=True):
        bad_starts = [start_at[s] for s in bad if s in start_at]
        if not bad_starts:
            continue
        clash = model.new_bool_var("")
        # Exactly one start is chosen, so the sum is 1 exactly when it is a clashing one.
        model.add(clash >= var + sum(bad_starts) - 1)
        clashes.append(clash)
    model.minimize(sum(clashes))


def _add_site_rules(
    instance: Instance,
    model: cp_model.CpModel,
    site: Site,
    found: list[Candidate],
    chosen: list[cp_model.IntVar],
    per_requirement: dict[tuple[str, str], list[cp_model.IntVar]],
) -> None:
    """Exact counts, host-nation presence and headcount of one site (rules 3-5)."""
    for requirement in site.requirements:
        model.add(sum(per_requirement[site.id, requirement.capability]) == requirement.count)
    here = [(c, v) for c, v in zip(found, chosen, strict=True) if c.site.id == site.id]
    host = instance.site_country(site)
    model.add(sum(v for c, v in here if instance.unit_country(c.unit) == host) >= 1)
    model.add(sum(c.unit.personnel * v for c, v in here) >= site.required_personnel)


def to_scheduled(
    instance: Instance,
    operation: Operation,
    staffing: Staffing,
    busy: dict[str, list[Interval]] | None = None,
    lanes: LaneBook | None = None,
) -> ScheduledOperation | None:
    """The staffing as a plan entry with exact instants, or None when the units cannot go.

    Each unit takes a route clear of its `busy` times; with `lanes`, its passages are
    staggered so that no crossing carries more than its lanes.
    """
    assignments = []
    for candidate in staffing.picks:
        leg = _place(instance, operation, candidate, staffing.start, busy or {}, lanes)
        if leg is None:
            return None
        assignments.append(_assignment(instance, candidate, leg))
    return ScheduledOperation(
        id=operation.id, start=instance.instant(staffing.start), assignments=assignments
    )


def _place(
    instance: Instance,
    operation: Operation,
    candidate: Candidate,
    start: int,
    busy: dict[str, list[Interval]],
    lanes: LaneBook | None,
) -> Leg | None:
    """The first of the candidate's legs that is clear of its busy time and of full lanes."""
    taken = busy.get(candidate.unit.id, [])
    available = instance.unit_available[candidate.unit.id]
    for leg in legs(instance, operation, candidate, start):
        crossing = leg.route.crossing
        if lanes is not None and crossing is not None and leg.cross_out is not None:
            out = lanes.latest(crossing, leg.cross_out)
            back = lanes.earliest(crossing, leg.cross_back or 0)
            if out is None or back is None:
                continue
            home = back + leg.route.transit + leg.route.to_crossing
            leg = Leg(leg.route, out - leg.route.to_crossing, out, back, home)
            if not fits(available, leg.depart, leg.return_):
                continue
        if _clear(leg, taken):
            if lanes is not None and crossing is not None:
                lanes.book(crossing, leg.cross_out or 0)
                lanes.book(crossing, leg.cross_back or 0)
            return leg
    return None


def _assignment(instance: Instance, candidate: Candidate, leg: Leg) -> Assignment:
    return Assignment(
        site=candidate.site.id,
        unit=candidate.unit.id,
        capability=candidate.capability,
        depart=instance.instant(leg.depart),
        return_=instance.instant(leg.return_),
        crossing=leg.route.crossing,
        cross_out=None if leg.cross_out is None else instance.instant(leg.cross_out),
        cross_back=None if leg.cross_back is None else instance.instant(leg.cross_back),
    )
