"""Solver benchmark: solve sample scenarios, each in its own process, and record the results.

Usage: .venv/bin/python bench/solver.py [name[:seconds] ...] [--dir DIR] [--no-write]
                                        [--cordons SHARE]
Defaults: the five presets of `jointops sample` (tiny .. xl, sizes of the published
samples) with the goal time limits; `--dir` solves NAME.json files of a folder instead.
The table goes to stdout and into bench/README.md between the `<!-- solver-bench -->`
markers (other sections are kept).

`--cordons 0.3` solves each preset twice, as it is and with cordons on 30 % of its
operations (`jointops sample --cordons 0.3`, docs/cordon-format.md), and records the
comparison between the `<!-- cordon-bench -->` markers instead.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from readme_section import write_section
from samples import scenario_file

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- solver-bench -->", "<!-- /solver-bench -->"
DEFAULT = {"tiny": 10.0, "small": 30.0, "medium": 30.0, "large": 60.0, "xl": 180.0}


def run_one(path: Path, limit: float) -> dict[str, object]:
    """Solve one scenario in this process and measure it (called in the child)."""
    sys.path.insert(0, str(ROOT))
    from app.solver.instance import Instance
    from app.solver.loader import load_scenario
    from app.solver.solve import Progress, SolveOptions, solve
    from app.solver.validate import validate_plan

    scenario = load_scenario(json.loads(path.read_text()))
    started = time.monotonic()
    proven: list[float] = []

    def on_progress(progress: Progress) -> None:
        if progress.gap == 0 and not proven:
            proven.append(progress.elapsed)

    result = solve(Instance(scenario), SolveOptions(time_limit=limit, on_progress=on_progress))
    end_to_end = time.monotonic() - started
    report = validate_plan(scenario, result.plan)
    cordoned = {o.id for o in scenario.operations if o.cordon is not None}
    return {
        "cordon_operations": len(cordoned),
        "cordon_scheduled": sum(1 for o in result.plan.operations if o.id in cordoned),
        "posts": sum(len(o.cordon or []) for o in result.plan.operations),
        "scheduled": len(result.plan.operations),
        "priority": result.priority,
        "bound": result.priority_bound,
        "travel": result.travel_minutes,
        "status": result.status,
        "first": result.first_solution_seconds,
        "proven": proven[0] if proven else None,
        "solve": result.wall_seconds,
        "total": end_to_end,
        "memory_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "valid": report.valid,
        "greedy_priority": result.greedy_priority,
        "greedy_travel": result.greedy_travel_minutes,
    }


def _seconds(value: object) -> str:
    return "–" if value is None else f"{float(value):.1f}"  # type: ignore[arg-type]


def row(name: str, limit: float, r: dict[str, object]) -> str:
    """One markdown table row."""
    priority, bound = int(r["priority"]), int(r["bound"])  # type: ignore[call-overload]
    gap = 100 * (bound - priority) / bound if bound else 0.0
    greedy_travel = int(r["greedy_travel"])  # type: ignore[call-overload]
    travel = int(r["travel"])  # type: ignore[call-overload]
    saved = 100 * (greedy_travel - travel) / greedy_travel if greedy_travel else 0.0
    return (
        f"| {name} | {limit:g} | {priority} | {bound} | {gap:.2f} % | {travel} | {r['status']} "
        f"| {_seconds(r['first'])} | {_seconds(r['proven'])} | {_seconds(r['solve'])} "
        f"| {_seconds(r['total'])} | {float(r['memory_mb']):.0f} "  # type: ignore[arg-type]
        f"| {'yes' if r['valid'] else 'NO'} | {r['greedy_priority']} / {greedy_travel} "
        f"| {saved:.1f} % |"
    )


HEADER = (
    "| scenario | limit s | priority | bound | gap | travel min | status | first plan s "
    "| priority proven s | solve s | total s | peak MB | valid | greedy prio / travel "
    "| travel vs greedy |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
)


def write_readme(table: str, command: str) -> None:
    """Replace the section between the markers, keeping everything else."""
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    section = (
        f"{START}\n## Solver benchmark\n\nMeasured {stamp} with `{command}` (2 workers, "
        f"seed 0; shared 2-core machine, so timings are noisy).\n\n{table}\n{END}"
    )
    write_section(section, START, END)


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Solve the sample scenarios, print the table and record it in bench/README.md."
    )
    parser.add_argument(
        "scenarios",
        nargs="*",
        metavar="NAME[:SECONDS]",
        help="sample names with optional time limits (default: all five at the goal limits)",
    )
    parser.add_argument("--dir", type=Path, default=None, help="folder of the scenario files")
    parser.add_argument("--no-write", action="store_true", help="print only, keep bench/README.md")
    parser.add_argument(
        "--cordons",
        type=float,
        default=None,
        metavar="SHARE",
        help="compare each preset with and without cordons on this share of its operations",
    )
    return parser.parse_args(argv)


CORDON_START, CORDON_END = "<!-- cordon-bench -->", "<!-- /cordon-bench -->"
CORDON_HEADER = (
    "| scenario | limit s | cordon ops | variant | valid | status | priority | bound "
    "| scheduled | cordon ops scheduled | posts | greedy prio | solve s |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
)


def cordon_row(name: str, limit: float, variant: str, r: dict[str, object]) -> str:
    return (
        f"| {name} | {limit:g} | {r['cordon_operations']} | {variant} "
        f"| {'yes' if r['valid'] else 'NO'} | {r['status']} | {r['priority']} | {r['bound']} "
        f"| {r['scheduled']} | {r['cordon_scheduled']} | {r['posts']} "
        f"| {r['greedy_priority']} | {_seconds(r['solve'])} |"
    )


def _solve_child(path: Path, limit: float) -> dict[str, object]:
    child = subprocess.run(
        [sys.executable, __file__, "--child", str(path), str(limit)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(child.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def compare_cordons(jobs: list[tuple[str, float]], share: float, folder: Path) -> str:
    """Each preset solved as it is and with cordons on `share` of its operations."""
    sys.path.insert(0, str(ROOT))
    from app.solver.sample import generate, preset, to_json

    rows = []
    for name, limit in jobs:
        plain = scenario_file(name, folder)
        cordoned = folder / f"{name}-cordons.json"
        cordoned.write_text(to_json(generate(preset(name, cordons=share))), encoding="utf-8")
        for variant, path in (("without", plain), (f"cordons {share:g}", cordoned)):
            rows.append(cordon_row(name, limit, variant, _solve_child(path, limit)))
            print(rows[-1], flush=True)
    return CORDON_HEADER + "\n" + "\n".join(rows)


def write_cordon_readme(table: str, command: str) -> None:
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    section = (
        f"{CORDON_START}\n## Cordon benchmark\n\nMeasured {stamp} with `{command}` (2 "
        "workers, seed 0; shared 2-core machine under other jobs' load, so timings are "
        "noisy; time limits kept modest for the same reason). Each preset is solved as it "
        "is (*without*) and with cordons on 30 % of its operations (`jointops sample "
        "--cordons 0.3`: every crossing within 60 km of a site sealed an hour before H-hour "
        "to an hour after the end, one `border_patrol` unit per side, own passages "
        "allowed). *valid*: `validate_plan`, cordon rules 11 and 12 included "
        "(docs/cordon-format.md); *posts*: cordon staff taskings in the plan.\n\n"
        f"{table}\n{CORDON_END}"
    )
    write_section(section, CORDON_START, CORDON_END)


def main(argv: list[str]) -> None:
    if argv[:1] == ["--child"]:
        print(json.dumps(run_one(Path(argv[1]), float(argv[2]))))
        return
    args = _arguments(argv)
    generated = Path(tempfile.mkdtemp(prefix="solver-bench-"))
    jobs = [
        (n.split(":")[0], float(n.split(":")[1]) if ":" in n else DEFAULT.get(n, 30.0))
        for n in args.scenarios
    ] or list(DEFAULT.items())
    if args.cordons is not None:
        table = compare_cordons(jobs, args.cordons, generated)
        print(table)
        if not args.no_write:
            write_cordon_readme(table, " ".join([".venv/bin/python bench/solver.py", *argv]))
        return
    rows = []
    for name, limit in jobs:
        path = args.dir / f"{name}.json" if args.dir else scenario_file(name, generated)
        rows.append(row(name, limit, _solve_child(path, limit)))
        print(rows[-1], flush=True)
    table = HEADER + "\n" + "\n".join(rows)
    print(table)
    if not args.no_write:
        write_readme(table, " ".join([".venv/bin/python bench/solver.py", *argv]))


if __name__ == "__main__":
    main(sys.argv[1:])
