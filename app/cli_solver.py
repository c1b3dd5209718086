"""Solver commands of the `jointops` CLI: solve, check, explain, diff (see app/cli.py).

Exit codes: 0 success (a valid plan), 1 an invalid plan, 2 bad input (the scenario or a
plan file is rejected; every problem is listed on stderr with its JSON path).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from app.solver.loader import DocumentError, load_plan, load_scenario
from app.solver.schema import Plan, Scenario, ScheduledOperation

JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")]


def register(app: typer.Typer) -> None:
    """Add this area's commands to the `jointops` app."""
    app.command("solve")(solve_command)
    app.command("check")(check_command)
    app.command("explain")(explain_command)
    app.command("diff")(diff_command)
    app.command("sample")(sample_command)


def fail(lines: list[str], code: int = 2) -> NoReturn:
    """Print every line on stderr and stop with `code`."""
    for line in lines:
        typer.echo(line, err=True)
    raise typer.Exit(code)


def read_scenario(path: Path) -> Scenario:
    """The checked scenario, or exit 2 listing every problem with its JSON path."""
    try:
        return load_scenario(path)
    except DocumentError as exc:
        fail(
            [f"{path}: scenario rejected ({len(exc.problems)} problems):"]
            + [f"  {p}" for p in exc.problems]
        )


def read_plan(path: Path) -> Plan:
    """The plan document, or exit 2 listing every problem with its JSON path."""
    try:
        return load_plan(path)
    except DocumentError as exc:
        fail(
            [f"{path}: plan rejected ({len(exc.problems)} problems):"]
            + [f"  {p}" for p in exc.problems]
        )


