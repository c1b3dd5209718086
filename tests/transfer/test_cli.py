"""The board's CLI commands against a scratch SQLite database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sample_data import SMALL
from sqlmodel import SQLModel
from typer.testing import CliRunner

from app.cli import app as cli_app
from app.config import get_settings
from app.db import get_engine


@pytest.fixture
def scratch_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("JOINTOPS_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    get_engine.cache_clear()
    SQLModel.metadata.create_all(get_engine())
    yield
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


def test_import_then_export(scratch_db: None, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli_app, ["import", str(SMALL)])
    assert result.exit_code == 0, result.output
    assert "20 operations" in result.output
    out = tmp_path / "out.json"
    assert runner.invoke(cli_app, ["export", str(out)]).exit_code == 0
    assert len(json.loads(out.read_text())["operations"]) == 20


def test_import_of_a_broken_file_exits_2_with_paths(scratch_db: None, tmp_path: Path) -> None:
    doc = json.loads(SMALL.read_text())
    doc["units"][0]["base"] = "ZZ-NOPE"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    result = CliRunner().invoke(cli_app, ["import", str(bad)])
    assert result.exit_code == 2
    assert "units[0].base" in result.output


def test_seed_demo_if_empty_runs_once_and_prints_logins(scratch_db: None) -> None:
    runner = CliRunner()
    first = runner.invoke(cli_app, ["seed-demo", "--if-empty"])
    assert first.exit_code == 0, first.output
    assert "admin" in first.output and "demo-liaison" in first.output
    second = runner.invoke(cli_app, ["seed-demo", "--if-empty"])
    assert second.exit_code == 0 and "skipped" in second.output
    assert "demo-planner" in second.output
    assert runner.invoke(cli_app, ["seed-demo"]).exit_code == 1
