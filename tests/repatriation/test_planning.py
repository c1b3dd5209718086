"""Planning hand-overs from the database: input, background run, publish, confirm."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlmodel import Session, select

from app.errors import Conflict, Forbidden, NotFound
from app.models import (
    AuditEvent,
    BatchState,
    EscortTrip,
    HandoverBatch,
    RepatriationPlan,
    Role,
    RunKind,
    RunStatus,
)
from app.planning import service as raid_runs
from app.planning.worker import run_job
from app.repatriation import planning
from app.solver.repatriation.load import load_problem

from .conftest import Scene

pytestmark = pytest.mark.db


def _solved(session: Session, scene: Scene) -> RepatriationPlan:
    run = planning.start_run(session, user=scene.user("", Role.coordinator), country="TH",
                             days=5, time_limit=2)
    session.commit()
    assert run_job(int(run.id or 0), session=session) == RunStatus.succeeded
    plan = planning.plan_of_run(session, run)
    assert plan is not None
    return plan


def test_the_problem_is_built_from_the_database_and_loads(session: Session, scene: Scene
                                                        ) -> None:
    document, basis = planning.build_problem(session, country="TH", days=5)
    problem = load_problem(document)  # the solver's own loader accepts it
    assert problem.horizon.start == date(2026, 12, 3)  # tomorrow in Bangkok
    assert {c.nationality: c.count for c in problem.cohorts} == {"MM": 30, "LA": 12}
    assert {p.id: [a.country for a in p.agencies] for p in problem.points} == {
        "P:HP-CKG": ["LA"], "P:HP-MSI": ["MM"]}
    assert [(u.id, u.persons_per_trip) for u in problem.escorts] == [("U-TH-E", 20)]
    assert basis == {str(scene.mm.id): [1, 0], str(scene.la.id): [1, 0], "pins": []}


def test_a_run_is_solved_by_the_worker_and_published_as_batches(session: Session,
                                                                scene: Scene) -> None:
    plan = _solved(session, scene)
    assert plan.document["left"] == []
    planning.publish(session, plan=plan, actor=scene.user("", Role.coordinator))
    batches = session.exec(select(HandoverBatch)).all()
    assert sum(b.persons for b in batches if b.cohort_id == scene.mm.id) == 30
    assert sum(b.persons for b in batches if b.cohort_id == scene.la.id) == 12
    assert {b.point_id for b in batches if b.cohort_id == scene.mm.id} == {"HP-MSI"}
    assert all(b.state == BatchState.scheduled for b in batches)
    assert session.exec(select(EscortTrip)).all()
    # The hand-over runs stay out of the raid planner's lists and lookups.
    assert all(r.kind == RunKind.raid for r in raid_runs.list_runs(session))
    with pytest.raises(NotFound):
        raid_runs.get_run(session, run_id=plan.solver_run_id or 0)


def test_only_the_coordination_centre_publishes(session: Session, scene: Scene) -> None:
    plan = _solved(session, scene)
    with pytest.raises(Forbidden):
        planning.publish(session, plan=plan, actor=scene.user("TH-RTP"))


def test_the_receiving_agency_confirms_its_own_nationals_only(session: Session,
                                                              scene: Scene,
                                                              set_clock: Any) -> None:
    planning.publish(session, plan=_solved(session, scene), actor=scene.user("", Role.admin))
    batch = session.exec(select(HandoverBatch).where(
        HandoverBatch.cohort_id == scene.mm.id).order_by(HandoverBatch.at)).first()
    assert batch is not None
    with pytest.raises(Conflict, match=f"due on {batch.day}.*from that day on"):
        planning.confirm(session, batch=batch, version=1, actor=scene.user("MM-MPF"))
    set_clock(batch.at)  # its day has come
    for outsider in (scene.user("LA-MPS"), scene.user("TH-RTP"), scene.user("", Role.admin),
                     scene.user("MM-MPF", Role.unit_officer)):
        with pytest.raises(Forbidden):
            planning.confirm(session, batch=batch, version=batch.version, actor=outsider)
    with pytest.raises(Conflict):  # a stale version
        planning.confirm(session, batch=batch, version=batch.version + 1,
                         actor=scene.user("MM-MPF", Role.liaison))
    planning.confirm(session, batch=batch, version=1, actor=scene.user("MM-MPF", Role.liaison))
    session.refresh(batch)
    assert batch.state == BatchState.handed_over and batch.version == 2
    assert session.exec(select(AuditEvent).where(AuditEvent.object_type == "handover_batch",
                                                 AuditEvent.action == "confirm")).one()
    with pytest.raises(Conflict):
        planning.confirm(session, batch=batch, version=2, actor=scene.user("MM-MPF"))


def test_a_plan_made_before_a_confirmation_cannot_be_published(session: Session,
                                                               scene: Scene) -> None:
    coordinator = scene.user("", Role.coordinator)
    planning.publish(session, plan=_solved(session, scene), actor=coordinator)
    stale = _solved(session, scene)
    batch = session.exec(select(HandoverBatch).where(
        HandoverBatch.cohort_id == scene.mm.id).order_by(HandoverBatch.day)).first()
    assert batch is not None
    # Confirmed early (before the new plan's first day would start is irrelevant: the
    # plan was made on the old count), so the stale plan would count them twice.
    batch.day = date(2026, 12, 2)
    session.add(batch)
    session.flush()
    planning.confirm(session, batch=batch, version=batch.version,
                     actor=scene.user("MM-MPF"))
    with pytest.raises(Conflict, match="plan again"):
        planning.publish(session, plan=stale, actor=coordinator)


def test_republishing_replaces_the_scheduled_batches(session: Session, scene: Scene) -> None:
    coordinator = scene.user("", Role.coordinator)
    first = planning.publish(session, plan=_solved(session, scene), actor=coordinator)
    second = planning.publish(session, plan=_solved(session, scene), actor=coordinator)
    session.refresh(first)
    assert not first.is_published and second.is_published
    live = session.exec(select(HandoverBatch).where(
        HandoverBatch.state == BatchState.scheduled)).all()
    assert {b.plan_id for b in live} == {second.id}
    assert sum(b.persons for b in live) == 42


def test_planners_plan_their_own_country_only(session: Session, scene: Scene) -> None:
    with pytest.raises(Forbidden):
        planning.start_run(session, user=scene.user("MM-MPF"), country="TH")
    with pytest.raises(Forbidden):
        planning.start_run(session, user=scene.user("TH-RTP", Role.liaison), country="TH")
    run = planning.start_run(session, user=scene.user("TH-RTP"), country="TH", time_limit=1)
    with pytest.raises(NotFound):
        planning.get_run(session, user=scene.user("MM-MPF"), run_id=run.id or 0)
