"""Issue 13 in real Chromium: the operation form's cordon fields. A bad value comes back
beside its field with everything typed kept; once mended, the operation page shows the
cordon. The operation stays a draft, so the story test's solve does not see it."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from .conftest import LiveServer, login

CODE_NAME = "Sealed Bridge"


def test_the_cordon_fields_keep_their_input_and_save_the_cordon(
    new_page: Any, live_server: LiveServer
) -> None:
    page = new_page()
    login(page, "th-liaison")
    page.goto("/operations/new")
    page.get_by_label("Code name").fill(CODE_NAME)
    start = live_server.day0 + timedelta(days=6)
    page.get_by_label("Times entered in").select_option("UTC")
    page.get_by_label("Earliest start").fill(start.strftime("%Y-%m-%d %H:%M"))
    page.get_by_label("Latest end").fill((start + timedelta(days=1)).strftime("%Y-%m-%d %H:%M"))
    page.locator("#f-sites-0-region_id").select_option("MM-TAC")
    page.locator("#f-sites-0-requirements-0-capability").fill("tactical")
    # The cordon: two chosen crossings, a negative lead (wrong), a tail, two per side.
    page.get_by_label("Seal", exact=True).select_option("crossings")
    page.get_by_label("Crossings to seal").select_option(["X-MSI-TAC", "X-MST-MYW"])
    page.get_by_label("Lead before H-hour (minutes)").fill("-30")
    page.get_by_label("Tail after the end (minutes)").fill("45")
    page.get_by_label("Border-control units per side").fill("2")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "New operation"
    assert "greater than or equal to 0" in page.locator("#err-cordon-lead_minutes").inner_text()
    assert page.locator("#f-cordon-lead_minutes").get_attribute("aria-invalid") == "true"
    # Everything typed is still there, the chosen crossings too.
    assert page.get_by_label("Seal", exact=True).input_value() == "crossings"
    chosen = page.locator("#f-cordon-crossings option:checked").all_inner_texts()
    assert sorted(chosen) == ["Mae Sai - Tachileik (X-MSI-TAC)", "Mae Sot - Myawaddy (X-MST-MYW)"]
    assert page.get_by_label("Tail after the end (minutes)").input_value() == "45"
    assert page.get_by_label("Border-control units per side").input_value() == "2"
    assert page.get_by_label("Code name").input_value() == CODE_NAME
    page.locator("#error-summary").get_by_role(
        "link", name="Cordon: lead before H-hour").click()
    assert page.url.endswith("#err-cordon-lead_minutes")
    page.get_by_label("Lead before H-hour (minutes)").fill("90")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(re.compile(r"/operations/OP-[0-9A-F]+$"))
    summary = page.locator("#cordon-summary").inner_text()
    assert "Mae Sai - Tachileik" in summary and "Mae Sot - Myawaddy" in summary
    assert "90 min before H-hour" in summary and "45 min after the end" in summary
    assert "2 border-control units" in summary
