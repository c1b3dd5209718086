"""Need-to-know on every campaign and report route, for agencies A, B, C and every role.

A (Thailand) and B (Laos) take part in the campaign, C (Myanmar) does not. The Thai-only
raid is none of Laos's business: its figures, name and id never reach B's pages, exports
or API answers. Routes are taken from the application, so a new one is covered too.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute

try:
    from fastapi.routing import iter_route_contexts
except ImportError:  # FastAPI before lazily included routers
    iter_route_contexts = None  # type: ignore[assignment]
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.main import create_app
from app.models import Role

from .story import Story, file_and_confirm

NEEDLES = ("OP-THONLY", "Quiet Heron")


def _served() -> list[tuple[Any, str]]:
    app = create_app()
    if iter_route_contexts is None:
        return [(r, getattr(r, "path", "")) for r in app.routes]
    return [(c.original_route, c.path) for c in iter_route_contexts(app.routes)]


def _routes() -> list[tuple[str, str]]:
    found = []
    for route, path in _served():
        if not isinstance(route, APIRoute):
            continue
        if path.startswith(("/campaigns", "/api/v1/campaigns", "/api/v1/nationalities")) or (
                "/report" in path or path.endswith("/phase")):
            found += [(method, path) for method in sorted(route.methods)]
    return found


ROUTES = _routes()


def test_the_campaign_routes_are_found() -> None:
    paths = {p for _, p in ROUTES}
    assert {"/campaigns", "/campaigns/{campaign_id}/dashboard", "/campaigns/{campaign_id}/review",
            "/campaigns/{campaign_id}/export.csv", "/api/v1/campaigns/{campaign_id}/figures",
            "/operations/{operation_id}/report", "/api/v1/operations/{operation_id}/phase",
            "/campaigns/{campaign_id}/capacity", "/campaigns/{campaign_id}/capacity.csv",
            "/campaigns/{campaign_id}/capacity/help", "/campaigns/{campaign_id}/offers",
            "/campaigns/{campaign_id}/offers/{offer_id}/{decision}",
            "/api/v1/campaigns/{campaign_id}/capacity", "/api/v1/campaigns/{campaign_id}/offers",
            "/api/v1/campaigns/{campaign_id}/offers/{offer_id}/decision",
            "/api/v1/campaigns/{campaign_id}/capacity/analyses",
            "/api/v1/campaigns/{campaign_id}/capacity/analyses/latest",
            } <= paths


@pytest.fixture
def clients(client: TestClient, story: Story, login: Any, session: Session
            ) -> dict[tuple[str, Role], TestClient]:
    file_and_confirm(session, story, story.th_only, {"TH": {"detained": {"CN": 7}}})
    return {key: login(client, user) for key, user in story.users.items()}


def _expected_get(path: str, key: str, role: Role) -> set[int]:
    if role == Role.unit_officer:
        return {403}
    whole = role in (Role.admin, Role.coordinator)
    if "{operation_id}" in path:  # the Thai-only raid: Thailand and the whole board only
        return {200} if key == "A" or whole else {404}
    if "{campaign_id}" in path:
        if role == Role.coordinator and path.endswith("/edit"):
            return {403}
        if key not in ("A", "B") and not whole:
            return {404}
        return {403} if path.endswith("/edit") and role == Role.liaison else {200}
    return {403} if path == "/campaigns/new" and role in (Role.liaison, Role.coordinator) \
        else {200}


def _url(path: str, story: Story) -> str:
    return path.replace("{campaign_id}", str(story.campaign.id)).replace(
        "{operation_id}", story.th_only.id)


def test_every_get_route_answers_by_agency_and_role(
    story: Story, clients: dict[tuple[str, Role], TestClient]
) -> None:
    problems = []
    for (key, role), client in clients.items():
        for method, path in ROUTES:
            if method != "GET":
                continue
            response = client.get(_url(path, story), follow_redirects=False)
            expected = _expected_get(path, key, role)
            if response.status_code not in expected:
                problems.append(f"GET {path} as {key} {role.value}: {response.status_code}, "
                                f"expected {expected}")
            if response.status_code == 200 and key != "A" and role not in (Role.admin,
                                                                          Role.coordinator):
                problems += [f"GET {path} as {key} {role.value} shows {n!r}"
                             for n in NEEDLES if n in response.text]
    assert problems == []


def test_a_missing_campaign_is_the_same_404(story: Story,
                                           clients: dict[tuple[str, Role], TestClient]) -> None:
    for path in ("/campaigns/{campaign_id}", "/api/v1/campaigns/{campaign_id}"):
        hidden = clients[("C", Role.planner)].get(_url(path, story))
        missing = clients[("C", Role.planner)].get(path.replace("{campaign_id}", "99999"))
        assert hidden.status_code == missing.status_code == 404
        assert hidden.text.replace("99999", "") == missing.text.replace("99999", "") or \
            hidden.json() == missing.json()


def test_unsafe_routes_refuse_outsiders_and_change_nothing(
    session: Session, story: Story, clients: dict[tuple[str, Role], TestClient]
) -> None:
    problems = []
    version = story.campaign.version
    for (key, role), client in clients.items():
        if role in (Role.admin, Role.coordinator) or key == "A" and role in (Role.liaison,
                                                                             Role.planner):
            continue  # the Thai raid's own people and administrators
        if key == "B" and role == Role.planner:
            continue  # may edit the campaign: checked in the view tests
        for method, path in ROUTES:
            if method not in ("POST", "PUT") or path in ("/campaigns/new", "/api/v1/campaigns"):
                continue
            if "{campaign_id}" in path and key == "B":
                continue  # B liaison: checked below (403, a participant who may not edit)
            response = client.request(method, _url(path, story), json={"version": 1},
                                      follow_redirects=False)
            if response.status_code not in (403, 404, 422):
                problems.append(f"{method} {path} as {key} {role.value}: "
                                f"{response.status_code}")
            problems += [f"{method} {path} as {key} {role.value} shows {n!r}"
                         for n in NEEDLES if n in response.text]
    assert problems == []
    b_liaison = clients[("B", Role.liaison)]
    assert b_liaison.put(f"/api/v1/campaigns/{story.campaign.id}",
                         json={"version": 1}).status_code == 403
    assert b_liaison.post("/campaigns/new", data={"name": "x"}).status_code == 403
    session.refresh(story.campaign)
    assert story.campaign.version == version


def test_campaign_figures_of_b_never_count_the_hidden_raid(
    story: Story, clients: dict[tuple[str, Role], TestClient]
) -> None:
    url = f"/api/v1/campaigns/{story.campaign.id}/figures"
    thai = clients[("A", Role.planner)].get(url).json()
    lao = clients[("B", Role.planner)].get(url).json()
    arrests = {g["metric"]: g["actual"] for g in thai["goals"] if g["phase"] == "Phase 1"}
    assert arrests["arrests"] == 7
    assert {g["metric"]: g["actual"] for g in lao["goals"]
            if g["phase"] == "Phase 1"}["arrests"] == 0
    assert thai["operations_by_state"] == {"completed": 1, "executing": 1}
    assert lao["operations_by_state"] == {"completed": 1, "executing": 1}
    csv_b = clients[("B", Role.liaison)].get(f"/campaigns/{story.campaign.id}/export.csv")
    assert csv_b.headers["content-disposition"].startswith("attachment")
    assert "arrests,TH,10,0," in csv_b.text
