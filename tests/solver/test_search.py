"""The CP-SAT run wrapper: a cancel reaches a running search without waiting for a solution."""

from __future__ import annotations

import threading

from ortools.sat.python import cp_model

from app.solver.model.search import _stop_watch


class _RecordingSolver:
    def __init__(self) -> None:
        self.stopped = threading.Event()

    def stop_search(self) -> None:
        self.stopped.set()


def test_the_watch_stops_the_search_once_asked() -> None:
    solver = _RecordingSolver()
    asked = threading.Event()
    with _stop_watch(solver, asked.is_set):  # type: ignore[arg-type]
        assert not solver.stopped.wait(0.5)
        asked.set()
        assert solver.stopped.wait(5), "the running search was never told to stop"


def test_the_watch_ends_with_the_search_when_never_asked() -> None:
    solver = _RecordingSolver()
    before = threading.active_count()
    with _stop_watch(solver, lambda: False):  # type: ignore[arg-type]
        pass
    assert not solver.stopped.is_set()
    assert threading.active_count() == before


def test_a_real_search_stopped_at_once_returns_cleanly() -> None:
    model = cp_model.CpModel()
    xs = [model.new_int_var(0, 100, f"x{i}") for i in range(40)]
    model.add(sum(xs) <= 1000)
    model.maximize(sum((i % 7 + 1) * x for i, x in enumerate(xs)))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 60
    with _stop_watch(solver, lambda: True):
        status = solver.solve(model)
    assert status in (cp_model.OPTIMAL, cp_model.FEASIBLE, cp_model.UNKNOWN)
