"""Every admin route refuses planners, liaisons, unit officers and anonymous callers."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from sqlmodel import Session, select

from app.admin import api, views
from app.models import AuditEvent, Road, Role, Unit


def _admin_routes() -> list[tuple[str, str]]:
    """(method, path) of every route of the admin routers (import/export belong elsewhere)."""
    found = []
    for route in [*views.router.routes, *api.router.routes]:
        assert isinstance(route, APIRoute)
        found += [(method, route.path) for method in sorted(route.methods)]
    return found


ROUTES = _admin_routes()


def _fill(path: str, session: Session, admin_id: int) -> str:
    keys = {"units": "U-TH-1", "agencies": "TH-RTP", "regions": "TH-CRI",
            "crossings": "X-MSI-TAC", "agreements": "TH-MM", "users": str(admin_id),
            "capabilities": "tactical", "roads": str(session.exec(select(Road.id)).first())}
    resource = re.search(r"/(\w+)/\{key\}", path)
    return path.replace("{key}", keys[resource.group(1)]) if resource else path


def test_the_route_list_covers_every_resource() -> None:
    paths = {path for _, path in ROUTES}
    for slug in ("units", "users", "agencies", "regions", "roads", "crossings", "agreements"):
        assert f"/admin/{slug}" in paths and f"/admin/{slug}/new" in paths
    assert {"/admin", "/admin/users/{key}/disable", "/api/v1/admin/units"} <= paths
    assert len(ROUTES) >= 45


@pytest.mark.parametrize("role", [Role.planner, Role.liaison, Role.unit_officer])
def test_other_roles_get_403_everywhere(
    role, client, session: Session, world, make_user, login, admin_user
) -> None:
    user = make_user(session, role=role, agency="TH-RTP",
                     unit="U-TH-1" if role == Role.unit_officer else None)
    signed_in = login(client, user)
    for method, path in ROUTES:
        url = _fill(path, session, admin_user.id)
        response = signed_in.request(method, url, data={"name": "x", "role": "planner"},
                                     follow_redirects=False)
        assert response.status_code == 403, (method, url, response.status_code)
    assert session.get(Unit, "U-TH-1") is not None and admin_user.is_active
    # Nothing changed; every refusal is on the trail (finding 10.10).
    actions = session.exec(select(AuditEvent.action)).all()
    assert actions == ["refused.403"] * len(ROUTES)


def test_anonymous_callers_are_sent_to_sign_in(
    client, session: Session, world, admin_user
) -> None:
    client.get("/login")
    client.headers["X-CSRF-Token"] = client.cookies.get("jointops_csrf")
    for method, path in ROUTES:
        url = _fill(path, session, admin_user.id)
        response = client.request(method, url, follow_redirects=False)
        if path.startswith("/api/"):
            assert response.status_code == 401, (method, url)
        else:
            assert response.status_code == 303, (method, url, response.status_code)
            assert response.headers["location"].startswith("/login")
    assert session.get(Unit, "U-TH-1") is not None


def test_admin_menu_entry_only_for_admins(
    client, session: Session, world, make_user, login, admin
) -> None:
    assert 'href="/admin"' in admin.get("/admin").text
    planner = login(client, make_user(session, role=Role.planner))
    assert 'href="/admin"' not in planner.get("/calendar").text
