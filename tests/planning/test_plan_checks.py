"""Issue 14: the worker keeps what its check of a stored plan found that the run page
needs (each operation's part of the objective), so no web process validates a new run's
plan again for its first view. The published plan stays the run page's to check: the
worker's database role may not read plans' documents (tests/security/test_database_roles.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import Plan, RunStatus, SolverRun, User
from app.planning import plan_checks, service
from app.planning import review as review_module
from app.planning.publish import publish_plan
from app.planning.review import review_run
from app.planning.worker import run_job
from app.revision import forget_derived
from app.solver import diff as diff_module
from app.solver.loader import load_plan, load_scenario
from app.solver.validate import validate_plan

from .consent_helpers import confirm_hosts

pytestmark = pytest.mark.db
Login = Callable[[TestClient, User], TestClient]


def _solved(session: Session, planner: User, seed: int) -> SolverRun:
    run = service.start_run(session, user=planner, time_limit=2, seed=seed)
    session.commit()
    assert run_job(int(run.id or 0), session=session) == RunStatus.succeeded
    session.refresh(run)
    return run


def _published_then_solved_again(session: Session, planner: User) -> tuple[SolverRun, Plan]:
    first = _solved(session, planner, seed=1)
    plan = session.exec(select(Plan).where(Plan.solver_run_id == first.id)).one()
    confirm_hosts(session, plan)
    publish_plan(session, plan=plan, user=planner, confirmed=set())
    session.commit()
    return _solved(session, planner, seed=2), plan


def _parts(report: Any) -> dict[str, list[int]]:
    return {op_id: list(part) for op_id, part in report.by_operation.items()}


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    for module in (review_module, diff_module):
        original = module.validate_plan

        def counted(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            calls.append(1)
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, "validate_plan", counted)
    return calls


def test_the_worker_stores_the_parts_its_check_found_with_the_plan(
    tiny_board: Session, planner: User,
) -> None:
    run, _ = _published_then_solved_again(tiny_board, planner)
    checks = run.plan_checks or {}
    scenario = load_scenario(run.scenario or {})
    assert checks["digest"] == plan_checks.digest(run.plan or {})
    assert checks["by_operation"] == _parts(validate_plan(scenario, load_plan(run.plan or {})))
    assert checks["by_operation"], "the tiny board's plan schedules operations"
    assert set(checks) == {"digest", "by_operation"}, "nothing of another plan"


def test_a_first_view_uses_them_and_shows_what_validating_shows(
    client: TestClient, tiny_board: Session, planner: User, login: Login,
    validations: list[int],
) -> None:
    run, _ = _published_then_solved_again(tiny_board, planner)
    forget_derived()
    assert login(client, planner).get(f"/planning/runs/{run.id}").status_code == 200
    assert len(validations) == 1, "only the published plan, against the run's scenario"
    forget_derived()
    kept = review_run(tiny_board, run=run, user=planner)
    assert len(validations) == 2
    # The same run without what the worker stored: the page validates both plans itself.
    run.plan_checks = None
    forget_derived()
    validated = review_run(tiny_board, run=run, user=planner)
    assert len(validations) == 4
    assert kept.totals == validated.totals and kept.changes == validated.changes
    assert kept.totals["priority"] > 0


def test_parts_of_another_plan_are_not_used(
    tiny_board: Session, planner: User,
) -> None:
    run, _ = _published_then_solved_again(tiny_board, planner)
    checks, document = run.plan_checks, dict(run.plan or {})
    assert plan_checks.plan_report(checks, document) is not None
    moved = {**document, "operations": document["operations"][1:]}
    assert plan_checks.plan_report(checks, moved) is None
    assert plan_checks.plan_report(None, document) is None
