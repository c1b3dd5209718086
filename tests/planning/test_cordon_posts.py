"""Issue 13, cordons on the board: a board operation with a cordon is solved with its
posts, and publishing tasks the border-control units at them like raid units: taskings,
My tasking, the printable order, the iCal feed, the operation page and the run's
timeline; a cordon that cannot be staffed is explained on the run page."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import icalendar
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.feeds import tokens
from app.models import (
    Plan,
    Role,
    Tasking,
    TaskingKind,
    TaskingStatus,
    User,
)
from app.planning import service
from app.planning.publish import publish_plan
from app.planning.worker import run_job
from app.solver.schema import parse_instant
from app.transfer.service import import_scenario

# The solver test world with a cordon on OP-1 (docs/cordon-format.md): X-MSI-TAC sealed,
# one border-control unit per side (U-TH3 of Thailand, U-MM3 of Myanmar).
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "cordon-scenario.json"


def _board(session: Session, set_clock: Callable[[datetime], object],
           change: Callable[[dict[str, Any]], None] | None = None) -> None:
    doc = json.loads(EXAMPLE.read_text())
    if change is not None:
        change(doc)
    # The clock at the horizon's start: the plan lies ahead on any date.
    set_clock(parse_instant(doc["horizon"]["start"]))
    import_scenario(session, data=doc)
    session.flush()


def _solve(session: Session, planner: User) -> Plan:
    run = service.start_run(session, user=planner, time_limit=5, seed=1)
    session.commit()
    run_job(int(run.id or 0), session=session)
    return session.exec(select(Plan).where(Plan.solver_run_id == run.id)).one()


def _posts(session: Session) -> dict[str, Tasking]:
    return {t.unit_id: t for t in session.exec(
        select(Tasking).where(Tasking.kind == TaskingKind.cordon_post))}


def test_publishing_tasks_the_cordon_posts_and_they_reach_tasking_and_the_feed(
    session: Session, set_clock: Any, planner: User, client: TestClient, make_user: Any,
    login: Any,
) -> None:
    _board(session, set_clock)
    plan = _solve(session, planner)
    (op1,) = [op for op in plan.document["operations"] if op["id"] == "OP-1"]
    planned = {p["unit"]: p for p in op1["cordon"]}
    assert set(planned) == {"U-TH3", "U-MM3"}
    counts = publish_plan(session, plan=plan, user=planner)
    session.commit()
    posts = _posts(session)
    assert set(posts) == {"U-TH3", "U-MM3"}
    raid_units = {a["unit"] for a in op1["assignments"]}
    assert not raid_units & set(posts)  # staff take no part in the raid
    assert counts["issued"] == len(raid_units) + 2 + sum(
        len(op["assignments"]) for op in plan.document["operations"] if op["id"] != "OP-1")
    for unit, post in posts.items():
        p = planned[unit]
        assert (post.operation_id, post.crossing_id, post.side, post.site_id) == (
            "OP-1", "X-MSI-TAC", p["side"], None)
        assert post.post_region_id == ("TH-MSI" if p["side"] == "a" else "MM-TAC")
        assert (post.start, post.end, post.depart, post.return_at) == tuple(
            parse_instant(p[k]) for k in ("start", "end", "depart", "return"))
        assert post.capability == "border_patrol" and post.status == TaskingStatus.active

    # My tasking, the printable order and the officer's iCal feed of the Myanmar post.
    officer = make_user(session, Role.unit_officer, "MM-MPF", "U-MM3")
    session.commit()
    me = login(client, officer)
    page = me.get("/tasking").text
    assert "cordon post at Mae Sai - Tachileik" in page and "Seal begins at the post" in page
    (listed,) = me.get("/api/v1/taskings").json()
    assert (listed["kind"], listed["site_id"], listed["side"], listed["crossing_id"]) == (
        "cordon_post", None, "b", "X-MSI-TAC")
    order = me.get(f"/tasking/{posts['U-MM3'].uid}/order")
    assert order.status_code == 200 and "Cordon post: seal Mae Sai - Tachileik" in order.text
    secret, _ = tokens.create_token(session, user=officer, label="phone",
                                    choice_key="officer:")
    session.commit()
    feed = icalendar.Calendar.from_ical(client.get(f"/feeds/{secret}.ics").content)
    (event,) = feed.walk("VEVENT")
    description = str(event["DESCRIPTION"])
    assert "Cordon post: Mae Sai - Tachileik" in description and "Seal until" in description
    assert str(event["UID"]) == posts["U-MM3"].uid
    assert event.decoded("DTSTART") == posts["U-MM3"].depart
    assert event.decoded("DTEND") == posts["U-MM3"].return_at

    # The maps tell the post at its crossing (the unit's base drawn, no route).
    def post_lines(collection: dict[str, Any]) -> list[str]:
        return [line for f in collection["features"] if f["properties"]["kind"] == "crossing"
                for line in f["properties"]["details"] if "cordon post of OP-1" in line]

    mine = me.get("/tasking/map").json()
    assert post_lines(mine) == [post_lines(mine)[0]] and "Tachileik side" in post_lines(mine)[0]
    assert any(f["id"] == "base:U-MM3" for f in mine["features"])

    # The operation page and the run's timeline show the posts.
    coordinator = login(client, planner)
    op_page = coordinator.get("/operations/OP-1").text
    assert "Cordon post · Mae Sai - Tachileik, side b" in op_page
    run_page = coordinator.get(f"/planning/runs/{plan.solver_run_id}").text
    assert "cordon post at Mae Sai - Tachileik, side a" in run_page
    assert 'class="tl-post"' in run_page
    assert "sealed by Operation OP-1&#39;s cordon" in run_page
    run_map = coordinator.get(f"/planning/runs/{plan.solver_run_id}/map").json()
    assert len(post_lines(run_map)) == 2
    assert len(post_lines(coordinator.get("/operations/OP-1/map").json())) == 2


def test_a_post_left_out_of_the_next_plan_is_cancelled_keeping_its_uid(
    session: Session, set_clock: Any, planner: User,
) -> None:
    _board(session, set_clock)
    plan = _solve(session, planner)
    publish_plan(session, plan=plan, user=planner)
    before = {unit: t.uid for unit, t in _posts(session).items()}
    document = copy.deepcopy(plan.document)
    dropped = next(op for op in document["operations"] if op["id"] == "OP-1")
    document["operations"].remove(dropped)
    document["unscheduled"].append({"id": "OP-1", "reasons": ["left out"]})
    second = Plan(document=document, solver_run_id=plan.solver_run_id)
    session.add(second)
    session.flush()
    counts = publish_plan(session, plan=second, user=planner)
    after = _posts(session)
    assert {u: t.uid for u, t in after.items()} == before
    assert all(t.status == TaskingStatus.cancelled and t.sequence == 1 for t in after.values())
    assert counts["cancelled"] == 2 + len(dropped["assignments"])


def test_a_cordon_that_cannot_be_staffed_is_explained_on_the_run_page(
    session: Session, set_clock: Any, planner: User, client: TestClient, login: Any,
) -> None:
    def two_per_side(doc: dict[str, Any]) -> None:
        doc["operations"][0]["cordon"]["units_per_side"] = 2

    _board(session, set_clock, two_per_side)
    plan = _solve(session, planner)
    assert "OP-1" in {u["id"] for u in plan.document["unscheduled"]}
    publish_plan(session, plan=plan, user=planner)
    assert _posts(session) == {}
    session.commit()
    page = login(client, planner).get(f"/planning/runs/{plan.solver_run_id}").text
    (reasons,) = [u["reasons"] for u in plan.document["unscheduled"] if u["id"] == "OP-1"]
    assert any("X-MSI-TAC" in r for r in reasons), reasons
    for reason in reasons:
        assert reason.replace("'", "&#39;") in page or reason in page


@pytest.fixture
def planner(session: Session, make_user: Callable[..., User]) -> User:
    return make_user(session, Role.coordinator)


def test_an_edit_lists_the_posts_it_would_cancel_and_a_moved_post_is_worded(
    session: Session, set_clock: Any, planner: User,
) -> None:
    from app.models import Operation
    from app.notices.service import describe_change
    from app.operations import service as operations

    _board(session, set_clock)
    plan = _solve(session, planner)
    publish_plan(session, plan=plan, user=planner)
    op = session.get(Operation, "OP-1")
    assert op is not None
    doc = operations.as_input(op)
    assert doc["cordon"]["crossings"] == ["X-MSI-TAC"]
    doc["cordon"]["tail_minutes"] = 90
    data = operations.validate(session, data=doc)
    impact = operations.edit_impact(session, operation=op, data=data)
    assert "cordon" in impact.changed and not impact.in_place
    assert any("cordon post at X-MSI-TAC, side b, seal from" in o for o in impact.orders)
    post = _posts(session)["U-MM3"]
    later = {name: getattr(post, name) for name in ("kind", "site_id", "side", "capability",
                                                    "start", "depart", "return_at",
                                                    "crossing_id", "cross_out", "cross_back")}
    later["end"] = post.end + (post.end - post.start)
    assert describe_change(post, later).startswith("New plan published: seal until ")


def _with_lao_crossing(doc: dict[str, Any]) -> None:
    """A Lao side to a second sealed crossing: Laos's police see OP-1 only through its
    border unit's post (OP-1 has no site in Laos and is not led by Laos)."""
    doc["countries"].append({"code": "LA", "name": "Laos", "timezone": "Asia/Vientiane"})
    doc["regions"].append({"id": "LA-TLO", "name": "Ton Pheung", "country": "LA",
                           "lat": 20.40, "lon": 100.05})
    doc["crossings"].append({"id": "X-TAC-TLO", "name": "Tachileik - Ton Pheung",
                             "a": "MM-TAC", "b": "LA-TLO", "transit_minutes": 20, "lanes": 1,
                             "timezone": "Asia/Bangkok"})
    doc["agencies"].append({"id": "LA-MPS", "name": "Lao police", "country": "LA"})
    doc["units"] += [
        {"id": "U-LA3", "agency": "LA-MPS", "callsign": "CS-U-LA3",
         "capabilities": ["border_patrol"], "personnel": 8, "base": "LA-TLO"},
        {"id": "U-MM4", "agency": "MM-MPF", "callsign": "CS-U-MM4",
         "capabilities": ["border_patrol"], "personnel": 8, "base": "MM-TAC"},
    ]
    doc["operations"][0]["cordon"]["crossings"].append("X-TAC-TLO")


