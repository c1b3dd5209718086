"""Finding 2 of issue 10: solver output names no operation the reader may not see.

A Thai TLP:RED raid (priority 9) takes the only unit with the capability a Lao-led
operation in Thailand needs at the same hours. The Lao planner learns that an operation
it may not see holds the unit, and nothing of that operation: not its id, priority,
unit, site or times, in the run, the plan, the run page, the published export, a
refused publish, the planning scenario or the run's progress.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import OperationState, Plan, Role, SolverRun, Tasking, Unit, User
from app.planning import service
from app.planning.publish import publish_plan
from app.planning.worker import run_job

Login = Callable[[TestClient, User], TestClient]
H_HOUR = datetime(2026, 12, 10, 3, 0, tzinfo=UTC)
# What of the red raid must not reach Laos.
SECRETS = ("OP-RED", "Red Tide", "priority 9", "U-TH-1")


@pytest.fixture
def clash(session: Session, world, make_operation, set_clock):  # type: ignore[no-untyped-def]
    set_clock(H_HOUR - timedelta(days=2))
    common = {"start": H_HOUR, "latest_end": H_HOUR + timedelta(hours=4),
              "duration_minutes": 240, "state": OperationState.approved}
    make_operation(session, "TH-RTP", {"TH-CRI": {"investigation": 1}}, op_id="OP-RED",
                   code_name="Red Tide", priority=9, tlp="RED", **common)
    make_operation(session, "LA-MPS", {"TH-CRI": {"investigation": 1}}, op_id="OP-LAO",
                   code_name="Lao Lantern", priority=2, **common)
    return session


def _solve(session: Session, user: User) -> SolverRun:
    # 4 s: room for the diagnosis of OP-B even on a loaded machine.
    run = service.start_run(session, user=user, time_limit=4, seed=1)
    session.commit()
    run_job(int(run.id or 0), session=session)
    session.refresh(run)
    return run


def published_then_unfit(session: Session, coordinator: User) -> Plan:
    """A solved plan published, then the red raid's unit taken off the board: the same
    plan, stored again, no longer fits (what a refused publish quotes)."""
    run = _solve(session, coordinator)
    plan = session.exec(select(Plan).where(Plan.solver_run_id == run.id)).one()
    publish_plan(session, plan=plan, user=coordinator)
    unit = session.get(Unit, "U-TH-1")
    assert unit is not None
    unit.availability = [{"start": "2026-12-01T00:00:00Z", "end": "2026-12-02T00:00:00Z"}]
    session.add(unit)
    again = Plan(document=copy.deepcopy(plan.document), solver_run_id=run.id)
    session.add(again)
    session.flush()
    return again


def _assert_secret_free(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{where}: {secret!r} leaks"


def test_reasons_name_a_hidden_blocker_only_as_an_operation_you_may_not_see(
    client: TestClient, clash: Session, make_user: Callable[..., User], login: Login,
) -> None:
    coordinator = make_user(clash, Role.coordinator)
    run = _solve(clash, coordinator)
    plan = clash.exec(select(Plan).where(Plan.solver_run_id == run.id)).one()
    assert [op["id"] for op in plan.document["operations"]] == ["OP-RED"]
    full = login(client, coordinator).get(f"/api/v1/solver-runs/{run.id}").json()
    (reason,) = full["plan"]["unscheduled"][0]["reasons"]
    assert "OP-RED (priority 9)" in reason and "U-TH-1 is busy with OP-RED" in reason
    assert "bound" in full["progress"] and "priority_bound" in full["plan"]["solver"]

    lao = login(client, make_user(clash, Role.planner, agency="LA-MPS"))
    seen = lao.get(f"/api/v1/solver-runs/{run.id}")
    _assert_secret_free(seen.text, "solver run")
    body = seen.json()
    assert body["plan"]["unscheduled"] == [{
        "id": "OP-LAO",
        "reasons": ["the units it needs are taken by an operation you may not see"]}]
    assert set(body["progress"]) <= {"elapsed", "solver_status"}
    assert "priority_bound" not in body["plan"]["solver"]
    for path in (f"/api/v1/plans/{plan.id}", f"/planning/runs/{run.id}"):
        page = lao.get(path)
        assert page.status_code == 200, path
        _assert_secret_free(page.text, path)
        assert "an operation you may not see" in page.text, path

    publish_plan(clash, plan=plan, user=coordinator)
    clash.flush()
    export = lao.get("/api/v1/plans/published/export")
    _assert_secret_free(export.text, "export")
    assert "an operation you may not see" in export.text
    assert "OP-RED (priority 9)" in login(client, coordinator).get(
        "/api/v1/plans/published/export").text


def test_a_refused_publish_and_the_scenario_tell_nothing_of_a_hidden_operation(
    client: TestClient, clash: Session, make_user: Callable[..., User], login: Login,
) -> None:
    coordinator = make_user(clash, Role.coordinator)
    again = published_then_unfit(clash, coordinator)
    lao = login(client, make_user(clash, Role.planner, agency="LA-MPS"))
    refused = lao.post(f"/api/v1/plans/{again.id}/publish")
    assert refused.status_code == 409
    _assert_secret_free(refused.text, "publish refusal")
    assert refused.json()["errors"] == [{
        "path": "", "message": "an operation you may not see no longer fits the board or "
                               "clashes with this plan"}]
    full = login(client, coordinator).post(f"/api/v1/plans/{again.id}/publish")
    assert full.status_code == 409 and "U-TH-1" in full.text

    # The red raid goes out: its unit's deployment is a gap in the unit's availability,
    # which only those who may see the raid read in the planning scenario.
    unit = clash.get(Unit, "U-TH-1")
    assert unit is not None
    unit.availability = None
    red = clash.exec(select(Tasking).where(Tasking.operation_id == "OP-RED")).one()
    from app.models import Operation

    raid = clash.get(Operation, "OP-RED")
    assert raid is not None
    raid.state = OperationState.executing
    clash.add_all([unit, raid])
    clash.flush()
    units = {u["id"]: u for u in lao.get("/api/v1/plans/published/scenario").json()["units"]}
    assert "available" not in units["U-TH-1"]
    coordinated = login(client, coordinator).get("/api/v1/plans/published/scenario").json()
    windows = {u["id"]: u.get("available") for u in coordinated["units"]}["U-TH-1"]
    assert windows and all(w["end"] <= red.depart.isoformat().replace("+00:00", "Z")
                           or w["start"] >= red.return_at.isoformat().replace("+00:00", "Z")
                           for w in windows)


def test_a_units_availability_cut_by_a_hidden_raid_is_not_quoted(
    client: TestClient, clash: Session, make_user: Callable[..., User], login: Login,
) -> None:
    """The red raid is already executing (outside the solve): its deployment is cut out
    of U-TH-1's availability in the run's scenario, and the Lao operation's reason would
    quote those windows, which tell when the hidden raid has the unit."""
    from app.models import Operation

    raid = clash.get(Operation, "OP-RED")
    assert raid is not None
    raid.state = OperationState.executing
    clash.add(raid)
    clash.add(Tasking(uid="red@jointops", operation_id="OP-RED", unit_id="U-TH-1",
                      site_id=raid.sites[0].id, capability="investigation", start=H_HOUR,
                      end=H_HOUR + timedelta(hours=4), depart=H_HOUR - timedelta(hours=1),
                      return_at=H_HOUR + timedelta(hours=5), updated_at=H_HOUR))
    clash.flush()
    coordinator = make_user(clash, Role.coordinator)
    run = _solve(clash, coordinator)
    full = login(client, coordinator).get(f"/api/v1/solver-runs/{run.id}").json()
    (reason,) = full["plan"]["unscheduled"][0]["reasons"]
    assert "U-TH-1 available 2026-12-10" in reason  # the coordinator reads it all
    plan = clash.exec(select(Plan).where(Plan.solver_run_id == run.id)).one()
    lao = login(client, make_user(clash, Role.planner, agency="LA-MPS"))
    body = lao.get(f"/api/v1/solver-runs/{run.id}").json()
    (shown,) = body["plan"]["unscheduled"][0]["reasons"]
    assert shown.startswith("site ") and shown.endswith(
        "a unit it needs is not available at the hours it needs (its time is partly "
        "taken by an operation you may not see)")
    for path in (f"/api/v1/solver-runs/{run.id}", f"/api/v1/plans/{plan.id}",
                 f"/planning/runs/{run.id}"):
        text = lao.get(path).text
        assert "U-TH-1 available" not in text and "02:00Z" not in text, path
