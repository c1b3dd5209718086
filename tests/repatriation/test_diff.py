"""The run review's diff: what publishing would change against the published plan."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import (
    BatchState,
    RepatriationPlan,
    Role,
    RunKind,
    RunStatus,
    SolverRun,
)
from app.repatriation.diff import plan_diff
from app.solver.repatriation.schema import PLAN_FORMAT

from .conftest import Published, Scene

pytestmark = pytest.mark.db


def _batch(cohort: Any, point: str, day: str, persons: int) -> dict[str, Any]:
    return {"cohort": f"C{cohort.id}", "point": f"P:{point}", "day": day, "time": "09:00",
            "persons": persons, "escort": "U-TH-E"}


def _candidate(session: Session, scene: Scene) -> RepatriationPlan:
    """A solved plan (written directly) that moves the Myanmar batch a day on, adds ten
    more Myanmar nationals and drops the Lao batch."""
    run = SolverRun(kind=RunKind.repatriation, status=RunStatus.succeeded,
                    params={"country": "TH", "days": 5, "time_limit": 2},
                    scenario={"horizon": {"start": "2026-12-03", "days": 5}})
    session.add(run)
    session.flush()
    trip = {"unit": "U-TH-E", "day": "2026-12-04", "site": "TH-CRI", "point": "P:HP-MSI",
            "depart": "06:00", "handover": "09:00", "duty_minutes": 300,
            "route": ["TH-CRI", "P:HP-MSI", "TH-CRI"], "persons": 20}
    plan = RepatriationPlan(holding_country="TH", solver_run_id=run.id, document={
        "format": PLAN_FORMAT,
        "batches": [_batch(scene.mm, "HP-MSI", "2026-12-04", 20),
                    _batch(scene.mm, "HP-MSI", "2026-12-05", 10)],
        "taskings": [trip, {**trip, "day": "2026-12-05", "persons": 10}]})
    session.add(plan)
    session.flush()
    return plan


def test_the_diff_names_added_moved_and_dropped_batches_and_flags_soon_ones(
        session: Session, scene: Scene, published: Published) -> None:
    changes = plan_diff(session, plan=_candidate(session, scene))
    assert changes.start == date(2026, 12, 3)
    assert changes.published_id == published.mm_batch.plan_id
    assert changes.counts == {"added": 1, "moved": 1, "dropped": 1}
    rows = {(c.kind, c.point): c for c in changes.batches}
    moved = rows[("moved", "Mae Sai bridge")]
    assert moved.cohort.startswith(f"C{scene.mm.id}: 30 Myanmar nationals held by ")
    assert moved.before is not None and moved.after is not None
    assert (moved.before[0], moved.after[0]) == (date(2026, 12, 3), date(2026, 12, 4))
    # Published for 09:00 tomorrow in Bangkok, 23 hours after the scene's clock.
    assert moved.flags == ["due within 24 h"]
    added = rows[("added", "Mae Sai bridge")]
    assert (added.before, added.after, added.flags) == (
        None, (date(2026, 12, 5), "09:00", 10, "RTP-ESC (U-TH-E)"), [])
    dropped = rows[("dropped", "Chiang Khong bridge")]
    assert "12 Lao nationals" in dropped.cohort and "(vulnerable)" in dropped.cohort
    assert dropped.after is None and dropped.flags == ["due within 24 h"]
    assert changes.trip_counts == {"added": 2, "changed": 0, "dropped": 0}
    assert [t.unit for t in changes.trips] == ["RTP-ESC (U-TH-E)"] * 2


def test_an_unchanged_plan_shows_no_change_and_confirmed_ones_are_flagged(
        session: Session, scene: Scene, published: Published) -> None:
    plan = _candidate(session, scene)
    plan.document = {**plan.document, "batches": [
        _batch(scene.mm, "HP-MSI", "2026-12-03", 20), _batch(scene.la, "HP-CKG",
                                                             "2026-12-03", 12)],
        "taskings": []}
    session.add(plan)
    published.la_batch.state = BatchState.handed_over
    session.add(published.la_batch)
    session.flush()
    changes = plan_diff(session, plan=plan)
    # The Lao batch is confirmed: publishing leaves it, so the plan's copy is "added"
    # against nothing scheduled, and the confirmed one is listed and flagged.
    assert changes.counts == {"added": 1, "moved": 0, "dropped": 0}
    assert [c.flags for c in changes.confirmed] == [["already confirmed: stays handed over"]]
    assert not changes.trips


def test_the_run_review_shows_the_diff_before_publishing(
        session: Session, scene: Scene, published: Published, client: TestClient,
        login: Any) -> None:
    plan = _candidate(session, scene)
    session.commit()
    page = login(client, scene.user("", Role.coordinator)).get(
        f"/repatriation/runs/{plan.solver_run_id}")
    assert page.status_code == 200
    assert 'id="plan-diff"' in page.text
    assert "1 added, 1 moved, 1 dropped" in page.text
    assert "escort trips 2 added, 0 changed, 0 dropped" in page.text
    assert page.text.count("due within 24 h") == 2
    assert page.text.index('id="plan-diff"') < page.text.index('id="publish-form"')
    # Another country's planner has no such run at all.
    assert login(client, scene.user("MM-MPF")).get(
        f"/repatriation/runs/{plan.solver_run_id}").status_code == 404


def test_the_diff_through_the_api(session: Session, scene: Scene, published: Published,
                                  client: TestClient, login: Any) -> None:
    plan = _candidate(session, scene)
    session.commit()
    url = f"/api/v1/repatriation/plans/{plan.id}/diff"
    answer = login(client, scene.user("TH-RTP")).get(url)
    assert answer.status_code == 200
    body = answer.json()
    assert (body["start"], body["counts"]) == ("2026-12-03",
                                               {"added": 1, "moved": 1, "dropped": 1})
    moved = next(b for b in body["batches"] if b["change"] == "moved")
    assert (moved["point"], moved["before"]["day"], moved["after"]["day"], moved["flags"]) == (
        "Mae Sai bridge", "2026-12-03", "2026-12-04", ["due within 24 h"])
    assert login(client, scene.user("MM-MPF")).get(url).status_code == 404
