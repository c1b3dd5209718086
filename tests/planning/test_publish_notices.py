"""Issue 11, amendment notices: a re-publish that moves or drops a unit's order writes a
notice to the unit's officers, saying what changed; an unchanged order writes none."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from sqlmodel import Session, select

from app.models import Notice, NoticeKind, Plan, Role, Unit, User
from app.planning.publish import publish_plan
from app.solver.schema import format_instant, parse_instant

from .test_publish import _plan, _variant


def test_a_republish_notifies_the_officers_of_moved_and_dropped_orders(
    tiny_board: Session, planner: User, make_user: Any
) -> None:
    plan = _plan(tiny_board, planner)
    officers = {unit.id: make_user(tiny_board, Role.unit_officer, unit.agency_id, unit.id)
                for unit in tiny_board.exec(select(Unit))}
    publish_plan(tiny_board, plan=plan, user=planner)
    assert tiny_board.exec(select(Notice)).all() == []  # first issue: the orders are new

    # One unit sets off 5 minutes earlier: its officer hears what moved.
    document = copy.deepcopy(plan.document)
    op = document["operations"][0]
    moved = op["assignments"][0]
    old_depart = parse_instant(moved["depart"])
    moved["depart"] = format_instant(old_depart - timedelta(minutes=5))
    moved_plan = _variant(tiny_board, plan, document)
    publish_plan(tiny_board, plan=moved_plan, user=planner)
    (notice,) = tiny_board.exec(select(Notice)).all()
    assert notice.kind == NoticeKind.amended and notice.operation_id == op["id"]
    assert notice.user_id == officers[moved["unit"]].id
    assert "departure" in notice.body and format_instant(old_depart)[11:16] in notice.body

    # The next plan leaves the operation out: each of its units' officers hears it.
    dropped = copy.deepcopy(document)
    dropped["operations"].remove(op)
    dropped["unscheduled"].append({"id": op["id"], "reasons": ["left out"]})
    publish_plan(tiny_board, plan=_variant(tiny_board, plan, dropped), user=planner)
    cancelled = tiny_board.exec(select(Notice).where(
        Notice.kind == NoticeKind.cancelled)).all()
    assert {(n.operation_id, n.user_id) for n in cancelled} == {
        (op["id"], officers[a["unit"]].id) for a in op["assignments"]}
    assert all("withdrawn" in n.body for n in cancelled)


def test_publishing_the_same_orders_again_writes_no_notice(
    tiny_board: Session, planner: User, make_user: Any
) -> None:
    plan = _plan(tiny_board, planner)
    for unit in tiny_board.exec(select(Unit)):
        make_user(tiny_board, Role.unit_officer, unit.agency_id, unit.id)
    publish_plan(tiny_board, plan=plan, user=planner)
    again = Plan(document=copy.deepcopy(plan.document), solver_run_id=plan.solver_run_id)
    tiny_board.add(again)
    tiny_board.flush()
    publish_plan(tiny_board, plan=again, user=planner)
    assert tiny_board.exec(select(Notice)).all() == []