def emit_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def write_atomically(path: Path, data: dict[str, Any]) -> None:
    """Write JSON to a temporary file beside `path`, then rename: readers never see half."""
    write_text_atomically(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def write_text_atomically(path: Path, text: str) -> None:
    """Write `text` to a temporary file beside `path`, then rename: readers never see half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, 0o644)  # mkstemp makes it private; a plan is a shared document
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def command_started() -> float:
    """The `time.monotonic()` reading at which this command began.

    Run as the `jointops` program, that is when the process started (Linux, from
    /proc): its imports take 1-2 s on a loaded machine and belong to the time limit.
    Driven in-process (tests, another program), it is now.
    """
    now = time.monotonic()
    if Path(sys.argv[0]).name != "jointops":
        return now
    try:
        stat = Path("/proc/self/stat").read_text()
        ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22, starttime
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        age = uptime - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return now
    return now - min(max(0.0, age), 60.0)


def check_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario JSON file.")],
    plan: Annotated[Path, typer.Argument(help="Plan JSON file to check.")],
    as_json: JsonFlag = False,
) -> None:
    """Check a plan against its scenario: list violations and the recomputed objective."""
    from app.solver.validate import format_report, report_to_json, validate_plan

    report = validate_plan(read_scenario(scenario), read_plan(plan))
    if as_json:
        emit_json(report_to_json(report))
    else:
        typer.echo(format_report(report))
    raise typer.Exit(0 if report.valid else 1)


def explain_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario JSON file.")],
    plan: Annotated[Path, typer.Argument(help="Plan JSON file.")],
    operation: Annotated[str, typer.Argument(help="Operation id, e.g. OP-0003.")],
    as_json: JsonFlag = False,
) -> None:
    """Explain one operation: its orders and times, or why it is not scheduled."""
    from app.solver.explain import format_view, operation_view
    from app.solver.instance import Instance

    instance = Instance(read_scenario(scenario))
    the_plan = read_plan(plan)
    if operation not in instance.operations:
        fail([f"{scenario}: no operation {operation!r} in the scenario"])
    view = operation_view(instance, the_plan, operation)
    if as_json:
        emit_json(view)
    else:
        typer.echo(format_view(view))


def diff_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario JSON file.")],
    plan_a: Annotated[Path, typer.Argument(help="The earlier plan.")],
    plan_b: Annotated[Path, typer.Argument(help="The later plan.")],
    as_json: JsonFlag = False,
) -> None:
    """Show what changed from plan A to plan B: operations, units, times, objective."""
    from app.solver.diff import diff_plans

    the_scenario = read_scenario(scenario)
    diff = diff_plans(the_scenario, read_plan(plan_a), read_plan(plan_b))
    if as_json:
        emit_json(diff.to_json())
    else:
        typer.echo(diff.to_text())


def solve_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario JSON file.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the plan.")],
    time_limit: Annotated[
        float,
        typer.Option(
            help="Seconds the solver may run. With --workers 1 they are counted on a "
            "deterministic clock, so the wall time may differ (bench/README.md)."
        ),
    ] = 10.0,
    workers: Annotated[int, typer.Option(help="CP-SAT worker threads.")] = 2,
    seed: Annotated[
        int, typer.Option(help="Random seed (same seed and --workers 1: byte-identical plan).")
    ] = 0,
    pin: Annotated[
        Path | None, typer.Option(help="Keep this plan's still-valid operations.")
    ] = None,
    stable: Annotated[Path | None, typer.Option(help="Prefer this plan's operations.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Solve a scenario into a plan; live progress on stderr, a summary at the end."""
    started = command_started()  # --time-limit covers start-up and reading the scenario
    from app.solver.instance import Instance
    from app.solver.replan import pinned_operations, preferred_operations
    from app.solver.solve import SolveOptions, solve

    if pin is not None and stable is not None:
        fail(["--pin and --stable exclude each other: choose one"])
    the_scenario = read_scenario(scenario)
    earlier_path = pin or stable
    earlier = read_plan(earlier_path) if earlier_path is not None else None
    fixed = pinned_operations(the_scenario, earlier) if pin and earlier else []
    preferred = preferred_operations(the_scenario, earlier) if stable and earlier else []
    instance = Instance(the_scenario)
    options = SolveOptions(
        time_limit=time_limit,
        workers=workers,
        seed=seed,
        fixed=fixed,
        preferred=preferred,
        on_progress=_print_progress,
        include_timing=False,  # equal plans give equal files
        started=started,
    )
    result = solve(instance, options)
    plan = result.plan
    report = _check_result(the_scenario, plan)
    write_atomically(output, plan.to_json_dict())
    summary = _summary(result, plan, report.objective, output)
    if earlier is not None:
        summary.update(_replan_summary(earlier, plan, fixed if pin else None))
    if as_json:
        emit_json(summary)
    else:
        typer.echo(_summary_text(summary))


def _replan_summary(
    earlier: Plan, plan: Plan, pinned: list[ScheduledOperation] | None
) -> dict[str, Any]:
    """With --pin: what was kept and what was not; with --stable: how many orders changed."""
    from app.solver.replan import count_changed_orders

    if pinned is None:
        return {"changed_orders": count_changed_orders(earlier, plan)}
    kept = {op.id for op in pinned}
    return {
        "pinned": len(pinned),
        "not_pinned": [op.id for op in earlier.operations if op.id not in kept],
    }


def _print_progress(progress: Any) -> None:
    """One stderr line per improvement: what the planner has, and how far from the best."""
    typer.echo(
        f"[{progress.elapsed:7.2f}s] {progress.status}: priority {progress.priority}"
        f" (bound {progress.bound}, gap {progress.gap}), travel {progress.travel_minutes} min",
        err=True,
    )


def _check_result(scenario: Scenario, plan: Plan) -> Any:
    """The validator's report; an invalid solver result is a fault and is not written."""
    from app.solver.validate import validate_plan

    report = validate_plan(scenario, plan)
    if not report.valid:
        fail(
            ["solver fault: the plan breaks the rules, nothing written:"]
            + [f"  {v.message}" for v in report.violations[:20]],
            code=1,
        )
    return report


def _summary(result: Any, plan: Plan, objective: Any, output: Path) -> dict[str, Any]:
    """What the run produced, with the objective as the validator recomputed it."""
    return {
        "status": result.status,
        "priority": objective.priority,
        "priority_bound": result.priority_bound,
        "travel_minutes": objective.travel_minutes,
        "scheduled": len(plan.operations),
        "unscheduled": len(plan.unscheduled),
        "wall_seconds": round(result.wall_seconds, 3),
        "first_solution_seconds": (
            None
            if result.first_solution_seconds is None
            else round(result.first_solution_seconds, 3)
        ),
        "clock": result.clock,
        "cut_short": (plan.solver.model_extra or {}).get("cut_short", []) if plan.solver else [],
        "plan": str(output),
    }


def _summary_text(summary: dict[str, Any]) -> str:
    bound = summary["priority_bound"]
    lines = [
        f"status: {summary['status']}",
        f"priority: {summary['priority']}" + (f" (bound {bound})" if bound is not None else ""),
        f"travel: {summary['travel_minutes']} min",
        f"operations: {summary['scheduled']} scheduled, {summary['unscheduled']} unscheduled",
        f"time: {summary['wall_seconds']} s (first solution after "
        f"{summary['first_solution_seconds']} s)",
    ]
    if summary["clock"] != "wall":
        lines.append(f"clock: {summary['clock']}")
    if summary["cut_short"]:
        lines.append(f"cut short by the time limit: {', '.join(summary['cut_short'])}")
    if "pinned" in summary:
        lines.append(f"pinned from the earlier plan: {summary['pinned']} operations")
        if summary["not_pinned"]:
            dropped = ", ".join(summary["not_pinned"])
            lines.append(f"no longer valid, so not pinned: {dropped}")
    if "changed_orders" in summary:
        lines.append(f"tasking orders changed since the earlier plan: {summary['changed_orders']}")
    lines.append(f"plan written to {summary['plan']}")
    return "\n".join(lines)


def sample_command(
    shape: Annotated[
        str | None,
        typer.Option(help="Defaults: plentiful (like the samples, the default) or scarce."),
    ] = None,
    preset: Annotated[
        str | None,
        typer.Option(help="Or a named size: tiny, small, medium, large, xl, scarce."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Where to write; stdout if absent.")
    ] = None,
    operations: Annotated[int | None, typer.Option(help="Number of operations.")] = None,
    units: Annotated[int | None, typer.Option(help="Number of units.")] = None,
    days: Annotated[int | None, typer.Option(help="Horizon length in days.")] = None,
    slot_minutes: Annotated[
        int | None, typer.Option(help="Start-time grid in minutes (divides 1440).")
    ] = None,
    lanes: Annotated[
        int | None, typer.Option(help="Lanes of every crossing (default: the real ones).")
    ] = None,
    crossing_hours: Annotated[
        str | None,
        typer.Option(
            help='Daily opening of every crossing in its local time, "08:00-17:30" or '
            '"06:00-12:00,13:00-24:00"; "always" for no limit (default: the real hours).'
        ),
    ] = None,
    scarcity: Annotated[
        float | None, typer.Option(help="Requested unit places per unit over the scenario.")
    ] = None,
    region_limited: Annotated[
        float | None, typer.Option(help="Share of units with operating_regions (0-1).")
    ] = None,
    availability_gaps: Annotated[
        float | None, typer.Option(help="Share of units away for part of the horizon (0-1).")
    ] = None,
    fixed_starts: Annotated[
        float | None, typer.Option(help="Share of operations with a fixed_start (0-1).")
    ] = None,
    multi_site: Annotated[
        float | None, typer.Option(help="Share of operations with several sites (0-1).")
    ] = None,
    foreign_support: Annotated[
        float | None, typer.Option(help="Share of operations open to foreign units (0-1).")
    ] = None,
    cordons: Annotated[
        float | None,
        typer.Option(help="Share of operations asking for a cordon (0-1; docs/cordon-format.md)."),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Same seed and knobs, same bytes.")] = None,
) -> None:
    """Generate a scenario on the real geography; same knobs and seed, byte-identical."""
    from app.solver.sample import SampleError, generate, knobs_for, to_json
    from app.solver.sample import preset as preset_knobs

    if shape is not None and preset is not None:
        fail(["sample: give --shape or --preset, not both"])
    try:
        knobs = (knobs_for if preset is None else preset_knobs)(
            preset or shape or "plentiful",
            operations=operations,
            units=units,
            days=days,
            slot_minutes=slot_minutes,
            lanes=lanes,
            crossing_hours=crossing_hours,
            scarcity=scarcity,
            region_limited=region_limited,
            availability_gaps=availability_gaps,
            fixed_starts=fixed_starts,
            multi_site=multi_site,
            foreign_support=foreign_support,
            cordons=cordons,
            seed=seed,
        )
    except SampleError as exc:
        option = "--" + exc.knob.replace("_", "-")
        fail([f"sample: {option}: {exc.reason}"])
    text = to_json(generate(knobs))
    if output is None:
        typer.echo(text, nl=False)
        return
    write_text_atomically(output, text)
    typer.echo(f"wrote {output}: {knobs.operations} operations, {knobs.units} units", err=True)
