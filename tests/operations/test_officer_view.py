"""A tasked unit officer's operation page: what their live tasking needs, and no more.

The page opens only while the officer's own unit holds a live tasking in the operation;
it shows the objective, the other units at the same site, the lead agency and commander,
the rendezvous and the contacts (duty officers, a liaison per host country, the
checkpoint of the unit's crossing), and none of the approvals, history or other sites.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.clock import utcnow
from app.models import (
    Approval,
    ApprovalKind,
    Decision,
    Operation,
    OperationState,
    Role,
    Site,
    Tasking,
    TaskingStatus,
    User,
)


def _order(session: Session, op: Operation, site: Site, unit: str, capability: str, *,
           crossing: str | None = None,
           status: TaskingStatus = TaskingStatus.active) -> Tasking:
    start = op.earliest_start + timedelta(hours=2)
    tasking = Tasking(
        uid=f"{uuid.uuid4()}@jointops", operation_id=op.id, unit_id=unit, site_id=site.id,
        capability=capability, start=start, end=start + timedelta(hours=4),
        depart=start - timedelta(hours=2), return_at=start + timedelta(hours=6),
        crossing_id=crossing,
        cross_out=start - timedelta(hours=1) if crossing else None,
        cross_back=start + timedelta(hours=5) if crossing else None,
        status=status, sequence=1,
        cancelled_at=utcnow() if status == TaskingStatus.cancelled else None)
    session.add(tasking)
    session.flush()
    return tasking


def _scene(session: Session, world: Any, make_operation: Callable[..., Operation],
           make_user: Callable[..., User]) -> dict[str, Any]:
    """A Thai-led raid in Tachileik (Myanmar) and Chiang Rai: a Thai unit crosses at Mae Sai."""
    lead, host = world.agencies["TH-RTP"], world.agencies["MM-MPF"]
    lead.duty_officer, lead.duty_phone = "RTP Operations Centre", "+66 2 205 1000"
    host.liaison_name, host.liaison_phone = "Pol. Col. Aung Min", "+95 9 420 000 111"
    world.crossings["X-MSI-TAC"].checkpoint_contact = "Mae Sai immigration duty desk"
    world.crossings["X-MSI-TAC"].checkpoint_phone = "+66 53 731 008"
    session.add_all([lead, host, world.crossings["X-MSI-TAC"]])
    op = make_operation(
        session, "TH-RTP", {"MM-TAC": {"tactical": 1, "border_patrol": 1},
                            "TH-CRI": {"investigation": 1}},
        state=OperationState.scheduled, code_name="Silent Lotus",
        start=utcnow() + timedelta(days=2), commander="Pol. Maj. Gen. Somchai",
        commander_phone="+66 81 000 0001", radio_net="VHF channel 14, call sign LOTUS",
        description="Informant KESTREL reports the stash under the second warehouse.")
    tachileik = next(s for s in op.sites if s.region_id == "MM-TAC")
    chiang_rai = next(s for s in op.sites if s.region_id == "TH-CRI")
    tachileik.objective, tachileik.lat, tachileik.lon = "Warehouse 7", 20.44812, 99.87961
    chiang_rai.objective = "Safe house on Phahonyothin road"
    session.add_all([tachileik, chiang_rai])
    session.add(Approval(operation_id=op.id, country_code="MM", kind=ApprovalKind.host,
                         decision=Decision.approved, reason="MM-PRIVATE-APPROVAL-NOTE"))
    mine = _order(session, op, tachileik, "U-TH-2", "border_patrol", crossing="X-MSI-TAC")
    _order(session, op, tachileik, "U-MM-1", "tactical")
    _order(session, op, chiang_rai, "U-TH-1", "investigation")
    officer = make_user(session, Role.unit_officer, agency="TH-RTP", unit="U-TH-2")
    return {"op": op, "mine": mine, "officer": officer}


def test_a_tasked_officer_opens_the_operation_with_what_the_tasking_needs(
    client: TestClient, session: Session, world: Any, make_operation: Any, make_user: Any,
    login: Any,
) -> None:
    scene = _scene(session, world, make_operation, make_user)
    op = scene["op"]
    response = login(client, scene["officer"]).get(f"/operations/{op.id}")
    assert response.status_code == 200
    page = response.text
    for needed in ("Silent Lotus", "TLP:AMBER", "Warehouse 7", "Tachileik", "Myanmar",
                   "20.44812, 99.87961", "Royal Thai Police (TH-RTP)",
                   "Pol. Maj. Gen. Somchai", 'href="tel:+66810000001"',
                   "VHF channel 14, call sign LOTUS", "MPF-1 (MM-MPF, tactical)",
                   "RTP Operations Centre", "Liaison in Myanmar, MM-MPF",
                   "Pol. Col. Aung Min", "Checkpoint, Mae Sai - Tachileik",
                   "Mae Sai immigration duty desk", "+66 53 731 008"):
        assert needed in page, needed
    # Need to know: not the other site, its unit, the approvals, the history or the
    # narrative, and no workflow control.
    for withheld in ("Safe house", "RTP-1", "MM-PRIVATE-APPROVAL-NOTE", "KESTREL",
                     "Host-nation approvals", "History", "/approvals", "/propose",
                     "/abort", "/edit", "Decline"):
        assert withheld not in page, withheld


def test_my_tasking_and_the_order_show_the_brief(
    client: TestClient, session: Session, world: Any, make_operation: Any, make_user: Any,
    login: Any,
) -> None:
    scene = _scene(session, world, make_operation, make_user)
    browser = login(client, scene["officer"])
    for path in ("/tasking", f"/tasking/{scene['mine'].uid}/order"):
        page = browser.get(path).text
        for needed in ("Warehouse 7", "Rendezvous", "Pol. Maj. Gen. Somchai",
                       "VHF channel 14", "Pol. Col. Aung Min", "Mae Sai immigration duty desk",
                       "MPF-1 (MM-MPF, tactical)"):
            assert needed in page, (path, needed)
        assert "Safe house" not in page
    assert f'href="/operations/{scene["op"].id}"' in browser.get("/tasking").text


def test_a_cancelled_tasking_takes_the_page_away(
    client: TestClient, session: Session, world: Any, make_operation: Any, make_user: Any,
    login: Any,
) -> None:
    scene = _scene(session, world, make_operation, make_user)
    op, browser = scene["op"], login(client, scene["officer"])
    assert browser.get(f"/operations/{op.id}").status_code == 200
    scene["mine"].status = TaskingStatus.cancelled
    scene["mine"].cancelled_at = utcnow()
    session.add(scene["mine"])
    session.flush()
    gone = browser.get(f"/operations/{op.id}")
    assert gone.status_code == 404
    assert "Silent Lotus" not in gone.text
    # Still listed as cancelled on My tasking for a week, without the brief or the link.
    listing = browser.get("/tasking").text
    assert "cancelled" in listing and "Pol. Col. Aung Min" not in listing
    assert f'href="/operations/{op.id}"' not in listing


def test_officers_of_untasked_units_and_of_no_unit_get_404(
    client: TestClient, session: Session, world: Any, make_operation: Any, make_user: Any,
    login: Any,
) -> None:
    scene = _scene(session, world, make_operation, make_user)
    op = scene["op"]
    # A unit not ordered to this operation; an officer of the lead agency with no unit.
    idle = make_user(session, Role.unit_officer, agency="LA-MPS", unit="U-LA-1")
    nobody = make_user(session, Role.unit_officer, agency="TH-RTP")
    for user in (idle, nobody):
        response = login(client, user).get(f"/operations/{op.id}")
        assert response.status_code == 404
        assert "Silent Lotus" not in response.text
    # The board pages stay closed to officers.
    assert login(client, scene["officer"]).get(f"/operations/{op.id}/order").status_code == 403


def test_the_board_page_keeps_approvals_for_liaison_officers(
    client: TestClient, session: Session, world: Any, make_operation: Any, make_user: Any,
    login: Any,
) -> None:
    scene = _scene(session, world, make_operation, make_user)
    liaison = make_user(session, Role.liaison, agency="TH-RTP")
    page = login(client, liaison).get(f"/operations/{scene['op'].id}").text
    assert "Host-nation approvals" in page
    assert "Pol. Maj. Gen. Somchai" in page and "VHF channel 14" in page
