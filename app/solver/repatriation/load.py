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
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(problem.timezone)
    except (ValueError, KeyError, OSError):
        problems.append(Problem("timezone", f"unknown time zone {problem.timezone!r}"))
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
