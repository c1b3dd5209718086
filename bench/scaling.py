"""Scaling benchmark: how load, greedy, first plan and search grow with the operation count.

    .venv/bin/python bench/scaling.py [--sizes 50 100 ...] [--shapes plentiful scarce]
                                      [--time-limit 60] [--workers 2] [--no-write]

For each shape of `jointops sample` and each size, generates a scenario (seed 0) and
solves it in a child process of its own (so peak memory is that run's), recording: load
seconds (parse, check, build the instance), a standalone greedy's seconds, the solver's
first plan, its wall time against the limit, priority of the greedy plan / the final plan
/ the bound, travel minutes, peak memory, and whether the plan checks valid. Sizes:

- plentiful: 4 units per operation and 1.7 requested places per unit (as the published
  medium .. xl), 7 days up to 125 operations, then a day per 18 operations, at most 28;
- scarce: 2.25 units per operation (400 for 900), 4 days, one lane 08:00-17:30.

Every measured row is kept in bench/scaling.json with when it ran, its command and the
load average: a run of some sizes replaces those rows and keeps the others, so re-running
one point does not lose the rest of the curve. The table (from all kept rows) goes into
bench/README.md between the scaling-bench markers and the figure into bench/scaling.png
(matplotlib, a dev extra).
"""

# ruff: noqa: E402  (sys.path gets the repository first, so the script runs from anywhere)
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from readme_section import write_section

START, END = "<!-- scaling-bench -->", "<!-- /scaling-bench -->"
FIGURE = ROOT / "bench" / "scaling.png"
RESULTS = ROOT / "bench" / "scaling.json"
SIZES = [50, 100, 200, 400, 800, 1600, 2000]
SHAPES = ["plentiful", "scarce"]


