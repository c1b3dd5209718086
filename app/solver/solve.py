"""The scheduler: greedy warm start, then CP-SAT (whole model, or LNS when it is too big).

Lexicographic objective: phase 1 maximises priority; phase 2 keeps priority at least at
the phase-1 value and minimises travel. Timing (`wall_seconds`, `first_solution_seconds`)
goes into the plan's `solver` info unless `SolveOptions.include_timing` is False: with
`workers=1`, a fixed seed and `include_timing=False`, the same input gives byte-identical
plan JSON, because one worker's limits are counted on a deterministic clock
(app/solver/model/clock.py) rather than the wall clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import ortools

from app.solver.greedy import Greedy
from app.solver.instance import Instance
from app.solver.model.bounds import impossible_alone, priority_bound
from app.solver.model.builder import ScheduleModel, SubProblem, add_hint, build_model
from app.solver.model.clock import SearchClock
from app.solver.model.dwell import solution_dwell, tighten
from app.solver.model.lns import LnsSettings, improve
from app.solver.model.plan import (
    build_plan,
    solution_from_operations,
    solution_priority,
    solution_travel,
)
from app.solver.model.preference import preference_terms
from app.solver.model.search import RunSettings, run
from app.solver.model.swap import nearer_units
from app.solver.model.timing import Solution
from app.solver.replan import keep_earlier_times
from app.solver.schema import Operation, Plan, Scenario, ScheduledOperation
from app.solver.staffing import STAFFING_SECONDS

# Above this many (unit, site, capability) candidates the whole model is too slow on two
# cores (the medium sample, ~10k, found nothing better than the greedy in 30 s): use LNS.
# Was 4,000: generated scarce 120 operations / 270 units (3,875 candidates), 30 s: whole
# model 365 / 365 / 374, LNS 390 / 387 (bound 415, 401 after 300 s); scarce 100 (3,275),
# 60 s: 265 -> 283; plentiful 50 / 200 units (2,967): priority 213 = bound either way,
# travel 73,350 in 59.5 s whole, 72,880 in 14.5 s by LNS. The small sample (455) stays
# whole: its travel is proven there.
FULL_MODEL_LIMIT = 2000
PHASE_ONE_SHARE = 0.5
# At most this share of the time limit goes to proving operations impossible alone.
BOUND_SHARE = 0.15
# Time kept at the end of the limit for finishing the plan: adding operations that fit
# it as it stands, and the reasons of the others (app.solver.diagnose). Without it the
# diagnosis ran after the limit, up to ten times as long as the search. Kept: what the
# operations the greedy plan leaves out are expected to need, at most this share.
FINISH_SHARE = 0.2
FINISH_SECONDS_PER_OPERATION = 0.5  # one the bound did not prove impossible alone
FINISH_SECONDS_PER_IMPOSSIBLE = 0.1  # its reason takes no staffing search that succeeds
# The greedy plan may take at most this share of the limit (it is anytime: cut short, it
# returns what it placed). 2,000 operations for 4,500 units take it ~10 s on this machine;
# it is the plan the search starts from, so it gets the larger part of a short limit.
GREEDY_SHARE = 0.5
# The greedy hands over its first plan (the highest priorities it placed by then) after
# this many seconds at most, then goes on: at 1,600-2,000 operations on the loaded machine
# the whole greedy took 25-30 s, and the first plan came only then (goal: within 5 s).
FIRST_PLAN_SECONDS = 2.0
# Wall seconds kept after finishing for assembling the plan, checking it (here and in the
# CLI) and writing it: at 2,000 plentiful operations 4.7-6.0 s at load 7.5-9 (assembling
# 0.3-0.5 s, checking 1.4-2.0 s twice, writing the rest); 1.5 ms an operation let a run
# end 65 s into a 60 s limit.
ASSEMBLY_SECONDS = 0.1
ASSEMBLY_SECONDS_PER_OPERATION = 0.003
# The last passes over the plan (nearer units, tighter passages): large (250 operations)
# takes ~0.3 s with the candidate lists built.
POLISH_SECONDS_PER_OPERATION = 0.002
POLISH_SHARE = 0.05
# The phases a plan's `solver.cut_short` may name, in pipeline order.
PHASES = ("load", "greedy", "bounds", "search", "finishing", "diagnosis", "dwell")
# Presolve (probing above all) ate most of a step's time on LNS models of ~5k candidates;
# one presolve round with light probing found and proved insertions in ~2 s instead of
# nothing in 10 s. Probing level 0 is avoided (OR-Tools 9.15 reports false INFEASIBLE).
SEARCH_PARAMETERS: dict[str, object] = {"max_presolve_iterations": 1, "cp_model_probing_level": 1}
WHOLE_MODEL_PARAMETERS: dict[str, object] = {}
# The solver status of a plan handed over before the solve ended (SolveOptions.on_best_plan).
BEST_SO_FAR = "BEST_SO_FAR"


@dataclass
class Progress:
    """A snapshot reported on every improvement."""

    priority: int
    bound: int
    gap: int
    travel_minutes: int
    elapsed: float
    status: str


@dataclass
class SolveOptions:
    """Limits, seeding, pinned and preferred operations, progress and stop hooks."""

    time_limit: float = 30.0
    workers: int = 2
    seed: int = 0
    fixed: list[ScheduledOperation] = field(default_factory=list)
    preferred: list[ScheduledOperation] = field(default_factory=list)
    on_progress: Callable[[Progress], None] | None = None
    should_stop: Callable[[], bool] | None = None
    # Handed the best plan so far (unchecked, generic reasons for the unscheduled) at its
    # first improvement and then at most every `best_plan_seconds`: a caller that keeps it
    # outlives this process (the worker stores it, so a killed solve's retry starts there).
    on_best_plan: Callable[[Plan], None] | None = None
    best_plan_seconds: float = 5.0
    include_timing: bool = True
    lns: LnsSettings = field(default_factory=LnsSettings)
    # `time.monotonic()` when the caller's clock started (before reading the scenario):
    # what loading took is then part of the time limit. None: the limit starts at solve().
    started: float | None = None


@dataclass
class SolveResult:
    """The plan and how it was found."""

    plan: Plan
    status: str
    first_solution_seconds: float | None
    wall_seconds: float
    priority: int
    priority_bound: int
    travel_minutes: int
    greedy_priority: int
    greedy_travel_minutes: int
    clock: str = "wall"  # "deterministic" when limits counted CP-SAT's deterministic time
    dwell_minutes: int = 0  # foreign units waiting in the host country beyond travel
    greedy_dwell_minutes: int = 0


class _Tracker:
    """The best solution so far, its bound, and progress reporting."""

    def __init__(self, instance: Instance, options: SolveOptions) -> None:
        self.instance = instance
        self.options = options
        # One worker: count deterministic time, so limits (and plans) are reproducible.
        self.clock = SearchClock(deterministic=options.workers == 1, time_limit=options.time_limit)
        self.started = time.monotonic()
        self.best: Solution = {}
        self.bound = sum(o.priority for o in instance.scenario.operations)
        self.status = "UNKNOWN"
        self.cut_short: list[str] = []  # phases ended by the clock, not by their work
        self.dwell_deadline = 0.0
        self.dwell_seconds = 0.0
        self.planner: Greedy | None = None  # its candidate lists serve the last passes
        self.best_plan_at: float | None = None  # when on_best_plan was last called

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def cut(self, phase: str) -> None:
        if phase not in self.cut_short:
            self.cut_short.append(phase)

    def offer(self, solution: Solution) -> None:
        """Take the solution unless it is worse than the best so far.

        The never-below-the-greedy guard: a search run whose hint was not taken up can
        return a plan of lower priority, or equal priority and longer travel.
        """
        if self.best and worse(self.instance, solution, self.best):
            return
        self.best = solution
        self.report()

    def report(self) -> None:
        self.hand_over_best_plan()
        if self.options.on_progress is None:
            return
        priority = solution_priority(self.instance, self.best)
        self.options.on_progress(
            Progress(
                priority,
                self.bound,
                self.bound - priority,
                solution_travel(self.best),
                self.elapsed(),
                self.status,
            )
        )


    def hand_over_best_plan(self) -> None:
        """The best plan so far to `on_best_plan`, throttled: assembling it is ~1 ms an
        operation, and the diagnosis of the unscheduled is left to the finished plan."""
        hand_over = self.options.on_best_plan
        if hand_over is None or not self.best:
            return
        now = time.monotonic()
        last = self.best_plan_at
        if last is not None and now - last < self.options.best_plan_seconds:
            return
        self.best_plan_at = now
        info: dict[str, object] = {
            "status": BEST_SO_FAR,
            "priority_bound": self.bound,
            "seed": self.options.seed,
            "workers": self.options.workers,
            "elapsed_seconds": round(self.elapsed(), 3),
        }
        hand_over(build_plan(self.instance, self.best, info, self.options.fixed, reasons={}))


def solve(instance: Instance, options: SolveOptions) -> SolveResult:
    """Plan the scenario: a valid plan always, as good as the time limit allows."""
    tracker = _Tracker(instance, options)
    clock = tracker.clock
    budget = _budget(instance, options, tracker)
    # The last passes (nearer units, then passages tightened for dwell) end at the end
    # of the budget; finishing ends before them.
    tracker.dwell_seconds = _polish_seconds(instance, budget, tracker.clock)
    tracker.dwell_deadline = clock.now() + budget
    finish_deadline = tracker.dwell_deadline - tracker.dwell_seconds
    fixed = solution_from_operations(instance, options.fixed)
    preferred = solution_from_operations(instance, options.preferred)
    greedy_deadline = clock.now() + GREEDY_SHARE * budget
    # A deterministic clock stands still during the greedy: it is cut only by the
    # wall-clock safety stop, so one-worker plans stay reproducible.
    first_plan_deadline = min(greedy_deadline, clock.now() + FIRST_PLAN_SECONDS)
    planner = Greedy(instance, out_of_time=lambda: clock.now() >= first_plan_deadline)
    greedy = planner.run(fixed, preferred)
    first_seconds = tracker.elapsed()
    tracker.status = "FEASIBLE"
    tracker.offer(greedy)  # the first plan: the highest priorities, when the greedy goes on
    if planner.cut_short:
        # Finishing would add the operations the greedy has not reached, more slowly.
        greedy, greedy_deadline = _greedy_to_the_end(
            planner, greedy, preferred, clock, greedy_deadline, finish_deadline
        )
        tracker.offer(greedy)
    if planner.cut_short:
        tracker.cut("greedy")
    # Nearer units for the greedy's bookings (~0.7 s on large, travel 171,160 -> 79,570):
    # the search starts from there. Within the greedy's share of the limit.
    keep = set(fixed)
    swapped = nearer_units(
        instance, greedy, keep, _stop_at(clock, greedy_deadline, planner.cut_short), planner
    )
    tracker.planner = planner
    tracker.offer(swapped)
    settings = RunSettings(
        options.time_limit,
        options.workers,
        options.seed,
        extra=dict(SEARCH_PARAMETERS),
        should_stop=options.should_stop,
        clock=clock,
    )
    if options.should_stop is not None and options.should_stop():
        return _result(instance, tracker, options, first_seconds, greedy, finish_deadline)
    bound_deadline = min(clock.now() + BOUND_SHARE * budget, finish_deadline)
    unchecked: list[str] = []
    impossible = impossible_alone(instance, fixed, greedy, settings, bound_deadline, unchecked)
    if unchecked:
        tracker.cut("bounds")
    tracker.bound = priority_bound(instance, impossible)
    tracker.report()
    deadline = finish_deadline - _finish_reserve(instance, budget, greedy, impossible)
    free = [o for o in instance.scenario.operations if o.id not in fixed and o.id not in impossible]
    if options.should_stop is not None and options.should_stop():
        pass  # asked to stop: the greedy plan it is
    elif clock.now() >= deadline - 0.05:
        pass  # no time left for a search
    elif (whole := _small_enough(planner, free, clock, deadline)) is None:
        pass  # the deadline came while counting candidates
    elif whole:
        # The whole model is small: full presolve pays off (small sample: travel proven
        # in ~12 s with it, not within 30 s with the light LNS presolve).
        settings.extra = dict(WHOLE_MODEL_PARAMETERS)
        _solve_whole(instance, tracker, fixed, free, settings, deadline, preferred)
    else:
        polish_stop = _stop_at(clock, deadline, False)

        def polish(solution: Solution) -> Solution:
            return nearer_units(instance, solution, set(fixed), polish_stop, planner)

        improve(
            instance, tracker.best, free, settings, deadline, options.lns, tracker.offer, polish
        )
        tracker.status = _lns_status(instance, tracker)
    # Proven optimal or stopped early by its own rule: not cut. Otherwise the search ran
    # into its deadline (a tenth of a second of slack for the last run to return).
    if tracker.status != "OPTIMAL" and clock.now() >= deadline - 0.1:
        tracker.cut("search")
    return _result(instance, tracker, options, first_seconds, greedy, finish_deadline)


def _greedy_to_the_end(
    planner: Greedy,
    greedy: Solution,
    preferred: Solution,
    clock: SearchClock,
    share_deadline: float,
    last_deadline: float,
) -> tuple[Solution, float]:
    """The greedy resumed after its first plan: up to its share of the limit, and when
    that is not enough, on into the search's and finishing's time; with the deadline it
    ran to.

    Cut short, the plan stays below what the whole greedy places: at 1,600 and 2,000
    scarce operations the search after a greedy cut at half the limit ended at priority
    5,787 and 4,041 against the whole greedy's 7,419 and 9,260 (bench/README.md); resumed
    to a fifth of the budget before finishing, it still stopped at 9,248 (load 8.3). It places
    hundreds of operations a second; an LNS insertion takes seconds each.
    """
    for deadline in (share_deadline, max(share_deadline, last_deadline)):
        planner.out_of_time = _stop_at(clock, deadline, False)
        greedy = planner.resume(greedy, preferred)
        if not planner.cut_short:
            return greedy, deadline
    return greedy, deadline


def _small_enough(
    planner: Greedy, free: list[Operation], clock: SearchClock, deadline: float
) -> bool | None:
    """Whether the whole model is small enough (None: out of time while counting)."""
    planner.out_of_time = _stop_at(clock, deadline, False)
    return planner.candidates_within(free, FULL_MODEL_LIMIT)


def _budget(instance: Instance, options: SolveOptions, tracker: _Tracker) -> float:
    """The seconds of the limit the pipeline may spend, from now until finishing ends.

    On the wall clock the limit covers the whole command: what loading took before
    solve() is deducted, and assembling, checking and writing the plan afterwards keep a
    reserve that grows with the scenario. A deterministic clock counts only the search,
    so it gets the whole limit.
    """
    if tracker.clock.deterministic:
        return options.time_limit
    spent = 0.0 if options.started is None else max(0.0, time.monotonic() - options.started)
    reserve = _assembly_reserve(instance, tracker.clock)
    if spent + reserve >= options.time_limit:
        tracker.cut("load")
    return max(0.0, options.time_limit - spent - reserve)


def _polish_seconds(instance: Instance, budget: float, clock: SearchClock) -> float:
    """Wall seconds for the last passes: ~1 ms an operation, at most 5 % of the budget."""
    if clock.deterministic:
        return 0.0
    expected = 0.05 + POLISH_SECONDS_PER_OPERATION * len(instance.operations)
    return min(POLISH_SHARE * budget, expected)


def _assembly_reserve(instance: Instance, clock: SearchClock) -> float:
    """Wall seconds kept for tightening, assembling, checking and writing the plan."""
    if clock.deterministic:
        return 0.0
    return ASSEMBLY_SECONDS + ASSEMBLY_SECONDS_PER_OPERATION * len(instance.scenario.operations)


def worse(instance: Instance, candidate: Solution, incumbent: Solution) -> bool:
    """Lexicographically worse: lower priority, or equal priority and longer travel."""
    a, b = solution_priority(instance, candidate), solution_priority(instance, incumbent)
    if a != b:
        return a < b
    return solution_travel(candidate) > solution_travel(incumbent)


def _finish_reserve(
    instance: Instance, budget: float, greedy: Solution, impossible: set[str]
) -> float:
    """Seconds kept for finishing: by what the greedy plan leaves out, capped."""
    left_out = [o.id for o in instance.scenario.operations if o.id not in greedy]
    hard = sum(1 for o in left_out if o in impossible)
    expected = (
        FINISH_SECONDS_PER_OPERATION * (len(left_out) - hard) + FINISH_SECONDS_PER_IMPOSSIBLE * hard
    )
    return min(FINISH_SHARE * budget, expected)


def _lns_status(instance: Instance, tracker: _Tracker) -> str:
    proven = solution_priority(instance, tracker.best) >= tracker.bound
    return "FEASIBLE_PRIORITY_OPTIMAL" if proven else "FEASIBLE"


def _solve_whole(
    instance: Instance,
    tracker: _Tracker,
    fixed: Solution,
    free: list[Operation],
    settings: RunSettings,
    deadline: float,
    preferred: Solution,
) -> None:
    """Two phases on the whole model: priority, then travel at that priority.

    With `preferred` choices (stable re-planning) the travel phase breaks ties between
    equally short plans by keeping as many of them as possible.
    """
    hint = {k: v for k, v in tracker.best.items() if k not in fixed}
    model = build_model(SubProblem(instance, free, fixed=fixed, hint=hint))
    fixed_priority = solution_priority(instance, fixed)
    model.model.add(model.priority <= tracker.bound - fixed_priority)
    proven = solution_priority(instance, tracker.best) >= tracker.bound
    if not proven:
        hint, proven = _maximise_priority(model, hint, fixed, settings, deadline, tracker)
    best_priority = solution_priority(instance, hint)
    model.model.clear_objective()
    add_hint(model, hint)
    kept = preference_terms(model, preferred)
    # Weighting travel above the count of kept choices keeps the order lexicographic.
    weight = len(kept) + 1
    if proven:
        model.model.add(model.priority == best_priority)
        model.model.minimize(weight * model.travel - sum(kept))
    else:
        model.model.add(model.priority >= best_priority)
        lexicographic = model.travel - (model.travel_bound + 1) * model.priority
        model.model.minimize(weight * lexicographic - sum(kept))
    limit = deadline - settings.clock.now()
    outcome = run(model, _phase_settings(settings, limit))
    if outcome.solution is not None:
        tracker.offer({**fixed, **outcome.solution})
    optimal = proven and outcome.status == "OPTIMAL"
    tracker.status = "OPTIMAL" if optimal else _lns_status(instance, tracker)


def _maximise_priority(
    model: ScheduleModel,
    hint: Solution,
    fixed: Solution,
    settings: RunSettings,
    deadline: float,
    tracker: _Tracker,
) -> tuple[Solution, bool]:
    """Phase 1: the best priority (and its bound) within a share of the remaining time."""
    add_hint(model, hint)
    model.model.maximize(model.priority)
    limit = (deadline - settings.clock.now()) * PHASE_ONE_SHARE
    outcome = run(model, _phase_settings(settings, limit))
    if outcome.solution is not None:
        tracker.offer({**fixed, **outcome.solution})
        hint = outcome.solution
    if outcome.bound is not None:
        fixed_priority = solution_priority(tracker.instance, fixed)
        tracker.bound = min(tracker.bound, fixed_priority + int(outcome.bound + 1e-6))
    return hint, outcome.status == "OPTIMAL"


def _phase_settings(settings: RunSettings, limit: float) -> RunSettings:
    """Run settings for one phase, with the caller's stop hook."""
    return settings.for_seconds(max(0.1, limit))


