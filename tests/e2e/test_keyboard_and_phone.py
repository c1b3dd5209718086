"""Issue 11, "Keyboard and phone", in real Chromium on a 390 x 844 screen.

The navigation folds behind a menu button (keyboard operable, aria-expanded), the board
shows one column at a time with a switcher, and tables reflow into labelled rows. The
operation written here stays a draft, so the story's solve never counts it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import Session

from app.db import make_engine
from app.models import Operation, OperationState, Requirement, Site

from .conftest import LiveServer, login
from .test_accessibility import serious_violations
from .test_story import no_horizontal_overflow

PHONE = {"width": 390, "height": 844}
OP_ID = "OP-E2EPHONE"
NAME = "Pocket Crane"


def _draft(server: LiveServer) -> None:
    engine = make_engine(server.database_url)
    start = server.day0 + timedelta(days=12)
    try:
        with Session(engine) as session:
            if session.get(Operation, OP_ID) is not None:
                return
            session.add(Operation(
                id=OP_ID, code_name=NAME, lead_agency_id="TH-RTP", priority=16,
                earliest_start=start, latest_end=start + timedelta(days=1),
                duration_minutes=240, state=OperationState.draft))
            session.flush()
            session.add(Site(id=f"S-{OP_ID}", operation_id=OP_ID, region_id="TH-MSI",
                             objective="Boat yard by the Ruak river bank, north shed"))
            session.flush()
            session.add(Requirement(site_id=f"S-{OP_ID}", capability="tactical", count=2))
            session.commit()
    finally:
        engine.dispose()


def test_menu_button_opens_the_navigation_from_the_keyboard(
    new_page: Any, live_server: LiveServer
) -> None:
    page = new_page(viewport=PHONE)
    login(page, "th-liaison")
    page.goto("/board")
    menu = page.get_by_role("button", name="Menu")
    board_link = page.locator("#main-nav").get_by_role("link", name="Board")
    assert menu.is_visible() and not board_link.is_visible()
    assert menu.get_attribute("aria-expanded") == "false"
    assert menu.get_attribute("aria-controls") == "main-nav"
    # From the skip link, Tab reaches the menu button; Enter opens the navigation.
    page.keyboard.press("Tab")
    for _ in range(4):
        if page.evaluate("document.activeElement.id") == "menu-button":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "menu-button"
    page.keyboard.press("Enter")
    assert menu.get_attribute("aria-expanded") == "true"
    assert board_link.is_visible()
    assert page.evaluate("document.activeElement.closest('#main-nav') !== null")
    assert serious_violations(page, "th-liaison /board, phone, menu open") == []
    # Escape folds it again and gives the focus back to the button.
    page.keyboard.press("Escape")
    assert menu.get_attribute("aria-expanded") == "false"
    assert not board_link.is_visible()
    assert page.evaluate("document.activeElement.id") == "menu-button"
    # Space works as well as Enter, and a link in the menu is followed with Enter.
    page.keyboard.press(" ")
    assert menu.get_attribute("aria-expanded") == "true"
    page.locator("#main-nav").get_by_role("link", name="Approvals").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/approvals")
    assert page.get_by_role("button", name="Menu").get_attribute("aria-expanded") == "false"
    no_horizontal_overflow(page)

    # On a wide screen there is no menu button: the navigation is always there.
    wide = new_page()
    login(wide, "th-liaison")
    wide.goto("/board")
    assert not wide.get_by_role("button", name="Menu").is_visible()
    assert wide.locator("#main-nav").get_by_role("link", name="Board").is_visible()
    assert not wide.locator(".col-switch").is_visible()


def test_the_board_shows_one_column_at_a_time_and_tables_reflow(
    new_page: Any, live_server: LiveServer
) -> None:
    _draft(live_server)
    page = new_page(viewport=PHONE)
    login(page, "th-liaison")
    page.goto("/board")
    pick = page.get_by_label("Column")
    assert pick.is_visible() and pick.input_value() == ""  # all columns at first
    assert page.locator("#board-columns .board-col[data-state=proposed]").is_visible()
    pick.select_option("draft")
    draft_col = page.locator("#board-columns .board-col[data-state=draft]")
    assert draft_col.is_visible() and draft_col.get_by_text(NAME).is_visible()
    for other in ("proposed", "approved", "scheduled", "completed"):
        assert not page.locator(f"#board-columns .board-col[data-state={other}]").is_visible()
    no_horizontal_overflow(page)
    assert serious_violations(page, "th-liaison /board, phone, one column") == []
    # The choice holds across the board's refresh (htmx swaps the columns).
    page.evaluate("htmx.ajax('GET', '/board', {target: '#board-columns', swap: 'outerHTML'})")
    page.wait_for_timeout(500)
    assert page.locator("#board-columns .board-col[data-state=draft]").is_visible()
    assert not page.locator("#board-columns .board-col[data-state=proposed]").is_visible()
    pick.select_option("")
    assert page.locator("#board-columns .board-col[data-state=proposed]").is_visible()

    # Tables become labelled rows: no sideways scrolling, each value with its heading.
    page.goto(f"/operations/{OP_ID}")
    no_horizontal_overflow(page)
    sites = page.locator("section[aria-labelledby=sites] table")
    assert "reflow" in (sites.get_attribute("class") or "")
    # The heading row is moved off screen (still read out by screen readers).
    head = sites.locator("thead").bounding_box()
    assert head is None or head["x"] + head["width"] <= 0
    region = sites.locator("tbody td[data-label=Region]").first
    assert region.is_visible() and "Mae Sai" in region.inner_text()
    label = region.evaluate("td => getComputedStyle(td, '::before').content")
    assert label == '"Region"'
    # A cell reads beside its label, not under a column out of view.
    box = region.bounding_box()
    assert box is not None and box["x"] + box["width"] <= PHONE["width"]
    assert serious_violations(page, f"th-liaison /operations/{OP_ID}, phone") == []
