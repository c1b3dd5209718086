"""The feed over HTTP: headers, conditional requests, SEQUENCE, grace period, parsers."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime

import icalendar
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete
from sqlmodel import Session

from app.config import get_settings
from app.feeds import service
from app.models import TLP, FeedEventBlock, Operation, OperationState, Role, TaskingStatus

from .parsing import read_feed
from .samples import BOARD_H_HOUR as H_HOUR
from .samples import PUBLISHED


def _events(body: bytes) -> list[icalendar.Event]:
    return read_feed(body)  # and the two other parsers agree


def _officer_feed(session, world, make_user, make_operation, make_tasking, subscribe, **op):  # type: ignore[no-untyped-def]
    """A Thai officer of U-TH-2 with one tasking through Mae Sai into Myanmar."""
    # Written when it was published, whatever the clock says now.
    op.setdefault("created_at", PUBLISHED)
    op.setdefault("updated_at", PUBLISHED)
    operation = make_operation(
        session,
        "TH-RTP",
        {"MM-TAC": {"border_patrol": 1}},
        op_id="OP-DAWN",
        code_name="Mekong Dawn",
        state=OperationState.scheduled,
        **op,
    )
    tasking = make_tasking(
        session,
        operation,
        "U-TH-2",
        capability="border_patrol",
        crossing_id="X-MSI-TAC",
        cross_out=H_HOUR - timedelta(hours=1),
        cross_back=H_HOUR + timedelta(hours=5),
    )
    officer = make_user(session, role=Role.unit_officer, agency="TH-RTP", unit="U-TH-2")
    return tasking, officer, subscribe(session, officer, "officer:")


@pytest.fixture
def officer_feed(session, world, make_user, make_operation, make_tasking, subscribe):  # type: ignore[no-untyped-def]
    """`officer_feed(**operation_fields)` -> (tasking, officer, feed path); see _officer_feed."""

    def build(**op):  # type: ignore[no-untyped-def]
        return _officer_feed(
            session, world, make_user, make_operation, make_tasking, subscribe, **op
        )

    return build


def test_feed_headers_and_body(
    session: Session,
    client: TestClient,
    clock,
    officer_feed,
) -> None:
    tasking, _, path = officer_feed()
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    body = response.content
    assert response.headers["etag"] == f'"{hashlib.sha256(body).hexdigest()}"'
    assert response.headers["cache-control"] == "private, max-age=60"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert parsedate_to_datetime(response.headers["last-modified"]) == PUBLISHED
    refresh = get_settings().feed_refresh_minutes
    assert f"REFRESH-INTERVAL;VALUE=DURATION:PT{refresh}M\r\n".encode() in body
    assert b"METHOD:" not in body
    (event,) = _events(body)
    assert str(event["UID"]) == tasking.uid
    assert str(event["SUMMARY"]) == "Mekong Dawn"
    assert event["DTSTART"].dt == H_HOUR - timedelta(hours=3)
    assert event["DTEND"].dt == H_HOUR + timedelta(hours=7)
    assert event["DTSTAMP"].dt == PUBLISHED
    assert str(event["LOCATION"]) == "Tachileik (MM)"
    description = str(event["DESCRIPTION"])
    assert "H-hour: 2026-12-02 03:00 UTC" in description
    assert "09:30 Asia/Yangon (UTC+06:30)" in description
    assert "Crossing out (Mae Sai - Tachileik): 2026-12-02 02:00 UTC" in description
    assert "Rendezvous / staging: Tachileik (MM), by H-hour" in description


def test_unchanged_feed_same_bytes_and_304(
    session: Session,
    client: TestClient,
    clock,
    officer_feed,
) -> None:
    _, _, path = officer_feed()
    first = client.get(path)
    clock.now += timedelta(minutes=30)
    second = client.get(path)
    assert second.content == first.content
    # Rendered again from nothing (another process, a restart): still the same bytes.
    service.clear_caches()
    session.execute(delete(FeedEventBlock))
    assert client.get(path).content == first.content
    assert second.headers["etag"] == first.headers["etag"]
    assert second.headers["last-modified"] == first.headers["last-modified"]
    for header in (
        first.headers["etag"],
        f"W/{first.headers['etag']}",
        f'"x", {first.headers["etag"]}',
    ):
        cached = client.get(path, headers={"If-None-Match": header})
        assert cached.status_code == 304
        assert cached.content == b""
        assert cached.headers["etag"] == first.headers["etag"]
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


def test_if_modified_since(
    session: Session,
    client: TestClient,
    clock,
    officer_feed,
) -> None:
    _, _, path = officer_feed()
    first = client.get(path)
    stamp = first.headers["last-modified"]
    assert client.get(path, headers={"If-Modified-Since": stamp}).status_code == 304
    older = format_datetime(PUBLISHED - timedelta(seconds=1), usegmt=True)
    assert client.get(path, headers={"If-Modified-Since": older}).status_code == 200
    assert client.get(path, headers={"If-Modified-Since": "yesterday"}).status_code == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2).
    both = {"If-None-Match": '"other"', "If-Modified-Since": stamp}
    assert client.get(path, headers=both).status_code == 200


def test_time_change_bumps_sequence_etag_and_last_modified(
    session: Session,
    client: TestClient,
    clock,
    officer_feed,
) -> None:
    tasking, _, path = officer_feed()
    before = client.get(path)
    # What the publisher does on an amendment: new times, SEQUENCE + 1, updated_at now.
    clock.now += timedelta(hours=2)
    tasking.depart -= timedelta(minutes=30)
    tasking.sequence += 1
    tasking.updated_at = clock.now
    session.add(tasking)
    session.flush()
    after = client.get(path, headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert after.headers["etag"] != before.headers["etag"]
    (event,) = _events(after.content)
    assert int(event["SEQUENCE"]) == 1
    assert event["DTSTART"].dt == H_HOUR - timedelta(hours=3, minutes=30)
    assert event["LAST-MODIFIED"].dt == clock.now
    assert parsedate_to_datetime(after.headers["last-modified"]) == clock.now.replace(microsecond=0)


def test_cancelled_tasking_shown_then_dropped_after_72_hours(
    session: Session,
    client: TestClient,
    clock,
    officer_feed,
) -> None:
    tasking, _, path = officer_feed()
    client.get(path)
    cancelled_at = clock.now
    tasking.status = TaskingStatus.cancelled
    tasking.cancelled_at = cancelled_at
    tasking.sequence += 1
    tasking.updated_at = cancelled_at
    session.add(tasking)
    session.flush()
    clock.now = cancelled_at + timedelta(hours=71, minutes=59)
    shown = client.get(path)
    (event,) = _events(shown.content)
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == 1
    assert str(event["SUMMARY"]) == "Cancelled: Mekong Dawn"
    clock.now = cancelled_at + timedelta(hours=72)
    gone = client.get(path)
    assert _events(gone.content) == []
    assert gone.headers["etag"] != shown.headers["etag"]
    # Last-Modified never moves backwards, even though the newest tasking left the feed:
    # the content changed, so it moves forward, and If-Modified-Since sees the change.
    assert parsedate_to_datetime(gone.headers["last-modified"]) > parsedate_to_datetime(
        shown.headers["last-modified"]
    )
    since = {"If-Modified-Since": shown.headers["last-modified"]}
    assert client.get(path, headers=since).status_code == 200


def test_aborted_operation_cancels_its_taskings(
    session: Session,
    client: TestClient,
    clock,
    officer_feed,
) -> None:
    tasking, _, path = officer_feed()
    operation = tasking.operation_id
    op = session.get(Operation, operation)
    assert op is not None
    op.state = OperationState.aborted
    op.updated_at = clock.now
    session.add(op)
    session.flush()
    (event,) = _events(client.get(path).content)
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == tasking.sequence + 1
    clock.now += timedelta(hours=72)
    assert _events(client.get(path).content) == []


def test_tlp_red_shows_only_busy(
    session: Session,
    client: TestClient,
    clock,
    officer_feed,
) -> None:
    _, _, path = officer_feed(tlp=TLP.RED)
    body = client.get(path).content
    (event,) = _events(body)
    assert str(event["SUMMARY"]) == "Busy"
    assert "DESCRIPTION" not in event and "LOCATION" not in event
    assert b"Mekong" not in body and b"Tachileik" not in body
    assert event["DTSTART"].dt == H_HOUR - timedelta(hours=3)


def test_only_the_holders_units_taskings(
    session: Session,
    client: TestClient,
    clock,
    make_operation,
    make_tasking,
    officer_feed,
) -> None:
    tasking, _, path = officer_feed()
    other_op = make_operation(
        session,
        "TH-RTP",
        {"TH-CRI": {"tactical": 1}},
        code_name="Other Unit Op",
        state=OperationState.scheduled,
    )
    make_tasking(session, other_op, "U-TH-1")
    body = client.get(path).content
    assert [str(e["UID"]) for e in _events(body)] == [tasking.uid]
    assert b"Other Unit Op" not in body


def test_renamed_operation_reaches_the_feed_at_once(
    session: Session,
    client: TestClient,
    clock,
    officer_feed,
) -> None:
    tasking, _, path = officer_feed()
    before = client.get(path)
    op = session.get(Operation, tasking.operation_id)
    assert op is not None
    op.code_name = "Mekong Dusk"
    op.updated_at = clock.now
    session.add(op)
    session.flush()
    after = client.get(path, headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    (event,) = _events(after.content)
    assert str(event["SUMMARY"]) == "Mekong Dusk"
    assert int(event["SEQUENCE"]) == 0  # a new name is not a change of time, place or status


def test_head_answers_like_get_without_a_body(
    session: Session,
    client: TestClient,
    clock,
    officer_feed,
) -> None:
    _, _, path = officer_feed()
    get = client.get(path)
    head = client.head(path)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == get.headers["etag"]
    assert client.head("/feeds/" + "A" * 43 + ".ics").status_code == 404
