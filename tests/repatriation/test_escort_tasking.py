"""Escort trips reach the officers: My tasking and the unit's iCal feeds, like raid
taskings (a stable UID, SEQUENCE raised on a change, CANCELLED when a new plan drops it)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import icalendar
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.feeds import tokens
from app.models import EscortTrip, RepatriationPlan, Role
from app.repatriation import planning
from app.solver.repatriation.schema import PLAN_FORMAT

from .conftest import NOW, Scene

pytestmark = pytest.mark.db
START = date(2026, 12, 3)  # the day after the scene's clock, in Bangkok


def _trip(day: date, handover: str = "09:00", persons: int = 20) -> dict[str, Any]:
    return {"unit": "U-TH-E", "day": day.isoformat(), "site": "TH-CRI", "point": "P:HP-MSI",
            "depart": "06:00", "handover": handover, "duty_minutes": 300,
            "route": ["TH-CRI", "P:HP-MSI", "TH-CRI"], "persons": persons}


def _publish(session: Session, *trips: dict[str, Any], minutes: int = 0) -> dict[str, int]:
    plan = RepatriationPlan(holding_country="TH", document={
        "format": PLAN_FORMAT, "batches": [], "taskings": list(trips)})
    session.add(plan)
    session.flush()
    return planning.publish_trips(session, plan=plan, start=START,
                                  now=NOW + timedelta(minutes=minutes))


def _events(client: TestClient, path: str) -> dict[str, icalendar.Event]:
    response = client.get(path)
    assert response.status_code == 200, response.text
    calendar = icalendar.Calendar.from_ical(response.content)
    return {str(e["SUMMARY"]) + " " + e["DTEND"].dt.date().isoformat(): e
            for e in calendar.walk("VEVENT")}


def _feed(session: Session, user: Any, choice: str) -> str:
    secret, _ = tokens.create_token(session, user=user, label=f"phone {choice}",
                                    choice_key=choice, now=NOW)
    session.flush()
    return f"/feeds/{secret}.ics"


def test_republishing_keeps_uids_raises_sequence_and_cancels_dropped_trips(
        session: Session, scene: Scene) -> None:
    assert _publish(session, _trip(START), _trip(START + timedelta(days=1))) == {
        "issued": 2, "amended": 0, "unchanged": 0, "cancelled": 0}
    first = {t.day: (t.uid, t.sequence) for t in session.exec(select(EscortTrip))}
    assert [s for _, s in first.values()] == [0, 0]
    assert len({u for u, _ in first.values()}) == 2
    counts = _publish(session, _trip(START, handover="10:00"), minutes=5)
    assert counts == {"issued": 0, "amended": 1, "unchanged": 0, "cancelled": 1}
    trips = {t.day: t for t in session.exec(select(EscortTrip))}
    assert len(trips) == 2  # updated in place, never a second row for a unit and day
    moved, dropped = trips[START], trips[START + timedelta(days=1)]
    assert (moved.uid, moved.sequence, moved.handover, moved.cancelled) == (
        first[START][0], 1, "10:00", False)
    assert (dropped.uid, dropped.sequence, dropped.cancelled) == (
        first[dropped.day][0], 1, True)
    assert dropped.cancelled_at is not None
    # The same plan again changes nothing; a trip put back is live again, one more version.
    assert _publish(session, _trip(START, handover="10:00"), minutes=6)["unchanged"] == 1
    _publish(session, _trip(START, handover="10:00"), _trip(dropped.day), minutes=7)
    session.refresh(dropped)
    assert (dropped.cancelled, dropped.sequence, dropped.cancelled_at) == (False, 2, None)


def test_a_solved_plan_published_twice_keeps_its_trips(session: Session,
                                                       scene: Scene) -> None:
    from .test_planning import _solved

    coordinator = scene.user("", Role.coordinator)
    planning.publish(session, plan=_solved(session, scene), actor=coordinator)
    before = {(t.unit_id, t.day): t.uid for t in session.exec(select(EscortTrip))}
    assert before
    planning.publish(session, plan=_solved(session, scene), actor=coordinator)
    rows = session.exec(select(EscortTrip)).all()
    # One row per unit and day, whatever the second solve chose; a unit's trip on a day
    # has the UID it was first issued with (keyed by unit and day, never regenerated).
    assert len({(t.unit_id, t.day) for t in rows}) == len(rows)
    for trip in rows:
        assert trip.uid == before.get((trip.unit_id, trip.day),
                                      planning.trip_uid(trip.unit_id, trip.day))
    assert {t.uid for t in rows} >= set(before.values())


def test_the_escort_units_feeds_show_its_trips(session: Session, scene: Scene,
                                               client: TestClient) -> None:
    officer = scene.user("TH-RTP", Role.unit_officer)
    officer_feed = _feed(session, officer, "officer:")
    unit_feed = _feed(session, scene.user("TH-RTP"), "unit:U-TH-E")
    agency_feed = _feed(session, scene.user("TH-RTP", Role.liaison), "agency:TH-RTP")
    _publish(session, _trip(START), _trip(START + timedelta(days=1)))
    events = _events(client, officer_feed)
    assert sorted(events) == ["Escort to Mae Sai bridge 2026-12-03",
                              "Escort to Mae Sai bridge 2026-12-04"]
    event = events["Escort to Mae Sai bridge 2026-12-03"]
    trip = session.exec(select(EscortTrip).where(EscortTrip.day == START)).one()
    assert (str(event["UID"]), int(event["SEQUENCE"]), str(event["STATUS"])) == (
        trip.uid, 0, "CONFIRMED")
    text = str(event["DESCRIPTION"])
    assert "Route: Chiang Rai (TH) -> Mae Sai bridge -> Chiang Rai (TH)" in text
    assert "Persons: 20" in text and "Hand-over at Mae Sai bridge" in text
    assert "2026-12-03 09:00 Asia/Bangkok" in text
    # 06:00 in Bangkok is 23:00 UTC the day before; back 300 minutes later.
    assert event["DTSTART"].dt.isoformat() == "2026-12-02T23:00:00+00:00"
    assert event["DTEND"].dt.isoformat() == "2026-12-03T04:00:00+00:00"
    assert set(_events(client, unit_feed)) == set(events)
    assert "Escort to Mae Sai bridge - RTP-ESC 2026-12-03" in _events(client, agency_feed)

    _publish(session, _trip(START, handover="10:00"), minutes=5)
    events = _events(client, officer_feed)
    moved = events["Escort to Mae Sai bridge 2026-12-03"]
    assert (str(moved["UID"]), int(moved["SEQUENCE"])) == (trip.uid, 1)
    assert "2026-12-03 10:00 Asia/Bangkok" in str(moved["DESCRIPTION"])
    dropped = events["Cancelled: Escort to Mae Sai bridge 2026-12-04"]
    assert (str(dropped["STATUS"]), int(dropped["SEQUENCE"])) == ("CANCELLED", 1)


def test_other_countries_see_no_escort_trips(session: Session, scene: Scene,
                                             client: TestClient, login: Any) -> None:
    _publish(session, _trip(START))
    with pytest.raises(Exception, match="cannot subscribe"):
        _feed(session, scene.user("MM-MPF"), "unit:U-TH-E")
    page = login(client, scene.user("MM-MPF")).get("/tasking?unit=U-TH-E")
    assert page.status_code == 200 and 'id="escort-trips"' not in page.text


def test_my_tasking_lists_the_units_escort_trips(session: Session, scene: Scene,
                                                 client: TestClient, login: Any) -> None:
    _publish(session, _trip(START), _trip(START + timedelta(days=1)))
    _publish(session, _trip(START), minutes=5)
    page = login(client, scene.user("TH-RTP", Role.unit_officer)).get("/tasking")
    assert page.status_code == 200
    assert 'id="escort-trips"' in page.text and "Mae Sai bridge" in page.text
    assert "Chiang Rai (TH) → Mae Sai bridge → Chiang Rai (TH)" in page.text
    assert page.text.count("badge run-failed\">cancelled") == 1
    assert 'id="no-tasking"' not in page.text


def test_the_taskings_api_lists_the_units_escort_trips(session: Session, scene: Scene,
                                                       client: TestClient, login: Any) -> None:
    _publish(session, _trip(START), _trip(START + timedelta(days=1)))
    _publish(session, _trip(START, handover="10:00"), minutes=5)
    api = login(client, scene.user("TH-RTP", Role.unit_officer))
    response = api.get("/api/v1/taskings")
    assert response.status_code == 200, response.text
    found = response.json()
    assert [(t["kind"], t["status"], t["sequence"]) for t in found] == [
        ("escort", "active", 1), ("escort", "cancelled", 1)]
    moved = found[0]
    trip = session.exec(select(EscortTrip).where(EscortTrip.day == START)).one()
    assert moved["uid"] == trip.uid and moved["operation_id"] is None
    assert (moved["point_id"], moved["point"], moved["persons"]) == (
        "HP-MSI", "Mae Sai bridge", 20)
    # The hand-over point is at the Mae Sai crossing: the client learns which.
    assert (moved["crossing_id"], moved["place"]) == ("X-MSI-TAC", "Chiang Rai (TH)")
    assert moved["route"] == ["Chiang Rai (TH)", "Mae Sai bridge", "Chiang Rai (TH)"]
    # Times in UTC: 06:00 and 10:00 in Bangkok, the hand-over lasts the point's 60 min.
    assert (moved["depart"], moved["start"], moved["end"], moved["return_at"]) == (
        "2026-12-02T23:00:00Z", "2026-12-03T03:00:00Z", "2026-12-03T04:00:00Z",
        "2026-12-03T04:00:00Z")
    assert moved["timezone"] == "Asia/Bangkok"
    # Need-to-know as My tasking: another country's planner may look at the unit,
    # but sees none of its escort trips.
    other = login(client, scene.user("MM-MPF")).get("/api/v1/taskings?unit=U-TH-E")
    assert other.status_code == 200 and other.json() == []
    schema = client.app.openapi()["components"]["schemas"]["TaskingOut"]["properties"]
    assert {"point_id", "persons", "route"} <= set(schema)
    assert "escort" in schema["kind"]["description"]
