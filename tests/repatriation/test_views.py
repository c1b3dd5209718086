"""The repatriation pages: forms keep input and name errors, one click from a report,
points with version checks, Plan hand-overs on the worker, publish, the board and chart."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.service import set_language
from app.campaigns import reports
from app.models import (
    AuditEvent,
    BatchState,
    Cohort,
    CohortSource,
    HandoverBatch,
    HandoverPoint,
    OperationState,
    Role,
    RunStatus,
    SolverRun,
)
from app.planning.worker import run_job

from .conftest import DUE, Published, Scene

pytestmark = pytest.mark.db


def _confirmed_report(session: Session, scene: Scene, make_operation: Any) -> Any:
    """A completed Thai raid at Chiang Rai whose report counts 7 CN and 5 MM detained."""
    operation = make_operation(session, "TH-RTP", {"TH-CRI": {"tactical": 1}},
                               state=OperationState.completed)
    liaison = scene.user("TH-RTP", Role.liaison)
    data = reports.validate(session, operation=operation, data={"parts": {"TH": {
        "detained": {"CN": 7, "MM": 5}}}})
    report = reports.save(session, operation=operation, data=data, version=0, actor=liaison)
    reports.submit(session, operation=operation, version=report.version, actor=liaison)
    session.refresh(report)
    reports.confirm(session, operation=operation, country="TH", version=report.version,
                    actor=liaison)
    session.flush()
    return operation


def test_a_cohort_form_with_errors_keeps_the_input_and_names_each_field(
        client: TestClient, login: Any, scene: Scene) -> None:
    planner = login(client, scene.user("TH-RTP"))
    bad = planner.post("/repatriation/cohorts/new", data={
        "nationality_code": "MM", "count": "0", "holding_agency_id": "MM-MPF",
        "site_region_id": "TH-CRI", "release_on": "next week"})
    assert bad.status_code == 422
    assert 'id="err-count"' in bad.text and 'id="err-release_on"' in bad.text
    assert "choose your own agency" in bad.text  # a planner records for its own agency
    assert 'value="next week"' in bad.text
    good = planner.post("/repatriation/cohorts/new", data={
        "nationality_code": "KH", "count": "9", "holding_agency_id": "TH-RTP",
        "site_region_id": "TH-MSI", "release_on": "2026-12-05", "vulnerable": "on"},
        follow_redirects=False)
    assert good.status_code == 303


def test_one_click_makes_a_cohort_per_nationality_from_a_confirmed_report(
        client: TestClient, login: Any, session: Session, scene: Scene,
        make_operation: Any) -> None:
    operation = _confirmed_report(session, scene, make_operation)
    planner = login(client, scene.user("TH-RTP"))
    page = planner.get(f"/operations/{operation.id}/report")
    assert "Make a cohort per nationality" in page.text
    made = planner.post(f"/operations/{operation.id}/report/cohorts", follow_redirects=False)
    assert made.status_code == 303
    cohorts = session.exec(select(Cohort).where(Cohort.source == CohortSource.report)).all()
    assert sorted((c.nationality_code, c.count, c.site_region_id) for c in cohorts) == [
        ("CN", 7, "TH-CRI"), ("MM", 5, "TH-CRI")]
    assert "Make a cohort per nationality" not in planner.get(
        f"/operations/{operation.id}/report").text
    assert planner.post(f"/operations/{operation.id}/report/cohorts").status_code == 409
    # Myanmar hosted nothing here: no button, and the click is refused.
    mm = login(client, scene.user("MM-MPF"))
    assert mm.post(f"/operations/{operation.id}/report/cohorts").status_code == 404


def test_points_are_created_and_edited_with_a_version_check(
        client: TestClient, login: Any, session: Session, scene: Scene) -> None:
    admin = login(client, scene.user("", Role.admin))
    form = {"id": "HP-CEI", "name": "Chiang Rai airport", "kind": "airport",
            "region_id": "TH-CRI", "crossing_id": "", "capacity": "100",
            "screening_from": "09:00", "screening_to": "08:00", "handover_minutes": "30",
            "agencies": ["MM-MPF", "LA-MPS"]}
    bad = admin.post("/repatriation/points/new", data=form)
    assert bad.status_code == 422 and "screening must end after it starts" in bad.text
    assert 'value="Chiang Rai airport"' in bad.text
    form["screening_to"] = "18:00"
    assert admin.post("/repatriation/points/new", data=form,
                      follow_redirects=False).status_code == 303
    point = session.get(HandoverPoint, "HP-CEI")
    assert point is not None and point.version == 1
    edit = {**form, "capacity": "120", "version": "1"}
    assert admin.post("/repatriation/points/HP-CEI/edit", data=edit,
                      follow_redirects=False).status_code == 303
    stale = admin.post("/repatriation/points/HP-CEI/edit", data={**edit, "capacity": "90"})
    assert stale.status_code == 409 and "changed by someone else" in stale.text
    session.refresh(point)
    assert point.capacity == 120
    wrong_side = {**form, "id": "HP-X", "kind": "crossing", "crossing_id": "X-CKG-HXY"}
    refused = admin.post("/repatriation/points/new", data=wrong_side)
    assert refused.status_code == 422 and "does not touch the chosen region" in refused.text
    escort = admin.post("/repatriation/escorts/U-TH-E", data={"persons_per_trip": "0"})
    assert escort.status_code == 422 and "between 1 and 500" in escort.text


def test_plan_hand_overs_runs_on_the_worker_and_the_coordinator_publishes(
        client: TestClient, login: Any, session: Session, scene: Scene) -> None:
    planner = login(client, scene.user("TH-RTP"))
    refused = planner.post("/repatriation/plan", data={"country": "TH", "days": "90",
                                                       "time_limit": "2"})
    assert refused.status_code == 422 and 'id="plan-error"' in refused.text
    assert "between 1 and 60 days" in refused.text and 'value="90"' in refused.text
    assert planner.post("/repatriation/plan", data={"country": "MM"}).status_code == 403
    started = planner.post("/repatriation/plan", data={"country": "TH", "days": "5",
                                                       "time_limit": "2"},
                           follow_redirects=False)
    assert started.status_code == 303
    run = session.exec(select(SolverRun)).one()
    queued = planner.get(f"/repatriation/runs/{run.id}")
    assert "queued" in queued.text and "every 1s" in queued.text  # polled while active
    assert run_job(int(run.id or 0), session=session) == RunStatus.succeeded
    done = planner.get(f"/repatriation/runs/{run.id}", headers={"HX-Request": "true"})
    assert done.text.lstrip().startswith('<div id="run"')  # the fragment only
    assert "every 1s" not in done.text and "publishes hand-over plans" in done.text
    coordinator = login(client, scene.user("", Role.coordinator))
    page = coordinator.get(f"/repatriation/runs/{run.id}")
    assert "Publish this plan" in page.text
    trips = page.text.split('id="escort-trips"')[1].split("</table>")[0]
    assert "U-TH-E" in trips and "TH-CRI → HP-MSI → TH-CRI" in trips
    plan_id = page.text.split("/repatriation/plans/")[1].split("/")[0]
    assert coordinator.post(f"/repatriation/plans/{plan_id}/publish",
                            follow_redirects=False).status_code == 303
    assert session.exec(select(AuditEvent).where(
        AuditEvent.action == "repatriation_plan.publish")).one()
    board = login(client, scene.user("MM-MPF", Role.liaison)).get("/repatriation/countries/MM")
    batches = session.exec(select(HandoverBatch).where(
        HandoverBatch.cohort_id == scene.mm.id)).all()
    assert batches and all(f'id="batch-{b.id}"' in board.text for b in batches)
    # None is due yet (the plan starts tomorrow): each says from when it may be confirmed.
    assert "Confirm hand-over" not in board.text
    assert board.text.count('id="confirm-from-') == len(batches)
    assert "<svg" in board.text and "Backlog of Myanmar nationals" in board.text


def test_the_board_shows_waiting_scheduled_and_handed_over(
        client: TestClient, login: Any, session: Session, scene: Scene,
        published: Published, set_clock: Any) -> None:
    set_clock(DUE)
    liaison = login(client, scene.user("MM-MPF", Role.liaison))
    batch = published.mm_batch
    liaison.post(f"/repatriation/batches/{batch.id}/confirm", data={"version": "1"})
    session.refresh(batch)
    assert batch.state == BatchState.handed_over
    thai = login(client, scene.user("TH-RTP"))
    page = thai.get("/repatriation/countries/MM")
    waiting = page.text.split('id="wait-h"')[1].split('id="sched-h"')[0]
    handed = page.text.split('id="done-h"')[1]
    assert f'id="batch-{batch.id}"' in handed
    # 30 persons: 20 handed over, 10 waiting (not scheduled yet).
    counts = "".join(f'<td class="num">{n}</td>' for n in (30, 10, 0, 20))
    assert counts in waiting
    assert "Confirm hand-over" not in page.text  # Thailand holds them, it does not receive


def test_a_lao_liaison_reads_the_hand_over_board_in_lao(
        client: TestClient, session: Session, scene: Scene, published: Published,
        set_clock: Any, test_password: str) -> None:
    """Issue 11: the language saved with the user is the board's after sign-in. The
    page's own words are Lao; names and codes from the register stay as recorded."""
    set_clock(DUE)
    liaison = scene.user("LA-MPS", Role.liaison)
    set_language(session, user=liaison, code="lo")
    session.flush()
    client.get("/login")  # the sign-in form sets the CSRF cookie its post must echo
    signed_in = client.post("/login", follow_redirects=False, data={
        "username": liaison.username, "password": test_password,
        "csrf_token": client.cookies.get("jointops_csrf")})
    assert signed_in.status_code == 303
    page = client.get("/repatriation/countries/LA")
    assert page.status_code == 200 and '<html lang="lo">' in page.text
    assert "<h1>ການສົ່ງມອບໃຫ້ Lao (LA)</h1>" in page.text
    # Waiting, Scheduled, Handed over, hand-over point, vulnerable, Confirm hand-over.
    for lao in ("ລໍຖ້າຢູ່", "ຈັດຕາຕະລາງແລ້ວ", "ສົ່ງມອບແລ້ວ", "ຈຸດສົ່ງມອບ", "ກຸ່ມສ່ຽງ",
                "ຢືນຢັນການສົ່ງມອບ"):
        assert lao in page.text, lao
    for english in ("Hand-overs to", ">Waiting<", "<th>Cohort</th>", "Confirm hand-over",
                    "Backlog over time"):
        assert english not in page.text, english
    assert "Chiang Khong bridge" in page.text
    assert f'id="batch-{published.la_batch.id}"' in page.text
