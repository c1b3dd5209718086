"""Model-level tests: fix the CP-SAT model's decisions to a plan, ask whether it is feasible.

The approach of the cpsat-primer's chapter on testing: build the real model of a tiny
scenario, pin every decision to a hand-made assignment with equality constraints, and
solve. The model must accept a valid assignment (FEASIBLE) and reject one that breaks a
rule (INFEASIBLE). Each case is also put to the validator, the oracle of the spec's ten
rules, which must name the one rule the case breaks: so the test checks the model against
the spec, not against itself.

Decisions fixed: whether each operation is scheduled and its start, every fill literal
(true exactly for the plan's (unit, site, capability)), every trip (chosen exactly for
the plan's (unit, site, crossing)) and its passage times, and every cordon post (staffed
exactly by the plan's (operation, crossing, side, unit)). `depart`/`return` are not
decisions of the model (it derives the tightest round trip from the start and the
passages), so cases break rules through the decisions only. A plan that needs a fill or
a trip the model has no variable for (a candidate the model ruled out) cannot be fixed:
the model is then INFEASIBLE for it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from ortools.sat.python import cp_model

from app.solver.instance import Instance
from app.solver.model.builder import ScheduleModel, SubProblem, build_model
from app.solver.model.plan import solution_from_operations
from app.solver.schema import format_instant, parse_instant
from app.solver.validate import validate_plan

from ..builders import Doc, make_plan, make_scenario

FEASIBLE = "FEASIBLE"
INFEASIBLE = "INFEASIBLE"


@dataclass
class Verdict:
    """What the model says of a fixed assignment, and which rules the validator finds broken."""

    model: str
    rules: set[int]
    priority: int | None = None  # the model's objective terms, when FEASIBLE
    travel: int | None = None
    unfixable: tuple[str, ...] = ()  # decisions the model has no variable for

    def __eq__(self, other: object) -> bool:
        """Compare with `(model, rules)`, the form the tests state their expectation in."""
        if isinstance(other, tuple):
            return (self.model, self.rules) == other
        return NotImplemented


def fix_decisions(
    schedule_model: ScheduleModel,
    instance: Instance,
    plan: Doc,
    free_trips: frozenset[tuple[str, str]] = frozenset(),
) -> list[str]:
    """Pin the model's decisions to the plan's; the plan decisions it has no variable for.

    The trips of `free_trips` (unit, site) are left to the solver.
    """
    model = schedule_model.model
    decided = [o for o in make_plan(plan).operations if o.id in schedule_model.operations]
    solution = solution_from_operations(instance, decided)
    for op_id, op_vars in schedule_model.operations.items():
        schedule = solution.get(op_id)
        model.add(op_vars.is_scheduled == int(schedule is not None))
        if schedule is not None:
            model.add(op_vars.start == schedule.start)
    bookings = [b for schedule in solution.values() for b in schedule.bookings]
    filled = {(b.unit, b.site, b.capability) for b in bookings}
    for key, literal in schedule_model.fills.items():
        model.add(literal == int(key in filled))
    unfixable = [f"fill {key}" for key in sorted(filled - schedule_model.fills.keys())]
    travelled = {(b.unit, b.site, b.crossing): b for b in bookings}
    seen = set()
    for trip in schedule_model.trips:
        key = (trip.candidate.unit, trip.candidate.site, trip.route.crossing)
        seen.add(key)
        if key[:2] in free_trips:
            continue
        booking = travelled.get(key)
        model.add(trip.is_chosen == int(booking is not None))
        if booking is None or trip.cross_out is None or trip.cross_back is None:
            continue
        assert booking.cross_out is not None and booking.cross_back is not None
        model.add(trip.cross_out == booking.cross_out)
        model.add(trip.cross_back == booking.cross_back)
    unfixable += [f"trip {key}" for key in travelled if key not in seen]
    # Cordon posts (app/solver/model/cordons.py): staffed exactly as in the plan.
    staffed = {
        (op_id, p.crossing, p.side, p.unit)
        for op_id, schedule in solution.items()
        for p in schedule.posts
    }
    posts_seen = set()
    for post in schedule_model.posts:
        need = post.candidate.need
        post_key = (need.operation, need.crossing, need.side, post.candidate.unit)
        posts_seen.add(post_key)
        model.add(post.is_chosen == int(post_key in staffed))
    unfixable += [f"post {key}" for key in sorted(staffed - posts_seen)]
    if unfixable:
        model.add_bool_or([])  # an empty clause: no decision of the model is this plan
    return unfixable


def solve_fixed(schedule_model: ScheduleModel) -> tuple[str, cp_model.CpSolver]:
    """FEASIBLE or INFEASIBLE (one worker, a few seconds: these models are tiny)."""
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 10.0
    status = solver.solve(schedule_model.model)
    assert status != cp_model.UNKNOWN, "a tiny fixed model must be decided in seconds"
    assert status != cp_model.MODEL_INVALID, schedule_model.model.validate()
    found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    return (FEASIBLE if found else INFEASIBLE), solver


def verdict(scenario_doc: Doc, plan: Doc, *, fixed: tuple[str, ...] = ()) -> Verdict:
    """The model's verdict on the plan's decisions, and the validator's broken rules.

    `fixed` operations are not decided: their bookings stay as in the plan (the
    sub-problems of the large-neighbourhood search), and only the others are fixed.
    """
    scenario = make_scenario(scenario_doc)
    instance = Instance(scenario)
    plan_ops = make_plan(plan).operations
    kept = solution_from_operations(instance, [o for o in plan_ops if o.id in fixed])
    decided = [o for o in scenario.operations if o.id not in fixed]
    schedule_model = build_model(SubProblem(instance, decided, fixed=kept))
    unfixable = fix_decisions(schedule_model, instance, plan)
    status, solver = solve_fixed(schedule_model)
    rules = {v.rule for v in validate_plan(scenario, make_plan(plan)).violations}
    if status != FEASIBLE:
        return Verdict(status, rules, unfixable=tuple(unfixable))
    priority = int(solver.value(schedule_model.priority))
    travel = int(solver.value(schedule_model.travel))
    return Verdict(status, rules, priority, travel)


# ---- editing plan dicts ------------------------------------------------------------------


def later(instant: str, minutes: int) -> str:
    """An instant of a plan dict moved by `minutes`."""
    return format_instant(parse_instant(instant) + timedelta(minutes=minutes))


def shift_operation(plan: Doc, op_id: str, minutes: int) -> Doc:
    """A copy of the plan with one operation and all its movements moved in time."""
    result = copy.deepcopy(plan)
    for operation in result["operations"]:
        if operation["id"] != op_id:
            continue
        operation["start"] = later(operation["start"], minutes)
        for a in operation["assignments"]:
            for key in ("depart", "return", "cross_out", "cross_back"):
                if a.get(key):
                    a[key] = later(a[key], minutes)
        for post in operation.get("cordon") or []:
            for key in ("depart", "start", "end", "return"):
                post[key] = later(post[key], minutes)
    return result


def shift_assignment(plan: Doc, op_id: str, unit: str, minutes: int) -> Doc:
    """A copy of the plan with one unit's round trip for one operation moved in time."""
    result = copy.deepcopy(plan)
    for a in find_operation(result, op_id)["assignments"]:
        if a["unit"] == unit:
            for key in ("depart", "return", "cross_out", "cross_back"):
                if a.get(key):
                    a[key] = later(a[key], minutes)
    return result


def find_operation(plan: Doc, op_id: str) -> dict[str, Any]:
    """The plan dict's operation of this id (the dict itself, to edit in place)."""
    return next(o for o in plan["operations"] if o["id"] == op_id)


def find_assignment(plan: Doc, op_id: str, unit: str) -> dict[str, Any]:
    """The plan dict's assignment of this unit in this operation (to edit in place)."""
    return next(a for a in find_operation(plan, op_id)["assignments"] if a["unit"] == unit)
