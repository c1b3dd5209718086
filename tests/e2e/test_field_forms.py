"""Issue 11 in real Chromium: a forgotten region keeps the form; Enter never approves.

The operation made here ends as a draft, so the story test's solve (which counts the
approved operations) does not see it.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from .conftest import PASSWORD, LiveServer, login

CODE_NAME = "Forgotten Region"


def _posts_to(page: Any, fragment: str) -> list[str]:
    """The POST requests the page sends whose URL contains `fragment` (collected live)."""
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url)
            if r.method == "POST" and fragment in r.url else None)
    return seen


def _new_operation_with_a_forgotten_region(page: Any, server: LiveServer) -> None:
    page.goto("/operations/new")
    page.get_by_label("Code name").fill(CODE_NAME)
    start = server.day0 + timedelta(days=5)
    page.get_by_label("Times entered in").select_option("UTC")
    page.get_by_label("Earliest start").fill(start.strftime("%Y-%m-%d %H:%M"))
    page.get_by_label("Latest end").fill((start + timedelta(days=1)).strftime("%Y-%m-%d %H:%M"))
    page.get_by_label("Description").fill("Typed with care, line one.")
    page.locator("#f-sites-0-region_id").select_option("TH-MSI")
    page.locator("#f-sites-0-requirements-0-capability").fill("tactical")
    page.get_by_role("button", name="Add site").click()
    # The second row stays on "Choose…", with an objective and a capability filled in.
    page.locator("#f-sites-1-objective").fill("Call centre, Tachileik")
    page.locator("#f-sites-1-requirements-0-capability").fill("k9")


def test_a_forgotten_region_is_a_field_message_and_keeps_everything_typed(
    new_page: Any, live_server: LiveServer
) -> None:
    page = new_page()
    login(page, "th-liaison")
    _new_operation_with_a_forgotten_region(page, live_server)
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state()
    # Not an error page: the form again, with the message beside the field, and the
    # keyboard focus on the summary of what to correct.
    assert page.get_by_role("heading", level=1).inner_text() == "New operation"
    assert page.evaluate("document.activeElement.id") == "error-summary"
    message = page.locator("#err-sites-1-region_id")
    assert message.inner_text() == "choose the region of this site"
    assert page.locator("#f-sites-1-region_id").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Code name").input_value() == CODE_NAME
    assert page.get_by_label("Description").input_value() == "Typed with care, line one."
    assert page.locator("#f-sites-1-objective").input_value() == "Call centre, Tachileik"
    assert page.locator("#f-sites-1-requirements-0-capability").input_value() == "k9"
    # The summary's link leads to the field's message.
    page.locator("#error-summary").get_by_role("link", name="Site 2: region").click()
    assert page.url.endswith("#err-sites-1-region_id")
    # Choosing the region is all it takes to save.
    page.locator("#f-sites-1-region_id").select_option("MM-TAC")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(re.compile(r"/operations/OP-[0-9A-F]+$"))
    assert CODE_NAME in page.get_by_role("heading", level=1).inner_text()


def test_enter_in_the_decline_reason_never_approves(
    new_page: Any, live_server: LiveServer
) -> None:
    thai = new_page()
    login(thai, "th-liaison")
    _new_operation_with_a_forgotten_region(thai, live_server)
    thai.locator("#f-sites-1-region_id").select_option("MM-TAC")
    thai.get_by_role("button", name="Save draft").click()
    thai.wait_for_url(re.compile(r"/operations/OP-[0-9A-F]+$"))
    operation_id = thai.url.rsplit("/", 1)[1]
    with thai.expect_navigation():
        thai.get_by_role("button", name="Propose to host countries").click()

    # On the operation page: Enter in the reason does nothing at all.
    burmese = new_page()
    login(burmese, "mm-liaison")
    burmese.goto(f"/operations/{operation_id}")
    posts = _posts_to(burmese, "/approvals")
    reason = burmese.get_by_label("Reason (needed to decline)")
    reason.fill("Wrong district")
    reason.press("Enter")
    burmese.wait_for_timeout(700)
    assert posts == [], "Enter in the reason field submitted a decision"
    burmese.reload()
    row = burmese.locator("section[aria-labelledby=appr] tbody tr", has_text="MM")
    assert "pending" in row.inner_text() and "approved" not in row.inner_text()
    # Declining takes the Decline button, and records a decline.
    burmese.get_by_label("Reason (needed to decline)").fill("Wrong district")
    with burmese.expect_navigation():
        burmese.get_by_role("button", name="Decline").click()
    assert "Declined — MM: Wrong district" in burmese.content()
    assert "draft" in burmese.get_by_role("heading", level=1).inner_text()

    # The same in the approvals inbox (htmx forms) after a fresh proposal.
    thai.reload()
    with thai.expect_navigation():
        thai.get_by_role("button", name="Propose to host countries").click()
    burmese.goto("/approvals")
    item = burmese.locator("article.inbox-item", has_text=CODE_NAME)
    posts.clear()
    item.get_by_label("Reason (needed to decline)").fill("Still the wrong district")
    item.get_by_label("Reason (needed to decline)").press("Enter")
    burmese.wait_for_timeout(700)
    assert posts == [], "Enter in the inbox reason field submitted a decision"
    item.get_by_role("button", name="Decline").click()
    burmese.get_by_text(f"{CODE_NAME}: declined.").wait_for()
    burmese.goto(f"/operations/{operation_id}")
    assert "Declined — MM: Still the wrong district" in burmese.content()


def test_times_are_typed_24_hour_in_a_zone_with_utc_echoed_live(new_page: Any) -> None:
    page = new_page()
    login(page, "mm-liaison")
    page.goto("/operations/new")
    zone = page.get_by_label("Times entered in")
    assert zone.input_value() == "Asia/Yangon"  # the officer's own zone by default
    assert page.locator('input[type="datetime-local"]').count() == 0
    page.get_by_label("Earliest start").fill("2026-12-02 09:30")
    echo = page.locator("#echo-earliest_start")
    assert echo.inner_text().startswith("= 2026-12-02 03:00Z · ")
    assert "MM 2026-12-02 09:30 (UTC+06:30)" in echo.inner_text()
    assert "2026-12-02 11:00 (UTC+08:00)" in echo.inner_text()  # China, live
    zone.select_option("UTC")
    assert echo.inner_text().startswith("= 2026-12-02 09:30Z · ")
    page.get_by_label("Earliest start").fill("2/12/2026 9pm")
    assert echo.inner_text().startswith("Type the date and 24-hour time")


def test_the_planner_sees_and_edits_the_horizon_with_clear_errors(
    new_page: Any, live_server: LiveServer
) -> None:
    page = new_page()
    login(page, "planner")
    page.goto("/planning")
    start = live_server.day0.strftime("%Y-%m-%dT%H:%M")
    end = (live_server.day0 + timedelta(days=21)).strftime("%Y-%m-%dT%H:%M")
    shown = page.locator("#horizon-now").inner_text()
    assert live_server.day0.strftime("%Y-%m-%d %H:%MZ") in shown
    assert page.get_by_label("Horizon start (UTC)").input_value() == start
    # An end before the start: refused beside the field, with what was typed kept.
    page.get_by_label("Horizon end (UTC)").fill(
        (live_server.day0 - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Change the horizon").click()
    message = page.locator("#err-horizon_end")
    message.wait_for()
    assert page.evaluate("document.activeElement.id") == "horizon-errors"
    assert message.inner_text() == "the end must be after the start"
    assert page.locator("#horizon-now").inner_text() == shown  # nothing changed
    # A wider horizon is taken, and said.
    wider = (live_server.day0 + timedelta(days=28)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("Horizon end (UTC)").fill(wider)
    page.get_by_role("button", name="Change the horizon").click()
    page.get_by_text("Planning horizon set to").wait_for()
    assert wider.replace("T", " ") in page.locator("#horizon-now").inner_text()
    assert end != wider


def test_the_calendar_page_warns_against_cloud_calendars_and_copies_the_address(
    new_page: Any,
) -> None:
    page = new_page()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    login(page, "vn-liaison")
    page.goto("/calendar")
    opsec = page.locator("#opsec").inner_text()
    assert "Do not use one for TLP:AMBER or TLP:RED operations" in opsec
    page.get_by_label("Device name").fill("Desk laptop")
    page.get_by_label("Device name").press("Enter")
    address = page.locator("#feed-address")
    address.wait_for()
    page.get_by_role("button", name="Copy address").click()
    page.get_by_text("Copied.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == address.inner_text().strip()


def test_the_live_time_hint_speaks_the_readers_language(new_page: Any) -> None:
    """Issue 11: static/js/local-time.js writes the hint in the page's language (the words
    come with the page, data-hint), not its built-in English."""
    page = new_page()
    page.goto("/login")
    page.get_by_label("Language").select_option("lo")  # this device only: nothing saved
    page.get_by_role("button", name="Change language").click()
    page.wait_for_url("**/login")
    page.locator('input[name="username"]').fill("mm-liaison")
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('input[name="password"]').press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto("/operations/new")
    field = page.locator('input[data-time="earliest_start"]')
    echo = page.locator("#echo-earliest_start")
    field.fill("2026-12-02 09:30")
    assert echo.inner_text().startswith("= 2026-12-02 03:00Z · ")
    field.fill("2/12/2026 9pm")
    assert echo.inner_text().startswith("ປ້ອນວັນທີ ແລະ ເວລາແບບ 24 ຊົ່ວໂມງ")
    assert "Type the date" not in echo.inner_text()