def test_a_post_shows_its_operation_to_the_units_agency_and_nothing_more(
    session: Session, set_clock: Any, planner: User, client: TestClient, make_user: Any,
    login: Any,
) -> None:
    _board(session, set_clock, _with_lao_crossing)
    lao = make_user(session, Role.liaison, "LA-MPS", None)
    session.commit()
    plan = _solve(session, planner)
    (op1,) = [op for op in plan.document["operations"] if op["id"] == "OP-1"]
    assert {p["unit"] for p in op1["cordon"]} >= {"U-LA3"}
    liaison = login(client, lao)
    assert liaison.get("/operations/OP-1").status_code == 404  # nothing published yet
    publish_plan(session, plan=plan, user=planner)
    session.commit()
    # Its unit's post makes OP-1 visible to Laos, like any tasking; OP-2 stays hidden.
    assert liaison.get("/operations/OP-1").status_code == 200
    assert liaison.get("/operations/OP-2").status_code == 404
    page = liaison.get("/tasking?unit=U-LA3").text
    assert "cordon post at Tachileik - Ton Pheung" in page
    assert liaison.get("/tasking?unit=U-MM4").status_code == 404  # not a Lao unit
    secret, _ = tokens.create_token(session, user=lao, label="desk",
                                    choice_key="agency:LA-MPS")
    session.commit()
    feed = icalendar.Calendar.from_ical(client.get(f"/feeds/{secret}.ics").content)
    uids = {str(e["UID"]) for e in feed.walk("VEVENT")}
    assert _posts(session)["U-LA3"].uid in uids
