"""Windows, slot grid, fixed start and the coordinated strike: one start per operation.

Every site of an operation uses the same start variable, so all sites start at `s` and
end at `s + duration` (rule 2); the start's domain is the operation's slot-grid starts
inside its window and the horizon, or just its fixed start (rule 1).
"""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from app.solver.instance import Instance
from app.solver.schema import Operation


@dataclass
class OperationVars:
    """Whether the operation is scheduled, and when it starts."""

    operation: Operation
    starts: list[int]
    is_scheduled: cp_model.IntVar
    start: cp_model.IntVar


def add_operation_vars(
    model: cp_model.CpModel, instance: Instance, operations: list[Operation]
) -> dict[str, OperationVars]:
    """A presence literal and a start variable on the slot grid for each operation."""
    result = {}
    for operation in operations:
        starts = instance.start_minutes(operation)
        name = operation.id
        is_scheduled = model.new_bool_var(f"is_scheduled[{name}]")
        if starts:
            domain = cp_model.Domain.from_values(starts)
            start = model.new_int_var_from_domain(domain, f"start[{name}]")
        else:
            # No legal start at all: the operation can only stay unscheduled.
            start = model.new_constant(0)
            model.add(is_scheduled == 0)
        result[operation.id] = OperationVars(operation, starts, is_scheduled, start)
    return result
