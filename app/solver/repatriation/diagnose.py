"""Why a cohort cannot be handed over in time.

Four causes, checked in this order: no agreement (no point has an agency of the
cohort's country), hours (no escort can bring it from its site to an agreed point within
screening hours and its duty, or no road leads there), capacity at the points (every
agreed point it can reach was full on the days after its release), and escorts (every
unit that can make the trip was already out). `diagnose` looks at the problem alone;
`explain_left` also reads the plan to tell which limit was binding.
"""

from __future__ import annotations

from collections import defaultdict

from app.solver.repatriation.network import Network
from app.solver.repatriation.schema import Cohort, Left, Problem, RepatriationPlan


def static_reasons(network: Network, cohort: Cohort) -> list[str]:
    """Causes that hold whatever the plan: the cohort cannot move at all."""
    if network.release_index(cohort) >= network.days:
        return [f"released on {cohort.release}, after the horizon ends"]
    agreed = network.agreed(cohort)
    if not agreed:
        return [f"no agreement: no hand-over point has an agency of {cohort.nationality}"]
    if not network.problem.escorts:
        return ["escorts: there are no escort units"]
    if network.routes(cohort):
        return []
    names = ", ".join(p.id for p in agreed)
    if all(network.distance(cohort.site, p.id) is None for p in agreed):
        return [f"hours: no road from {cohort.site} to an agreed point ({names})"]
    return [
        f"hours: no escort unit can bring them from {cohort.site} to {names} and hand over "
        f"within screening hours and be back within {network.problem.duty.minutes} minutes"
    ]


def diagnose(problem: Problem) -> dict[str, list[str]]:
    """Cohorts that cannot be handed over whatever the plan, each with its reasons, and
    cohorts whose persons exceed every agreed point's capacity over the horizon."""
    network = Network(problem)
    out: dict[str, list[str]] = {}
    for cohort in problem.cohorts:
        reasons = static_reasons(network, cohort)
        if not reasons:
            days = network.days - network.release_index(cohort)
            routes = network.routes(cohort)
            capacity = days * sum(point.capacity for point, _ in routes)
            if capacity < cohort.count:
                reasons.append(
                    f"capacity: {cohort.count} persons, but the points they can reach take "
                    f"at most {capacity} in the {days} days after release"
                )
            units = {u.id: u for _, us in routes for u in us}
            carry = days * sum(u.persons_per_trip for u in units.values())
            if carry < cohort.count:
                reasons.append(
                    f"escorts: {cohort.count} persons, but the {len(units)} units that can "
                    f"make the trip carry at most {carry} in {days} days"
                )
        if reasons:
            out[cohort.id] = reasons
    return out


def explain_left(network: Network, plan: RepatriationPlan) -> list[Left]:
    """The plan's `left` entries with the reasons for each, read off the plan's loads."""
    point_load: dict[tuple[str, int], int] = defaultdict(int)
    busy: dict[int, set[str]] = defaultdict(set)
    for batch in plan.batches:
        point_load[(batch.point, network.day_index(batch.day))] += batch.persons
    for task in plan.taskings:
        busy[network.day_index(task.day)].add(task.unit)
    out = []
    for item in plan.left:
        cohort = network.cohorts[item.cohort]
        reasons = static_reasons(network, cohort)
        if not reasons:
            days = range(network.release_index(cohort), network.days)
            routes = network.routes(cohort)
            full = [
                p.id for p, _ in routes if all(point_load[(p.id, d)] >= p.capacity for d in days)
            ]
            if len(full) == len(routes):
                reasons.append(
                    f"capacity: {', '.join(full)} full on every day from release to the "
                    "end of the horizon"
                )
            units = {u.id for _, us in routes for u in us}
            out_days = sum(1 for d in days if units <= busy[d])
            if out_days == len(days):
                reasons.append(
                    f"escorts: all {len(units)} units that can make the trip were out on "
                    "every day from release"
                )
            if not reasons:
                open_days = [
                    d
                    for d in days
                    if not units <= busy[d]
                    and any(point_load[(p.id, d)] < p.capacity for p, _ in routes)
                ]
                if open_days:
                    reasons.append(
                        f"not binding: room and escorts remained on {len(open_days)} of "
                        f"{len(days)} days (a heuristic plan or a time limit left them)"
                    )
                else:
                    reasons.append(
                        f"capacity and escorts: on each of the {len(days)} days from release "
                        "its points were full or the units that can reach them were out"
                    )
        out.append(item.model_copy(update={"reasons": reasons}))
    return out
