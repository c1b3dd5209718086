"""The whole story in real Chromium: propose, approve, solve, publish, find the orders.

A Royal Thai Police liaison officer proposes a simultaneous strike on a casino compound
in Mae Sai (Thailand) and a call centre across the bridge in Tachileik (Myanmar), with
a Thai dog team crossing into Myanmar (foreign support). Thailand and Myanmar consent,
the planner solves in the background worker and publishes, and the operation appears
in the board's scheduled column and in the dog team officer's "My tasking".
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
import icalendar

from .conftest import PASSWORD, LiveServer, login, save_screenshot

CODE_NAME = "Bridge Lantern"
PHONE = {"width": 375, "height": 800}


def local_input(value: Any) -> str:
    """A UTC instant as a datetime-local field value."""
    return value.strftime("%Y-%m-%dT%H:%M")


def no_horizontal_overflow(page: Any) -> None:
    """The page fits the viewport's width: nothing to scroll sideways."""
    widths = page.evaluate(
        "() => ({doc: document.documentElement.scrollWidth, body: document.body.scrollWidth,"
        " view: window.innerWidth})"
    )
    assert widths["doc"] <= widths["view"] and widths["body"] <= widths["view"], (
        f"{page.url} scrolls sideways on a {widths['view']} px screen: {widths}"
    )


def sign_in_with_the_keyboard(page: Any, username: str) -> None:
    """Type the username, Tab to the password, Enter to submit: no mouse."""
    page.goto("/login")
    assert page.evaluate("document.activeElement.id") == "username"  # autofocus
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)


def propose(page: Any, server: LiveServer, code_name: str = CODE_NAME) -> str:
    """Fill the new-operation form (two sites, three requirements) and propose it."""
    page.goto("/board")
    page.get_by_role("link", name="New operation").click()
    page.wait_for_url("**/operations/new")
    page.get_by_label("Code name").fill(code_name)
    page.get_by_label("Priority").select_option(label="2 High")
    page.get_by_label("TLP label").select_option("AMBER")
    start = server.day0 + timedelta(days=3)
    page.get_by_label("Times entered in").select_option("UTC")
    page.get_by_label("Earliest start").fill(local_input(start))
    page.get_by_label("Latest end").fill(local_input(start + timedelta(days=2)))
    page.get_by_label("Duration (minutes)").fill("240")
    page.get_by_label("Foreign support requested").check()
    page.get_by_label("Description").fill("Simultaneous strike on both ends of the bridge.")

    page.locator("#f-sites-0-region_id").select_option("TH-MSI")
    page.locator("#f-sites-0-objective").fill("Casino compound, Mae Sai")
    page.locator("#f-sites-0-requirements-0-capability").fill("tactical")
    page.locator("#f-sites-0-requirements-0-count").fill("1")
    # "Add site" swaps the sites block in place (htmx) and focuses the new row.
    page.get_by_role("button", name="Add site").click()
    page.locator("#f-sites-1-region_id").select_option("MM-TAC")
    page.locator("#f-sites-1-objective").fill("Call centre, Tachileik")
    page.locator("#f-sites-1-requirements-0-capability").fill("tactical")
    page.locator("#f-sites-1-requirements-0-count").fill("1")
    page.locator("#site-1").get_by_role("button", name="Add requirement").click()
    page.locator("#f-sites-1-requirements-1-capability").fill("k9")
    page.locator("#f-sites-1-requirements-1-count").fill("1")
    # The fields typed before the htmx swaps are still there.
    assert page.locator("#f-sites-0-objective").input_value() == "Casino compound, Mae Sai"
    assert page.get_by_label("Code name").input_value() == code_name

    # Enter in a field saves the draft (the form's default button), as a keyboard user would.
    page.locator("#f-sites-1-requirements-1-count").press("Enter")
    page.wait_for_url(re.compile(r"/operations/OP-[0-9A-F]+$"))
    operation_id = page.url.rsplit("/", 1)[1]
    heading = page.get_by_role("heading", level=1)
    assert code_name in heading.inner_text() and "draft" in heading.inner_text()
    assert "Mae Sai" in page.content() and "Tachileik" in page.content()

    with page.expect_navigation():
        page.get_by_role("button", name="Propose to host countries").click()
    assert "proposed" in page.get_by_role("heading", level=1).inner_text()
    return operation_id


