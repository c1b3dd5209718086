"""Issue 11, crossings in real Chromium: the administrator picks a crossing's time zone
from the region's zones and closes it on dated days with a reason (a mistake comes back
beside its field with the input kept); the planning page then names the crossing, and
lifting the closure clears it. Daluo - Mong La: no other browser test's plan uses it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from .conftest import LiveServer, login

EDIT = "/admin/crossings/X-DLO-MLA/edit"
REASON = "Border market days: closed to official traffic"


def test_admin_closes_a_crossing_and_the_planning_page_names_it(
    new_page: Any, live_server: LiveServer
) -> None:
    admin = new_page()
    login(admin, "admin")
    admin.goto(EDIT)
    zone = admin.get_by_label("Time zone")
    assert zone.evaluate("el => el.tagName") == "SELECT"
    options = zone.locator("option").all_inner_texts()
    assert "Asia/Yangon (UTC+06:30)" in options and "Asia/Shanghai (UTC+08:00)" in options
    assert zone.input_value() == "Asia/Shanghai"

    first = live_server.day0 + timedelta(days=5)
    admin.get_by_label("First day closed (local date)").fill(first.strftime("%Y-%m-%d"))
    admin.get_by_label("Last day closed (local date)").fill(
        (first - timedelta(days=2)).strftime("%Y-%m-%d"))
    admin.get_by_label("Reason").fill(REASON)
    admin.get_by_role("button", name="Add closure").click()
    error = admin.locator("#err-closure_ends_on")
    error.wait_for()
    assert error.inner_text() == "the last day closed is before the first"
    assert admin.get_by_label("Reason").input_value() == REASON
    assert admin.get_by_label("First day closed (local date)").input_value() == \
        first.strftime("%Y-%m-%d")
    admin.get_by_label("Last day closed (local date)").fill(
        (first + timedelta(days=1)).strftime("%Y-%m-%d"))
    admin.get_by_role("button", name="Add closure").click()
    listed = admin.locator("#closure-list")
    listed.wait_for()
    try:
        assert REASON in listed.inner_text()
        planner = new_page()
        login(planner, "planner")
        planner.goto("/planning")
        notice = planner.locator("#closures-in-horizon")
        assert "Daluo - Mong La (X-DLO-MLA)" in notice.inner_text()
        assert REASON in notice.inner_text()
    finally:
        admin.goto(EDIT)
        admin.get_by_role("button", name=f"Lift closure of {first.strftime('%Y-%m-%d')}").click()
        admin.locator("#no-closures").wait_for()
    planner.goto("/planning")
    assert planner.locator("#closures-in-horizon").count() == 0
