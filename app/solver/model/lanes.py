"""Crossing lanes (rule 9): at most `lanes` passages of one crossing in progress at once."""

from __future__ import annotations

from ortools.sat.python import cp_model

from app.solver.instance import Instance, Interval


def add_lane_limits(
    model: cp_model.CpModel,
    instance: Instance,
    passages: dict[str, list[cp_model.IntervalVar]],
    fixed_passages: dict[str, list[Interval]],
) -> None:
    """A cumulative (or a no-overlap for one lane) over each crossing's passages."""
    for crossing_id in sorted(passages):
        optional = passages[crossing_id]
        lanes = instance.crossings[crossing_id].lanes
        fixed = [
            model.new_fixed_size_interval_var(a, b - a, f"fixed_passage[{crossing_id},{a}]")
            for a, b in fixed_passages.get(crossing_id, [])
        ]
        intervals = optional + fixed
        if len(intervals) <= lanes:
            continue  # never more passages than lanes
        if lanes == 1:
            model.add_no_overlap(intervals)
        else:
            model.add_cumulative(intervals, [1] * len(intervals), lanes)
