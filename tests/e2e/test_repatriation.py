"""Repatriation in real Chromium: an administrator sets up the Mae Sai hand-over point and
an escort's capacity, a Thai planner records a cohort of Myanmar nationals and plans the
hand-overs (solved by the worker the server spawned, progress polled by htmx), the
coordination centre (here the administrator) publishes, and Myanmar's liaison officer
confirms a hand-over on Myanmar's board; Vietnam has no board for Myanmar's nationals.
A second cohort planned again shows, before publishing, what the new plan would change."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from .conftest import LiveServer, login

SOLVE_WAIT_MS = 60_000


def set_up_point_and_escort(page: Any) -> None:
    page.goto("/repatriation/points")
    page.get_by_role("link", name="New hand-over point").click()
    page.wait_for_url("**/repatriation/points/new")
    page.locator("#f-id").fill("HP-E2E-MSI")
    page.locator("#f-name").fill("Mae Sai bridge (E2E)")
    page.locator("#f-kind").select_option("crossing")
    page.locator("#f-region_id").select_option("TH-MSI")
    page.locator("#f-crossing_id").select_option("X-MSI-TAC")
    page.locator("#f-capacity").fill("25")
    page.locator("#f-screening_from").fill("08:00")
    page.locator("#f-screening_to").fill("17:00")
    page.locator("input[name='agencies'][value='MM-MPF']").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    assert "Mae Sai bridge (E2E)" in page.content()
    page.get_by_label("Persons per trip of U-TH-ESC").fill("20")
    page.get_by_label("Vehicle of U-TH-ESC").fill("bus")
    with page.expect_navigation():
        page.locator("form[action='/repatriation/escorts/U-TH-ESC'] button").click()
    assert "Escort unit U-TH-ESC saved." in page.content()


def record_cohort(page: Any, server: LiveServer, persons: int = 30) -> None:
    page.goto("/repatriation")
    page.get_by_role("link", name="New cohort").click()
    page.wait_for_url("**/repatriation/cohorts/new")
    page.get_by_label("Nationality").select_option("MM")
    page.get_by_label("Persons").fill(str(persons))
    page.get_by_label("Held at").select_option("TH-MSI")
    page.get_by_label("Earliest release").fill(server.day0.date().isoformat())
    with page.expect_navigation():
        page.get_by_role("button", name="Record cohort").click()
    page.wait_for_url("**/repatriation")
    assert "Cohort recorded." in page.content()


def first_batch_due_today(server: LiveServer) -> None:
    """The first hand-over's day comes: it is moved to today in Bangkok, straight in the
    server's database (the live server keeps the real clock)."""
    engine = sa.create_engine(server.database_url)
    today = datetime.now(ZoneInfo("Asia/Bangkok")).date()
    with engine.begin() as connection:
        first = connection.execute(sa.text(
            "SELECT id FROM handover_batches WHERE state = 'scheduled' ORDER BY at, id"
        )).scalars().first()
        connection.execute(sa.text("UPDATE handover_batches SET day = :day WHERE id = :id"),
                           {"day": today.isoformat(), "id": first})
    engine.dispose()


def plan_handovers(page: Any) -> None:
    page.get_by_label("Horizon (days)").fill("5")
    page.get_by_label("Time limit (seconds)").fill("2")
    with page.expect_navigation():
        page.get_by_role("button", name="Plan hand-overs").click()
    page.wait_for_url(re.compile(r"/repatriation/runs/\d+$"))


def test_cohort_planned_published_and_confirmed(new_page: Any, live_server: LiveServer
                                                ) -> None:
    admin = new_page()
    login(admin, "admin")
    set_up_point_and_escort(admin)

    planner = new_page()
    login(planner, "planner")
    record_cohort(planner, live_server)
    plan_handovers(planner)
    run_url = planner.url.split(live_server.url, 1)[1]
    # htmx polls the run while the worker solves it; the plan appears without a reload.
    planner.locator("#persons-left").wait_for(timeout=SOLVE_WAIT_MS)
    assert planner.locator("#run-status").inner_text() == "succeeded"
    assert planner.locator("#persons-left").inner_text().startswith("0 ")
    assert "The coordination centre publishes" in planner.content()

    admin.goto(run_url)
    with admin.expect_navigation():
        admin.get_by_role("button", name="Publish this plan").click()
    assert admin.locator("#published").is_visible()

    myanmar = new_page()
    login(myanmar, "mm-liaison")
    myanmar.goto("/repatriation/countries/MM")
    scheduled = myanmar.locator("#sched-h + div tbody tr")
    batches = scheduled.count()
    assert batches >= 2  # 30 persons, 20 a trip
    # The plan starts tomorrow: no hand-over can be confirmed before its day.
    assert myanmar.locator("[id^='confirm-from-']").count() == batches
    assert myanmar.get_by_role("button", name="Confirm hand-over").count() == 0
    first_batch_due_today(live_server)
    myanmar.reload()
    with myanmar.expect_navigation():
        myanmar.get_by_role("button", name="Confirm hand-over").first.click()
    assert "Hand-over confirmed." in myanmar.content()
    assert myanmar.locator("#done-h + div tbody tr[id^='batch-']").count() == 1
    assert myanmar.locator("#sched-h + div tbody tr").count() == batches - 1
    assert myanmar.locator("figure svg[role='img']").count() == 1

    # Ten more Myanmar nationals: the next plan's review says what publishing adds,
    # by cohort and point, with names, before anyone publishes it.
    record_cohort(planner, live_server, persons=10)
    plan_handovers(planner)
    planner.locator("#persons-left").wait_for(timeout=SOLVE_WAIT_MS)
    summary = planner.locator("#diff-summary").inner_text()
    assert summary.startswith("Against published plan"), summary
    added = planner.locator("#diff-batches tr.diff-added")
    assert added.count() >= 1
    assert "10 Myanmar nationals held by" in added.first.inner_text()
    assert "Mae Sai bridge (E2E)" in added.first.inner_text()
    assert planner.locator("#diff-trips").is_visible()

    vietnam = new_page()
    login(vietnam, "vn-liaison")
    assert vietnam.request.get("/repatriation/countries/MM").status == 404
