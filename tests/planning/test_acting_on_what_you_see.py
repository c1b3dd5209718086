"""Finding 4 of issue 10: planners act only on what they may see.

Releasing a hidden or missing operation is a 404; only the run's agency's planners (or
the coordination centre, or an administrator) stop a run; an agency planner cannot
publish a plan that changes an operation it may not see.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import Plan, Role, RunStatus, SolverRun, Tasking, User
from app.planning import service
from app.planning.publish import publish_plan
from app.planning.visibility import visible_ids
from app.planning.worker import run_job

from .consent_helpers import confirm_hosts

Login = Callable[[TestClient, User], TestClient]
# In tiny.json Cambodia leads OP-0003 in Cambodia, of which Laos knows nothing.
HIDDEN_FROM_LAOS = "OP-0003"


def _plan(session: Session, user: User) -> Plan:
    run = service.start_run(session, user=user, time_limit=2, seed=1)
    session.commit()
    run_job(int(run.id or 0), session=session)
    return session.exec(select(Plan).where(Plan.solver_run_id == run.id)).one()


def test_releasing_a_hidden_or_missing_operation_is_not_found(
    client: TestClient, tiny_board: Session, make_user: Callable[..., User], login: Login,
) -> None:
    lao = login(client, make_user(tiny_board, Role.planner, agency="LA-MPS"))
    for hidden in (HIDDEN_FROM_LAOS, "OP-NOT-THERE"):
        response = lao.post("/api/v1/solver-runs", json={"release": [hidden]})
        assert response.status_code == 404, hidden
        assert response.json()["detail"] == f"No such operation to release: {hidden}"
        form = lao.post("/planning/runs", data={"time_limit": "2", "release": hidden})
        assert form.status_code == 404, hidden
    assert tiny_board.exec(select(SolverRun)).all() == []
    assert lao.post("/api/v1/solver-runs", json={"release": ["OP-0001"]}).status_code == 202


def test_only_the_runs_agency_or_the_coordinator_stops_it(
    client: TestClient, tiny_board: Session, make_user: Callable[..., User], login: Login,
) -> None:
    starter = make_user(tiny_board, Role.planner, agency="LA-MPS")
    colleague = make_user(tiny_board, Role.planner, agency="LA-MPS")
    other = make_user(tiny_board, Role.planner, agency="KH-NP")
    coordinator = make_user(tiny_board, Role.coordinator)
    first = service.start_run(tiny_board, user=starter, time_limit=2)
    second = service.start_run(tiny_board, user=starter, time_limit=2)
    cambodian = login(client, other)
    assert cambodian.delete(f"/api/v1/solver-runs/{first.id}").status_code == 403
    assert cambodian.post(f"/planning/runs/{first.id}/cancel").status_code == 403
    assert cambodian.get(f"/api/v1/solver-runs/{first.id}").json()["cancellable"] is False
    assert "Cancel (keep" not in cambodian.get(f"/planning/runs/{first.id}").text
    tiny_board.refresh(first)
    assert first.status == RunStatus.queued
    assert login(client, colleague).delete(f"/api/v1/solver-runs/{first.id}").status_code == 202
    assert login(client, coordinator).delete(
        f"/api/v1/solver-runs/{second.id}").status_code == 202


def test_an_agency_planner_publishes_only_what_leaves_hidden_operations_as_they_are(
    client: TestClient, tiny_board: Session, make_user: Callable[..., User], login: Login,
) -> None:
    coordinator = make_user(tiny_board, Role.coordinator)
    lao_planner = make_user(tiny_board, Role.planner, agency="LA-MPS")
    lao = login(client, lao_planner)
    plan = _plan(tiny_board, coordinator)
    scheduled = {op["id"] for op in plan.document["operations"]}
    hidden = sorted(scheduled - (visible_ids(tiny_board, user=lao_planner) or set()))
    assert hidden, "the plan must task an operation Laos may not see"
    refused = lao.post(f"/api/v1/plans/{plan.id}/publish")
    assert refused.status_code == 409
    assert "operations you may not see" in refused.json()["detail"]
    assert not any(op_id in refused.text for op_id in hidden)
    assert tiny_board.exec(select(Tasking)).all() == []
    confirm_hosts(tiny_board, plan)  # the hosts confirmed the foreign units once
    publish_plan(tiny_board, plan=plan, user=coordinator)
    tiny_board.flush()

    # Laos now sees what its units are tasked in too; the others stay hidden.
    hidden = sorted(scheduled - (visible_ids(tiny_board, user=lao_planner) or set()))
    assert hidden
    # The plan as published again changes nothing hidden: Laos may publish it...
    same = copy.deepcopy(plan.document)
    # ...one that drops an operation Laos may not see may not go out from Laos.
    theirs = copy.deepcopy(plan.document)
    theirs["operations"] = [op for op in theirs["operations"] if op["id"] != hidden[0]]
    theirs["unscheduled"] += [{"id": hidden[0], "reasons": ["held back"]}]
    plans = [Plan(document=d, solver_run_id=plan.solver_run_id) for d in (same, theirs)]
    tiny_board.add_all(plans)
    tiny_board.flush()
    assert lao.post(f"/api/v1/plans/{plans[1].id}/publish").status_code == 409
    dropped = tiny_board.exec(select(Tasking).where(Tasking.operation_id == hidden[0]))
    assert {str(t.status) for t in dropped} == {"active"}
    assert lao.post(f"/api/v1/plans/{plans[0].id}/publish").status_code == 200
