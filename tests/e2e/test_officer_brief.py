"""Issue 11, "What a tasked officer needs", in real Chromium.

A unit officer whose unit holds a live tasking opens the operation from My tasking and
reads the objective, the other units at the site, the lead agency and commander, the
rendezvous and whom to call; nothing of the approvals or the workflow. Once the tasking
is cancelled the page is gone (404). The operation is written straight into the board's
database (as a publish would have left it) and left aborted, so the story test's solve
never sees it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import Session, select

from app.clock import utcnow
from app.db import make_engine
from app.models import (
    Agency,
    Approval,
    ApprovalKind,
    Crossing,
    Decision,
    Operation,
    OperationState,
    Requirement,
    Site,
    Tasking,
    TaskingStatus,
)

from .conftest import LiveServer, login
from .test_accessibility import serious_violations

OP_ID = "OP-E2EBRIEF"
NAME = "Quiet Otter"


def _scheduled(server: LiveServer) -> None:
    """Thai-led, in Tachileik: the Thai K9 team crosses at Mae Sai, a Myanmar team joins."""
    engine = make_engine(server.database_url)
    start = server.day0 + timedelta(days=6, hours=3)
    try:
        with Session(engine) as session:
            rtp, mpf = session.get(Agency, "TH-RTP"), session.get(Agency, "MM-MPF")
            assert rtp is not None and mpf is not None
            rtp.duty_officer, rtp.duty_phone = "RTP Command Centre", "+66 2 205 1111"
            mpf.liaison_name, mpf.liaison_phone = "Pol. Lt. Col. Kyaw Zin", "+95 9 123 456"
            crossing = session.exec(select(Crossing).where(
                Crossing.name.contains("Mae Sai"))).first()  # type: ignore[attr-defined]
            assert crossing is not None
            crossing.checkpoint_contact = "Friendship Bridge checkpoint"
            crossing.checkpoint_phone = "+66 53 000 222"
            session.add_all([rtp, mpf, crossing])
            session.add(Operation(
                id=OP_ID, code_name=NAME, lead_agency_id="TH-RTP", priority=5,
                earliest_start=start - timedelta(hours=3), latest_end=start + timedelta(hours=20),
                duration_minutes=240, state=OperationState.scheduled,
                description="Source TAILOR says the ledger is in the back office.",
                commander="Pol. Col. Anan", commander_phone="+66 81 222 3333",
                radio_net="UHF 2, call sign OTTER"))
            session.flush()
            session.add(Site(id=f"S-{OP_ID}", operation_id=OP_ID, region_id="MM-TAC",
                             objective="Casino annex", lat=20.44901, lon=99.88012))
            session.flush()
            session.add_all([
                Requirement(site_id=f"S-{OP_ID}", capability="k9", count=1),
                Requirement(site_id=f"S-{OP_ID}", capability="tactical", count=1),
                Approval(operation_id=OP_ID, country_code="MM", kind=ApprovalKind.host,
                         decision=Decision.approved, reason="E2E-PRIVATE-DECISION-NOTE"),
            ])
            for unit, capability in (("U-TH-K9", "k9"), ("U-MM-TAC", "tactical")):
                session.add(Tasking(
                    uid=f"{OP_ID}-{unit}@e2e", operation_id=OP_ID, unit_id=unit,
                    site_id=f"S-{OP_ID}", capability=capability, start=start,
                    end=start + timedelta(hours=4), depart=start - timedelta(hours=2),
                    return_at=start + timedelta(hours=6), sequence=0,
                    crossing_id=crossing.id if unit == "U-TH-K9" else None,
                    cross_out=start - timedelta(hours=1) if unit == "U-TH-K9" else None,
                    cross_back=start + timedelta(hours=5) if unit == "U-TH-K9" else None))
            session.commit()
    finally:
        engine.dispose()


def _cancel_and_abort(server: LiveServer) -> None:
    engine = make_engine(server.database_url)
    try:
        with Session(engine) as session:
            for tasking in session.exec(select(Tasking).where(Tasking.operation_id == OP_ID)):
                tasking.status, tasking.cancelled_at = TaskingStatus.cancelled, utcnow()
                session.add(tasking)
            op = session.get(Operation, OP_ID)
            assert op is not None
            op.state = OperationState.aborted
            session.add(op)
            session.commit()
    finally:
        engine.dispose()


def test_a_tasked_officer_opens_the_operation_and_loses_it_when_cancelled(
    new_page: Any, live_server: LiveServer
) -> None:
    _scheduled(live_server)
    try:
        officer = new_page()
        login(officer, "k9-officer")
        officer.goto("/tasking")
        card = officer.locator("li.deployment", has_text=NAME)
        card.get_by_text("Friendship Bridge checkpoint").wait_for()
        card.get_by_role("link", name="Operation page").click()
        officer.wait_for_url(f"**/operations/{OP_ID}")
        main = officer.locator("main")
        text = main.inner_text()
        for needed in (NAME, "TLP:AMBER", "Casino annex", "Tachileik", "20.44901, 99.88012",
                       "Pol. Col. Anan", "UHF 2, call sign OTTER", "MPF-Tactical-1 (MM-MPF",
                       "RTP Command Centre", "Pol. Lt. Col. Kyaw Zin",
                       "Friendship Bridge checkpoint", "+66 53 000 222"):
            assert needed in text, needed
        for withheld in ("E2E-PRIVATE-DECISION-NOTE", "TAILOR", "Host-nation approvals",
                         "History"):
            assert withheld not in text, withheld
        assert main.get_by_role("button").count() == 0  # no workflow control at all
        call = main.get_by_role("link", name="+66 81 222 3333")
        assert call.get_attribute("href") == "tel:+66812223333"
        assert serious_violations(officer, f"k9-officer /operations/{OP_ID}") == []

        _cancel_and_abort(live_server)
        # With the officer's own cookies (a navigation would log the 404 as a page error).
        response = officer.request.get(f"/operations/{OP_ID}")
        assert response.status == 404
        assert NAME not in response.text()
        officer.goto("/tasking")
        card = officer.locator("li.deployment", has_text=NAME)
        card.get_by_text("cancelled").first.wait_for()
        assert card.get_by_role("link", name="Operation page").count() == 0
    finally:
        _cancel_and_abort(live_server)
