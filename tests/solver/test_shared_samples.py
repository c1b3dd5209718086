"""Optional conformance: the published sample scenarios, when they sit beside the checkout.

The one test that reads ../shared/scenarios (the project's reference samples, outside the
repository). A fresh clone has no such folder and skips it; everything else uses tests/data.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.solver.instance import Instance
from app.solver.loader import load_scenario
from app.solver.solve import SolveOptions, solve

from .solve_helpers import assert_not_fallback, assert_valid

# ../shared/scenarios beside the checkout; JOINTOPS_SHARED_SAMPLES points elsewhere (a
# worktree's parent folder holds other worktrees, not the samples).
SHARED_SAMPLES = Path(
    os.environ.get(
        "JOINTOPS_SHARED_SAMPLES", Path(__file__).resolve().parents[3] / "shared" / "scenarios"
    )
)
# Solve the ones that fit a test's time; the larger ones are loaded and checked only.
SOLVED = {"tiny": 5.0, "small": 5.0}


@pytest.mark.parametrize("name", ["tiny", "small", "medium", "large", "xl"])
def test_the_published_samples_load_and_solve_to_valid_plans(name: str) -> None:
    path = SHARED_SAMPLES / f"{name}.json"
    if not path.exists():
        pytest.skip(f"optional: {path} is absent (the published samples sit beside a checkout)")
    scenario = load_scenario(path)
    assert scenario.operations and scenario.units
    if name in SOLVED:
        result = solve(Instance(scenario), SolveOptions(time_limit=SOLVED[name], workers=1))
        assert_valid(scenario, result.plan)
        assert_not_fallback(result)
        assert result.priority <= result.priority_bound
