"""Large-neighbourhood search around a complete plan, for models too big to solve whole.

Each step frees a few operations that compete for the same units and time (an
unscheduled operation with the scheduled ones in its way, or a run of operations with
overlapping windows), keeps every other booking fixed, and lets CP-SAT re-plan the
freed ones from the current plan as a hint. A step is kept only when the lexicographic
objective (priority, then less travel) improves, so the plan never gets worse.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

from app.solver.instance import Instance
from app.solver.model.builder import ScheduleModel, SubProblem, add_hint, build_model
from app.solver.model.candidates import Candidate, Profiles, site_candidates, unit_profiles
from app.solver.model.plan import solution_priority, solution_travel
from app.solver.model.search import RunSettings, run
from app.solver.model.timing import Solution
from app.solver.schema import Operation

# Travel neighbourhoods double (operations, candidates, seconds) up to this factor
# when a whole round improves nothing.
MAX_SCALE = 2
# Insertion passes per round at most (each after one that inserted something).
INSERTION_PASSES = 3
# Time to cut the travel an insertion cost, at the priority it reached.
REPAIR_SECONDS = 1.0
# Travel steps between two polishing passes (large, loaded machine: the last pass alone
# took travel from 53,840 to 50,480 after 55 s of steps without it).
POLISH_EVERY = 8
# Candidates kept per site for finding nearer units: a step sees the nearest few per
# requirement anyway; keeping every list cost 535 MB at 2,000 operations / 8,000 units.
NEARER_CANDIDATES = 40
# Bookings this close (minutes) to an operation's window count as competing with it.
NEAR = 24 * 60


@dataclass
class LnsSettings:
    """Knobs of the search, measured on the large sample (30 s runs, 2 workers).

    Travel steps: 16 operations x 40 candidates x 4 s gave -3 %, 12 x 10 x 2 s -20 %,
    8 x 5 x 1 s -43 %: many small, fast steps beat few big ones. Inserting an
    unscheduled operation needs more room: its competitors and more candidates.
    """

    operations_per_step: int = 8
    candidate_limit: int | None = 5
    step_seconds: float = 1.0
    insertion_operations: int = 20
    insertion_candidate_limit: int | None = 40
    insertion_seconds: float = 6.0
    # Before each round of time-window runs, one step around each operation that has
    # nearer able units than its own (those units' holders freed with it). Large sample,
    # 30 s deterministic: 50,720 travel minutes without, 47,710 after the window runs,
    # 47,470 before them; 47,330 with twice the candidates of a window step.
    travel_neighbourhoods: bool = True
    travel_candidate_limit: int | None = 10


def score(instance: Instance, solution: Solution) -> tuple[int, int]:
    """Lexicographic objective as one comparable pair."""
    return solution_priority(instance, solution), -solution_travel(solution)


def _window(instance: Instance, operation: Operation) -> tuple[int, int]:
    starts = instance.start_minutes(operation) or [0]
    return starts[0], starts[-1] + operation.duration_minutes


def insertion_neighbourhood(
    instance: Instance,
    target: Operation,
    current: Solution,
    free: list[Operation],
    size: int,
    units: set[str],
) -> list[Operation]:
    """An unscheduled operation with the scheduled free ones holding its units near its time.

    `units` are the target's candidate units; operations are ranked by how many bookings
    of those units fall within a day of the target's window.
    """
    low, high = _window(instance, target)
    low, high = low - NEAR, high + NEAR
    holding = {}
    for operation in free:
        schedule = current.get(operation.id)
        if schedule is None:
            continue
        count = sum(b.unit in units and b.depart < high and b.ret > low for b in schedule.bookings)
        if count:
            holding[operation.id] = (count, operation)
    ranked = sorted(holding.items(), key=lambda item: (-item[1][0], item[0]))
    return [target, *(operation for _, (_, operation) in ranked[: size - 1])]


def window_neighbourhoods(
    instance: Instance, operations: list[Operation], size: int, shift: int = 0
) -> Iterator[list[Operation]]:
    """Runs of operations sorted by window start, overlapping by half a run."""
    ordered = sorted(operations, key=lambda o: (_window(instance, o), o.id))
    step = max(1, size // 2)
    for first in range(shift, max(shift + 1, len(ordered) - step), step):
        yield ordered[first : first + size]


def travel_targets(
    current: Solution,
    free: list[Operation],
    nearer: NearerUnits,
    out_of_time: Callable[[], bool] = lambda: False,
) -> list[Operation]:
    """Scheduled operations with nearer able units than the ones they have, the most
    travel to gain first (ties: more nearer units first).

    Time-window runs group operations that merely overlap; a unit that would shorten a
    trip is most often held by an operation elsewhere in the country, which only a
    neighbourhood around these units frees together with the operation. The first
    ranking builds every site's candidate list: out of time, it ranks those it reached.
    Under load only the first targets get their step before the deadline: the biggest
    gains go first.
    """
    ranked = []
    for operation in free:
        if out_of_time():
            break
        if operation.id in current:
            units, gain = nearer.with_gain(operation, current)
            if units:
                ranked.append((-gain, -len(units), operation.id, operation))
    ranked.sort(key=lambda r: (r[0], r[1], r[2]))
    return [r[3] for r in ranked]


class NearerUnits:
    """For an operation of a plan: the units able to fill one of its places by a shorter
    trip than the unit booked there (availability ignored); site lists kept."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.lists: dict[str, list[Candidate]] = {}
        self.profiles: list[Profiles] = []  # made once, at the first call: seconds at 8,000

    def __call__(self, operation: Operation, current: Solution) -> set[str]:
        return self.with_gain(operation, current)[0]

    def with_gain(self, operation: Operation, current: Solution) -> tuple[set[str], int]:
        """The nearer units, and the travel minutes the operation would save if each of
        its places had its nearest able unit (an optimistic sum)."""
        instance = self.instance
        schedule = current[operation.id]
        booked = {b.unit for b in schedule.bookings}
        units: set[str] = set()
        gain = 0
        for booking in schedule.bookings:
            if booking.site not in self.lists:
                if not self.profiles:
                    self.profiles.append(unit_profiles(instance, instance.unit_available))
                site = instance.sites[booking.site][1]
                nearest = site_candidates(instance, operation, site, None, self.profiles[0])
                self.lists[booking.site] = nearest[:NEARER_CANDIDATES]
            best = booking.travel
            for candidate in self.lists[booking.site]:  # nearest first
                if candidate.best_travel >= booking.travel:
                    break
                if booking.capability in candidate.capabilities and candidate.unit not in booked:
                    units.add(candidate.unit)
                    best = min(best, candidate.best_travel)
            gain += booking.travel - best
        return units, gain


