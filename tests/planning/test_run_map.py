"""The run review's map: the plan's routes, cut to the operations the planner may see."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import Role, User
from app.planning import timeline
from app.planning.visibility import visible_ids
from app.solver.loader import load_plan
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
    assert f'data-src="/planning/runs/{run.id}/map?first=0"' in page
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



def test_a_long_plan_is_reviewed_a_page_of_operations_at_a_time(
    client: TestClient, tiny_board: Session, planner: User, login: Login,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The large sample's 250 operations made a 4.7 MB run page: the timeline, its table
    and the map show a page of operations by H-hour, with links to the others."""
    monkeypatch.setattr(timeline, "OPERATIONS_PER_PAGE", 2)
    run = _solved(tiny_board, planner)
    plan = load_plan(run.plan or {})
    ordered = [op.id for op in sorted(plan.operations, key=lambda o: (o.start, o.id))]
    assert len(ordered) >= 3, "the tiny board schedules three operations or more"
    browser = login(client, planner)

    def shown(first: int | None) -> tuple[set[str], str]:
        query = "" if first is None else f"?first={first}"
        page = browser.get(f"/planning/runs/{run.id}{query}").text
        start = page.index('<svg class="timeline"')
        drawn = set(re.findall(r"\((OP-\d+)\)</title>", page[start:page.index("</svg>", start)]))
        return drawn, page

    drawn, page = shown(None)
    assert drawn == set(ordered[:2])
    assert f"Operations 1–2 of {len(ordered)}" in page
    assert f'href="/planning/runs/{run.id}?first=2#timeline-h" rel="next"' in page
    assert 'rel="prev"' not in page
    table = page[page.index('id="timeline-table"'):]
    assert {op for op in ordered if f"({op})</td>" in table} == set(ordered[:2])

    drawn, page = shown(2)
    assert drawn == set(ordered[2:4])
    assert f'href="/planning/runs/{run.id}?first=0#timeline-h" rel="prev"' in page
    assert f'data-src="/planning/runs/{run.id}/map?first=2"' in page
    routes = browser.get(f"/planning/runs/{run.id}/map?first=2").json()["features"]
    assert {f["properties"]["operation_id"] for f in routes
            if f["properties"]["kind"] == "route"} == set(ordered[2:4])

    # Past the end: the last page, not an empty one; a bad page number is refused.
    last = (len(ordered) - 1) // 2 * 2
    drawn, page = shown(999)
    assert drawn == set(ordered[last:last + 2]) and 'rel="next"' not in page
    assert browser.get(f"/planning/runs/{run.id}?first=-1").status_code == 422


def test_a_plan_that_fits_one_page_has_no_page_links(
    client: TestClient, tiny_board: Session, planner: User, login: Login,
) -> None:
    run = _solved(tiny_board, planner)
    page = login(client, planner).get(f"/planning/runs/{run.id}").text
    assert 'id="operation-pages"' not in page and '<svg class="timeline"' in page
