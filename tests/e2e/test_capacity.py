"""The capacity gap of a campaign in real Chromium.

A Thai planner sets up a campaign with Myanmar's police; a Thai liaison officer proposes
a raid in Tachileik (Myanmar) needing a cyber unit, which Myanmar approves. No unit of the
world can do that work in Myanmar, so the planner's capacity page shows the gap for phase
1, Tachileik, cyber. The planner offers the Thai dog team to Myanmar; Myanmar's planner
accepts it; then "What would help most" runs in the background worker and ranks its
changes. Every wait is on a selector (the CSP forbids evaluated strings).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from .conftest import LiveServer, login, save_screenshot

CAMPAIGN = "Capacity Shield E2E"
CODE_NAME = "Quiet Circuit"
# The background analysis solves a baseline and each change: seconds on a tiny world,
# more on a busy machine.
ANALYSIS_TIMEOUT_MS = 120_000


def set_up_campaign(page: Any, server: LiveServer) -> str:
    page.goto("/campaigns/new")
    page.locator("#f-name").fill(CAMPAIGN)
    page.locator("#f-description").fill("Cyber units for the border towns.")
    page.locator("input[name=agencies][value=MM-MPF]").check()
    page.locator("#f-phases-0-name").fill("Phase 1")
    page.locator("#f-phases-0-starts_on").fill((server.day0 - timedelta(days=1)).date().isoformat())
    page.locator("#f-phases-0-ends_on").fill((server.day0 + timedelta(days=30)).date().isoformat())
    page.locator("#f-phases-0-goals-0-metric").select_option("arrests")
    page.locator("#f-phases-0-goals-0-scope").select_option("MM")
    page.locator("#f-phases-0-goals-0-target").fill("20")
    with page.expect_navigation():
        page.get_by_role("button", name="Save campaign").click()
    page.wait_for_url(re.compile(r"/campaigns/\d+$"))
    return page.url.rsplit("/", 1)[1]


def propose_cyber_raid(page: Any, server: LiveServer) -> str:
    """A raid in Tachileik needing one cyber unit (none in Myanmar), proposed in phase 1."""
    page.goto("/operations/new")
    page.get_by_label("Code name").fill(CODE_NAME)
    page.get_by_label("Campaign phase").select_option(label=f"{CAMPAIGN} — Phase 1")
    start = server.day0 + timedelta(days=4)
    page.get_by_label("Earliest start").fill(start.strftime("%Y-%m-%d %H:%M"))
    page.get_by_label("Latest end").fill((start + timedelta(days=1)).strftime("%Y-%m-%d %H:%M"))
    page.locator("#f-sites-0-region_id").select_option("MM-TAC")
    page.locator("#f-sites-0-objective").fill("Call centre servers, Tachileik")
    page.locator("#f-sites-0-requirements-0-capability").fill("cyber")
    page.locator("#f-sites-0-requirements-0-count").press("Enter")
    page.wait_for_url(re.compile(r"/operations/OP-[0-9A-F]+$"))
    with page.expect_navigation():
        page.get_by_role("button", name="Propose to host countries").click()
    assert "proposed" in page.get_by_role("heading", level=1).inner_text()
    return page.url.rsplit("/", 1)[1]


def approve_as_host(page: Any, operation_id: str, country: str) -> None:
    page.goto(f"/operations/{operation_id}")
    form = page.locator("div.decide").filter(
        has=page.locator(f"input[name=country_code][value={country}]")
    ).filter(has=page.locator("input[name=kind][value=host]"))
    with page.expect_navigation():
        form.get_by_role("button", name="Approve").click()
    assert "approved" in page.get_by_role("heading", level=1).inner_text()


def gap_row(page: Any) -> Any:
    """The row of the per-phase table for phase 1, Tachileik, cyber."""
    return (page.locator("#gaps table").first.locator("tbody tr")
            .filter(has_text="Tachileik (MM)").filter(has_text="cyber"))


def test_gap_offer_accepted_and_what_would_help_most(new_page: Any,
                                                      live_server: LiveServer) -> None:
    planner = new_page()
    login(planner, "planner")
    campaign_id = set_up_campaign(planner, live_server)
    liaison = new_page()
    login(liaison, "th-liaison")
    operation_id = propose_cyber_raid(liaison, live_server)
    myanmar = new_page()
    login(myanmar, "mm-liaison")
    approve_as_host(myanmar, operation_id, "MM")

    # The shortage table: one operation asks for one cyber unit; no unit of the register
    # may serve there, and no solve is needed to say so.
    planner.goto(f"/campaigns/{campaign_id}/capacity")
    row = gap_row(planner)
    row.wait_for()
    cells = [c.strip() for c in row.locator("td").all_inner_texts()]
    assert cells == ["Phase 1", "Tachileik (MM)", "cyber", "1", "1", "0", "0", "1", "0",
                     "0"], cells
    worst = planner.locator("#gaps ul li").first.inner_text()
    assert worst == "Tachileik (MM): 1 operation short of cyber units in Phase 1", worst

    # The Thai planner offers the dog team to Myanmar for phase 1 (htmx form).
    offers = planner.locator("#offers")
    offers.locator("#f-phase_id").select_option(label="Phase 1")
    offers.locator("#f-to_country").select_option("MM")
    offers.locator("#f-unit_ids").select_option(["U-TH-K9"])
    offers.locator("#f-note").fill("Dog team with handler, for the Tachileik raids.")
    offers.get_by_role("button", name="Record the offer").click()
    offer = planner.locator("#offers tbody tr[id^=offer-]").filter(has_text="U-TH-K9")
    offer.filter(has_text="offered").wait_for()
    assert "MM" in offer.inner_text() and "TH-RTP" in offer.inner_text()
    # The offering side may withdraw, never accept its own offer.
    assert offer.get_by_role("button", name="Accept").count() == 0

    # Myanmar's planner accepts it.
    receiver = new_page()
    login(receiver, "mm-planner")
    receiver.goto(f"/campaigns/{campaign_id}/capacity")
    theirs = receiver.locator("#offers tbody tr[id^=offer-]").filter(has_text="U-TH-K9")
    theirs.get_by_role("button", name="Accept").click()
    theirs.filter(has_text="accepted").wait_for()
    assert theirs.get_by_role("button", name="Accept").count() == 0

    # What would help most: queued, polled while it runs, then ranked.
    planner.reload()
    mine = planner.locator("#offers tbody tr[id^=offer-]").filter(has_text="U-TH-K9")
    assert "accepted" in mine.inner_text()
    with planner.expect_navigation():
        planner.get_by_role("button", name="Find what would help most").click()
    ranking = planner.locator("#help ol.ranking li")
    ranking.first.wait_for(timeout=ANALYSIS_TIMEOUT_MS)
    status = planner.locator("#help p").filter(has_text="Analysis").inner_text()
    assert "succeeded" in status, status
    best = ranking.first.inner_text()
    # More cyber units in Tachileik would let the raid be scheduled: its priority gained.
    assert "more cyber unit" in best and "Tachileik (MM)" in best, best
    assert re.search(r"\+\d+ priority, 1 operation scheduled", best), best
    save_screenshot(planner, "campaign-capacity")

    # Leave the world as other tests expect it: the raid is called off.
    liaison.goto(f"/operations/{operation_id}")
    liaison.get_by_text("Abort (no-go)…").click()
    liaison.get_by_label("Reason").fill("No cyber unit can reach Tachileik.")
    with liaison.expect_navigation():
        liaison.get_by_role("button", name="Abort the operation").click()
    assert "aborted" in liaison.get_by_role("heading", level=1).inner_text()
