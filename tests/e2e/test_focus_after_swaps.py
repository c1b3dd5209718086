"""Issue 11, "Keyboard and phone": focus stays where the user was after htmx swaps
(static/js/focus.js), on the board's refresh, a run's progress poll and an inbox decision.

Each swap replaces the element the keyboard user had tabbed to; without focus.js the
focus falls back to <body>. What is written here is left aborted or cancelled, so the
story's solve never counts it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import Session, select

from app.db import make_engine
from app.models import (
    Operation,
    OperationState,
    Requirement,
    RunStatus,
    Site,
    SolverRun,
    User,
    utcnow,
)

from .conftest import LiveServer, login
from .test_field_live_ops import _set_state

OP_ID = "OP-E2EFOCUS"
NAME = "Steady Lamp"
# Where focus is, as the test reads it: the element's tag, id, link, text and region.
ACTIVE = """(region) => { const a = document.activeElement;
  return {tag: a.tagName, id: a.id, href: a.getAttribute("href"), text: a.textContent.trim(),
          connected: a.isConnected, inside: !!a.closest(region)}; }"""
# Resolves after the next htmx swap of `region` has settled (the page's own trigger).
NEXT_SETTLE = """(region) => new Promise((resolve) => {
  document.addEventListener("htmx:afterSettle", function done(event) {
    if (!document.querySelector(region)) return;
    document.removeEventListener("htmx:afterSettle", done);
    setTimeout(resolve, 100);
  });
})"""


def _write(server: LiveServer, *rows: Any) -> None:
    engine = make_engine(server.database_url)
    try:
        with Session(engine) as session:
            for row in rows:
                session.merge(row)
                session.flush()
            session.commit()
    finally:
        engine.dispose()


def _proposed(server: LiveServer) -> None:
    """A Thai operation with a site in Tachileik: Myanmar's host approval waits."""
    start = server.day0 + timedelta(days=17)
    _write(server,
           Operation(id=OP_ID, code_name=NAME, lead_agency_id="TH-RTP", priority=16,
                     earliest_start=start, latest_end=start + timedelta(days=1),
                     duration_minutes=120, state=OperationState.proposed),
           Site(id=f"S-{OP_ID}", operation_id=OP_ID, region_id="MM-TAC", objective="Warehouse"),
           Requirement(id=990_001, site_id=f"S-{OP_ID}", capability="tactical", count=1))


def _tab_into(page: Any, region: str, want: str, limit: int = 80) -> dict[str, Any]:
    """Press Tab until focus is on an element of `region` matching the CSS `want`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => !!document.activeElement.matches({want!r}) && "
                         f"!!document.activeElement.closest({region!r})"):
            return dict(page.evaluate(ACTIVE, region))
    raise AssertionError(f"Tab never reached {want} in {region}")


def test_focus_survives_the_board_refresh_a_run_poll_and_an_inbox_decision(
    new_page: Any, live_server: LiveServer
) -> None:
    _proposed(live_server)
    run_id = None
    try:
        # 1. The board refreshes its columns every 15 s: the card link keeps focus.
        board = new_page()
        login(board, "th-liaison")
        board.goto("/board")
        before = _tab_into(board, "#board-columns", f'a[href="/operations/{OP_ID}"]')
        board.evaluate(NEXT_SETTLE, "#board-columns")  # the page's own 15 s refresh
        after = board.evaluate(ACTIVE, "#board-columns")
        assert after["connected"] and after["inside"] and after["href"] == before["href"]
        assert after["tag"] != "BODY"

        # 2. A run's progress is polled every second: Cancel keeps focus across polls.
        engine = make_engine(live_server.database_url)
        try:
            with Session(engine) as session:
                planner = session.exec(select(User).where(User.username == "planner")).one()
                # A run "in progress" whose heartbeat stays fresh: no worker takes it.
                run = SolverRun(status=RunStatus.running, params={"time_limit": 60, "seed": 0},
                                created_by_id=planner.id, started_at=utcnow(),
                                heartbeat_at=utcnow() + timedelta(hours=1))
                session.add(run)
                session.commit()
                run_id = run.id
        finally:
            engine.dispose()
        page = new_page()
        login(page, "planner")
        page.goto(f"/planning/runs/{run_id}")
        before = _tab_into(page, "#run", "button.danger")
        for _ in range(2):
            page.evaluate(NEXT_SETTLE, "#run")
        after = page.evaluate(ACTIVE, "#run")
        assert after["connected"] and after["inside"] and after["tag"] == "BUTTON"
        assert after["text"] == before["text"]

        # 3. Myanmar approves from the inbox with the keyboard: the list is swapped, the
        # decided item is gone, and focus lands in the new list, not on <body>.
        inbox = new_page()
        login(inbox, "mm-liaison")
        inbox.goto("/approvals")
        item = inbox.locator("article.inbox-item", has=inbox.locator(
            f'a[href="/operations/{OP_ID}"]'))
        item.wait_for()
        item.locator("form.decide-approve button").focus()
        inbox.keyboard.press("Enter")
        inbox.locator("#inbox .alert-ok").wait_for()
        inbox.wait_for_timeout(200)
        after = inbox.evaluate(ACTIVE, "#inbox")
        assert after["tag"] != "BODY" and after["connected"], after
        assert after["inside"] or after["id"] == "main", after
    finally:
        _set_state(live_server, OP_ID, OperationState.aborted)
        if run_id is not None:
            engine = make_engine(live_server.database_url)
            try:
                with Session(engine) as session:
                    run = session.get(SolverRun, run_id)
                    if run is not None:
                        run.status, run.finished_at = RunStatus.cancelled, utcnow()
                        session.add(run)
                        session.commit()
            finally:
                engine.dispose()
