"""Editing a cohort: count, holding site, release date and vulnerable flag, with a
version check, never below the persons already scheduled or handed over."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.campaigns.service import InvalidInput
from app.errors import Conflict, Forbidden, NotFound
from app.models import AuditEvent, BatchState, Role
from app.repatriation import queries, service

from .conftest import Published, Scene

pytestmark = pytest.mark.db

EDIT = {"count": "35", "site_region_id": "TH-MSI", "release_on": "2026-12-04",
        "vulnerable": True}


def test_a_cohort_is_edited_with_a_version_check(session: Session, scene: Scene) -> None:
    cohort, planner = scene.mm, scene.user("TH-RTP")
    service.update_cohort(session, cohort=cohort, data=EDIT, version=1, actor=planner)
    session.refresh(cohort)
    assert (cohort.count, cohort.site_region_id, cohort.release_on, cohort.vulnerable,
            cohort.version) == (35, "TH-MSI", date(2026, 12, 4), True, 2)
    assert (cohort.nationality_code, cohort.holding_agency_id) == ("MM", "TH-RTP")
    audit = session.exec(select(AuditEvent).where(AuditEvent.object_type == "cohort",
                                                  AuditEvent.action == "edit")).one()
    assert audit.details["count"] == 35
    with pytest.raises(Conflict, match="changed by someone else"):
        service.update_cohort(session, cohort=cohort, data={**EDIT, "count": "40"},
                              version=1, actor=planner)
    with pytest.raises(InvalidInput) as bad:
        service.update_cohort(session, cohort=cohort, data={**EDIT, "site_region_id": "MM-TAC",
                                                            "release_on": "soon"},
                              version=2, actor=planner)
    assert set(bad.value.errors) == {"site_region_id", "release_on"}


def test_the_count_cannot_drop_below_scheduled_and_handed_over(
        session: Session, scene: Scene, published: Published) -> None:
    published.mm_batch.state = BatchState.handed_over  # 20 of the 30 handed over
    session.add(published.mm_batch)
    session.flush()
    planner = scene.user("TH-RTP")
    with pytest.raises(InvalidInput) as bad:
        service.update_cohort(session, cohort=scene.mm, data={**EDIT, "count": "19"},
                              version=1, actor=planner)
    assert bad.value.errors == {"count": (
        "at least 20: 0 persons are scheduled and 20 handed over already (re-plan or "
        "cancel those first)")}
    with pytest.raises(InvalidInput) as scheduled:
        service.update_cohort(session, cohort=scene.la, data={**EDIT, "count": "11"},
                              version=1, actor=planner)
    assert scheduled.value.errors["count"].startswith("at least 12: 12 persons are scheduled")
    service.update_cohort(session, cohort=scene.mm, data={**EDIT, "count": "20"}, version=1,
                          actor=planner)
    session.refresh(scene.mm)
    assert scene.mm.count == 20


def test_only_the_holding_agency_and_the_centre_edit(session: Session, scene: Scene) -> None:
    for outsider in (scene.user("MM-MPF"), scene.user("TH-RTP", Role.liaison)):
        with pytest.raises(Forbidden):
            service.update_cohort(session, cohort=scene.mm, data=EDIT, version=1,
                                  actor=outsider)
    with pytest.raises(NotFound):  # Laos may not know of Myanmar's nationals at all
        queries.get_visible_cohort(session, user=scene.user("LA-MPS"),
                                   cohort_id=scene.mm.id or 0)
    service.update_cohort(session, cohort=scene.mm, data=EDIT, version=1,
                          actor=scene.user("", Role.coordinator))


def test_the_edit_form_keeps_input_names_errors_and_says_why_it_refuses(
        session: Session, scene: Scene, published: Published, client: TestClient,
        login: Any) -> None:
    session.commit()
    url = f"/repatriation/cohorts/{scene.mm.id}/edit"
    thai = login(client, scene.user("TH-RTP"))
    assert f'href="{url}"' in thai.get("/repatriation").text
    form = thai.get(url)
    assert form.status_code == 200 and 'value="30"' in form.text and "Save cohort" in form.text
    low = thai.post(url, data={"version": "1", "count": "5", "site_region_id": "TH-CRI",
                               "release_on": "2026-12-02"})
    assert low.status_code == 422 and 'id="err-count"' in low.text
    assert "at least 20: 20 persons are scheduled" in low.text and 'value="5"' in low.text
    saved = thai.post(url, data={"version": "1", "count": "31", "site_region_id": "TH-CRI",
                                 "release_on": "2026-12-02"}, follow_redirects=False)
    assert saved.status_code == 303
    stale = thai.post(url, data={"version": "1", "count": "32", "site_region_id": "TH-CRI",
                                 "release_on": "2026-12-02"})
    assert stale.status_code == 409 and "changed by someone else" in stale.text
    assert 'value="32"' in stale.text
    myanmar = login(client, scene.user("MM-MPF"))
    assert myanmar.get(url).status_code == 403
    assert login(client, scene.user("LA-MPS")).get(url).status_code == 404


def test_a_cohort_is_edited_through_the_api(session: Session, scene: Scene,
                                            published: Published, client: TestClient,
                                            login: Any) -> None:
    session.commit()
    url = f"/api/v1/repatriation/cohorts/{scene.la.id}"
    thai = login(client, scene.user("TH-RTP"))
    assert thai.post(url, json={"count": 20}).status_code == 422  # no version
    low = thai.post(url, json={"version": 1, "count": 3})
    assert low.status_code == 422
    assert [e["path"] for e in low.json()["errors"]] == ["count"]
    done = thai.post(url, json={"version": 1, "count": 20, "vulnerable": False})
    assert done.status_code == 200
    assert (done.json()["count"], done.json()["vulnerable"], done.json()["version"],
            done.json()["waiting"]) == (20, False, 2, 8)
    assert thai.post(url, json={"version": 1, "count": 21}).status_code == 409
    assert login(client, scene.user("MM-MPF")).post(
        url, json={"version": 2, "count": 21}).status_code == 404
