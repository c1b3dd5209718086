"""`jointops repatriate`, `repatriate-check` and `repatriation-sample`, end to end."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from app.cli import app
from app.config import ROOT

from .builders import problem_dict, valid_plan_dict

runner = CliRunner()


def write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_repatriate_writes_a_valid_plan_that_check_accepts(tmp_path: Path) -> None:
    problem = write(tmp_path / "problem.json", problem_dict())
    plan = tmp_path / "plan.json"
    result = runner.invoke(
        app, ["repatriate", str(problem), "-o", str(plan), "--time-limit", "2", "--workers", "1"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(plan.read_text())["format"] == "jointops-repatriation-plan/1"
    result = runner.invoke(app, ["repatriate-check", str(problem), str(plan), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["objective"]["persons_left"] == 0


def test_check_exits_1_on_a_broken_plan(tmp_path: Path) -> None:
    broken = valid_plan_dict()
    broken["batches"][0]["time"] = "07:00"
    result = runner.invoke(
        app,
        [
            "repatriate-check",
            str(write(tmp_path / "p.json", problem_dict())),
            str(write(tmp_path / "plan.json", broken)),
        ],
    )
    assert result.exit_code == 1
    assert "does not fit screening 08:00-17:00" in result.stdout


def test_rejected_problem_exits_2_naming_the_path(tmp_path: Path) -> None:
    bad = problem_dict(horizon={"start": "2026-12-01", "days": 0})
    result = runner.invoke(
        app, ["repatriate", str(write(tmp_path / "p.json", bad)), "-o", str(tmp_path / "plan.json")]
    )
    assert result.exit_code == 2
    assert "horizon.days" in result.stderr
    assert not (tmp_path / "plan.json").exists()


def test_sample_then_greedy(tmp_path: Path) -> None:
    problem = tmp_path / "sample.json"
    result = runner.invoke(
        app,
        [
            "repatriation-sample",
            "-o",
            str(problem),
            "--persons",
            "200",
            "--cohorts",
            "6",
            "--days",
            "5",
            "--escorts",
            "8",
        ],
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        app, ["repatriate", str(problem), "-o", str(tmp_path / "plan.json"), "--greedy"]
    )
    assert result.exit_code == 0, result.output
    assert "VALID repatriation plan" in result.stdout


def test_documented_example_plan_is_valid() -> None:
    examples = ROOT / "docs" / "examples"
    result = runner.invoke(
        app,
        [
            "repatriate-check",
            str(examples / "repatriation.json"),
            str(examples / "repatriation-plan.json"),
        ],
    )
    assert result.exit_code == 0, result.output
