"""Pinning a published hand-over: the next solve keeps it, publishing carries the pin,
only the holding country's planners pin, and a pin no plan can keep is refused."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.errors import Conflict, Forbidden, NotFound
from app.models import BatchState, EscortCapacity, HandoverBatch, Role
from app.repatriation import planning, queries

from .conftest import Published, Scene
from .test_planning import _solved

pytestmark = pytest.mark.db


def _live(session: Session) -> list[HandoverBatch]:
    return list(session.exec(select(HandoverBatch).where(
        HandoverBatch.state == BatchState.scheduled).order_by(HandoverBatch.id)))


def test_a_pinned_batch_is_kept_by_the_next_solve_and_stays_pinned(session: Session,
                                                                   scene: Scene) -> None:
    coordinator = scene.user("", Role.coordinator)
    planning.publish(session, plan=_solved(session, scene), actor=coordinator)
    # The last Myanmar batch: the solver would rather move it earlier than keep it late.
    target = [b for b in _live(session) if b.cohort_id == scene.mm.id][-1]
    planning.set_pinned(session, batch=target, pinned=True, version=target.version,
                        actor=scene.user("TH-RTP"))
    session.refresh(target)
    assert target.pinned and target.version == 2
    document, basis = planning.build_problem(session, country="TH", days=5)
    assert document["pinned"] == [{
        "cohort": f"C{scene.mm.id}", "point": "P:HP-MSI", "day": target.day.isoformat(),
        "persons": target.persons, "escort": "U-TH-E"}]
    assert basis["pins"] == [target.id]
    plan = _solved(session, scene)
    kept = [b for b in plan.document["batches"] if b["cohort"] == f"C{scene.mm.id}"
            and b["day"] == target.day.isoformat() and b["escort"] == "U-TH-E"]
    assert sum(b["persons"] for b in kept) >= target.persons
    planning.publish(session, plan=plan, actor=coordinator)
    pinned = [b for b in _live(session) if b.pinned]
    assert [(b.cohort_id, b.point_id, b.day, b.plan_id) for b in pinned] == [
        (scene.mm.id, "HP-MSI", target.day, plan.id)]


def test_unpin_and_a_stale_version(session: Session, scene: Scene,
                                   published: Published) -> None:
    batch, planner = published.mm_batch, scene.user("TH-RTP")
    planning.set_pinned(session, batch=batch, pinned=True, version=1, actor=planner)
    with pytest.raises(Conflict, match="already pinned"):
        planning.set_pinned(session, batch=batch, pinned=True, version=2, actor=planner)
    with pytest.raises(Conflict, match="changed since you opened it"):
        planning.set_pinned(session, batch=batch, pinned=False, version=1, actor=planner)
    planning.set_pinned(session, batch=batch, pinned=False, version=2, actor=planner)
    session.refresh(batch)
    assert (batch.pinned, batch.version) == (False, 3)


def test_only_the_holding_country_pins_and_others_do_not_even_see_the_batch(
        session: Session, scene: Scene, published: Published) -> None:
    batch = published.mm_batch
    for receiving in (scene.user("MM-MPF"), scene.user("MM-MPF", Role.liaison),
                      scene.user("TH-RTP", Role.liaison)):
        with pytest.raises(Forbidden):
            planning.set_pinned(session, batch=batch, pinned=True, version=1, actor=receiving)
    # Laos may not know of Myanmar's nationals at all: a 404 before any pin rule.
    with pytest.raises(NotFound):
        queries.get_visible_batch(session, user=scene.user("LA-MPS"), batch_id=batch.id or 0)
    planning.set_pinned(session, batch=batch, pinned=True, version=1,
                        actor=scene.user("", Role.coordinator))


def test_a_plan_made_before_a_pin_cannot_be_published(session: Session, scene: Scene) -> None:
    coordinator = scene.user("", Role.coordinator)
    planning.publish(session, plan=_solved(session, scene), actor=coordinator)
    stale = _solved(session, scene)
    batch = _live(session)[0]
    planning.set_pinned(session, batch=batch, pinned=True, version=batch.version,
                        actor=scene.user("TH-RTP"))
    with pytest.raises(Conflict, match="pinned or unpinned since this plan was made"):
        planning.publish(session, plan=stale, actor=coordinator)


def test_a_pin_no_plan_can_keep_is_refused_in_words(session: Session, scene: Scene,
                                                    published: Published) -> None:
    planning.set_pinned(session, batch=published.mm_batch, pinned=True, version=1,
                        actor=scene.user("TH-RTP"))
    capacity = session.get(EscortCapacity, "U-TH-E")
    assert capacity is not None
    capacity.persons_per_trip = 5  # the pinned batch of 20 no longer fits a trip
    session.add(capacity)
    session.flush()
    with pytest.raises(Conflict, match="A pinned hand-over cannot be kept.*over its 5 a trip"):
        planning.start_run(session, user=scene.user("TH-RTP"), country="TH", time_limit=1)


def test_the_board_offers_pin_to_the_holding_country_only(
        session: Session, scene: Scene, published: Published, client: TestClient,
        login: Any) -> None:
    session.commit()
    batch = published.mm_batch
    thai = login(client, scene.user("TH-RTP"))
    page = thai.get("/repatriation/countries/MM")
    assert f'action="/repatriation/batches/{batch.id}/pin"' in page.text
    done = thai.post(f"/repatriation/batches/{batch.id}/pin",
                     data={"version": "1", "pinned": "1"}, follow_redirects=True)
    assert done.status_code == 200 and f'id="pinned-{batch.id}"' in done.text
    myanmar = login(client, scene.user("MM-MPF", Role.liaison))
    page = myanmar.get("/repatriation/countries/MM")
    assert f'id="pinned-{batch.id}"' in page.text  # they see it is pinned ...
    assert f'action="/repatriation/batches/{batch.id}/pin"' not in page.text  # ... no more
    refused = myanmar.post(f"/repatriation/batches/{batch.id}/pin",
                           data={"version": "2", "pinned": "0"})
    assert refused.status_code == 403
