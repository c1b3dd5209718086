"""Check that `jointops solve --workers 1 --seed N` gives byte-identical plans, loaded or not.

    .venv/bin/python bench/determinism.py [--time-limit 10] [--seed 3] [--samples tiny small]

Each sample scenario is solved twice by the real CLI in separate processes: once on a
quiet machine and once while two busy-loop processes compete for both cores, so the
second run is slower in wall time. The plan files are compared byte for byte. The table
(status, wall seconds of each run, identical or not) goes into bench/README.md between
the determinism-bench markers; it also shows how the deterministic clock's seconds
compare with wall seconds on this machine.
"""

# ruff: noqa: E402  (sys.path gets the repository first, so the script runs from anywhere)
from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from readme_section import write_section
from samples import scenario_file

START = "<!-- determinism-bench -->"
END = "<!-- /determinism-bench -->"
SAMPLES = ("tiny", "small", "medium", "large", "xl")
JOINTOPS = Path(sys.executable).parent / "jointops"


@contextmanager
def busy_cores(count: int) -> Iterator[None]:
    """Run `count` busy-loop processes for the duration of the block."""
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


def solve_once(scenario: Path, out: Path, time_limit: float, seed: int) -> tuple[float, dict]:
    """Wall seconds of one CLI solve and its --json summary."""
    command = [
        str(JOINTOPS), "solve", str(scenario), "-o", str(out), "--workers", "1",
        "--seed", str(seed), "--time-limit", str(time_limit), "--json",
    ]  # fmt: skip
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return time.perf_counter() - began, json.loads(done.stdout)


def run(samples: list[str], time_limit: float, seed: int) -> list[dict[str, object]]:
    """Solve each sample quietly and under load; compare the plan files."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="determinism-bench-") as tmp:
        for name in samples:
            scenario = scenario_file(name, Path(tmp))
            quiet_out = Path(tmp, f"{name}-quiet.json")
            loaded_out = Path(tmp, f"{name}-loaded.json")
            quiet_wall, summary = solve_once(scenario, quiet_out, time_limit, seed)
            with busy_cores(2):
                loaded_wall, loaded = solve_once(scenario, loaded_out, time_limit, seed)
            quiet_bytes, loaded_bytes = quiet_out.read_bytes(), loaded_out.read_bytes()
            row = {
                "scenario": name,
                "status": summary["status"],
                "priority": f"{summary['priority']} / {summary['priority_bound']}",
                "travel": summary["travel_minutes"],
                "quiet": quiet_wall,
                "loaded": loaded_wall,
                "clock": f"{summary['clock']} / {loaded['clock']}",
                "identical": quiet_bytes == loaded_bytes,
                "sha256": hashlib.sha256(quiet_bytes).hexdigest()[:12],
            }
            print(row, flush=True)
            rows.append(row)
    return rows


def report(rows: list[dict[str, object]], time_limit: float, seed: int) -> str:
    """The Markdown section for bench/README.md."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        START,
        "## Deterministic runs (bench/determinism.py)",
        "",
        f"Command: `.venv/bin/python bench/determinism.py --time-limit {time_limit:g} "
        f"--seed {seed}` (Python {platform.python_version()}, {os.cpu_count()} cores, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M}Z). Each sample is solved twice by "
        f"`jointops solve --workers 1 --seed {seed} --time-limit {time_limit:g}` in separate "
        "processes: quiet, then with two busy-loop processes on the two cores. With one "
        "worker every limit counts CP-SAT's deterministic time plus a charge per model "
        "element (app/solver/model/clock.py), not the wall clock; the wall-clock columns "
        "show what those seconds cost here.",
        "",
        "| scenario | status | priority / bound | travel | wall quiet s | wall loaded s "
        "| clock (quiet / loaded) | plans byte-identical | sha256 |",
        "| --- | --- | --- | ---: | ---: | ---: | --- | --- | --- |",
    ]
    for row in rows:
        same = "yes" if row["identical"] else "**no**"
        lines.append(
            f"| {row['scenario']} | {row['status']} | {row['priority']} | {row['travel']:,} "
            f"| {row['quiet']:.1f} | {row['loaded']:.1f} | {row['clock']} | {same} "
            f"| {row['sha256']} |"
        )
    lines += ["", f"Load average at the end: {load:.1f}.", END]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--samples", nargs="+", default=list(SAMPLES), choices=SAMPLES)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    rows = run(args.samples, args.time_limit, args.seed)
    section = report(rows, args.time_limit, args.seed)
    print(section)
    if not args.no_write:
        write_section(section, START, END)
    if not all(row["identical"] for row in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
