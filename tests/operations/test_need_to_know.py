"""Need-to-know on every operations route: an unrelated agency gets 404, lists never show it."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.models import OperationState

OP = "OP-RED"
PAGE_GETS = [f"/operations/{OP}", f"/operations/{OP}/edit"]
PAGE_POSTS = [f"/operations/{OP}/{step}" for step in
              ("propose", "abort", "execute", "complete", "approvals", "edit")]
API_GETS = [f"/api/v1/operations/{OP}"]
API_POSTS = [f"/api/v1/operations/{OP}/{step}" for step in
             ("propose", "abort", "execute", "complete", "approvals")]


@pytest.fixture
def secret_op(session: Session, world, make_operation):  # type: ignore[no-untyped-def]
    """A Thai-led operation in Thailand only, proposed: Laos has no need to know."""
    return make_operation(session, "TH-RTP", {"TH-MSI": {"tactical": 1}}, op_id=OP,
                          code_name="Red Lantern", state=OperationState.proposed)


def test_unrelated_agency_gets_404_on_every_operation_url(
    client, session: Session, people, secret_op, login
) -> None:
    lao = login(client, people["la"])
    for path in PAGE_GETS + API_GETS:
        assert lao.get(path).status_code == 404, path
    form = {"decision": "approved", "reason": "x", "version": "2"}
    for path in PAGE_POSTS:
        assert lao.post(path, data=form).status_code == 404, path
    assert lao.patch(f"/api/v1/operations/{OP}", json={"version": 1}).status_code == 404
    for path in API_POSTS:
        response = lao.post(path, json={"decision": "approved", "reason": "x"})
        assert response.status_code == 404, path
    assert lao.get("/operations/OP-NOT-THERE").status_code == 404
    assert secret_op.state == OperationState.proposed and secret_op.version == 1


def test_lists_searches_and_counts_never_show_it(
    client, session: Session, people, secret_op, login
) -> None:
    lao = login(client, people["la"])
    for path in ("/board", "/board?q=Red", "/board?q=OP-RED", "/board?country=TH",
                 "/board?state=proposed", "/approvals"):
        text = lao.get(path).text  # the search box echoes the query: look for the card
        assert "Red Lantern" not in text and f"/operations/{OP}" not in text, path
    assert "0 operations" in lao.get("/board").text
    assert lao.get("/api/v1/operations").json() == []
    assert lao.get("/api/v1/operations?q=Red").json() == []
    assert lao.get("/api/v1/approvals").json() == []
    # The Thai side does see it, so the 404s above are need-to-know, not a broken route.
    thai = login(client, people["th"])
    assert "Red Lantern" in thai.get("/board?q=red").text
    assert thai.get(f"/operations/{OP}").status_code == 200


def test_deconfliction_hides_what_the_user_may_not_see(
    client, session: Session, people, secret_op, make_operation, login
) -> None:
    # A Lao-led operation in the same Thai region: the Thai host sees both, Laos only its own.
    make_operation(session, "LA-MPS", {"TH-MSI": {"tactical": 1}}, op_id="OP-LAO")
    page = login(client, people["la"]).get("/operations/OP-LAO").text
    assert "Deconfliction" not in page and OP not in page
    assert OP in login(client, people["th"]).get("/operations/OP-LAO").text


def test_unit_officers_and_anonymous_users_are_kept_out(
    client, session: Session, people, secret_op, make_user, login
) -> None:
    officer = login(client, make_user(session, role="unit_officer", agency="TH-RTP",
                                      unit="U-TH-1"))
    for path in ("/board", "/approvals", "/operations/new", "/api/v1/operations"):
        assert officer.get(path).status_code == 403, path
        assert client.get(path, follow_redirects=False).status_code in (303, 401), path
    # The operation page opens to an officer only for a live tasking of their unit: an
    # operation of their own agency without one is as unknown as a missing one.
    assert officer.get(f"/operations/{OP}").status_code == 404
    assert client.get(f"/operations/{OP}", follow_redirects=False).status_code == 303


def test_every_operations_route_with_an_id_answers_404(
    client, session: Session, people, secret_op, login
) -> None:
    """Walks the app's own route table, so a route added later is covered too."""
    lao = login(client, people["la"])
    checked = 0
    for path, route in _api_routes(client.app.routes):
        if not ("{operation_id}" in path
                and route.endpoint.__module__.startswith("app.operations")):
            continue
        url = path.replace("{operation_id}", OP)
        for method in route.methods:
            response = lao.request(method, url)
            assert response.status_code == 404, f"{method} {url}: {response.status_code}"
            checked += 1
    assert checked >= 14


def _api_routes(routes, prefix: str = ""):  # type: ignore[no-untyped-def]
    """Every APIRoute, also inside included routers (FastAPI >= 0.16x nests them)."""
    from fastapi.routing import APIRoute

    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):
            yield from _api_routes(route.original_router.routes, route.include_context.prefix)
