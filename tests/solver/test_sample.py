"""The sample generator: valid, deterministic, every optional field, both shapes, clear errors."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from sample_data import SCARCE, SCARCE_KNOBS, SMALL, TINY
from typer.testing import CliRunner

from app.cli import app
from app.solver.instance import Instance
from app.solver.loader import load_scenario
from app.solver.sample import SampleError, generate, knobs_for, preset, to_json
from app.solver.schema import parse_instant
from app.solver.solve import SolveOptions, solve

from .solve_helpers import assert_not_fallback, assert_valid

runner = CliRunner()


def _text(shape: str = "plentiful", **knobs: Any) -> str:
    return to_json(generate(knobs_for(shape, **knobs)))


def test_same_seed_gives_byte_identical_output_and_another_seed_another() -> None:
    first = _text(operations=30, units=60, seed=4, fixed_starts=0.3, availability_gaps=0.5)
    assert first == _text(operations=30, units=60, seed=4, fixed_starts=0.3, availability_gaps=0.5)
    assert first != _text(operations=30, units=60, seed=5, fixed_starts=0.3, availability_gaps=0.5)


@pytest.mark.parametrize(
    "path, knobs",
    [
        (TINY, preset("tiny")),
        (SMALL, preset("small")),
        (SCARCE, knobs_for("scarce", **SCARCE_KNOBS)),
    ],
)
def test_the_repository_scenarios_are_what_the_generator_makes(path: Any, knobs: Any) -> None:
    # If this fails after a change to the generator, regenerate (tests/data/README.md) and
    # recompute the facts the tests rely on.
    assert path.read_text(encoding="utf-8") == to_json(generate(knobs))


def test_the_scarce_shape() -> None:
    doc = generate(knobs_for("scarce"))
    scenario = load_scenario(doc)
    assert scenario.slot_minutes == 5
    assert len(doc["operations"]) == 400 and len(doc["units"]) == 900
    days = (scenario.horizon.end - scenario.horizon.start).days
    assert 3 <= days <= 5
    assert {(c["lanes"], json.dumps(c["open"])) for c in doc["crossings"]} == {
        (1, '[{"from": "08:00", "to": "17:30"}]')
    }
    units = doc["units"]
    limited = sum("operating_regions" in u for u in units) / len(units)
    away = sum("available" in u for u in units) / len(units)
    fixed = sum("fixed_start" in o for o in doc["operations"]) / len(doc["operations"])
    assert 0.35 < limited < 0.45 and 0.45 < away < 0.55 and 0.15 < fixed < 0.25


def test_the_plentiful_shape_looks_like_the_published_samples() -> None:
    doc = generate(knobs_for("plentiful"))
    assert doc["slot_minutes"] == 15
    lanes = Counter(c["lanes"] for c in doc["crossings"])
    assert lanes[1] and lanes[4], "the real lanes, not one per crossing"
    hours = {c["id"]: c.get("open") for c in doc["crossings"]}
    assert hours["X-MSI-TAC"] == [{"from": "06:30", "to": "21:00"}]
    assert hours["X-RUI-MUS"] is None  # open at every instant: no `open` key
    assert not any("operating_regions" in u or "available" in u for u in doc["units"])
    assert not any("fixed_start" in o for o in doc["operations"])


def test_every_optional_field_is_produced() -> None:
    doc = json.loads(SCARCE.read_text())
    load_scenario(doc)
    start, end = (parse_instant(doc["horizon"][k]) for k in ("start", "end"))
    units = doc["units"]
    country = {a["id"]: a["country"] for a in doc["agencies"]}
    region_country = {r["id"]: r["country"] for r in doc["regions"]}
    regions = [u["operating_regions"] for u in units if "operating_regions" in u]
    assert [] in regions and any(len(r) > 1 for r in regions)
    for unit in units:
        for region in unit.get("operating_regions", []):
            assert region_country[region] == country[unit["agency"]]
    windows = [u["available"] for u in units if "available" in u]
    instants = [(parse_instant(w["start"]), parse_instant(w["end"])) for ws in windows for w in ws]
    assert any(a < start for a, _ in instants) and any(b > end for _, b in instants)
    assert any(
        any(ws[i]["end"] == ws[i + 1]["start"] for i in range(len(ws) - 1)) for ws in windows
    ), "windows that touch"
    assert any("fixed_start" in o for o in doc["operations"])
    sites = [s for o in doc["operations"] for s in o["sites"]]
    assert any("min_personnel" in s for s in sites) and any("min_personnel" not in s for s in sites)
    assert any(len(o["sites"]) > 1 for o in doc["operations"])
    assert {o["foreign_support"] for o in doc["operations"]} == {True, False}
    # Never available (`available: []`) and crossings open at every instant (no `open`).
    never = generate(knobs_for("plentiful", days=1, availability_gaps=1.0, seed=1))
    assert any(u.get("available") == [] for u in never["units"])
    always = generate(knobs_for("scarce", operations=5, units=10, crossing_hours="always"))
    assert not any("open" in c for c in always["crossings"])


def test_knobs_reach_the_scenario() -> None:
    doc = generate(
        knobs_for(
            "plentiful",
            operations=7,
            units=11,
            days=2,
            slot_minutes=30,
            lanes=3,
            crossing_hours="06:00-12:00,13:00-24:00",
            multi_site=1.0,
            foreign_support=0.0,
        )
    )
    assert (len(doc["operations"]), len(doc["units"]), doc["slot_minutes"]) == (7, 11, 30)
    assert doc["horizon"] == {"start": "2026-12-01T00:00:00Z", "end": "2026-12-03T00:00:00Z"}
    assert all(c["lanes"] == 3 for c in doc["crossings"])
    assert all(
        c["open"] == [{"from": "06:00", "to": "12:00"}, {"from": "13:00", "to": "24:00"}]
        for c in doc["crossings"]
    )
    assert all(len(o["sites"]) > 1 and not o["foreign_support"] for o in doc["operations"])
    load_scenario(doc)


def test_scarcity_sets_the_demand() -> None:
    def places(scarcity: float) -> int:
        doc = generate(knobs_for("plentiful", operations=50, units=100, scarcity=scarcity))
        return sum(
            r["count"] for o in doc["operations"] for s in o["sites"] for r in s["requirements"]
        )

    assert places(1.0) == 100 and places(2.0) == 200


@pytest.mark.parametrize(
    "knobs, knob",
    [
        ({"operations": 0}, "operations"),
        ({"slot_minutes": 7}, "slot_minutes"),
        ({"lanes": 0}, "lanes"),
        ({"crossing_hours": "8-17"}, "crossing_hours"),
        ({"crossing_hours": "17:00-08:00"}, "crossing_hours"),
        ({"crossing_hours": "08:00-24:30"}, "crossing_hours"),
        ({"scarcity": 0}, "scarcity"),
        ({"region_limited": 1.5}, "region_limited"),
        ({"fixed_starts": -0.1}, "fixed_starts"),
        ({"colour": 1}, "colour"),
    ],
)
def test_bad_knobs_are_named(knobs: dict[str, Any], knob: str) -> None:
    with pytest.raises(SampleError) as caught:
        knobs_for("plentiful", **knobs)
    assert caught.value.knob == knob and str(caught.value).startswith(f"{knob}: ")


def test_unknown_shape_and_preset() -> None:
    with pytest.raises(SampleError, match="shape: unknown shape 'huge'"):
        knobs_for("huge")
    with pytest.raises(SampleError, match="preset: unknown preset 'huge'"):
        preset("huge")


@pytest.mark.parametrize("path", [TINY, SCARCE])
def test_generated_scenarios_solve_to_valid_plans(path: Any) -> None:
    scenario = load_scenario(path)
    result = solve(Instance(scenario), SolveOptions(time_limit=5, workers=1, seed=3))
    assert_valid(scenario, result.plan)
    assert_not_fallback(result)
    assert result.plan.operations and result.plan.unscheduled


def test_cli_writes_the_same_bytes_to_a_file_and_to_stdout(tmp_path: Any) -> None:
    out = tmp_path / "deep" / "tiny.json"
    written = runner.invoke(app, ["sample", "--preset", "tiny", "-o", str(out)])
    assert written.exit_code == 0, written.output
    printed = runner.invoke(app, ["sample", "--preset", "tiny"])
    assert printed.exit_code == 0 and printed.stdout == out.read_text() == TINY.read_text()
    knobbed = runner.invoke(
        app, ["sample", "--shape", "scarce", "--operations", "3", "--units", "5", "--seed", "9"]
    )
    assert json.loads(knobbed.stdout)["name"] == "sample-scarce-3ops-5units-4d-s9"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--slot-minutes", "7"], "sample: --slot-minutes: must divide 1440"),
        (["--crossing-hours", "8-17"], "sample: --crossing-hours: '8-17' is not HH:MM-HH:MM"),
        (["--region-limited", "2"], "sample: --region-limited: must be a share between 0 and 1"),
        (["--shape", "huge"], "sample: --shape: unknown shape 'huge'"),
        (["--shape", "scarce", "--preset", "tiny"], "give --shape or --preset, not both"),
    ],
)
def test_cli_bad_knobs_exit_2_naming_the_option(
    args: list[str], message: str, tmp_path: Any
) -> None:
    out = tmp_path / "never.json"
    result = runner.invoke(app, ["sample", *args, "-o", str(out)])
    assert result.exit_code == 2 and message in result.stderr
    assert not out.exists()


def test_a_document_changed_by_its_caller_leaves_the_next_one_alone() -> None:
    first = generate(knobs_for("plentiful", operations=2, units=3))
    first["regions"][0]["name"] = "changed"
    first["crossings"][0]["lanes"] = 99
    second = generate(knobs_for("plentiful", operations=2, units=3))
    assert second["regions"][0]["name"] != "changed" and second["crossings"][0]["lanes"] != 99
