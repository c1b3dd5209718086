"""Stable re-planning: a third objective level that keeps the previous plan's choices.

Used only once priority and travel are proven optimal, with both fixed at their optimum,
so a preference never costs priority or travel.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from app.solver.model.builder import ScheduleModel
from app.solver.model.timing import Solution


def add_preference_objective(schedule_model: ScheduleModel, preferred: Solution) -> bool:
    """Maximise kept starts and kept (unit, site, capability) choices; False if none apply."""
    model = schedule_model.model
    kept: list[cp_model.IntVar] = []
    for op_id, schedule in sorted(preferred.items()):
        op_vars = schedule_model.operations.get(op_id)
        if op_vars is None or schedule.start not in op_vars.starts:
            continue
        same_start = model.new_bool_var(f"keeps_start[{op_id}]")
        model.add(op_vars.start == schedule.start).only_enforce_if(same_start)
        model.add_implication(same_start, op_vars.is_scheduled)
        kept.append(same_start)
        for booking in schedule.bookings:
            fill = schedule_model.fills.get((booking.unit, booking.site, booking.capability))
            if fill is not None:
                kept.append(fill)
    if not kept:
        return False
    model.clear_objective()
    model.maximize(sum(kept))
    return True
