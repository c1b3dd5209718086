"""An upper bound on priority: operations that cannot be scheduled even alone drop out.

An operation is possible alone when the greedy places it in an empty plan (or around the
pinned operations); otherwise a small CP-SAT model of it alone decides. Operations that
are impossible alone are left out of every later model.
"""

from __future__ import annotations

from app.solver.greedy import Greedy
from app.solver.instance import Instance
from app.solver.model.builder import SubProblem, build_model
from app.solver.model.search import RunSettings, run
from app.solver.model.timing import Solution

ALONE_SECONDS = 2.0


def impossible_alone(
    instance: Instance,
    fixed: Solution,
    current: Solution,
    settings: RunSettings,
    deadline: float,
    unchecked: list[str] | None = None,
) -> set[str]:
    """Ids of free operations proven impossible even with no other free operation.

    Checks stop at `deadline`; operations left unchecked count as possible (a weaker
    bound) and are appended to `unchecked` when it is given.
    """
    result = set()
    empty = Greedy(instance)
    for op_id, schedule in fixed.items():
        empty.state.add_schedule(op_id, schedule)
    for operation in instance.scenario.operations:
        if operation.id in current or operation.id in fixed:
            continue
        remaining = deadline - settings.clock.now()
        if remaining <= 0:
            if unchecked is not None:
                unchecked.append(operation.id)
            continue
        placed = empty.place(operation, instance.start_minutes(operation))
        if placed is not None:
            empty.state.remove_schedule(operation.id, placed)
            continue
        model = build_model(SubProblem(instance, [operation], fixed=fixed))
        model.model.maximize(model.priority)
        # The light-presolve parameters of LNS steps do not apply to these tiny models.
        alone = RunSettings(
            min(ALONE_SECONDS, remaining), settings.workers, settings.seed, clock=settings.clock
        )
        outcome = run(model, alone)
        if outcome.status == "OPTIMAL" and outcome.solution == {}:
            result.add(operation.id)
    return result


def priority_bound(instance: Instance, impossible: set[str]) -> int:
    """Total priority of the operations not proven impossible."""
    return sum(o.priority for o in instance.scenario.operations if o.id not in impossible)