def decide_for_own_country(page: Any, operation_id: str, country: str) -> None:
    """Approve host consent and consent to foreign units for `country` on the page."""
    page.goto(f"/operations/{operation_id}")
    for kind in ("host", "foreign_support"):
        form = page.locator("div.decide").filter(
            has=page.locator(f"input[name=country_code][value={country}]")
        ).filter(has=page.locator(f"input[name=kind][value={kind}]"))
        # Each decision reloads the page: the next form must carry the new version.
        with page.expect_navigation():
            form.get_by_role("button", name="Approve").click()
    approvals = page.locator("section[aria-labelledby=appr]")
    rows = approvals.locator("tbody tr").filter(has_text=country)
    assert rows.count() == 2
    for i in range(2):
        assert "approved" in rows.nth(i).inner_text()


def subscribe_a_calendar_and_read_the_order(officer: Any) -> None:
    """Create a feed address on "My calendar" with the keyboard, fetch it like a
    calendar app, and find the order in it in UTC and in both local zones."""
    officer.get_by_role("link", name="My calendar").click()
    officer.wait_for_url("**/calendar")
    officer.get_by_label("Device name").fill("iPhone")
    officer.get_by_label("Feed").select_option(label="My taskings (follows my unit)")
    officer.get_by_label("Device name").press("Enter")
    shown = officer.locator("section[aria-labelledby=new-feed]")
    shown.wait_for()
    assert shown.locator("svg").is_visible()  # the QR code for the phone's camera
    webcal, address = (code.inner_text() for code in shown.locator("code").all())
    assert webcal.startswith("webcal://") and webcal.endswith(address.split("://", 1)[1])
    response = httpx.get(address)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    events = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    (event,) = [e for e in events if str(e["SUMMARY"]) == CODE_NAME]
    assert event["DTSTART"].dt.utcoffset() == timedelta(0)  # UTC, never floating
    description = str(event["DESCRIPTION"])
    h_hour = next(line for line in description.split("\n") if line.startswith("H-hour: "))
    assert "UTC / " in h_hour
    assert "Asia/Bangkok (UTC+07:00)" in h_hour and "Asia/Yangon (UTC+06:30)" in h_hour
    assert "Crossing out (Mae Sai - Tachileik)" in description
    # Shown once: the list names the device, the address is gone from the page.
    officer.reload()
    listing = officer.locator("section[aria-labelledby=feed-list]").inner_text()
    assert "iPhone" in listing and address not in officer.content()