def knobs_for_size(shape: str, operations: int) -> dict[str, Any]:
    """The generator's knobs for one point of the curve."""
    if shape == "scarce":
        return {"operations": operations, "units": round(2.25 * operations), "seed": 0}
    days = min(28, max(7, operations // 18))
    return {
        "operations": operations,
        "units": 4 * operations,
        "days": days,
        "scarcity": 1.7,
        "seed": 0,
    }


def run_one(shape: str, operations: int, limit: float, workers: int) -> dict[str, Any]:
    """Generate, load, greedy, solve and check one scenario (called in the child)."""
    from app.solver.greedy import greedy_solution
    from app.solver.instance import Instance
    from app.solver.loader import load_scenario
    from app.solver.model.dwell import solution_dwell
    from app.solver.model.plan import solution_priority, solution_travel
    from app.solver.sample import generate, knobs_for, to_json
    from app.solver.solve import SolveOptions, solve
    from app.solver.validate import validate_plan

    text = to_json(generate(knobs_for(shape, **knobs_for_size(shape, operations))))
    # As `jointops solve` runs: the limit's clock starts before loading, and the wall time
    # ends after the plan is checked and written (to /dev/null here).
    started = time.monotonic()
    scenario = load_scenario(text)
    instance = Instance(scenario)
    load_seconds = time.monotonic() - started
    options = SolveOptions(time_limit=limit, workers=workers, started=started)
    result = solve(instance, options)
    report = validate_plan(scenario, result.plan)
    with open(os.devnull, "w") as sink:
        json.dump(result.plan.to_json_dict(), sink)
    wall = time.monotonic() - started
    # The project's greedy alone, whole (no time limit), after the timed run.
    instance = Instance(scenario)
    began = time.monotonic()
    greedy = greedy_solution(instance)
    greedy_seconds = time.monotonic() - began
    extra = result.plan.solver.model_extra or {} if result.plan.solver else {}
    return {
        "shape": shape,
        "operations": operations,
        "units": len(scenario.units),
        "limit": limit,
        "load": load_seconds,
        "greedy": greedy_seconds,
        "first": (
            None
            if result.first_solution_seconds is None
            else load_seconds + result.first_solution_seconds
        ),
        "wall": wall,
        "greedy_priority": solution_priority(instance, greedy),
        "priority": result.priority,
        "bound": result.priority_bound,
        "greedy_travel": solution_travel(greedy),
        "travel": result.travel_minutes,
        "greedy_dwell": solution_dwell(instance, greedy),
        "dwell": report.dwell_minutes,
        "cut_short": list(extra.get("cut_short", [])),
        "status": result.status,
        "memory_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "valid": report.valid,
        "bytes": len(text.encode()),
    }


def _seconds(value: Any) -> str:
    return "–" if value is None else f"{float(value):.1f}"


HEADER = (
    "| shape | ops | units | load s | greedy s | first plan s | wall s / limit | "
    "priority greedy / final / bound | travel min greedy / final | "
    "dwell min greedy / final | cut short | status | peak MB | valid | measured UTC, load |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
)


def allowed_wall(limit: float) -> float:
    """The promise of issue 9: the limit plus max(1 s, 5 %)."""
    return limit + max(1.0, 0.05 * limit)


def row(r: dict[str, Any]) -> str:
    over = " **over**" if r["wall"] > allowed_wall(r["limit"]) else ""
    below = " **below greedy**" if r["priority"] < r["greedy_priority"] else ""
    cut = ", ".join(r.get("cut_short", [])) or "–"
    return (
        f"| {r['shape']} | {r['operations']} | {r['units']} | {_seconds(r['load'])} "
        f"| {_seconds(r['greedy'])} | {_seconds(r['first'])} "
        f"| {_seconds(r['wall'])} / {r['limit']:g}{over} "
        f"| {r['greedy_priority']} / {r['priority']}{below} / {r['bound']} "
        f"| {r['greedy_travel']} / {r['travel']} | {r['greedy_dwell']} / {r['dwell']} | {cut} "
        f"| {r['status']} | {r['memory_mb']:.0f} | {'yes' if r['valid'] else 'NO'} "
        f"| {r.get('measured', '?')}, {r.get('load_average', float('nan')):.1f} |"
    )


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    """Seconds per phase, and final priority as a share of the bound, against size."""
    import matplotlib

    matplotlib.use("Agg")  # no display: write the file only
    import matplotlib.pyplot as plt

    figure, (times, quality) = plt.subplots(1, 2, figsize=(11, 4.2))
    for shape, marker in zip(SHAPES, "os", strict=True):
        mine = sorted((r for r in rows if r["shape"] == shape), key=lambda r: r["operations"])
        if not mine:
            continue
        sizes = [r["operations"] for r in mine]
        for key, style in (("load", ":"), ("greedy", "--"), ("wall", "-")):
            times.plot(sizes, [r[key] for r in mine], style, marker=marker, label=f"{shape} {key}")
        quality.plot(
            sizes,
            [100 * r["priority"] / r["bound"] if r["bound"] else 100 for r in mine],
            marker=marker,
            label=f"{shape} final",
        )
        quality.plot(
            sizes,
            [100 * r["greedy_priority"] / r["bound"] if r["bound"] else 100 for r in mine],
            "--",
            marker=marker,
            label=f"{shape} greedy",
        )
    limits = sorted({r["limit"] for r in rows})
    for limit in limits:
        times.axhline(limit, color="grey", linewidth=0.8)
    times.set(xlabel="operations", ylabel="seconds", xscale="log", yscale="log")
    times.set_title("time per phase (grey: limit)")
    quality.set(xlabel="operations", ylabel="% of the priority bound", xscale="log")
    quality.set_title("priority reached")
    sizes = sorted({r["operations"] for r in rows})
    for axes in (times, quality):
        axes.set_xticks(sizes, [str(size) for size in sizes])
        axes.minorticks_off()
        axes.legend(fontsize=7)
        axes.grid(True, alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def merge(kept: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The kept rows with those of the same shape, size and limit replaced by new ones."""

    def key(r: dict[str, Any]) -> tuple[str, int, float]:
        return r["shape"], r["operations"], r["limit"]

    merged = {key(r): r for r in kept}
    merged.update((key(r), r) for r in new)
    return sorted(merged.values(), key=lambda r: (SHAPES.index(r["shape"]), *key(r)[1:]))


def load_results() -> list[dict[str, Any]]:
    return json.loads(RESULTS.read_text()) if RESULTS.exists() else []


def save_results(rows: list[dict[str, Any]]) -> None:
    RESULTS.write_text(json.dumps(rows, indent=1) + "\n")


def write_readme(rows: list[dict[str, Any]]) -> None:
    commands = sorted({r.get("command", "?") for r in rows})
    table = HEADER + "\n" + "\n".join(row(r) for r in rows)
    section = (
        f"{START}\n## Scaling benchmark\n\nRows measured with "
        + ", ".join(f"`{c}`" for c in commands)
        + f" (Python {platform.python_version()}, {os.cpu_count()} cores shared with other "
        "jobs; each row says when it ran and the one-minute load average at its end, so "
        "timings are noisy). A run of some sizes replaces only their rows "
        "(bench/scaling.json keeps them all). Generated scenarios "
        "(`jointops sample`, seed 0). Wall s runs from before loading to the plan checked "
        "and serialised, as `jointops solve` counts its limit; greedy s, greedy priority, "
        "travel and dwell are the project's greedy run alone and whole afterwards; first "
        "plan s counts from before loading too (the first plan handed over: when the greedy "
        "needs longer than 2 s it is the highest priorities placed by then, and the greedy "
        "goes on); dwell is minutes foreign units wait in the host "
        "country beyond travel; cut short names the phases the limit ended; **over** "
        "marks a wall time more than max(1 s, 5 %) past the limit.\n\n"
        f"{table}\n\n![scaling](scaling.png)\n{END}"
    )
    write_section(section, START, END)


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Solver scaling over generated scenarios.")
    parser.add_argument("--sizes", type=int, nargs="+", default=SIZES)
    parser.add_argument("--shapes", nargs="+", default=SHAPES, choices=SHAPES)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-write", action="store_true", help="print only")
    return parser.parse_args(argv)


def main(argv: list[str]) -> None:
    if argv[:1] == ["--child"]:
        shape, operations, limit, workers = argv[1], int(argv[2]), float(argv[3]), int(argv[4])
        print(json.dumps(run_one(shape, operations, limit, workers)))
        return
    args = _arguments(argv)
    command = " ".join([".venv/bin/python bench/scaling.py", *argv])
    rows = []
    for shape in args.shapes:
        for size in args.sizes:
            child = subprocess.run(
                [sys.executable, __file__, "--child", shape, str(size)]
                + [str(args.time_limit), str(args.workers)],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            )
            measured = json.loads(child.stdout.strip().splitlines()[-1])
            measured.update(
                measured=time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
                load_average=os.getloadavg()[0],
                command=command,
            )
            rows.append(measured)
            print(row(rows[-1]), flush=True)
    if not args.no_write:
        kept = merge(load_results(), rows)
        save_results(kept)
        plot(kept, FIGURE)
        write_readme(kept)
        print(f"wrote {RESULTS}, {FIGURE} and bench/README.md")


if __name__ == "__main__":
    main(sys.argv[1:])
