"""Issue 11, the plan timeline in real Chromium: grouped by operation with named bars, a
"now" line and the month; zoom and pan by buttons and keys; tooltips on keyboard focus
and on touch; the table as its text alternative; no CSP violation (the script is
static/js/timeline.js)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from app.db import make_engine
from app.models import RunStatus, SolverRun, User
from app.solver.instance import Instance
from app.solver.loader import load_scenario
from app.solver.solve import SolveOptions, solve

from .conftest import STEP_TIMEOUT_MS, LiveServer, login, save_screenshot, story_world

HERON, EGRET = "Timeline Heron", "Timeline Egret"


def _instant(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def run_id(live_server: LiveServer) -> int:
    """A finished run stored straight into the board: two operations, one of them under
    way now (it started at midnight UTC and lasts 36 hours), one a Thai dog team's
    crossing into Myanmar two days on."""
    day0 = live_server.day0
    document = story_world(day0)
    document["operations"] = [
        {"id": "OP-TL-1", "name": HERON, "lead_agency": "TH-RTP", "priority": 5,
         "earliest_start": _instant(day0), "latest_end": _instant(day0 + timedelta(days=3)),
         "duration_minutes": 36 * 60, "foreign_support": False, "fixed_start": _instant(day0),
         "sites": [{"id": "S-TL-1", "region": "TH-MSI",
                    "requirements": [{"capability": "tactical", "count": 1}]}]},
        {"id": "OP-TL-2", "name": EGRET, "lead_agency": "MM-MPF", "priority": 5,
         "earliest_start": _instant(day0 + timedelta(days=2)),
         "latest_end": _instant(day0 + timedelta(days=4)), "duration_minutes": 240,
         "foreign_support": True,
         "sites": [{"id": "S-TL-2", "region": "MM-TAC",
                    "requirements": [{"capability": "tactical", "count": 1},
                                     {"capability": "k9", "count": 1}]}]},
    ]
    result = solve(Instance(load_scenario(document)), SolveOptions(time_limit=5, workers=1))
    plan = result.plan.to_json_dict()
    assert {op["id"] for op in plan["operations"]} == {"OP-TL-1", "OP-TL-2"}, plan
    engine = make_engine(live_server.database_url)
    try:
        with Session(engine) as session:
            admin = session.exec(select(User).where(User.username == "admin")).one()
            run = SolverRun(status=RunStatus.succeeded, params={"time_limit": 5, "seed": 1},
                            scenario=document, plan=plan, created_by_id=admin.id)
            session.add(run)
            session.commit()
            return int(run.id or 0)
    finally:
        engine.dispose()


def _view(page: Any) -> tuple[int, int]:
    box = page.locator("[data-timeline]")
    return int(box.get_attribute("data-view-start")), int(box.get_attribute("data-view-end"))


def test_timeline_zooms_pans_names_bars_and_shows_now_and_month(
    new_page: Any, live_server: LiveServer, run_id: int
) -> None:
    page = new_page()
    login(page, "admin")
    page.goto(f"/planning/runs/{run_id}")
    box = page.locator("[data-timeline][data-tl-ready]")
    box.wait_for()
    # The month, the "now" line, grouped rows named by operation, bars named.
    assert live_server.day0.strftime("%B %Y") in page.locator("#tl-month").inner_text()
    assert page.locator(".tl-now").get_attribute("visibility") == "visible"
    heads = page.locator(".tl-operation .tl-label")
    assert heads.count() == 2
    assert HERON in heads.nth(0).text_content() and EGRET in heads.nth(1).text_content()
    labels = page.locator(".tl-barlabel").all_text_contents()
    assert HERON in labels and "RTP-K9-1 out" in labels
    assert page.locator(".tl-unit .tl-label", has_text="RTP-Tactical-1").count() == 1

    # Zoom and pan with the keyboard on the focused timeline.
    full = _view(page)
    page.locator(".timeline-wrap").focus()
    page.keyboard.press("+")
    zoomed = _view(page)
    assert zoomed[1] - zoomed[0] == (full[1] - full[0]) // 2
    page.keyboard.press("ArrowRight")
    panned = _view(page)
    assert panned[0] > zoomed[0] and panned[1] - panned[0] == zoomed[1] - zoomed[0]
    page.keyboard.press("ArrowLeft")
    assert _view(page) == zoomed
    page.keyboard.press("-")
    assert _view(page) == full
    # And with the buttons.
    page.get_by_role("button", name="Zoom in (+)").click()
    page.get_by_role("button", name="Zoom in (+)").click()
    quarter = _view(page)
    assert quarter[1] - quarter[0] == (full[1] - full[0]) // 4
    page.get_by_role("button", name="← Earlier").click()
    assert _view(page)[0] < quarter[0]
    # A bar is placed again: the operation's bar got wider than the whole-plan drawing.
    assert "Showing" in page.locator("#tl-range").inner_text()
    page.get_by_role("button", name="Whole plan (0)").click()
    assert _view(page) == full

    # Tooltips on keyboard focus: Tab from the timeline to its first bar.
    page.locator(".timeline-wrap").focus()
    page.keyboard.press("Tab")
    focused = page.locator(".tl-bar:focus")
    tip = page.locator("#tl-tip")
    tip.wait_for(state="visible")
    assert tip.inner_text() == focused.get_attribute("aria-label")
    assert HERON in tip.inner_text()
    page.locator("#timeline-h").scroll_into_view_if_needed()
    save_screenshot(page, "timeline-tooltip", full_page=False)
    page.keyboard.press("Escape")
    tip.wait_for(state="hidden")

    # The text alternative.
    page.get_by_text("The timeline as a table").click()
    table = page.locator("#timeline-table")
    assert table.locator("tbody tr").count() == 3
    assert "RTP-K9-1" in table.inner_text() and "Mae Sai" in table.inner_text()


def test_a_tap_shows_a_bars_tooltip(browser: Any, live_server: LiveServer, run_id: int) -> None:
    context = browser.new_context(base_url=live_server.url, has_touch=True, is_mobile=True,
                                  viewport={"width": 412, "height": 900})
    context.set_default_timeout(STEP_TIMEOUT_MS)
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        login(page, "admin")
        page.goto(f"/planning/runs/{run_id}")
        page.locator("[data-timeline][data-tl-ready]").wait_for()
        bar = page.locator(".tl-unit .tl-bar", has=page.locator("rect.tl-op")).first
        bar.scroll_into_view_if_needed()
        bar.tap()
        tip = page.locator("#tl-tip")
        tip.wait_for(state="visible")
        assert tip.inner_text() == bar.get_attribute("aria-label")
        # A tap elsewhere hides it.
        page.locator("h1").tap()
        tip.wait_for(state="hidden")
    finally:
        context.close()
    assert not errors, errors
