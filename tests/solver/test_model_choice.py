"""Whole model or LNS: the scarce shape at 100 operations (3,275 candidates) goes to the LNS,
whose insertion steps reach more priority than the whole model (scarce 120 / 270 units,
30 s: whole model 365-374, LNS 387-390); the small sample stays whole (travel proven)."""

from __future__ import annotations

import json

from sample_data import DATA

from app.solver.greedy import Greedy
from app.solver.instance import Instance
from app.solver.loader import load_scenario
from app.solver.sample import generate, knobs_for
from app.solver.schema import Scenario
from app.solver.solve import FULL_MODEL_LIMIT


def _whole(scenario: Scenario) -> bool | None:
    instance = Instance(scenario)
    return Greedy(instance).candidates_within(list(scenario.operations), FULL_MODEL_LIMIT)


def test_the_scarce_shape_goes_to_the_lns() -> None:
    scenario = load_scenario(generate(knobs_for("scarce", operations=100, units=225, seed=0)))
    assert _whole(scenario) is False


def test_the_small_sample_keeps_the_whole_model() -> None:
    assert _whole(load_scenario(json.loads((DATA / "small.json").read_text()))) is True