def test_propose_approve_solve_publish_and_find_the_orders(
    new_page: Any, live_server: LiveServer
) -> None:
    # 1. The Thai liaison officer signs in with the keyboard and proposes the operation.
    thai = new_page()
    sign_in_with_the_keyboard(thai, "th-liaison")
    operation_id = propose(thai, live_server)
    # Thailand is a host country too: another of its liaison officers consents for it
    # (the proposer may not approve its own operation).
    thai.goto(f"/operations/{operation_id}")
    assert thai.locator("form.decide").count() == 0
    second = new_page()
    login(second, "th-liaison-2")
    second.goto(f"/operations/{operation_id}")
    decide_for_own_country(second, operation_id, "TH")
    assert "proposed" in second.get_by_role("heading", level=1).inner_text()

    # 2. Myanmar's liaison officer finds it in the approvals inbox and consents.
    burmese = new_page()
    login(burmese, "mm-liaison")
    burmese.goto("/approvals")
    # The inbox is shared with the other browser tests' operations: follow this one's link.
    burmese.locator(f'article.inbox-item h2 a[href="/operations/{operation_id}"]').first.click()
    burmese.wait_for_url(f"**/operations/{operation_id}")
    decide_for_own_country(burmese, operation_id, "MM")
    assert "approved" in burmese.get_by_role("heading", level=1).inner_text()

    # 3. The planner solves in the background and watches the live progress.
    planner = new_page()
    login(planner, "planner")
    planner.goto("/planning")
    planner.get_by_label("Time limit (seconds)").fill("3")
    planner.get_by_role("button", name="Solve approved operations").click()
    planner.wait_for_url(re.compile(r"/planning/runs/\d+$"))
    # The page polls itself (htmx) until the worker has finished: no reload here.
    status = planner.locator("#run-status")
    status.filter(has_text=re.compile("succeeded|failed|cancelled")).wait_for(timeout=60_000)
    assert status.inner_text() == "succeeded", planner.locator("#run").inner_text()
    assert "1 of 1 operations" in planner.locator("#run").inner_text()
    assert operation_id in planner.locator("#run").inner_html()  # the timeline and changes

    # 4. The Thai dog team crosses into Myanmar: Myanmar confirms the actual units first
    # (consent with eyes open), and publishing waits until it has.
    planner.locator("#host-confirmations").get_by_text("not asked").wait_for()
    planner.get_by_role("button", name="Ask the hosts to confirm").click()
    planner.locator("#host-confirmations .host-state-pending").wait_for()
    # Myanmar's liaison is told: a notice names the operation and leads to where they
    # confirm (the unread badge counts it).
    burmese.goto("/notices")
    assert burmese.locator("#unread-notices").is_visible()
    notice = burmese.locator("#notices li.notice-unread", has_text=f"({operation_id})")
    assert "Foreign units to confirm" in notice.inner_text()
    notice.get_by_role("link", name="Confirm or decline the units").click()
    burmese.wait_for_url("**/approvals#confirm-units")
    request = burmese.locator("#confirm-units article", has=burmese.locator(
        f'a[href="/operations/{operation_id}"]'))
    assert "RTP-K9-1" in request.inner_text() and "(UTC+06:30)" in request.inner_text()
    # Enter in the reason field declines nothing (a decision takes a click).
    request.get_by_label("Reason (needed to decline)").fill("typed, then Enter")
    request.get_by_label("Reason (needed to decline)").press("Enter")
    burmese.wait_for_timeout(500)
    assert request.count() == 1 and "/approvals" in burmese.url
    request.get_by_role("button", name="Confirm these units").click()
    burmese.wait_for_url("**/approvals")
    assert burmese.locator("#confirm-units article", has=burmese.locator(
        f'a[href="/operations/{operation_id}"]')).count() == 0
    planner.reload()
    planner.locator("#host-confirmations .host-state-confirmed").wait_for()

    # 5. Publish (the confirmation dialog is accepted).
    planner.once("dialog", lambda dialog: dialog.accept())
    planner.get_by_role("button", name=re.compile(r"Publish plan \d+")).click()
    planner.get_by_text(re.compile(r"Plan \d+ is the published plan")).wait_for()

    # 6. On the board, the operation sits in the scheduled column with its H-hour.
    planner.goto("/board")
    scheduled = planner.locator("section.board-col", has=planner.locator("#col-scheduled"))
    card = scheduled.locator("article.op-card", has_text=CODE_NAME)
    card.wait_for()
    assert "H-hour" in card.inner_text()
    # H-hour in every zone the operation touches: Thailand UTC+07:00, Myanmar UTC+06:30.
    assert "(UTC+07:00)" in card.inner_text() and "(UTC+06:30)" in card.inner_text()
    save_screenshot(planner, "board")
    card.get_by_role("link", name=CODE_NAME).click()
    assert "scheduled" in planner.get_by_role("heading", level=1).inner_text()
    units = planner.locator("section[aria-labelledby=units]").inner_text()
    assert "RTP-K9-1" in units and "MPF-Tactical-1" in units and "RTP-Tactical-1" in units

    # 7. The dog team's officer finds the order, with the bridge crossing, in My tasking.
    officer = new_page()
    login(officer, "k9-officer")
    officer.goto("/tasking")
    order = officer.locator("li.deployment", has_text=CODE_NAME)
    order.wait_for()
    text = order.inner_text()
    assert "RTP-K9-1" in text and "k9" in text
    assert "Mae Sai" in text and "Tachileik" in text  # the crossing it uses
    assert "H-hour" in text

    # 8. The officer subscribes a calendar app from the board, which then fetches the
    #    address as any calendar app would and shows the order with its local times.
    subscribe_a_calendar_and_read_the_order(officer)

    # 9. The same pages on a phone: nothing scrolls sideways, with real content on them.
    planner.set_viewport_size(PHONE)
    planner.goto("/board")
    planner.get_by_text(CODE_NAME).first.wait_for()
    no_horizontal_overflow(planner)
    save_screenshot(planner, "board-phone")
    officer.set_viewport_size(PHONE)
    officer.goto("/tasking")
    officer.get_by_text(CODE_NAME).first.wait_for()
    no_horizontal_overflow(officer)


def test_phone_viewport_board_and_tasking_fit_the_screen(new_page: Any) -> None:
    """375 px wide: sign-in, board, new-operation form and my tasking, no sideways scroll."""
    page = new_page(viewport=PHONE)
    page.goto("/login")
    no_horizontal_overflow(page)
    login(page, "th-liaison")
    for path in ("/board", "/operations/new", "/approvals", "/tasking"):
        page.goto(path)
        assert page.get_by_role("heading", level=1).is_visible(), path
        no_horizontal_overflow(page)
    officer = new_page(viewport=PHONE)
    login(officer, "k9-officer")
    officer.goto("/tasking")
    assert officer.get_by_role("heading", level=1).is_visible()
    no_horizontal_overflow(officer)
