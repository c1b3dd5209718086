"""Repatriation commands of the `jointops` CLI: repatriate, repatriate-check,
repatriation-sample (see app/cli.py and docs/repatriation-format.md).

Exit codes as for `solve`/`check`: 0 success (a valid plan), 1 an invalid plan, 2 bad
input (every problem of the document is listed on stderr with its JSON path).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.cli_solver import JsonFlag, emit_json, fail, write_atomically
from app.solver.loader import DocumentError
from app.solver.repatriation.load import load_problem, load_repatriation_plan
from app.solver.repatriation.schema import Problem, RepatriationPlan


def register(app: typer.Typer) -> None:
    app.command("repatriate")(repatriate_command)
    app.command("repatriate-check")(check_command)
    app.command("repatriation-sample")(sample_command)


def read_problem(path: Path) -> Problem:
    try:
        return load_problem(path)
    except DocumentError as exc:
        fail(
            [f"{path}: repatriation problem rejected ({len(exc.problems)} problems):"]
            + [f"  {p}" for p in exc.problems]
        )


def read_plan(path: Path) -> RepatriationPlan:
    try:
        return load_repatriation_plan(path)
    except DocumentError as exc:
        fail(
            [f"{path}: repatriation plan rejected ({len(exc.problems)} problems):"]
            + [f"  {p}" for p in exc.problems]
        )


def repatriate_command(
    scenario: Annotated[Path, typer.Argument(help="jointops-repatriation/1 file.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the plan.")],
    time_limit: Annotated[float, typer.Option(help="Seconds CP-SAT may run.")] = 10.0,
    workers: Annotated[int, typer.Option(help="CP-SAT worker threads.")] = 2,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    greedy: Annotated[bool, typer.Option(help="Only the first-come greedy.")] = False,
) -> None:
    """Plan the hand-over of every cohort: batches at points and escort trips."""
    from app.solver.repatriation.validate import format_report, validate

    problem = read_problem(scenario)
    if time_limit <= 0:
        fail(["--time-limit must be positive"])
    if greedy:  # imported apart: the greedy needs no OR-Tools, which is slow to load
        from app.solver.repatriation.greedy import solve_greedy

        plan = solve_greedy(problem)
    else:
        from app.solver.repatriation.model import solve_model

        plan = solve_model(problem, time_limit=time_limit, workers=workers, seed=seed)[0]
    write_atomically(output, plan.model_dump(mode="json", by_alias=True))
    report = validate(problem, plan)
    typer.echo(format_report(report))
    for item in plan.left:
        typer.echo(f"  {item.cohort}: {item.persons} left: {'; '.join(item.reasons)}")
    raise typer.Exit(0 if report.valid else 1)


def check_command(
    scenario: Annotated[Path, typer.Argument(help="jointops-repatriation/1 file.")],
    plan: Annotated[Path, typer.Argument(help="jointops-repatriation-plan/1 file.")],
    as_json: JsonFlag = False,
) -> None:
    """Check a repatriation plan: list violations and the recomputed objective."""
    from app.solver.repatriation.validate import format_report, validate

    report = validate(read_problem(scenario), read_plan(plan))
    if as_json:
        emit_json(
            {
                "valid": report.valid,
                "violations": report.violations,
                "objective": report.objective.model_dump() if report.objective else None,
            }
        )
    else:
        typer.echo(format_report(report))
    raise typer.Exit(0 if report.valid else 1)


def sample_command(
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write it.")],
    persons: int = 8000,
    cohorts: int = 40,
    nationalities: int = 6,
    points: int = 6,
    escorts: int = 60,
    days: int = 30,
    seed: int = 1,
) -> None:
    """Write a generated repatriation problem (bench size by default)."""
    from app.solver.repatriation.sample import generate

    try:
        doc = generate(persons, cohorts, nationalities, points, escorts, days, seed=seed)
    except ValueError as exc:
        fail([str(exc)])
    write_atomically(output, doc)
    typer.echo(f"{output}: {persons} persons in {cohorts} cohorts, {days} days")
