"""Issue 11 in real Chromium, on published operations: an amendment keeps the orders, a
change to what was approved names them first, and a plan that drops a published
operation is shown in red and needs it confirmed by name.

Each test writes its published operation straight into the board's database (as a
publish would have left it) and leaves it proposed or aborted, so the story test's
solve, which counts approved and scheduled operations, never sees it.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlmodel import Session

from app.db import make_engine
from app.models import (
    Approval,
    ApprovalKind,
    Decision,
    Operation,
    OperationState,
    Plan,
    Requirement,
    RunStatus,
    Site,
    SolverRun,
    Tasking,
)
from app.planning.scenario import planning_document

from .conftest import LiveServer, login, save_screenshot


def _published(server: LiveServer, op_id: str, name: str, unit: str, days: int,
               *more_units: str) -> None:
    """A scheduled operation at Mae Sai with Thai host approval and active orders."""
    engine = make_engine(server.database_url)
    start = server.day0 + timedelta(days=days, hours=2)
    try:
        with Session(engine) as session:
            session.add(Operation(
                id=op_id, code_name=name, lead_agency_id="TH-RTP", priority=5,
                earliest_start=start - timedelta(hours=2), latest_end=start + timedelta(hours=22),
                duration_minutes=240, state=OperationState.scheduled,
                description="Raid on the riverside compound"))
            session.flush()
            session.add(Site(id=f"S-{op_id}", operation_id=op_id, region_id="TH-MSI",
                             objective="Riverside compound"))
            session.flush()
            session.add(Requirement(site_id=f"S-{op_id}", capability="tactical", count=1))
            session.add(Approval(operation_id=op_id, country_code="TH", kind=ApprovalKind.host,
                                 decision=Decision.approved))
            for each in (unit, *more_units):
                session.add(Tasking(uid=f"{op_id}-{each}@e2e", operation_id=op_id,
                                    unit_id=each, site_id=f"S-{op_id}", capability="tactical",
                                    start=start, end=start + timedelta(hours=4),
                                    depart=start - timedelta(hours=1),
                                    return_at=start + timedelta(hours=5), sequence=0))
            session.commit()
    finally:
        engine.dispose()


def _set_state(server: LiveServer, op_id: str, state: OperationState) -> None:
    engine = make_engine(server.database_url)
    try:
        with Session(engine) as session:
            op = session.get(Operation, op_id)
            assert op is not None
            op.state = state
            session.add(op)
            session.commit()
    finally:
        engine.dispose()


def test_a_typo_fix_keeps_the_orders_and_a_real_change_names_them_first(
    new_page: Any, live_server: LiveServer
) -> None:
    _published(live_server, "OP-E2E-AMD", "Quiet Rivr", "U-TH-TAC", days=9)
    page = new_page()
    login(page, "th-liaison")
    page.goto("/operations/OP-E2E-AMD/edit")
    assert "amended in place" in page.locator("#edit-rules").inner_text()
    page.get_by_label("Code name").fill("Quiet River")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url("**/operations/OP-E2E-AMD")
    assert "Amended in place" in page.content()
    heading = page.get_by_role("heading", level=1).inner_text()
    assert "Quiet River" in heading and "scheduled" in heading
    units = page.locator("section[aria-labelledby=units]").inner_text()
    assert "RTP-Tactical-1" in units and "active" in units

    # A change to the window: first the list of what it cancels, and whose.
    page.goto("/operations/OP-E2E-AMD/edit")
    later = live_server.day0 + timedelta(days=10, hours=1)
    page.get_by_label("Times entered in").select_option("UTC")
    page.get_by_label("Latest end").fill(later.strftime("%Y-%m-%d %H:%M"))
    page.get_by_label("Description").fill("Raid on the riverside compound, later end")
    page.get_by_role("button", name="Save changes").click()
    impact = page.locator("#edit-impact")
    impact.wait_for()
    text = impact.inner_text()
    assert "RTP-Tactical-1 of TH-RTP (unit U-TH-TAC)" in text
    assert "TH host approval (approved)" in text
    assert page.get_by_label("Description").input_value().endswith("later end")
    # Enter in a field does not confirm: the form comes back with the list again.
    with page.expect_navigation():
        page.get_by_label("Code name").press("Enter")
    assert page.url.endswith("/operations/OP-E2E-AMD/edit")
    assert "RTP-Tactical-1 of TH-RTP" in page.locator("#edit-impact").inner_text()
    page.get_by_role("button", name=re.compile(r"Cancel 1 order\(s\), restart approvals")).click()
    page.wait_for_url("**/operations/OP-E2E-AMD")
    assert "proposed" in page.get_by_role("heading", level=1).inner_text()
    assert "cancelled" in page.locator("section[aria-labelledby=units]").inner_text()


def test_a_plan_that_drops_a_published_operation_is_red_and_needs_it_named(
    new_page: Any, live_server: LiveServer
) -> None:
    _published(live_server, "OP-E2E-DRP", "Silent Ferry", "U-MM-TAC", days=11)
    engine = make_engine(live_server.database_url)
    try:
        with Session(engine) as session:
            scenario = planning_document(session)
            document = {"format": "jointops-plan/1", "operations": [],
                        "unscheduled": [{"id": "OP-E2E-DRP", "reasons": ["left out"]}]}
            run = SolverRun(status=RunStatus.succeeded, params={"time_limit": 1, "seed": 0},
                            scenario=scenario, plan=document)
            session.add(run)
            session.flush()
            session.add(Plan(document=document, solver_run_id=run.id))
            session.commit()
            run_id = run.id
    finally:
        engine.dispose()

    page = new_page()
    login(page, "planner")
    page.goto(f"/planning/runs/{run_id}")
    warning = page.locator("#disturbed")
    assert "OP-E2E-DRP Silent Ferry: dropped" in warning.inner_text()
    assert "MPF-Tactical-1 (MM-MPF)" in warning.inner_text()
    assert warning.evaluate("e => getComputedStyle(e).color") == page.locator(
        ".alert-error").first.evaluate("e => getComputedStyle(e).color")
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    publish = page.get_by_role("button", name=re.compile(r"Publish plan \d+ and change 1"))
    publish.click()  # the confirmation is not ticked: the browser does not send it
    page.wait_for_timeout(500)
    assert posts == []
    page.get_by_label(re.compile("Drop OP-E2E-DRP Silent Ferry")).check()
    page.once("dialog", lambda dialog: dialog.accept())
    publish.click()
    page.get_by_text(re.compile(r"Plan \d+ published: 0 new, 0 amended, 1 cancelled")).wait_for()
    # Leave no approved operation behind for the story's solve.
    _set_state(live_server, "OP-E2E-DRP", OperationState.aborted)


def test_the_printed_order_has_a_page_per_unit_and_the_tlp_on_every_page(
    new_page: Any, live_server: LiveServer, tmp_path: Any
) -> None:
    import pypdf

    _published(live_server, "OP-E2E-PRT", "Paper Lantern", "U-TH-TAC", 13, "U-TH-K9")
    page = new_page()
    login(page, "th-liaison")
    page.goto("/operations/OP-E2E-PRT")
    page.get_by_role("link", name="Printable order").click()
    page.wait_for_url("**/operations/OP-E2E-PRT/order")
    for heading in ("1. Situation", "2. Mission", "3. Execution",
                    "4. Administration and logistics", "5. Command and signal"):
        assert page.get_by_role("heading", name=heading).is_visible()
    page.emulate_media(media="print")
    save_screenshot(page, "printed-order")
    assert not page.locator("nav").first.is_visible()  # no navigation in print
    assert not page.get_by_role("button", name="Sign out").is_visible()
    pdf = tmp_path / "order.pdf"
    page.pdf(path=str(pdf), format="A4", prefer_css_page_size=True)
    reader = pypdf.PdfReader(str(pdf))
    texts = [p.extract_text() for p in reader.pages]
    # The order first, then one tasking order per unit, each starting its own page.
    orders = [t.count("Tasking order: ") for t in texts]
    assert orders[-2:] == [1, 1] and sum(orders) == 2, orders
    assert "Operation order: Paper Lantern" in texts[0] and "5. Command and signal" in "".join(
        texts[:-2])
    assert {"RTP-Tactical-1", "RTP-K9-1"} == {
        re.search(r"Tasking order: (\S+)", t)[1] for t in texts[-2:]}  # type: ignore[index]
    for number, page_obj in enumerate(reader.pages, 1):
        height = float(page_obj.mediabox.height)
        heights: list[float] = []

        def seen(text: str, _cm: Any, tm: Any, _font: Any, _size: Any,
                 into: list[float] = heights) -> None:
            if text.strip() == "TLP:AMBER":
                into.append(float(tm[5]))

        page_obj.extract_text(visitor_text=seen)
        # The TLP label in the top and in the bottom margin of every printed page.
        assert any(y > height - 60 for y in heights), (number, heights, height)
        assert any(y < 60 for y in heights), (number, heights, height)
        assert "Sign out" not in texts[number - 1]
        assert "Printable order" not in texts[number - 1]
    _set_state(live_server, "OP-E2E-PRT", OperationState.aborted)
