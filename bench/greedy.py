"""How fast the project's greedy plans a scenario (issue 9, item 3: under 3 s for the
scarce shape at 400 operations / 900 units, 5-minute grid, one-lane crossings).

    .venv/bin/python bench/greedy.py [--preset scarce] [--repeat 3] [--operations 2000]

Generates the preset with `jointops sample` (nothing read from outside the repository),
then times loading and the greedy alone, whole, in this process: wall and CPU seconds of
each repeat (CPU time is what other jobs on a shared machine move less).
"""

# ruff: noqa: E402  (sys.path gets the repository first, so the script runs from anywhere)
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.solver.greedy import greedy_solution
from app.solver.instance import Instance
from app.solver.loader import load_scenario
from app.solver.model.dwell import solution_dwell
from app.solver.model.plan import solution_priority, solution_travel
from app.solver.sample import generate, preset, to_json


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="scarce")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--operations", type=int, default=None,
        help="this many operations instead of the preset's, units in the preset's ratio "
             "(as bench/scaling.py grows its shapes)",
    )
    args = parser.parse_args(argv)
    knobs = preset(args.preset)
    if args.operations:
        ratio = knobs.units / knobs.operations
        knobs = preset(args.preset, operations=args.operations,
                       units=round(ratio * args.operations))
    text = to_json(generate(knobs))
    for attempt in range(1, args.repeat + 1):
        wall, cpu = time.monotonic(), time.process_time()
        scenario = load_scenario(text)
        instance = Instance(scenario)
        load_wall, load_cpu = time.monotonic() - wall, time.process_time() - cpu
        wall, cpu = time.monotonic(), time.process_time()
        solution = greedy_solution(instance)
        greedy_wall, greedy_cpu = time.monotonic() - wall, time.process_time() - cpu
        print(
            f"{args.preset} ({len(scenario.operations)} operations, {len(scenario.units)} "
            f"units, {scenario.slot_minutes}-minute grid) run {attempt}: load "
            f"{load_wall:.2f} s (CPU {load_cpu:.2f}), greedy {greedy_wall:.2f} s "
            f"(CPU {greedy_cpu:.2f}); placed {len(solution)}, priority "
            f"{solution_priority(instance, solution)}, travel {solution_travel(solution)} "
            f"min, dwell {solution_dwell(instance, solution)} min"
        )
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main(sys.argv[1:])
