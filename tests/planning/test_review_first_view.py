"""Issue 14: a run page's first view (nothing kept yet) computes each part once: the
run's plan is validated once (its totals, then its change list, reuse it), and the order
preview reads of each held order only what it compares and shows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import User
from app.planning import review as review_module
from app.solver import diff as diff_module

from .statements import recorded_statements
from .test_review_kept import _republished_run

pytestmark = pytest.mark.db
Login = Callable[[TestClient, User], TestClient]


def test_a_first_view_validates_each_plan_once_and_reads_few_order_columns(
    client: TestClient, tiny_board: Session, planner: User, login: Login,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    validated: list[int] = []
    original = review_module.validate_plan

    def counted(*args: Any, **kwargs: Any) -> Any:
        validated.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(review_module, "validate_plan", counted)
    monkeypatch.setattr(diff_module, "validate_plan", counted)
    run = _republished_run(tiny_board, planner)
    browser = login(client, planner)
    with recorded_statements(tiny_board) as statements:
        page = browser.get(f"/planning/runs/{run.id}")
    assert page.status_code == 200
    # The run's plan (totals, and the change list's new side), the published plan.
    assert len(validated) == 2
    previews = [s for s in statements if "FROM taskings" in s and "taskings.cross_back" in s]
    assert previews, "the held orders are read"
    assert not [s for s in previews if "taskings.uid" in s or "taskings.updated_at" in s]
