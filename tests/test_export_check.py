"""The board export and the published plan's export pass `jointops check` together.

`jointops export` (and /admin/export.json) hold the operations a plan may schedule,
approved and scheduled, the same as the planning scenario; so the published plan,
exported as jointops-plan/1, checks VALID against the board export with the real CLI.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sample_data import TINY
from sqlmodel import Session, select
from typer.testing import CliRunner

import app.cli_board
from app.cli import app as cli_app
from app.config import get_settings
from app.models import Operation, OperationState, Plan, Role, User
from app.operations import service as operations_service
from app.planning import service as planning_service
from app.planning.publish import publish_plan
from app.planning.scenario import planning_document
from app.planning.worker import run_job
from app.transfer.service import import_scenario

Login = Callable[[TestClient, User], TestClient]


@pytest.fixture(autouse=True)
def _no_worker(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Solver runs are done in the test (run_job), never by a spawned worker."""
    monkeypatch.setenv("JOINTOPS_SPAWN_WORKER", "false")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def published_board(
    session: Session, make_user: Callable[..., User], set_clock: Callable[[datetime], object]
) -> Session:
    """tiny.json with a solved and published plan, one of its operations since executing."""
    # The solve starts at now + notice: "now" is the sample's horizon start, on any date.
    set_clock(datetime.fromisoformat(json.loads(TINY.read_text())["horizon"]["start"]))
    import_scenario(session, data=TINY.read_bytes())
    admin = make_user(session, Role.admin)
    run = planning_service.start_run(session, user=admin, time_limit=2, seed=1)
    session.commit()
    run_job(int(run.id or 0), session=session)
    plan = session.exec(select(Plan).where(Plan.solver_run_id == run.id)).one()
    publish_plan(session, plan=plan, user=admin)
    session.commit()
    scheduled = session.exec(
        select(Operation).where(Operation.state == OperationState.scheduled).order_by(Operation.id)
    ).all()
    assert len(scheduled) >= 2
    operations_service.advance(session, operation=scheduled[0], actor=admin, step="execute")
    session.commit()
    return session


def _cli_export(session: Session, monkeypatch: pytest.MonkeyPatch, out: Path) -> dict[str, Any]:
    """`jointops export OUT`, reading the test's board (its session, not a new engine)."""
    monkeypatch.setattr(app.cli_board, "_session", lambda: contextlib.nullcontext(session))
    result = CliRunner().invoke(cli_app, ["export", str(out)])
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return document


def _check(scenario: Path, plan: Path) -> str:
    result = CliRunner().invoke(cli_app, ["check", str(scenario), str(plan)])
    assert result.exit_code == 0, result.output
    assert "VALID" in result.output and "INVALID" not in result.output, result.output
    return result.output


def _states(session: Session, ids: set[str]) -> set[OperationState]:
    return {op.state for op in session.exec(select(Operation)) if op.id in ids}


def test_published_plan_checks_valid_against_jointops_export(
    published_board: Session,
    client: TestClient,
    make_user: Callable[..., User],
    login: Login,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    session = published_board
    scenario_file = tmp_path / "board.json"
    board = _cli_export(session, monkeypatch, scenario_file)
    exported = {op["id"] for op in board["operations"]}
    # The operations a plan may schedule, exactly those of the planning scenario.
    assert exported == {op["id"] for op in planning_document(session)["operations"]}
    assert OperationState.scheduled in _states(session, exported)
    assert _states(session, exported) <= {OperationState.approved, OperationState.scheduled}
    executing = session.exec(
        select(Operation).where(Operation.state == OperationState.executing)
    ).one()
    assert executing.id not in exported

    api = login(client, make_user(session, Role.admin))
    response = api.get("/api/v1/plans/published/export")
    assert response.status_code == 200, response.text
    plan = response.json()
    assert plan["format"] == "jointops-plan/1" and plan["operations"]
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(plan), encoding="utf-8")
    _check(scenario_file, plan_file)
    # The web download of an administrator is the same scenario.
    download = api.get("/admin/export.json")
    assert download.status_code == 200 and download.json() == board


def test_need_to_know_exports_check_valid_too(
    published_board: Session,
    client: TestClient,
    make_user: Callable[..., User],
    login: Login,
    tmp_path: Path,
) -> None:
    """A planner's download and plan export name only what they may see, and still agree."""
    session = published_board
    api = login(client, make_user(session, Role.planner, agency="MM-MPF"))
    board = api.get("/admin/export.json").json()
    plan = api.get("/api/v1/plans/published/export").json()
    seen = {op["id"] for op in board["operations"]}
    everything = {op["id"] for op in planning_document(session)["operations"]}
    assert seen and seen < everything
    assert {op["id"] for op in plan["operations"]} | {u["id"] for u in plan["unscheduled"]} == seen
    (tmp_path / "board.json").write_text(json.dumps(board), encoding="utf-8")
    (tmp_path / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    _check(tmp_path / "board.json", tmp_path / "plan.json")
