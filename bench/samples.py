"""The benchmarks' scenarios: presets of the project's generator (app/solver/sample.py).

Nothing is read from outside the repository: `scenario_file("large", folder)` writes
`jointops sample --preset large` into `folder` (once) and returns its path, so every
benchmark run on every checkout solves the same bytes.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def scenario_file(name: str, folder: Path) -> Path:
    """The preset `name` (tiny, small, medium, large, xl, scarce) as a file in `folder`."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from app.solver.sample import generate, preset, to_json

    path = folder / f"{name}.json"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(to_json(generate(preset(name))), encoding="utf-8")
    return path
