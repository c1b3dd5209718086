"""The repatriation JSON API: cohorts, a run to a published plan, batches, confirmation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import Role, RunStatus
from app.planning.worker import run_job

from .conftest import Scene

pytestmark = pytest.mark.db


def test_a_cohort_has_no_place_for_names(client: TestClient, login: Any, scene: Scene) -> None:
    planner = login(client, scene.user("TH-RTP"))
    body = {"nationality_code": "VN", "count": 4, "holding_agency_id": "TH-RTP",
            "site_region_id": "TH-CRI", "release_on": "2026-12-04"}
    refused = planner.post("/api/v1/repatriation/cohorts", json={**body, "names": ["A. B."]})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"path": "names", "message": (
        "not a field of a cohort (cohorts are counts, never lists of people)")}]
    made = planner.post("/api/v1/repatriation/cohorts", json=body)
    assert made.status_code == 201
    assert made.json()["waiting"] == 4 and "names" not in made.json()
    bad = planner.post("/api/v1/repatriation/cohorts", json={**body, "count": -1,
                                                                "site_region_id": "MM-TAC"})
    assert {e["path"] for e in bad.json()["errors"]} == {"count", "site_region_id"}


def test_plan_publish_and_confirm_through_the_api(client: TestClient, login: Any,
                                                  session: Session, scene: Scene,
                                                  set_clock: Any) -> None:
    coordinator = login(client, scene.user("", Role.coordinator))
    assert coordinator.post("/api/v1/repatriation/runs",
                            json={"country": "TH", "days": "many"}).status_code == 422
    started = coordinator.post("/api/v1/repatriation/runs",
                               json={"country": "TH", "days": 5, "time_limit": 2})
    assert started.status_code == 202 and started.json()["status"] == "queued"
    run_id = started.json()["id"]
    assert run_job(run_id, session=session) == RunStatus.succeeded
    run = coordinator.get(f"/api/v1/repatriation/runs/{run_id}").json()
    assert run["status"] == "succeeded" and run["plan"]["document"]["left"] == []
    assert login(client, scene.user("MM-MPF")).get(
        f"/api/v1/repatriation/runs/{run_id}").status_code == 404
    plan_id = run["plan"]["id"]
    published = coordinator.post(f"/api/v1/repatriation/plans/{plan_id}/publish")
    assert published.status_code == 200 and published.json()["is_published"]
    assert coordinator.post(f"/api/v1/repatriation/plans/{plan_id}/publish").status_code == 409
    lao = login(client, scene.user("LA-MPS", Role.liaison))
    batches = lao.get("/api/v1/repatriation/batches").json()
    assert batches and {b["nationality"] for b in batches} == {"LA"}
    assert sum(b["persons"] for b in batches) == 12
    first = batches[0]
    set_clock(datetime.fromisoformat(first["at"]))  # the hand-over's hour has come
    lao = login(client, scene.user("LA-MPS", Role.liaison))  # the old session went idle
    confirmed = lao.post(f"/api/v1/repatriation/batches/{first['id']}/confirm",
                         json={"version": first["version"]})
    assert confirmed.status_code == 200 and confirmed.json()["state"] == "handed_over"
    cohorts = lao.get("/api/v1/repatriation/cohorts").json()
    assert [c["handed_over"] for c in cohorts] == [first["persons"]]
