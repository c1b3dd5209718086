"""A campaign in real Chromium: set up with a phase and a goal, an operation put in
phase 1 on its form, called off, its after-action report filed, submitted and confirmed
by the host country, and the campaign dashboard's chart showing the confirmed arrests.

(The raid is aborted rather than completed: completing needs a solved and published
plan, which test_story.py covers; a report is due after either.)
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from .conftest import LiveServer, login, save_screenshot

CAMPAIGN = "Mekong Shield E2E"
CODE_NAME = "Delta Heron"


def set_up_campaign(page: Any, server: LiveServer) -> str:
    page.goto("/campaigns")
    page.get_by_role("link", name="New campaign").click()
    page.wait_for_url("**/campaigns/new")
    page.locator("#f-name").fill(CAMPAIGN)
    page.locator("#f-description").fill("Border compounds, phase by phase.")
    assert page.get_by_label("TH-RTP — Royal Thai Police").is_checked()  # the planner's own
    page.locator("#f-phases-0-name").fill("Phase 1")
    page.locator("#f-phases-0-starts_on").fill((server.day0 - timedelta(days=1)).date().isoformat())
    page.locator("#f-phases-0-ends_on").fill((server.day0 + timedelta(days=30)).date().isoformat())
    page.locator("#f-phases-0-goals-0-metric").select_option("arrests")
    page.locator("#f-phases-0-goals-0-scope").select_option("TH")
    page.locator("#f-phases-0-goals-0-target").fill("10")
    with page.expect_navigation():
        page.get_by_role("button", name="Save campaign").click()
    page.wait_for_url(re.compile(r"/campaigns/\d+$"))
    assert CAMPAIGN in page.get_by_role("heading", level=1).inner_text()
    return page.url.rsplit("/", 1)[1]


def operation_in_phase_one(page: Any, server: LiveServer) -> str:
    page.goto("/operations/new")
    page.get_by_label("Code name").fill(CODE_NAME)
    page.get_by_label("Campaign phase").select_option(label=f"{CAMPAIGN} — Phase 1")
    start = server.day0 + timedelta(days=2)
    # Typed in the liaison's own zone (24-hour); a day's margin either side of UTC.
    page.get_by_label("Earliest start").fill(start.strftime("%Y-%m-%d %H:%M"))
    page.get_by_label("Latest end").fill((start + timedelta(days=1)).strftime("%Y-%m-%d %H:%M"))
    page.locator("#f-sites-0-region_id").select_option("TH-MSI")
    page.locator("#f-sites-0-objective").fill("Compound, Mae Sai")
    page.locator("#f-sites-0-requirements-0-capability").fill("tactical")
    page.locator("#f-sites-0-requirements-0-count").press("Enter")
    page.wait_for_url(re.compile(r"/operations/OP-[0-9A-F]+$"))
    card = page.locator("dl.op-facts").inner_text()
    assert f"{CAMPAIGN} — Phase 1" in card
    page.get_by_text("Abort (no-go)…").click()
    page.get_by_label("Reason").fill("Compound forewarned; raid called off at the gate.")
    with page.expect_navigation():
        page.get_by_role("button", name="Abort the operation").click()
    assert "aborted" in page.get_by_role("heading", level=1).inner_text()
    return page.url.rsplit("/", 1)[1]


def file_and_confirm_report(page: Any, operation_id: str) -> None:
    page.get_by_role("link", name="Open the report").click()
    page.wait_for_url(f"**/operations/{operation_id}/report")
    page.get_by_label("Chinese (CN)").fill("4")
    page.get_by_label("Sites forewarned").fill("1")
    page.get_by_label("Lessons learned").fill("Lookouts at the gate; approach by river next time.")
    with page.expect_navigation():
        page.get_by_role("button", name="Save draft").click()
    assert "draft" in page.get_by_role("heading", level=1).inner_text()
    with page.expect_navigation():
        page.get_by_role("button", name="Submit to the host countries").click()
    # Thailand is the host country: its liaison officer confirms the Thai part.
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm the TH part").click()
    assert "confirmed" in page.get_by_role("heading", level=1).inner_text()


def test_campaign_report_and_dashboard(new_page: Any, live_server: LiveServer) -> None:
    planner = new_page()
    login(planner, "planner")
    campaign_id = set_up_campaign(planner, live_server)
    planner.goto(f"/campaigns/{campaign_id}/dashboard")
    chart = planner.locator("figure.goal-chart svg").first
    assert "TH: 0" in (chart.locator("desc").text_content() or "")

    liaison = new_page()
    login(liaison, "th-liaison")
    operation_id = operation_in_phase_one(liaison, live_server)
    file_and_confirm_report(liaison, operation_id)

    planner.reload()
    chart = planner.locator("figure.goal-chart svg").first
    assert chart.get_attribute("role") == "img"
    assert "TH: 4" in (chart.locator("desc").text_content() or "")
    assert planner.locator("td.goal-actual").first.inner_text() == "4"
    save_screenshot(planner, "campaign-dashboard")
    review = planner.goto(f"/campaigns/{campaign_id}/review")
    assert review is not None and review.status == 200
    # Myanmar's liaison officer takes no part in the campaign: it does not exist for them.
    outsider = new_page()
    login(outsider, "mm-liaison")
    # (Through the context's request API: a 404 page load counts as a browser error.)
    assert outsider.request.get(f"/campaigns/{campaign_id}").status == 404


def test_note_shared_and_withdrawn(new_page: Any, live_server: LiveServer) -> None:
    thai = new_page()
    login(thai, "th-liaison")
    thai.goto("/intel/new")
    thai.locator("#f-target-name").fill("River compound")
    thai.locator("#f-target-kind").select_option("compound")
    thai.locator("#f-target-region_id").select_option("TH-MSI")
    thai.locator("#f-target-location").fill("North bank")
    with thai.expect_navigation():
        thai.get_by_role("button", name="Add target").click()
    thai.get_by_label("Title").fill("Boats at dusk")
    thai.get_by_label("About").select_option(label="Target: River compound (compound, TH-MSI)")
    thai.get_by_label("TLP label").select_option("AMBER+STRICT")
    thai.get_by_label("Source reliability (A reliable … F cannot be judged)").select_option("B")
    thai.get_by_label("Information credibility (1 confirmed … 6 cannot be judged)").select_option(
        "2")
    thai.get_by_label("Text").fill("Two boats leave the north bank at dusk.")
    with thai.expect_navigation():
        thai.get_by_role("button", name="Save note").click()
    thai.wait_for_url(re.compile(r"/intel/\d+$"))
    note_url = thai.url.split(live_server.url, 1)[1]
    vietnam = new_page()
    login(vietnam, "vn-liaison")
    assert vietnam.request.get(note_url).status == 404  # not released: not there at all
    thai.get_by_label("Release to").select_option("VN-MPS")
    with thai.expect_navigation():
        thai.get_by_role("button", name="Release", exact=True).click()
    vietnam.goto(note_url)
    assert "Two boats leave the north bank" in vietnam.content()
    with thai.expect_navigation():
        thai.get_by_role("button", name="Withdraw VN-MPS").click()
    # Withdrawn: the very next request of Vietnam's officer no longer finds it.
    assert vietnam.request.get(note_url).status == 404
    vietnam.goto("/intel")
    assert "Boats at dusk" not in vietnam.content()
