"""The solver commands of the `jointops` CLI, end to end through Typer's test runner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sample_data import DATA
from solver.builders import scenario_dict, valid_plan_dict
from solver.solve_helpers import assert_not_fallback
from typer.testing import CliRunner

from app.cli import app

SAMPLES = DATA
runner = CliRunner()


def write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def world(tmp_path: Path) -> tuple[Path, Path]:
    """The builder scenario and its hand-checked valid plan, as files."""
    return write(tmp_path / "scenario.json", scenario_dict()), write(
        tmp_path / "plan.json", valid_plan_dict()
    )


def test_check_valid_plan(world: tuple[Path, Path]) -> None:
    result = runner.invoke(app, ["check", *map(str, world)])
    assert result.exit_code == 0, result.output
    assert "VALID plan: priority 4, travel 300 minutes" in result.stdout


def test_check_broken_plan_exits_1(world: tuple[Path, Path], tmp_path: Path) -> None:
    broken = valid_plan_dict()
    broken["operations"][0]["start"] = "2026-12-02T03:05:00Z"  # off the 15-minute grid
    plan = write(tmp_path / "broken.json", broken)
    result = runner.invoke(app, ["check", str(world[0]), str(plan), "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["valid"] is False
    assert any(v["rule"] == 1 and v["operation"] == "OP-1" for v in report["violations"])


def test_check_bad_scenario_exits_2_with_paths(world: tuple[Path, Path], tmp_path: Path) -> None:
    doc = scenario_dict()
    doc["operations"][0]["sites"][0]["region"] = "XX-NOPE"
    doc["units"][0]["personnel"] = 0
    bad = write(tmp_path / "bad.json", doc)
    result = runner.invoke(app, ["check", str(bad), str(world[1])])
    assert result.exit_code == 2
    assert "operations[0].sites[0].region" in result.stderr
    assert "units[0].personnel" in result.stderr
    assert result.stdout == ""


def test_explain_scheduled_operation(world: tuple[Path, Path]) -> None:
    result = runner.invoke(app, ["explain", *map(str, world), "OP-1"])
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "H-hour 2026-12-02T03:00:00Z" in text
    assert "H-hour 2026-12-02 09:30 Asia/Yangon" in text
    assert "H-hour 2026-12-02 10:00 Asia/Bangkok" in text
    assert "route: TH-CRI -> X-MSI-TAC -> MM-TAC" in text
    assert "cross out at X-MSI-TAC (Mae Sai - Tachileik) 2026-12-02T02:00:00Z" in text
    data = json.loads(runner.invoke(app, ["explain", *map(str, world), "OP-1", "--json"]).stdout)
    th1 = data["sites"][0]["units"][1]
    assert th1["unit"] == "U-TH1" and th1["personnel"] == 10
    assert th1["crossing"]["out"]["local"] == "2026-12-02T09:00:00+07:00"


def test_explain_unscheduled_operation(world: tuple[Path, Path], tmp_path: Path) -> None:
    plan = valid_plan_dict()
    del plan["operations"][1]
    plan["unscheduled"] = [{"id": "OP-2", "reasons": ["whatever the file says"]}]
    path = write(tmp_path / "partial.json", plan)
    result = runner.invoke(app, ["explain", str(world[0]), str(path), "OP-2", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["scheduled"] is False
    assert data["reasons"] and "whatever" not in data["reasons"][0]
    assert "it fits into this plan as it stands" in data["reasons"][0]


def test_explain_unknown_operation_exits_2(world: tuple[Path, Path]) -> None:
    result = runner.invoke(app, ["explain", *map(str, world), "OP-404"])
    assert result.exit_code == 2
    assert "OP-404" in result.stderr


def test_diff(world: tuple[Path, Path], tmp_path: Path) -> None:
    later = valid_plan_dict()
    del later["operations"][1]
    path = write(tmp_path / "later.json", later)
    result = runner.invoke(app, ["diff", str(world[0]), str(world[1]), str(path)])
    assert result.exit_code == 0, result.output
    assert "- OP-2 dropped" in result.stdout
    data = json.loads(
        runner.invoke(app, ["diff", str(world[0]), str(world[1]), str(path), "--json"]).stdout
    )
    assert data["dropped"] == ["OP-2"] and data["objective"]["priority_change"] == -1


def solve(*args: str) -> Any:
    """`jointops solve`; a plan it writes (`-o`) must be the search's, not the fallback."""
    result = runner.invoke(app, ["solve", *args])
    output = Path(args[args.index("-o") + 1]) if "-o" in args else None
    if result.exit_code == 0 and output is not None:
        assert_not_fallback(json.loads(output.read_text()))
    return result


