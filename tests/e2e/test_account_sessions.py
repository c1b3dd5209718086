"""Ending another device's session in real Chromium (ASVS 5.0 7.5.2): the password is
asked again, a wrong one ends nothing, and the right one signs the other device out
while this one stays signed in. The form with it passes axe-core."""

from __future__ import annotations

from typing import Any

from .conftest import PASSWORD, login
from .test_accessibility import serious_violations


def test_ending_the_other_devices_session_asks_for_the_password(new_page: Any) -> None:
    laptop, phone = new_page(), new_page()
    login(laptop, "vn-liaison")
    login(phone, "vn-liaison")
    laptop.goto("/account")
    assert serious_violations(laptop, "/account (sessions to end)") == []
    laptop.get_by_label("Current password").fill(PASSWORD + "-wrong")
    laptop.get_by_role("button", name="End session").first.click()
    laptop.get_by_role("alert").filter(has_text="The current password is wrong").wait_for()
    phone.goto("/account")
    assert "/login" not in phone.url  # nothing ended
    laptop.goto("/account")
    laptop.get_by_label("Current password").fill(PASSWORD)
    laptop.get_by_role("button", name="End every other session").click()
    laptop.get_by_text("Every other session has ended.").wait_for()
    phone.goto("/account")
    assert "/login" in phone.url
    laptop.goto("/account")
    assert "/login" not in laptop.url
