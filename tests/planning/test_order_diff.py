"""Issue 11, "plan review a planner can trust": the run review's diff against the orders
the units hold is a table by operation and unit, with names and local times, the
published operations it drops or moves flagged in red, and its counts are exactly what
publishing then reports."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import Operation, Plan, SolverRun, Unit, User
from app.planning import service
from app.planning.guard import disturbed_operations
from app.planning.order_diff import order_diff
from app.planning.publish import publish_plan
from app.planning.review import review_run
from app.planning.worker import run_job
from app.solver.loader import load_plan

from .consent_helpers import confirm_hosts
from .statements import recorded_statements
from .test_guard_horizon import _published_then_disturbing, _second_plan

Login = Callable[[TestClient, User], TestClient]


def _solved(session: Session, planner: User) -> tuple[SolverRun, Plan]:
    run = service.start_run(session, user=planner, time_limit=2, seed=1)
    session.commit()
    run_job(int(run.id or 0), session=session)
    session.refresh(run)
    return run, session.exec(select(Plan).where(Plan.solver_run_id == run.id)).one()


def _counts(page: str) -> tuple[int, int, int]:
    text = re.sub(r"<[^>]+>", "", page[page.index('id="order-counts"'):])
    found = re.search(r"(\d+) order\(s\) added,\s+(\d+) moved \(amended\),\s+(\d+) dropped", text)
    assert found, text[:300]
    return int(found[1]), int(found[2]), int(found[3])


def test_first_plan_counts_every_order_as_added_and_publish_issues_as_many(
    client: TestClient, tiny_board: Session, planner: User, login: Login
) -> None:
    run, plan = _solved(tiny_board, planner)
    page = login(client, planner).get(f"/planning/runs/{run.id}").text
    added, moved, dropped = _counts(page)
    orders = sum(len(op["assignments"]) for op in plan.document["operations"])
    assert (added, moved, dropped) == (orders, 0, 0) and orders > 0
    confirm_hosts(tiny_board, plan)
    counts = publish_plan(tiny_board, plan=plan, user=planner, confirmed=set())
    assert (counts["issued"], counts["amended"], counts["cancelled"]) == (added, moved, dropped)


def test_the_diff_names_what_changes_flags_published_ones_and_reconciles_with_publish(
    client: TestClient, tiny_board: Session, planner: User, login: Login
) -> None:
    plan, run, second, dropped, moved = _published_then_disturbing(tiny_board, planner)
    browser = login(client, planner)
    page = browser.get(f"/planning/runs/{run.id}").text
    added_n, moved_n, dropped_n = _counts(page)
    dropped_orders = len(next(op for op in plan.document["operations"]
                              if op["id"] == dropped)["assignments"])
    moved_orders = len(next(op for op in plan.document["operations"]
                            if op["id"] == moved)["assignments"])
    assert (added_n, moved_n, dropped_n) == (0, moved_orders, dropped_orders)

    # A table by operation and unit, with names, the published ones in red.
    start = page.index('id="order-diff"')
    table = page[start:page.index("</table>", start)]
    names = {op.id: op.code_name for op in tiny_board.exec(select(Operation))}
    for op_id, kind in ((dropped, "dropped"), (moved, "moved")):
        body = table[table.index(f'data-operation="{op_id}"'):]
        body = body[:body.index("</tbody>")]
        assert "diff-published" in table[table.rindex("<tbody", 0, table.index(
            f'data-operation="{op_id}"')):table.index(f'data-operation="{op_id}"')]
        assert names[op_id] in body
        assert f"Published operation {kind}: units hold orders for it" in body
        for a in next(op for op in plan.document["operations"] if op["id"] == op_id)[
                "assignments"]:
            unit = tiny_board.get(Unit, a["unit"])
            assert unit is not None and unit.callsign in body
    moved_body = table[table.index(f'data-operation="{moved}"'):]
    # Local times (the offset is printed), before and after.
    assert re.search(r"H-hour \d{4}-\d\d-\d\d \d\d:\d\d \(UTC[+-]\d\d:\d\d\) →", moved_body)
    assert "withdrawn" in table[table.index(f'data-operation="{dropped}"'):]

    # The review's figures are the publish's figures.
    review = review_run(tiny_board, run=run, user=planner)
    assert review.orders is not None
    assert review.orders.counts == {"added": 0, "moved": moved_orders,
                                    "dropped": dropped_orders,
                                    "unchanged": review.orders.counts["unchanged"]}
    counts = publish_plan(tiny_board, plan=second, user=planner, confirmed={dropped, moved})
    assert counts["issued"] == review.orders.counts["added"]
    assert counts["amended"] == review.orders.counts["moved"]
    assert counts["cancelled"] == review.orders.counts["dropped"]
    assert counts["unchanged"] == review.orders.counts["unchanged"]


def test_a_dropped_order_brought_back_counts_as_publish_counts_it(
    client: TestClient, tiny_board: Session, planner: User, login: Login
) -> None:
    """A third plan puts the dropped operation back: its orders were cancelled, so publish
    amends them (re-issues); the review says so and counts them as moved."""
    first_run, plan = _solved(tiny_board, planner)
    confirm_hosts(tiny_board, plan)
    publish_plan(tiny_board, plan=plan, user=planner, confirmed=set())
    _, second, dropped, moved = _second_plan(tiny_board, first_run, plan)
    # The moved operation sends its units at other times: the hosts confirm anew.
    confirm_hosts(tiny_board, second)
    publish_plan(tiny_board, plan=second, user=planner, confirmed={dropped, moved})
    third_run = SolverRun(status=first_run.status, params=first_run.params,
                          scenario=first_run.scenario, plan=plan.document,
                          created_by_id=first_run.created_by_id)
    tiny_board.add(third_run)
    tiny_board.flush()
    third = Plan(document=plan.document, solver_run_id=third_run.id)
    tiny_board.add(third)
    tiny_board.commit()
    review = review_run(tiny_board, run=third_run, user=planner)
    assert review.orders is not None
    page = login(client, planner).get(f"/planning/runs/{third_run.id}").text
    assert "re-issued: the unit&#39;s earlier order for it was cancelled" in page
    counts = publish_plan(tiny_board, plan=third, user=planner, confirmed={moved})
    assert (counts["issued"], counts["amended"], counts["cancelled"]) == (
        review.orders.counts["added"], review.orders.counts["moved"],
        review.orders.counts["dropped"])
    assert counts["amended"] > 0


def test_a_viewers_order_diff_is_the_whole_ones_cut_and_reads_only_their_orders(
    tiny_board: Session, planner: User
) -> None:
    """Issue 14: an agency planner's preview reads the orders of their operations only,
    and lists and counts exactly what the whole board's preview does for them."""
    plan, run, second, dropped, moved = _published_then_disturbing(tiny_board, planner)
    document = load_plan(second.document)
    disturbed = disturbed_operations(tiny_board, document)
    whole = order_diff(tiny_board, document, ids=None, disturbed=disturbed)
    everyone = {op.id for op in tiny_board.exec(select(Operation))}
    cuts = {}
    for ids in ({moved}, everyone - {moved}):
        with recorded_statements(tiny_board) as statements:
            cut = order_diff(tiny_board, document, ids=ids,
                             disturbed=[d for d in disturbed if d.id in ids])
        assert cut.operations == [op for op in whole.operations if op.id in ids]
        assert [op.id for op in cut.operations] == sorted(ids & {moved, dropped})
        # One read of the held orders, with one bound value per operation of the viewer.
        held = [s for s in statements if "FROM taskings" in s and "taskings.cross_back" in s]
        assert len(held) == 1 and held[0].count("?") + held[0].count("%(") == len(ids), held
        cuts[len(ids)] = cut.counts
    # The two viewers split the board: their counts add up to the whole board's.
    assert {kind: sum(c[kind] for c in cuts.values()) for kind in whole.counts} == whole.counts