# The optimum priority of each (tests/data/README.md): no plan beats it, no bound is below it.
@pytest.mark.parametrize(
    "sample, limit, optimum", [("tiny.json", "3", 16), ("small.json", "2", 64)]
)
def test_solve_sample_and_check(tmp_path: Path, sample: str, limit: str, optimum: int) -> None:
    scenario = str(SAMPLES / sample)
    out = tmp_path / "var" / "nested" / "plan.json"  # parent folders are created
    result = solve(scenario, "-o", str(out), "--time-limit", limit, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["scheduled"] + summary["unscheduled"] == len(
        json.loads((SAMPLES / sample).read_text())["operations"]
    )
    assert 0 < summary["priority"] <= optimum <= summary["priority_bound"]
    assert "priority" in result.stderr and "bound" in result.stderr  # live progress
    checked = runner.invoke(app, ["check", scenario, str(out), "--json"])
    assert checked.exit_code == 0, checked.output
    report = json.loads(checked.stdout)
    assert report["objective"]["priority"] == summary["priority"]
    plan = json.loads(out.read_text())
    assert all(entry["reasons"] for entry in plan["unscheduled"])
    assert not list(out.parent.glob(".*.tmp"))  # no temporary file left behind


def test_solve_text_summary(world: tuple[Path, Path], tmp_path: Path) -> None:
    result = solve(str(world[0]), "-o", str(tmp_path / "p.json"), "--time-limit", "3")
    assert result.exit_code == 0, result.output
    assert "status: OPTIMAL" in result.stdout
    assert "priority: 4 (bound 4)" in result.stdout
    assert "operations: 2 scheduled, 0 unscheduled" in result.stdout


def test_solve_bad_scenario_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    doc = scenario_dict()
    doc["crossings"][0]["b"] = "TH-CRI"  # a crossing inside one country
    doc["operations"][1]["duration_minutes"] = "long"
    bad = write(tmp_path / "bad.json", doc)
    out = tmp_path / "out" / "plan.json"
    result = solve(str(bad), "-o", str(out))
    assert result.exit_code == 2
    assert "crossings[0]" in result.stderr
    assert "operations[1].duration_minutes" in result.stderr
    assert not out.exists()


def test_pin_keeps_the_earlier_operations(world: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "pinned.json"
    result = solve(str(world[0]), "-o", str(out), "--pin", str(world[1]), "--time-limit", "3")
    assert result.exit_code == 0, result.output
    assert "pinned from the earlier plan: 2 operations" in result.stdout
    earlier = {op["id"]: op for op in valid_plan_dict()["operations"]}
    now = {op["id"]: op for op in json.loads(out.read_text())["operations"]}
    for op_id, op in earlier.items():
        assert now[op_id]["start"] == op["start"]
        assert sorted(a["unit"] for a in now[op_id]["assignments"]) == sorted(
            a["unit"] for a in op["assignments"]
        )


def test_stable_reports_changed_orders(world: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "stable.json"
    result = solve(
        str(world[0]), "-o", str(out), "--stable", str(world[1]), "--time-limit", "3", "--json"
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["changed_orders"] >= 0 and summary["priority"] == 4


def test_pin_and_stable_exclude_each_other(world: tuple[Path, Path], tmp_path: Path) -> None:
    result = solve(
        str(world[0]),
        "-o",
        str(tmp_path / "x.json"),
        "--pin",
        str(world[1]),
        "--stable",
        str(world[1]),
    )
    assert result.exit_code == 2
    assert not (tmp_path / "x.json").exists()


def _solve_twice(tmp_path: Path, scenario: str, time_limit: str) -> list[bytes]:
    files = []
    for name in ("first.json", "second.json"):
        out = tmp_path / name
        args = ["-o", str(out), "--workers", "1", "--seed", "3", "--time-limit", time_limit]
        assert solve(scenario, *args).exit_code == 0
        files.append(out.read_bytes())
    return files


def test_same_seed_one_worker_gives_identical_files(tmp_path: Path) -> None:
    files = _solve_twice(tmp_path, str(SAMPLES / "tiny.json"), "5")
    assert files[0] == files[1]


def test_a_search_stopped_by_its_time_limit_gives_identical_files(tmp_path: Path) -> None:
    # Small's travel is not proven within 3 s: the limit, not a proof, ends this search.
    files = _solve_twice(tmp_path, str(SAMPLES / "small.json"), "3")
    assert json.loads(files[0])["solver"]["status"] == "FEASIBLE_PRIORITY_OPTIMAL"
    assert files[0] == files[1]


def test_pin_skips_operations_no_longer_valid(world: tuple[Path, Path], tmp_path: Path) -> None:
    doc = scenario_dict()
    doc["units"][1]["available"] = [  # U-TH2, OP-1's investigator, gone on Dec 2
        {"start": "2026-12-01T00:00:00Z", "end": "2026-12-02T00:00:00Z"}
    ]
    changed = write(tmp_path / "changed.json", doc)
    out = tmp_path / "pinned.json"
    result = solve(str(changed), "-o", str(out), "--pin", str(world[1]), "--time-limit", "3")
    assert result.exit_code == 0, result.output
    assert "pinned from the earlier plan: 1 operations" in result.stdout
    assert "no longer valid, so not pinned: OP-1" in result.stdout
    op2 = next(op for op in json.loads(out.read_text())["operations"] if op["id"] == "OP-2")
    assert op2["start"] == "2026-12-01T10:00:00Z"
