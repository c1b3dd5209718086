"""Finding 3 of issue 10: only live taskings grant visibility; the cancellation of an
agency's own unit still reaches its feed, the re-planned raid does not."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import OperationState, TaskingStatus

from .parsing import read_feed
from .samples import BOARD_H_HOUR


def test_an_agency_taken_off_an_operation_reads_nothing_more_of_it(
    session: Session, client: TestClient, clock, world, make_operation, make_tasking,
    make_user, login, subscribe,
) -> None:
    # A Thai raid in Thailand, first with a Lao unit on it.
    raid = make_operation(session, "TH-RTP", {"TH-CKG": {"tactical": 2}}, op_id="OP-RAID",
                          code_name="Night Heron", state=OperationState.scheduled)
    thai = make_tasking(session, raid, "U-TH-1")
    lao = make_tasking(session, raid, "U-LA-1")
    liaison = make_user(session, role="liaison", agency="LA-MPS")
    agency_feed = subscribe(session, liaison, "agency:LA-MPS")
    browser = login(client, liaison)
    assert browser.get("/operations/OP-RAID").status_code == 200
    # Re-planned without Laos: its tasking cancelled, the raid moved three hours.
    lao.status, lao.cancelled_at = TaskingStatus.cancelled, clock.now
    lao.sequence += 1
    moved = BOARD_H_HOUR + timedelta(hours=3)
    thai.start, thai.depart, thai.sequence = moved, moved - timedelta(hours=2), 2
    session.add_all([lao, thai])
    session.flush()

    assert browser.get("/operations/OP-RAID").status_code == 404
    assert "Night Heron" not in browser.get("/board").text
    body = client.get(agency_feed).content
    events = read_feed(body)
    # The cancellation is delivered, with the tasking as Laos knew it...
    assert [(str(e["UID"]), str(e["STATUS"])) for e in events] == [(lao.uid, "CANCELLED")]
    assert events[0]["DTSTART"].dt == lao.depart
    # ...and nothing of the re-planned raid: not the Thai unit, not the new H-hour.
    assert thai.uid.encode() not in body and b"RTP-1" not in body
    # The Thai side still sees it all.
    thai_liaison = make_user(session, role="liaison", agency="TH-RTP")
    assert login(client, thai_liaison).get("/operations/OP-RAID").status_code == 200
