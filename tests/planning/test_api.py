"""Planning JSON API: solver-run lifecycle, plans, publishing, export, access."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from solver.solve_helpers import assert_not_fallback
from sqlmodel import Session

from app.models import Plan, Role, User
from app.planning.scenario import planning_document
from app.planning.worker import run_job
from app.solver.loader import load_plan, load_scenario
from app.solver.validate import validate_plan

from .consent_helpers import confirm_hosts

Login = Callable[[TestClient, User], TestClient]


def test_run_lifecycle_and_publish(
    client: TestClient, tiny_board: Session, admin: User, login: Login
) -> None:
    api = login(client, admin)
    started = api.post("/api/v1/solver-runs", json={"time_limit": 2, "seed": 2})
    assert started.status_code == 202
    run_id = started.json()["id"]
    queued = api.get(f"/api/v1/solver-runs/{run_id}").json()
    assert queued["status"] == "queued" and queued["plan"] is None and queued["cancellable"]
    tiny_board.commit()
    run_job(run_id, session=tiny_board)
    done = api.get(f"/api/v1/solver-runs/{run_id}").json()
    assert done["status"] == "succeeded" and done["finished"]
    assert {"priority", "bound", "gap", "elapsed"} <= done["progress"].keys()
    assert done["plan"]["format"] == "jointops-plan/1" and done["plan_id"]
    assert_not_fallback(done["plan"])
    assert api.delete(f"/api/v1/solver-runs/{run_id}").status_code == 409
    plans = api.get("/api/v1/plans").json()
    assert [p["id"] for p in plans] == [done["plan_id"]] and not plans[0]["is_published"]
    document = api.get(f"/api/v1/plans/{done['plan_id']}").json()
    assert document == done["plan"]
    assert api.get("/api/v1/plans/published/export").status_code == 404
    confirm_hosts(tiny_board, tiny_board.get(Plan, done["plan_id"]))
    published = api.post(f"/api/v1/plans/{done['plan_id']}/publish")
    assert published.status_code == 200 and published.json()["is_published"]
    assert api.post(f"/api/v1/plans/{done['plan_id']}/publish").status_code == 409
    export = api.get("/api/v1/plans/published/export").json()
    scenario = load_scenario(api.get("/api/v1/plans/published/scenario").json())
    report = validate_plan(scenario, load_plan(export))
    assert report.valid, report.violations
    assert {op["id"] for op in export["operations"]} == {op["id"] for op in document["operations"]}
    assert load_scenario(planning_document(tiny_board)) == scenario


def test_delete_stops_a_running_job_and_keeps_its_plan(
    client: TestClient, tiny_board: Session, admin: User, login: Login
) -> None:
    api = login(client, admin)
    run_id = api.post("/api/v1/solver-runs", json={"time_limit": 20}).json()["id"]
    tiny_board.commit()
    from app.planning.worker import claim_next_run

    assert claim_next_run(tiny_board) == run_id
    stopping = api.delete(f"/api/v1/solver-runs/{run_id}")
    assert stopping.status_code == 202 and stopping.json()["status"] == "cancelling"
    tiny_board.commit()
    run_job(run_id, session=tiny_board)
    stopped = api.get(f"/api/v1/solver-runs/{run_id}").json()
    assert stopped["status"] == "cancelled" and stopped["plan"] is not None
    assert_not_fallback(stopped["plan"])
    assert validate_plan(load_scenario(planning_document(tiny_board)),
                         load_plan(stopped["plan"])).valid


def test_api_access_rules(
    client: TestClient, tiny_board: Session, planner: User, login: Login,
    make_user: Callable[..., User],
) -> None:
    assert client.get("/api/v1/plans").status_code == 401
    liaison = login(client, make_user(tiny_board, Role.liaison, agency="TH-RTP"))
    assert liaison.post("/api/v1/solver-runs", json={"time_limit": 2}).status_code == 403
    assert liaison.get("/api/v1/plans").status_code == 403
    assert liaison.get("/api/v1/taskings").json() == []
    api = login(client, planner)
    assert api.get("/api/v1/solver-runs/424242").status_code == 404
    assert api.get("/api/v1/plans/424242").status_code == 404
    assert api.post("/api/v1/solver-runs", json={"time_limit": 0}).status_code == 422
    schema = client.app.openapi()
    assert "/api/v1/solver-runs/{run_id}" in schema["paths"]
    assert "/api/v1/plans/published/export" in schema["paths"]
