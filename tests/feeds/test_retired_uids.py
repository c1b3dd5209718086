"""Orders issued under the old, reversible calendar UID (issue 10, finding 11).

Before the fix a tasking's UID was uuid5("jointops/<operation>/<unit>"): a TLP:RED
"Busy" event in a calendar cloud could be matched to its operation. Migration
retired_uids_0900 gives those orders a random UID and keeps the old one; for the grace
period of a cancellation the feeds of tokens that existed then carry a CANCELLED event
under the old UID, so a subscriber's calendar drops the old entry instead of keeping a
stale duplicate beside the new one. Nobody else is ever handed the old UID.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.feeds import tokens
from app.feeds.events import CANCEL_GRACE
from app.models import OperationState

from .parsing import read_feed


def _legacy(operation_id: str, unit_id: str) -> str:
    return f"{uuid.uuid5(uuid.NAMESPACE_URL, f'jointops/{operation_id}/{unit_id}')}@jointops"


def test_an_old_uid_is_cancelled_for_calendars_that_may_hold_it_and_then_never_sent(
    session: Session, client: TestClient, clock, world, make_operation, make_tasking,
    make_user, subscribe,
) -> None:
    raid = make_operation(session, "TH-RTP", {"TH-CKG": {"tactical": 1}}, op_id="OP-RED",
                          code_name="Night Heron", state=OperationState.scheduled, tlp="RED")
    old = _legacy("OP-RED", "U-TH-1")
    retired_at = clock.now - timedelta(hours=1)
    order = make_tasking(session, raid, "U-TH-1", sequence=2, retired_uid=old,
                         uid_retired_at=retired_at, updated_at=retired_at)
    officer = make_user(session, role="unit_officer", agency="TH-RTP", unit="U-TH-1")
    # A phone subscribed before the change may hold the entry under the old UID.
    before = subscribe(session, officer, "officer:")
    # A token issued after it never had the old UID.
    secret, _ = tokens.create_token(session, user=officer, label="new phone",
                                    choice_key="officer:", now=clock.now)
    session.flush()
    after = f"/feeds/{secret}.ics"

    events = {str(e["UID"]): e for e in read_feed(client.get(before).content)}
    assert set(events) == {order.uid, old}
    assert str(events[order.uid]["STATUS"]) == "CONFIRMED"
    replaced = events[old]
    assert str(replaced["STATUS"]) == "CANCELLED"
    assert int(replaced["SEQUENCE"]) == 3  # above any the old entry was sent with
    assert str(replaced["SUMMARY"]) == "Busy"  # TLP:RED: still only the times
    assert b"Night Heron" not in client.get(before).content

    body = client.get(after).content
    assert [str(e["UID"]) for e in read_feed(body)] == [order.uid]
    assert old.encode() not in body

    # After the grace period nobody is sent the old UID any more.
    clock.now = retired_at + CANCEL_GRACE + timedelta(minutes=1)
    body = client.get(before).content
    assert [str(e["UID"]) for e in read_feed(body)] == [order.uid]
    assert old.encode() not in body


def test_a_replaced_entry_says_so_where_the_label_allows_it(
    session: Session, client: TestClient, clock, world, make_operation, make_tasking,
    make_user, subscribe,
) -> None:
    raid = make_operation(session, "TH-RTP", {"TH-CKG": {"tactical": 1}}, op_id="OP-AMB",
                          code_name="Mekong Dawn", state=OperationState.scheduled, tlp="AMBER")
    old = _legacy("OP-AMB", "U-TH-1")
    make_tasking(session, raid, "U-TH-1", retired_uid=old,
                 uid_retired_at=clock.now - timedelta(minutes=5))
    officer = make_user(session, role="unit_officer", agency="TH-RTP", unit="U-TH-1")
    events = {str(e["UID"]): e for e in read_feed(client.get(subscribe(session, officer,
                                                                         "officer:")).content)}
    assert str(events[old]["SUMMARY"]) == "Replaced: Mekong Dawn"
    assert "replaced by a new one" in str(events[old]["DESCRIPTION"])
