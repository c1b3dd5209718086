"""The run review's map: the plan's routes, cut to the operations the planner may see."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import Role, User
from app.planning.visibility import visible_ids
from planning.test_views import _solved

Login = Callable[[TestClient, User], TestClient]


def test_run_map_draws_each_assignment_and_hides_other_agencies(
    client: TestClient, tiny_board: Session, planner: User, admin: User, login: Login,
    make_user: Callable[..., User],
) -> None:
    run = _solved(tiny_board, planner)
    plan = run.plan or {}
    assignments = [(a["unit"], a["site"]) for op in plan["operations"]
                   for a in op["assignments"]]
    assert assignments, "the tiny board schedules something"
    everything = login(client, admin).get(f"/planning/runs/{run.id}/map")
    assert everything.status_code == 200
    assert everything.headers["content-type"] == "application/geo+json"
    routes = [f for f in everything.json()["features"] if f["properties"]["kind"] == "route"]
    assert sorted((r["properties"]["unit_id"], r["properties"]["site_id"]) for r in routes) == \
        sorted(assignments)
    crossed = [r for r in routes if r["properties"]["crossing_id"]]
    for route in crossed:  # base, crossing, site
        assert len(route["geometry"]["coordinates"]) == 3
        assert ": out " in route["properties"]["label"]
    page = login(client, admin).get(f"/planning/runs/{run.id}").text
    assert f'data-src="/planning/runs/{run.id}/map"' in page
    assert page.count("<td>Route</td>") == len(routes)

    led = {op["id"]: op["lead_agency"] for op in (run.scenario or {})["operations"]}
    agency = led["OP-0003"]
    local_user = make_user(tiny_board, Role.planner, agency=agency)
    local = login(client, local_user)
    mine = local.get(f"/planning/runs/{run.id}/map").json()
    shown = {f["properties"]["operation_id"] for f in mine["features"]
             if f["properties"]["kind"] in ("site", "route")}
    hidden = set(led) - {op_id for op_id, lead in led.items() if lead == agency}
    # What of the others it may see (host country) is its business; none else is shown.
    allowed = visible_ids(tiny_board, user=local_user) or set()
    assert shown <= allowed and hidden - allowed, "some operations are none of its business"
    for op_id in hidden - allowed:
        assert op_id not in str(mine)
    liaison = login(client, make_user(tiny_board, Role.liaison, agency="TH-RTP"))
    assert liaison.get(f"/planning/runs/{run.id}/map").status_code == 403
    assert login(client, admin).get("/planning/runs/999999/map").status_code == 404

