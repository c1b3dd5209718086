"""Load and check `jointops-repatriation/1` problems and `-plan/1` plans.

Like `app.solver.loader`, a document is rejected as a whole with every problem listed,
each at its JSON path (`cohorts[3].site: unknown holding site 'S9'`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from app.solver.loader import DocumentError, Problem, _pydantic_problems, read_document
from app.solver.repatriation.schema import Problem as RepatriationProblem
from app.solver.repatriation.schema import RepatriationPlan


class RepatriationError(DocumentError):
    """A repatriation problem or plan document broke the format."""


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _ids(items: Any, key: str, label: str, problems: list[Problem]) -> set[str]:
    seen: set[str] = set()
    if not isinstance(items, list):
        return seen
    for i, item in enumerate(items):
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            if item["id"] in seen:
                problems.append(Problem(f"{key}[{i}].id", f"duplicate {label} id {item['id']!r}"))
            seen.add(item["id"])
    return seen


def check_problem_rules(problem: RepatriationProblem) -> list[Problem]:
    """The cross-reference rules, on a document whose shape is already right."""
    raw = problem.model_dump(mode="json", by_alias=True)
    problems: list[Problem] = []
    sites = _ids(raw["sites"], "sites", "holding site", problems)
    bases = _ids(raw["bases"], "bases", "base", problems)
    points = _ids(raw["points"], "points", "hand-over point", problems)
    _ids(raw["cohorts"], "cohorts", "cohort", problems)
    _ids(raw["escorts"], "escorts", "escort unit", problems)
    for clash in sorted((sites & bases) | (sites & points) | (bases & points)):
        problems.append(Problem("", f"id {clash!r} names two places (site, base or point)"))
    places = sites | bases | points
    for i, cohort in enumerate(problem.cohorts):
        if cohort.site not in sites:
            problems.append(Problem(f"cohorts[{i}].site", f"unknown holding site {cohort.site!r}"))
    for i, unit in enumerate(problem.escorts):
        if unit.base not in sites | bases:
            problems.append(
                Problem(f"escorts[{i}].base", f"unknown base {unit.base!r} (a site or a base)")
            )
    for i, road in enumerate(problem.roads):
        for end in ("a", "b"):
            if getattr(road, end) not in places:
                problems.append(
                    Problem(f"roads[{i}].{end}", f"unknown place {getattr(road, end)!r}")
                )
        if road.a == road.b:
            problems.append(Problem(f"roads[{i}]", "a road must join two different places"))
    for i, point in enumerate(problem.points):
        if _minutes(point.screening.to) <= _minutes(point.screening.from_):
            problems.append(
                Problem(f"points[{i}].screening", "screening must end after it starts (same day)")
            )
        countries = [agency.country for agency in point.agencies]
        for j, country in enumerate(countries):
            if country in countries[:j]:
                problems.append(
                    Problem(f"points[{i}].agencies[{j}].country", f"second agency of {country}")
                )
    problems += _pin_problems(problem, cohorts=_ids(raw["cohorts"], "cohorts", "cohort", []),
                              points=points)
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(problem.timezone)
    except (ValueError, KeyError, OSError):
        problems.append(Problem("timezone", f"unknown time zone {problem.timezone!r}"))
    return problems


def _pin_problems(problem: RepatriationProblem, *, cohorts: set[str], points: set[str]
                  ) -> list[Problem]:
    """Pinned batches a plan can keep: known cohort, point and escort, in the horizon
    and after release, an agreement at the point, a trip the escort can make in hours,
    one route a unit a day, and no more than a trip, a cohort or a point a day takes."""
    from app.solver.repatriation.network import Network

    problems: list[Problem] = []
    by_cohort = {c.id: c for c in problem.cohorts}
    by_point = {p.id: p for p in problem.points}
    by_unit = {u.id: u for u in problem.escorts}
    network: Network | None = None
    start, days = problem.horizon.start, problem.horizon.days
    routes: dict[tuple[str, object], tuple[str, str]] = {}
    loads: dict[tuple[str, object], int] = {}
    per_cohort: dict[str, int] = {}
    per_point_day: dict[tuple[str, object], int] = {}
    for i, pin in enumerate(problem.pinned):
        where = f"pinned[{i}]"
        cohort, point, unit = by_cohort.get(pin.cohort), by_point.get(pin.point), by_unit.get(
            pin.escort)
        if pin.cohort not in cohorts or cohort is None:
            problems.append(Problem(f"{where}.cohort", f"unknown cohort {pin.cohort!r}"))
        if pin.point not in points or point is None:
            problems.append(Problem(f"{where}.point", f"unknown hand-over point {pin.point!r}"))
        if unit is None:
            problems.append(Problem(f"{where}.escort", f"unknown escort unit {pin.escort!r}"))
        if not 0 <= (pin.day - start).days < days:
            problems.append(Problem(f"{where}.day", f"{pin.day} is outside the horizon"))
        if cohort is None or point is None or unit is None:
            continue
        if pin.day < cohort.release:
            problems.append(Problem(f"{where}.day", f"{pin.day} is before the cohort's release "
                                                    f"on {cohort.release}"))
        if not any(a.country == cohort.nationality for a in point.agencies):
            problems.append(Problem(f"{where}.point", f"no agency of {cohort.nationality} at "
                                                      f"{point.id} (no agreement)"))
        network = network or Network(problem)
        if network.trip(unit.base, cohort.site, point.id) is None:
            problems.append(Problem(where, f"{unit.id} cannot take {cohort.id} from "
                                           f"{cohort.site} to {point.id} within screening "
                                           "hours and its duty"))
        key = (unit.id, pin.day)
        route = (cohort.site, point.id)
        if routes.setdefault(key, route) != route:
            problems.append(Problem(where, f"{unit.id} is pinned to two trips on {pin.day} "
                                           "(one a day)"))
        loads[key] = loads.get(key, 0) + pin.persons
        if loads[key] > unit.persons_per_trip:
            problems.append(Problem(f"{where}.persons", f"{unit.id} would carry {loads[key]} "
                                    f"on {pin.day}, over its {unit.persons_per_trip} a trip"))
        per_cohort[cohort.id] = per_cohort.get(cohort.id, 0) + pin.persons
        if per_cohort[cohort.id] > cohort.count:
            problems.append(Problem(f"{where}.persons", f"pins of {cohort.id} add up to "
                                    f"{per_cohort[cohort.id]}, over its {cohort.count}"))
        day_key = (point.id, pin.day)
        per_point_day[day_key] = per_point_day.get(day_key, 0) + pin.persons
        if per_point_day[day_key] > point.capacity:
            problems.append(Problem(f"{where}.persons", f"pins at {point.id} on {pin.day} add "
                                    f"up to {per_point_day[day_key]}, over its capacity of "
                                    f"{point.capacity}"))
    return problems


def load_problem(
    data: dict[str, Any] | str | bytes | Path | RepatriationProblem,
) -> RepatriationProblem:
    """Parse and fully check a problem; raise `RepatriationError` listing every problem."""
    try:
        doc = read_document(data)
    except DocumentError as exc:
        raise RepatriationError(exc.problems) from None
    try:
        problem = RepatriationProblem.model_validate(doc)
    except ValidationError as exc:
        raise RepatriationError(_pydantic_problems(exc)) from None
    problems = check_problem_rules(problem)
    if problems:
        raise RepatriationError(problems)
    return problem


def load_repatriation_plan(
    data: dict[str, Any] | str | bytes | Path | RepatriationPlan,
) -> RepatriationPlan:
    """Parse a plan's shape (its validity against a problem is `validate.validate`)."""
    try:
        doc = read_document(data)
    except DocumentError as exc:
        raise RepatriationError(exc.problems) from None
    try:
        return RepatriationPlan.model_validate(doc)
    except ValidationError as exc:
        raise RepatriationError(_pydantic_problems(exc)) from None
