"""Running CP-SAT on a schedule model: parameters, callbacks and the solver-fault path.

Every model here allows "schedule nothing", so INFEASIBLE or MODEL_INVALID is a solver
fault (OR-Tools 9.15 presolve with `cp_model_probing_level=0` is known to do this): the
model is solved again with other parameters, and the caller falls back to its hint.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from ortools.sat.python import cp_model

from app.solver.model.builder import ScheduleModel, extract
from app.solver.model.clock import SearchClock
from app.solver.model.timing import Solution

# How often a running search checks whether it was asked to stop (a cancelled solve).
STOP_POLL_SECONDS = 0.2

# Parameter sets tried in turn when a run reports INFEASIBLE or MODEL_INVALID.
FAULT_RETRIES: tuple[dict[str, object], ...] = (
    {"cp_model_probing_level": 2},
    {"cp_model_presolve": False},
)


@dataclass
class RunSettings:
    """How to run one CP-SAT search (`time_limit` in seconds of `clock`)."""

    time_limit: float
    workers: int = 2
    seed: int = 0
    extra: dict[str, object] | None = None
    should_stop: Callable[[], bool] | None = None
    on_solution: Callable[[float, float, float], None] | None = None  # value, bound, seconds
    clock: SearchClock = field(default_factory=SearchClock)

    def for_seconds(self, seconds: float) -> RunSettings:
        """The same settings with another time limit."""
        return replace(self, time_limit=seconds)


@dataclass
class RunResult:
    """Status name, the best solution (None if none), objective value and bound."""

    status: str
    solution: Solution | None
    objective: float | None
    bound: float | None
    first_solution_seconds: float | None


class _Callback(cp_model.CpSolverSolutionCallback):
    """Reports each improving solution and stops the search when asked to."""

    def __init__(self, settings: RunSettings) -> None:
        super().__init__()
        self.settings = settings
        self.started = time.monotonic()
        self.first: float | None = None

    def on_solution_callback(self) -> None:
        elapsed = time.monotonic() - self.started
        if self.first is None:
            self.first = elapsed
        if self.settings.on_solution is not None:
            self.settings.on_solution(self.objective_value, self.best_objective_bound, elapsed)
        if self.settings.should_stop is not None and self.settings.should_stop():
            self.stop_search()


@contextmanager
def _stop_watch(
    solver: cp_model.CpSolver, should_stop: Callable[[], bool] | None
) -> Iterator[None]:
    """Poll `should_stop` while the search runs and stop it when asked.

    The solution callback alone would notice a cancel only at the next improving
    solution, which may not come before the time limit.
    """
    if should_stop is None:
        yield
        return
    done = threading.Event()

    def watch() -> None:
        while not done.wait(STOP_POLL_SECONDS):
            if should_stop():
                solver.stop_search()
                return

    watcher = threading.Thread(target=watch, name="cp-sat-stop-watch", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


def _solver(settings: RunSettings, extra: dict[str, object]) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.num_workers = settings.workers
    params.random_seed = settings.seed
    for key, value in {**(settings.extra or {}), **extra}.items():
        setattr(params, key, value)
    return solver


def run(schedule_model: ScheduleModel, settings: RunSettings) -> RunResult:
    """Solve once; on a solver fault retry with other parameters, then give up cleanly."""
    attempts: tuple[dict[str, object], ...] = ({}, *FAULT_RETRIES)
    status_name = "UNKNOWN"
    callback = _Callback(settings)
    clock = settings.clock
    deadline = clock.now() + settings.time_limit
    for extra in attempts:
        remaining = deadline - clock.now()
        if remaining <= 0.05 and extra:
            break
        solver = _solver(settings, extra)
        clock.limit(solver.parameters, remaining)
        with _stop_watch(solver, settings.should_stop):
            status = solver.solve(schedule_model.model, callback)
        clock.charge(solver, schedule_model.model)
        status_name = solver.status_name(status)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return RunResult(
                status_name,
                extract(schedule_model, solver),
                solver.objective_value,
                solver.best_objective_bound,
                callback.first,
            )
        if status == cp_model.UNKNOWN:
            return RunResult(status_name, None, None, None, None)
        # INFEASIBLE / MODEL_INVALID on a model where doing nothing is feasible: a fault.
    return RunResult(f"SOLVER_FAULT({status_name})", None, None, None, None)
