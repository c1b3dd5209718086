"""The validator of repatriation plans: the test oracle for the model and the greedy.

It recomputes everything from the problem document on its own (road times by
Floyd-Warshall, not the solvers' Dijkstra in `network`) so that a shared mistake does not
hide itself. Every broken rule is listed with the JSON path of the plan item it concerns.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from app.solver.repatriation.schema import Objective, Problem, RepatriationPlan


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


@dataclass
class Report:
    violations: list[str] = field(default_factory=list)
    objective: Objective | None = None

    @property
    def valid(self) -> bool:
        return not self.violations


def _road_times(problem: Problem) -> dict[tuple[str, str], int]:
    places = sorted(
        {p.id for p in problem.sites}
        | {b.id for b in problem.bases}
        | {p.id for p in problem.points}
    )
    inf = 10**12
    dist = {(a, b): (0 if a == b else inf) for a in places for b in places}
    for road in problem.roads:
        for a, b in ((road.a, road.b), (road.b, road.a)):
            dist[(a, b)] = min(dist[(a, b)], road.minutes)
    for k in places:
        for i in places:
            via = dist[(i, k)]
            if via >= inf:
                continue
            for j in places:
                if via + dist[(k, j)] < dist[(i, j)]:
                    dist[(i, j)] = via + dist[(k, j)]
    return {key: value for key, value in dist.items() if value < inf}


def validate(problem: Problem, plan: RepatriationPlan) -> Report:
    """Check `plan` against `problem`; the report lists violations and the objective."""
    report = Report()
    bad = report.violations.append
    cohorts = {c.id: c for c in problem.cohorts}
    points = {p.id: p for p in problem.points}
    units = {u.id: u for u in problem.escorts}
    start, days = problem.horizon.start, problem.horizon.days
    road = _road_times(problem)

    handed: dict[str, int] = defaultdict(int)
    per_point_day: dict[tuple[str, object], int] = defaultdict(int)
    per_trip: dict[tuple[str, object], list[tuple[int, str, str, str]]] = defaultdict(list)
    vulnerable_days = person_days = 0
    for i, batch in enumerate(plan.batches):
        where = f"batches[{i}]"
        cohort, point = cohorts.get(batch.cohort), points.get(batch.point)
        if cohort is None:
            bad(f"{where}.cohort: unknown cohort {batch.cohort!r}")
        if point is None:
            bad(f"{where}.point: unknown hand-over point {batch.point!r}")
        if batch.escort not in units:
            bad(f"{where}.escort: unknown escort unit {batch.escort!r}")
        index = (batch.day - start).days
        if not 0 <= index < days:
            bad(f"{where}.day: {batch.day} is outside the horizon")
        if cohort is None or point is None:
            continue
        release = max(0, (cohort.release - start).days)
        if index < release:
            bad(f"{where}.day: {batch.day} is before the cohort's release on {cohort.release}")
        if not any(a.country == cohort.nationality for a in point.agencies):
            bad(f"{where}.point: no agency of {cohort.nationality} at {point.id} (no agreement)")
        time = _minutes(batch.time)
        opens, closes = _minutes(point.screening.from_), _minutes(point.screening.to)
        if time < opens or time + point.handover_minutes > closes:
            bad(
                f"{where}.time: hand-over at {batch.time} does not fit screening "
                f"{point.screening.from_}-{point.screening.to} at {point.id}"
            )
        handed[cohort.id] += batch.persons
        per_point_day[(point.id, batch.day)] += batch.persons
        per_trip[(batch.escort, batch.day)].append(
            (batch.persons, cohort.site, point.id, batch.time)
        )
        waited = max(0, index - release)
        person_days += batch.persons * waited
        if cohort.vulnerable:
            vulnerable_days += batch.persons * waited

    for (point_id, day), persons in sorted(per_point_day.items(), key=str):
        if persons > points[point_id].capacity:
            bad(
                f"points.{point_id}: {persons} persons on {day}, "
                f"over its daily capacity of {points[point_id].capacity}"
            )

    seen_trips: set[tuple[str, object]] = set()
    duty_start = _minutes(problem.duty.start)
    for i, task in enumerate(plan.taskings):
        where = f"taskings[{i}]"
        unit, point = units.get(task.unit), points.get(task.point)
        if unit is None:
            bad(f"{where}.unit: unknown escort unit {task.unit!r}")
            continue
        if point is None:
            bad(f"{where}.point: unknown hand-over point {task.point!r}")
            continue
        key = (task.unit, task.day)
        if key in seen_trips:
            bad(f"{where}: {task.unit} has a second trip on {task.day} (one a day)")
        seen_trips.add(key)
        loads = per_trip.pop(key, [])
        if not loads:
            bad(f"{where}: trip of {task.unit} on {task.day} carries no batch")
        if sum(p for p, *_ in loads) != task.persons:
            bad(
                f"{where}.persons: {task.persons}, "
                f"but its batches carry {sum(p for p, *_ in loads)}"
            )
        if task.persons > unit.persons_per_trip:
            bad(
                f"{where}.persons: {task.persons} over {task.unit}'s {unit.persons_per_trip} a trip"
            )
        for _persons, site, point_id, at in loads:
            if (site, point_id, at) != (task.site, task.point, task.handover):
                bad(
                    f"{where}: a batch escorted by {task.unit} goes {site} -> {point_id} at "
                    f"{at}, the trip {task.site} -> {task.point} at {task.handover}"
                )
        expected = [unit.base, task.site, task.point, unit.base]
        if unit.base == task.site:
            expected = [task.site, task.point, task.site]
        if task.route != expected:
            bad(f"{where}.route: {task.route}, expected {expected}")
        found = [road.get((a, b)) for a, b in zip(expected, expected[1:], strict=False)]
        if any(leg is None for leg in found):
            bad(f"{where}.route: no road along {' -> '.join(expected)}")
            continue
        legs = [int(leg or 0) for leg in found]
        depart, handover = _minutes(task.depart), _minutes(task.handover)
        if depart < duty_start:
            bad(f"{where}.depart: {task.depart} is before duty starts at {problem.duty.start}")
        outward = sum(legs[:-1])
        if handover < depart + outward:
            bad(
                f"{where}.handover: {task.handover}, but the unit cannot arrive before "
                f"{outward} minutes after {task.depart}"
            )
        opens, closes = _minutes(point.screening.from_), _minutes(point.screening.to)
        if handover < opens or handover + point.handover_minutes > closes:
            bad(f"{where}.handover: {task.handover} outside screening hours at {point.id}")
        duty = handover + point.handover_minutes + legs[-1] - depart
        if task.duty_minutes != duty:
            bad(f"{where}.duty_minutes: {task.duty_minutes}, recomputed {duty}")
        if duty > problem.duty.minutes:
            bad(f"{where}: the trip takes {duty} minutes, over the duty of {problem.duty.minutes}")
    for (unit_id, day), _ in sorted(per_trip.items(), key=str):
        bad(f"batches: escorted by {unit_id} on {day}, who has no trip that day")

    # Rule 6: every pinned batch is kept (at least its persons, same point, day, escort).
    kept: dict[tuple[str, str, object, str], int] = defaultdict(int)
    for batch in plan.batches:
        kept[(batch.cohort, batch.point, batch.day, batch.escort)] += batch.persons
    pinned: dict[tuple[str, str, object, str], int] = defaultdict(int)
    for pin in problem.pinned:
        pinned[(pin.cohort, pin.point, pin.day, pin.escort)] += pin.persons
    for i, pin in enumerate(problem.pinned):
        pin_key = (pin.cohort, pin.point, pin.day, pin.escort)
        if kept[pin_key] < pinned[pin_key]:
            bad(
                f"pinned[{i}]: {pinned[pin_key]} persons of {pin.cohort} pinned to {pin.point} "
                f"on {pin.day} with {pin.escort}, the plan hands over {kept[pin_key]} so"
            )

    vulnerable_left = persons_left = 0
    for cohort in problem.cohorts:
        left = cohort.count - handed.get(cohort.id, 0)
        if left < 0:
            bad(f"cohorts.{cohort.id}: {handed[cohort.id]} handed over, but it has {cohort.count}")
            continue
        release = max(0, (cohort.release - start).days)
        persons_left += left
        person_days += left * max(0, days - release)
        if cohort.vulnerable:
            vulnerable_left += left
            vulnerable_days += left * max(0, days - release)
    declared = {item.cohort: item.persons for item in plan.left}
    actual = {c.id: c.count - handed.get(c.id, 0) for c in problem.cohorts}
    for cohort_id, persons in declared.items():
        if actual.get(cohort_id) != persons:
            bad(f"left.{cohort_id}: {persons} declared left, actually {actual.get(cohort_id)}")
    for cohort_id, persons in actual.items():
        if persons > 0 and cohort_id not in declared:
            bad(f"left: {persons} persons of {cohort_id} not handed over and not listed")
    report.objective = Objective(
        vulnerable_left=vulnerable_left,
        persons_left=persons_left,
        vulnerable_person_days=vulnerable_days,
        person_days=person_days,
        trips=len(plan.taskings),
    )
    if plan.objective is not None and plan.objective != report.objective:
        bad(
            f"objective: declared {plan.objective.model_dump()}, "
            f"recomputed {report.objective.model_dump()}"
        )
    return report


def format_report(report: Report) -> str:
    lines = []
    if report.valid:
        lines.append("VALID repatriation plan")
    else:
        lines.append(f"INVALID repatriation plan ({len(report.violations)} violations):")
        lines.extend(f"  {v}" for v in report.violations)
    if report.objective is not None:
        o = report.objective
        lines.append(
            f"left {o.persons_left} (vulnerable {o.vulnerable_left}), person-days "
            f"{o.person_days} (vulnerable {o.vulnerable_person_days}), trips {o.trips}"
        )
    return "\n".join(lines)
