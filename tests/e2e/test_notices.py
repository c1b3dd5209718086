"""Issue 11 in real Chromium: an amendment of a published order reaches the officer of
the tasked unit as an unread badge in the navigation, reached and cleared by keyboard."""

from __future__ import annotations

from typing import Any

from app.models import OperationState

from .conftest import LiveServer, login
from .test_field_live_ops import _published, _set_state


def test_an_amended_order_shows_as_an_unread_notice_for_the_officer(
    new_page: Any, live_server: LiveServer
) -> None:
    _published(live_server, "OP-E2E-NTC", "Amber Wren", "U-TH-K9", days=16)
    try:
        liaison = new_page()
        login(liaison, "th-liaison")
        liaison.goto("/operations/OP-E2E-NTC/edit")
        liaison.get_by_label("Description").fill("Raid on the riverside compound, gate 2")
        liaison.get_by_role("button", name="Save changes").click()
        liaison.wait_for_url("**/operations/OP-E2E-NTC")

        page = new_page()
        login(page, "k9-officer")
        page.goto("/tasking")
        badge = page.get_by_role("link", name="Notices, 1 unread")
        assert badge.inner_text().strip() == "Notices 1"
        # By keyboard: focus the link, follow it, mark all read.
        badge.focus()
        page.keyboard.press("Enter")
        page.wait_for_url("**/notices")
        notice = page.locator(".notice-unread")
        assert "Amber Wren: the order of RTP-K9-1 was amended" in notice.inner_text()
        assert "description" in notice.inner_text()
        page.get_by_role("button", name="Mark all read").focus()
        page.keyboard.press("Enter")
        page.get_by_text("Marked 1 notice(s) read.").wait_for()
        page.goto("/tasking")
        assert page.get_by_role("link", name="Notices, none unread").is_visible()
    finally:
        _set_state(live_server, "OP-E2E-NTC", OperationState.aborted)
