"""Stable re-planning: the previous plan's choices as the last objective level.

The kept choices only break ties in the travel phase (see `app.solver.solve`), so a
preference never costs priority or travel minutes.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from app.solver.model.builder import ScheduleModel
from app.solver.model.timing import Solution


def preference_terms(schedule_model: ScheduleModel, preferred: Solution) -> list[cp_model.IntVar]:
    """One true-when-kept literal per preferred start and (unit, site, capability) choice."""
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
    return kept
