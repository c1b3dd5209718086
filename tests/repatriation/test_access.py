"""Need-to-know on the repatriation pages and API, over three agencies and every role.

Thailand holds Myanmar and Lao nationals. Myanmar's people see Myanmar's nationals only,
Laos' people Laos' only, Thailand's everything it holds; unit officers use none of it;
administrators and the coordination centre see everything.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import Role

from .conftest import AGENCIES, DUE, Published, Scene

pytestmark = pytest.mark.db

# What each agency may know of: the nationalities whose cohorts and batches it sees.
SEES = {"TH-RTP": {"MM", "LA"}, "MM-MPF": {"MM"}, "LA-MPS": {"LA"}, "": {"MM", "LA"}}


def _everyone(scene: Scene) -> list[tuple[str, Role]]:
    return [(a, r) for a in AGENCIES for r in (Role.planner, Role.liaison, Role.unit_officer)
            ] + [("", Role.admin), ("", Role.coordinator)]


@pytest.fixture
def clients(client: TestClient, login: Any, scene: Scene, published: Published
            ) -> dict[tuple[str, Role], TestClient]:
    return {key: login(client, user) for key, user in scene.users.items()}


def test_cohort_lists_show_only_what_each_agency_may_know(
        clients: dict[tuple[str, Role], TestClient], scene: Scene) -> None:
    for key in _everyone(scene):
        agency, role = key
        page = clients[key].get("/repatriation")
        api = clients[key].get("/api/v1/repatriation/cohorts")
        batches = clients[key].get("/api/v1/repatriation/batches")
        if role == Role.unit_officer:
            assert (page.status_code, api.status_code, batches.status_code) == (403, 403, 403)
            continue
        assert page.status_code == api.status_code == batches.status_code == 200, key
        assert {c["nationality"] for c in api.json()} == SEES[agency], key
        assert {b["nationality"] for b in batches.json()} == SEES[agency], key
        for cohort, code in ((scene.mm, "MM"), (scene.la, "LA")):
            assert (f'id="cohort-{cohort.id}"' in page.text) == (code in SEES[agency]), key


@pytest.mark.parametrize("country", ["MM", "LA"])
def test_a_country_board_is_404_to_those_with_no_need_to_know(
        clients: dict[tuple[str, Role], TestClient], scene: Scene, published: Published,
        country: str) -> None:
    batch = published.mm_batch if country == "MM" else published.la_batch
    for key in _everyone(scene):
        agency, role = key
        page = clients[key].get(f"/repatriation/countries/{country}")
        if role == Role.unit_officer:
            assert page.status_code == 403, key
        elif country in SEES[agency]:
            assert page.status_code == 200, key
            assert f'id="batch-{batch.id}"' in page.text
        else:
            assert page.status_code == 404, key
            assert f"batch-{batch.id}" not in page.text


def test_only_the_receiving_agency_confirms_and_others_cannot_tell_the_batch_exists(
        clients: dict[tuple[str, Role], TestClient], session: Session, scene: Scene,
        published: Published, set_clock: Any, client: TestClient, login: Any) -> None:
    batch = published.mm_batch
    url = f"/repatriation/batches/{batch.id}/confirm"
    api = f"/api/v1/repatriation/batches/{batch.id}/confirm"
    missing = "/repatriation/batches/999999/confirm"
    for key in _everyone(scene):
        agency, role = key
        if agency == "MM-MPF" and role in (Role.planner, Role.liaison):
            continue
        c = clients[key]
        hidden = c.post(url, data={"version": "1"}, follow_redirects=False)
        hidden_api = c.post(api, json={"version": 1})
        if role == Role.unit_officer:
            assert hidden.status_code == hidden_api.status_code == 403, key
        elif "MM" not in SEES[agency]:  # Laos: the same 404 as for a batch that is not there
            assert hidden.status_code == hidden_api.status_code == 404, key
            assert c.post(missing, data={"version": "1"}).status_code == 404
        else:  # Thailand, admins, the coordination centre: they see it, it is not theirs
            assert hidden.status_code == hidden_api.status_code == 403, key
    session.refresh(batch)
    assert batch.state.value == "scheduled"
    early = clients[("MM-MPF", Role.liaison)].post(api, json={"version": 1})
    assert early.status_code == 409 and "due on 2026-12-03" in early.text
    set_clock(DUE)  # the hand-over's day; signed in again (the sessions went idle)
    liaison = login(client, scene.user("MM-MPF", Role.liaison))
    stale = liaison.post(api, json={"version": 7})
    assert stale.status_code == 409
    done = liaison.post(url, data={"version": "1"}, follow_redirects=False)
    assert done.status_code == 303
    session.refresh(batch)
    assert batch.state.value == "handed_over"
    again = login(client, scene.user("MM-MPF")).post(api, json={"version": batch.version})
    assert again.status_code == 409


def test_hand_over_points_are_for_administrators(
        clients: dict[tuple[str, Role], TestClient], scene: Scene) -> None:
    for key in _everyone(scene):
        page = clients[key].get("/repatriation/points")
        assert page.status_code == (200 if key[1] == Role.admin else 403), key
