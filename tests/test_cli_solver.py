"""The solver commands of the `jointops` CLI, end to end through Typer's test runner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from solver.builders import scenario_dict, valid_plan_dict
from typer.testing import CliRunner

from app.cli import app

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "scenarios"
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
