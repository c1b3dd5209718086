"""The published plan as a jointops-plan/1 document that checks against today's board."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.errors import NotFound
from app.i18n import N_
from app.planning.scenario import planning_scenario, published_plan
from app.solver.loader import load_plan
from app.solver.schema import PLAN_FORMAT, Objective, Plan, Unscheduled
from app.solver.validate import validate_plan

NEW_SINCE = "approved after the published plan was made: not planned yet"


def published_export(session: Session) -> dict[str, Any]:
    """The published plan, re-based on the current planning scenario.

    Its operations that are still on the board are kept as published; every other
    operation of the scenario is listed as unscheduled (with the plan's reasons where it
    has some), so `jointops check` passes against `planning_document`.
    """
    published = published_plan(session)
    if published is None:
        raise NotFound(N_("No plan is published"))
    _, scenario = planning_scenario(session)
    plan = load_plan(published.document)
    known = {op.id for op in scenario.operations}
    operations = [op for op in plan.operations if op.id in known]
    scheduled = {op.id for op in operations}
    earlier = {u.id: u for u in plan.unscheduled}
    # The reasons keep their parts, so each reader gets them as they may read them.
    unscheduled = [
        earlier[op.id] if op.id in earlier and earlier[op.id].reasons
        else Unscheduled(id=op.id, reasons=[NEW_SINCE])
        for op in scenario.operations if op.id not in scheduled
    ]
    rebased = Plan(format=PLAN_FORMAT, scenario=scenario.name, operations=operations,
                   unscheduled=unscheduled, solver=plan.solver)
    objective = validate_plan(scenario, rebased).objective
    rebased = rebased.model_copy(
        update={"objective": Objective(priority=objective.priority,
                                       travel_minutes=objective.travel_minutes)}
    )
    return rebased.to_json_dict()
