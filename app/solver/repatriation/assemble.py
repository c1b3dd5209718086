"""Turn loaded escort trips into a `jointops-repatriation-plan/1` document.

Both solvers decide which units drive which persons from a holding site to a point on a
day; this module writes the batches, the taskings with their routes and times, what is
left per cohort, and the objective, so that the two cannot disagree on the format.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from app.solver.repatriation.network import Network, hhmm
from app.solver.repatriation.schema import (
    PLAN_FORMAT,
    Batch,
    Left,
    Objective,
    RepatriationPlan,
    Tasking,
)


@dataclass
class Load:
    """One unit's trip on one day, with the persons of each cohort it carries."""

    unit: str
    day: int
    site: str
    point: str
    cohorts: dict[str, int] = field(default_factory=dict)

    @property
    def persons(self) -> int:
        return sum(self.cohorts.values())


def assemble(network: Network, loads: list[Load], solver: dict[str, object]) -> RepatriationPlan:
    problem = network.problem
    batches: list[Batch] = []
    taskings: list[Tasking] = []
    handed: dict[str, int] = defaultdict(int)
    vulnerable_days = person_days = 0
    for load in sorted(loads, key=lambda item: (item.day, item.point, item.unit)):
        if load.persons == 0:
            continue
        unit = network.units[load.unit]
        trip = network.trip(unit.base, load.site, load.point)
        if trip is None:  # the solvers only load feasible trips
            raise AssertionError(f"no trip {unit.base} -> {load.site} -> {load.point}")
        day = network.day(load.day)
        for cohort_id, persons in sorted(load.cohorts.items()):
            if persons <= 0:
                continue
            cohort = network.cohorts[cohort_id]
            batches.append(
                Batch(
                    cohort=cohort_id,
                    point=load.point,
                    day=day,
                    time=hhmm(trip.handover),
                    persons=persons,
                    escort=load.unit,
                )
            )
            handed[cohort_id] += persons
            waited = load.day - network.release_index(cohort)
            person_days += persons * waited
            if cohort.vulnerable:
                vulnerable_days += persons * waited
        taskings.append(
            Tasking(
                unit=load.unit,
                day=day,
                site=load.site,
                point=load.point,
                depart=hhmm(trip.depart),
                handover=hhmm(trip.handover),
                duty_minutes=trip.duty_minutes,
                route=trip.route,
                persons=load.persons,
            )
        )
    left: list[Left] = []
    vulnerable_left = persons_left = 0
    for cohort in problem.cohorts:
        remaining = cohort.count - handed[cohort.id]
        if remaining <= 0:
            continue
        left.append(Left(cohort=cohort.id, persons=remaining))
        waited = max(0, network.days - network.release_index(cohort))
        persons_left += remaining
        person_days += remaining * waited
        if cohort.vulnerable:
            vulnerable_left += remaining
            vulnerable_days += remaining * waited
    objective = Objective(
        vulnerable_left=vulnerable_left,
        persons_left=persons_left,
        vulnerable_person_days=vulnerable_days,
        person_days=person_days,
        trips=len(taskings),
    )
    plan = RepatriationPlan(
        format=PLAN_FORMAT,
        batches=batches,
        taskings=taskings,
        left=left,
        objective=objective,
        solver=solver,
    )
    if left:
        from app.solver.repatriation.diagnose import explain_left

        plan = plan.model_copy(update={"left": explain_left(network, plan)})
    return plan
