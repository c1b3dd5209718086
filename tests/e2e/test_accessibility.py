"""axe-core on every main page and after htmx swaps: no serious or critical violation.

axe-core is the copy shipped inside axe-playwright-python (no network). Each page is
checked as the role that works on it; the swaps are the ones users make most: a site row
added to the operation form, the board filtered, the audit trail searched.
"""

from __future__ import annotations

import re
from typing import Any

from axe_playwright_python.sync_playwright import Axe

from .conftest import LiveServer, login
from .test_story import propose

BLOCKING = {"serious", "critical"}
axe = Axe()
checked: list[str] = []


def serious_violations(page: Any, where: str) -> list[str]:
    """Every serious or critical axe-core violation on `page`, one line per node."""
    results = axe.run(page)
    checked.append(where)
    found = []
    for violation in results.response["violations"]:
        if violation.get("impact") in BLOCKING:
            for node in violation["nodes"]:
                found.append(f"{where}: {violation['id']} ({violation['impact']}): "
                             f"{violation['help']} at {node['target']}")
    return found


def test_main_pages_and_htmx_swaps_have_no_serious_violation(
    new_page: Any, live_server: LiveServer
) -> None:
    found: list[str] = []
    anonymous = new_page()
    anonymous.goto("/login")
    found += serious_violations(anonymous, "/login")

    liaison = new_page()
    login(liaison, "th-liaison")
    operation_id = propose(liaison, live_server, code_name="Axe Lantern")
    pages = {
        "th-liaison": ["/board", f"/operations/{operation_id}", "/operations/new",
                       f"/operations/{operation_id}/edit", "/approvals", "/calendar",
                       "/account", "/account/password", "/account/totp"],
        "planner": ["/planning", "/tasking", "/api/docs"],
        "k9-officer": ["/tasking", "/calendar", "/notices"],
        "admin": ["/admin", "/admin/users", "/admin/users/new", "/admin/units", "/admin/crossings",
                  "/admin/crossings/new", "/admin/audit", "/admin/import"],
    }
    tabs = {"th-liaison": liaison}
    for username, paths in pages.items():
        page = tabs.get(username) or new_page()
        if username not in tabs:
            login(page, username)
            tabs[username] = page
        for path in paths:
            response = page.goto(path)
            assert response is not None and response.ok, (username, path, response)
            page.get_by_role("heading", level=1).first.wait_for()
            found += serious_violations(page, f"{username} {path}")

    # After htmx swaps: the operation form's sites block, the board's columns, the trail.
    liaison.goto("/operations/new")
    liaison.get_by_role("button", name="Add site").click()
    liaison.locator("#f-sites-1-region_id").wait_for()
    found += serious_violations(liaison, "th-liaison /operations/new after Add site")
    liaison.goto("/board")
    with liaison.expect_response(re.compile(r"/board\?")):
        liaison.locator("#board-filters select[name=state]").select_option("proposed")
    liaison.locator("#board-columns").wait_for()
    found += serious_violations(liaison, "th-liaison /board after filtering")
    admin = tabs["admin"]
    # A user's page: the password reset form with its identity check fields.
    admin.goto("/admin/users?q=th-liaison")
    admin.locator("#rows a[href$='/edit']").first.click()
    admin.locator("#reset-password").wait_for()
    found += serious_violations(admin, "admin a user's page")
    admin.goto("/admin/audit")
    with admin.expect_response(re.compile(r"/admin/audit\?")):
        admin.locator("#f-action").fill("auth.")
        admin.locator("#f-action").press("Enter")
    admin.locator("#rows").wait_for()
    found += serious_violations(admin, "admin /admin/audit after searching")

    print(f"\naxe-core: {len(checked)} page states checked, {len(found)} serious or critical "
          "violations")
    assert not found, "\n".join(found)
