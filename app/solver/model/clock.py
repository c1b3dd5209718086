"""The search's clock: wall time, or a deterministic count for reproducible runs.

Every time limit of a solve (phases, LNS steps, the bound checks) is read from one
`SearchClock`. On the wall clock, two runs of the same input stop at different points
whenever a limit rather than a proof ends a search, so their plans differ. With one
worker CP-SAT is deterministic up to its own `deterministic_time`, so the deterministic
clock advances only by what each CP-SAT run reports, plus a charge for building its
model that depends on the model's size alone; limits are then deterministic too, and the
same input with the same seed gives the same plan, whatever the machine's load.

A wall-clock safety stop still bounds a deterministic solve (a run that accrues
deterministic time unusually slowly must not hang a caller); it only ends the search
when the machine is several times slower than the calibration, and then the plan is
still valid, only no longer reproducible.
"""

from __future__ import annotations

import math
import time

from ortools.sat.python import cp_model, cp_model_helper

# Deterministic-time units CP-SAT reports per "second" of this clock. Calibrated on the
# sample scenarios with one worker (bench/README.md, "Deterministic clock"), so that a
# time limit of T takes roughly T seconds of wall time on this two-core machine.
UNITS_PER_SECOND = 0.1
# Clock seconds charged per model element (variable or constraint) for building and
# reading back a model in Python, which CP-SAT's deterministic time does not see.
SECONDS_PER_ELEMENT = 5e-5
# No run is given less than this (a zero limit would end it before it read the model).
MIN_LIMIT_SECONDS = 0.05
# Every run costs at least this much, so loops of tiny runs always end.
MIN_RUN_SECONDS = 0.005
# The wall-clock safety stop of a deterministic solve: this many times its time limit,
# plus a margin for the Python work no clock counts (the greedy plan alone takes 4 s on
# the xl sample, whose 10 s solve took 32 s quiet and 64 s with both cores busy).
WALL_SAFETY_FACTOR = 4.0
WALL_SAFETY_MARGIN_SECONDS = 120.0


class SearchClock:
    """Seconds spent so far, by the wall or by deterministic accounting."""

    def __init__(self, *, deterministic: bool = False, time_limit: float = 0.0) -> None:
        self.deterministic = deterministic
        self._wall_started = time.monotonic()
        self._charged = 0.0
        safety = WALL_SAFETY_FACTOR * time_limit + WALL_SAFETY_MARGIN_SECONDS
        self._wall_deadline = self._wall_started + safety

    def now(self) -> float:
        """The current reading; only differences between readings mean anything."""
        if not self.deterministic:
            return time.monotonic()
        if time.monotonic() >= self._wall_deadline:
            return math.inf  # the safety stop: every limit has passed
        return self._charged

    def wall_elapsed(self) -> float:
        """Wall seconds since the clock was made, whatever kind it is."""
        return time.monotonic() - self._wall_started

    def limit(self, parameters: cp_model_helper.SatParameters, seconds: float) -> None:
        """Set a run's limits for `seconds` on this clock (at least MIN_LIMIT_SECONDS)."""
        seconds = max(MIN_LIMIT_SECONDS, seconds)
        if self.deterministic:
            parameters.max_deterministic_time = seconds * UNITS_PER_SECOND
            wall_left = self._wall_deadline - time.monotonic()
            parameters.max_time_in_seconds = max(0.05, wall_left)
        else:
            parameters.max_time_in_seconds = seconds

    def charge(self, solver: cp_model.CpSolver, model: cp_model.CpModel) -> None:
        """Advance a deterministic clock by one finished run (no-op on the wall clock)."""
        if not self.deterministic:
            return
        try:
            searched = solver.deterministic_time / UNITS_PER_SECOND
        except RuntimeError:  # no response to read (a run that never started)
            searched = 0.0
        proto = model.proto
        elements = len(proto.variables) + len(proto.constraints)
        self._charged += max(MIN_RUN_SECONDS, searched + elements * SECONDS_PER_ELEMENT)

    def describe(self) -> str:
        """What kind of clock limited the search, for the plan's solver info."""
        if not self.deterministic:
            return "wall"
        return (
            "deterministic, ended by the wall-clock safety stop"
            if self.wall_safety_hit()
            else "deterministic"
        )

    def wall_safety_hit(self) -> bool:
        """Whether the wall-clock safety stop has passed (the run may not be reproducible)."""
        return self.deterministic and time.monotonic() >= self._wall_deadline