def _finish(
    instance: Instance, tracker: _Tracker, options: SolveOptions, deadline: float
) -> dict[str, list[str]] | None:
    """Add the operations that fit the best plan as it stands; the others' reasons.

    None when the diagnosis failed (a bug there must not lose a valid plan).
    """
    from app.solver.diagnose import complete_plan

    draft = build_plan(instance, tracker.best, {"status": tracker.status}, options.fixed, {})
    clock = tracker.clock

    def seconds_left() -> float:
        if options.should_stop is not None and options.should_stop():
            return 0.0
        left = deadline - clock.now()
        if left <= 0:
            # Operations left are neither tried nor searched for reasons (static only).
            tracker.cut("finishing")
            tracker.cut("diagnosis")
        # A deterministic clock does not see these small searches: they keep their own
        # limit whole, rather than let the machine's load decide where they stop.
        return STAFFING_SECONDS if clock.deterministic and left > 0 else left

    try:
        added, reasons = complete_plan(instance, draft, seconds_left)
    except Exception:  # noqa: BLE001
        return None
    if added:
        tracker.best = {**tracker.best, **solution_from_operations(instance, added)}
        if tracker.status == "FEASIBLE":
            tracker.status = _lns_status(instance, tracker)
        tracker.report()
    return reasons


def _result(
    instance: Instance,
    tracker: _Tracker,
    options: SolveOptions,
    first_seconds: float,
    greedy: Solution,
    finish_deadline: float,
) -> SolveResult:
    """Finish and assemble the plan; an invalid plan (a bug) falls back to the greedy one."""
    if worse(instance, tracker.best, greedy):
        tracker.best = greedy  # never below the greedy (offer() already refuses worse)
    reasons = _finish(instance, tracker, options, finish_deadline)
    # Third level: passages as late out and as early back as the lanes allow (priority
    # and travel cannot change: starts, units and routes stay).
    clock = tracker.clock
    # Finishing may return a little late: polishing still gets a few moments of its own.
    dwell_deadline = max(tracker.dwell_deadline, clock.now() + tracker.dwell_seconds)
    # A deterministic clock does not count these passes: only its safety stop ends them.
    out_of_time = _stop_at(clock, dwell_deadline, False)
    keep = set(fixed_ids(options))
    # The search's last neighbourhoods and finishing's additions leave nearer units free.
    tracker.offer(nearer_units(instance, tracker.best, keep, out_of_time, tracker.planner))
    tight, complete = tighten(instance, tracker.best, keep, out_of_time)
    if not complete:
        tracker.cut("dwell")
    tracker.best = tight
    best = tracker.best
    priority = solution_priority(instance, best)
    bound = max(tracker.bound, priority)
    if not instance.on_whole_minutes:
        # Searched on whole minutes from an off-minute horizon start, every window lost up
        # to a minute at each end: a proof there is no proof for the exact instants.
        bound = sum(o.priority for o in instance.scenario.operations)
        if tracker.status in ("OPTIMAL", "FEASIBLE_PRIORITY_OPTIMAL"):
            # Everything scheduled is still the best priority there is.
            tracker.status = "FEASIBLE_PRIORITY_OPTIMAL" if priority == bound else "FEASIBLE"
    wall = tracker.elapsed()
    info: dict[str, object] = {
        "status": tracker.status,
        "priority_bound": bound,
        "seed": options.seed,
        "workers": options.workers,
        "ortools": getattr(ortools, "__version__", "unknown"),
        "clock": tracker.clock.describe(),
        # Which phases the time limit ended before their work was done (PHASES order).
        "cut_short": [p for p in PHASES if p in tracker.cut_short],
        "dwell_minutes": solution_dwell(instance, best),
    }
    if options.include_timing:
        info.update(wall_seconds=round(wall, 3), first_solution_seconds=round(first_seconds, 3))
    plan = build_plan(instance, best, info, options.fixed, reasons)
    if best is not greedy and not _valid(instance, plan):
        info["status"] = "FALLBACK_GREEDY"
        best = greedy
        info["dwell_minutes"] = solution_dwell(instance, best)
        plan = build_plan(instance, best, info, options.fixed)
    if options.preferred:
        plan = keep_earlier_times(instance.scenario, plan, options.preferred)
        # Unchanged orders keep their earlier passages: count the dwell of the plan.
        info["dwell_minutes"] = plan_dwell(instance.scenario, plan)
        assert plan.solver is not None
        plan = plan.model_copy(update={"solver": plan.solver.model_copy(update=info)})
    return SolveResult(
        plan,
        str(info["status"]),
        first_seconds,
        wall,
        solution_priority(instance, best),
        bound,
        solution_travel(best),
        solution_priority(instance, greedy),
        solution_travel(greedy),
        str(info["clock"]),
        int(str(info["dwell_minutes"])),
        solution_dwell(instance, greedy),
    )


def _stop_at(clock: SearchClock, deadline: float, already: bool) -> Callable[[], bool]:
    """A pass's out-of-time test: the deadline on the wall clock; on a deterministic one,
    which Python passes do not advance, only its safety stop."""
    if already:
        return lambda: True
    if clock.deterministic:
        return clock.wall_safety_hit
    return lambda: clock.now() >= deadline


def fixed_ids(options: SolveOptions) -> list[str]:
    return [o.id for o in options.fixed]


def plan_dwell(scenario: Scenario, plan: Plan) -> int:
    """The dwell of a plan as the validator counts it on its instants."""
    from app.solver.validate import validate_plan

    return validate_plan(scenario, plan).dwell_minutes


def _valid(instance: Instance, plan: Plan) -> bool:
    """Check with the validator when it is installed (it is the oracle of the spec)."""
    try:
        from app.solver.validate import validate_plan
    except ImportError:
        return True
    return validate_plan(instance.scenario, plan).valid