def nearer_candidate_units(instance: Instance) -> NearerUnits:
    """The nearer units of an operation in a plan (see `NearerUnits`)."""
    return NearerUnits(instance)


@dataclass
class Neighbourhood:
    """Operations to re-plan together, with the candidate limit and time of the step."""

    operations: list[Operation]
    candidate_limit: int | None
    seconds: float
    priority_only: bool = False  # insertion: travel is repaired by later steps


def improve(
    instance: Instance,
    current: Solution,
    free: list[Operation],
    run_settings: RunSettings,
    deadline: float,
    lns: LnsSettings,
    on_improve: Callable[[Solution], None],
    polish: Callable[[Solution], Solution] | None = None,
) -> Solution:
    """Improve the solution round by round until the deadline or a round finds nothing.

    A round first inserts unscheduled operations (priority), then re-plans for travel:
    each operation with nearer able units around those units, then runs of operations.
    `polish` (a fast pass that never makes a plan worse: nearer units) runs every
    POLISH_EVERY window steps; each step sees only a few candidates.
    """
    round_number = 0
    scale = 1  # neighbourhoods grow when a whole round finds nothing
    nearer = nearer_candidate_units(instance)
    while not _over(deadline, run_settings):
        before = score(instance, current)
        current = _insertions(instance, current, free, run_settings, deadline, lns, on_improve)
        size = lns.operations_per_step * scale
        limit = None if lns.candidate_limit is None else lns.candidate_limit * scale
        travel_limit = lns.travel_candidate_limit
        travel_limit = None if travel_limit is None else travel_limit * scale
        shift = (round_number * 3) % max(1, size // 2)
        stop = partial(_over, deadline, run_settings)
        targets = travel_targets(current, free, nearer, stop) if lns.travel_neighbourhoods else []
        for target in targets:
            if _over(deadline, run_settings):
                return current
            # The plan changed since the targets were ranked: its units as they are now.
            units = nearer(target, current) if target.id in current else set()
            if not units:
                continue
            ops = insertion_neighbourhood(instance, target, current, free, size, units)
            hood = Neighbourhood(ops, travel_limit, lns.step_seconds * scale)
            current = _step(instance, current, hood, run_settings, deadline, on_improve)
        for count, ops in enumerate(window_neighbourhoods(instance, free, size, shift), 1):
            if _over(deadline, run_settings):
                return current
            hood = Neighbourhood(ops, limit, lns.step_seconds * scale)
            current = _step(instance, current, hood, run_settings, deadline, on_improve)
            if polish is not None and count % POLISH_EVERY == 0:
                polished = polish(current)
                if score(instance, polished) > score(instance, current):
                    current = polished
                    on_improve(current)
        if score(instance, current) == before:
            if scale >= MAX_SCALE:
                return current
            scale *= 2
        round_number += 1
    return current


def _insertions(
    instance: Instance,
    current: Solution,
    free: list[Operation],
    run_settings: RunSettings,
    deadline: float,
    lns: LnsSettings,
    on_improve: Callable[[Solution], None],
) -> Solution:
    """Try to insert each unscheduled operation; repeat while insertions succeed.

    Each pass varies the neighbourhood size (one success can make room for another).
    """
    for attempt in range(INSERTION_PASSES):
        inserted = False
        for operation in sorted(free, key=lambda o: (-o.priority, o.id)):
            if _over(deadline, run_settings):
                return current
            if operation.id in current:
                continue
            size = lns.insertion_operations + 5 * (attempt % 3 - 1) * (attempt > 0)
            units = candidate_units(instance, operation)
            ops = insertion_neighbourhood(instance, operation, current, free, size, units)
            hood = Neighbourhood(ops, lns.insertion_candidate_limit, lns.insertion_seconds, True)
            current = _step(instance, current, hood, run_settings, deadline, on_improve)
            inserted = inserted or operation.id in current
        if not inserted:
            break
    return current


def _over(deadline: float, run_settings: RunSettings) -> bool:
    """Past the deadline, or asked to stop."""
    stopped = run_settings.should_stop is not None and run_settings.should_stop()
    return stopped or run_settings.clock.now() >= deadline


def candidate_units(instance: Instance, operation: Operation) -> set[str]:
    """Units that may act at some site of the operation (availability ignored)."""
    return {c.unit for s in operation.sites for c in site_candidates(instance, operation, s)}


def _step(
    instance: Instance,
    current: Solution,
    hood: Neighbourhood,
    run_settings: RunSettings,
    deadline: float,
    on_improve: Callable[[Solution], None],
) -> Solution:
    """Re-plan the neighbourhood with everything else fixed; keep it only if better."""
    ids = {o.id for o in hood.operations}
    fixed = {k: v for k, v in current.items() if k not in ids}
    hint = {k: v for k, v in current.items() if k in ids}
    sub = SubProblem(instance, hood.operations, fixed, hint, hood.candidate_limit)
    model = build_model(sub)
    add_hint(model, hint)
    if hood.priority_only:
        # Proving an insertion is much faster without travel in the objective.
        model.model.maximize(model.priority)
    else:
        weight = model.travel_bound + 1  # any priority gain outweighs all travel
        model.model.maximize(weight * model.priority - model.travel)
    outcome = run(model, _settings(run_settings, hood.seconds, deadline))
    if outcome.solution is None:
        return current
    found = outcome.solution
    if hood.priority_only and solution_priority(instance, found) > solution_priority(
        instance, hint
    ):
        found = _repair_travel(model, found, run_settings, deadline) or found
    candidate = {**fixed, **found}
    if score(instance, candidate) > score(instance, current):
        on_improve(candidate)
        return candidate
    return current


def _repair_travel(
    model: ScheduleModel, found: Solution, run_settings: RunSettings, deadline: float
) -> Solution | None:
    """After an insertion, cut the travel it cost at the priority it reached."""
    priority = sum(model.operations[o].operation.priority for o in found)
    model.model.add(model.priority >= priority)
    model.model.clear_objective()
    model.model.minimize(model.travel)
    add_hint(model, found)
    return run(model, _settings(run_settings, REPAIR_SECONDS, deadline)).solution


def _settings(run_settings: RunSettings, seconds: float, deadline: float) -> RunSettings:
    return run_settings.for_seconds(min(seconds, deadline - run_settings.clock.now()))
