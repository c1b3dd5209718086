"""Escort trips on My tasking's map (the route base -> holding site -> hand-over point,
the hand-over told at its crossing or, for an airport, at its own marker) and in the
printable escort orders (a TLP-labelled section per trip)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import EscortTrip, HandoverPoint, PointKind, Role

from .conftest import Scene
from .test_escort_tasking import START, _publish, _trip

pytestmark = pytest.mark.db


def _features(document: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [f for f in document["features"] if f["properties"]["kind"] == kind]


def test_the_tasking_map_draws_the_trips_route_and_hand_over(
        session: Session, scene: Scene, client: TestClient, login: Any) -> None:
    session.add(HandoverPoint(id="HP-CEI", name="Chiang Rai airport", kind=PointKind.airport,
                              region_id="TH-CRI", capacity=100, screening_from="08:00",
                              screening_to="18:00"))
    session.flush()
    airport = _trip(START + timedelta(days=1)) | {
        "point": "P:HP-CEI", "route": ["TH-CRI", "P:HP-CEI", "TH-CRI"]}
    _publish(session, _trip(START), airport, _trip(START + timedelta(days=2)))
    _publish(session, _trip(START), airport, minutes=5)  # the third trip is cancelled
    officer = login(client, scene.user("TH-RTP", Role.unit_officer))
    document = officer.get("/tasking/map").json()
    routes = {f["properties"]["name"]: f for f in _features(document, "route")}
    # Live trips only: the cancelled one is not drawn.
    assert set(routes) == {"Escort route of RTP-ESC to Mae Sai bridge",
                           "Escort route of RTP-ESC to Chiang Rai airport"}
    bridge = routes["Escort route of RTP-ESC to Mae Sai bridge"]
    # Base (Chiang Rai) -> holding site (Chiang Rai) -> the Mae Sai crossing -> base.
    assert len(bridge["geometry"]["coordinates"]) == 4
    assert bridge["properties"]["crossing_id"] == "X-MSI-TAC"
    assert "hand-over of 20 persons at Mae Sai bridge" in bridge["properties"]["label"]
    (crossing,) = _features(document, "crossing")
    assert crossing["properties"]["id"] == "X-MSI-TAC"
    assert any("RTP-ESC: hand-over of 20 persons" in line
               for line in crossing["properties"]["details"])
    (point,) = _features(document, "handover")
    assert point["properties"]["name"] == "Hand-over point Chiang Rai airport"
    assert [f["properties"]["id"] for f in _features(document, "base")] == ["U-TH-E"]
    # The page shows the map (and its table) although the unit has no raid orders.
    page = officer.get("/tasking").text
    assert 'id="tasking-map"' in page and "Escort route of RTP-ESC to Mae Sai bridge" in page
    # Another country sees no trip of the unit on its map either.
    other = login(client, scene.user("MM-MPF")).get("/tasking/map?unit=U-TH-E").json()
    assert _features(other, "route") == []


def test_the_printable_escort_orders_have_a_tlp_section_per_trip(
        session: Session, scene: Scene, client: TestClient, login: Any) -> None:
    _publish(session, _trip(START), _trip(START + timedelta(days=1)))
    _publish(session, _trip(START, handover="10:00"), minutes=5)
    officer = login(client, scene.user("TH-RTP", Role.unit_officer))
    assert 'href="/tasking/escort-order"' in officer.get("/tasking").text
    page = officer.get("/tasking/escort-order")
    assert page.status_code == 200
    trips = {t.day: t for t in session.exec(select(EscortTrip))}
    moved, dropped = trips[START], trips[START + timedelta(days=1)]
    for trip in (moved, dropped):
        assert f'id="escort-order-{trip.id}"' in page.text
    assert page.text.count('class="tlp-banner tlp-AMBER"') == 2
    assert page.text.count("print-tlp-AMBER") == 2
    assert "Escort trip to Mae Sai bridge on 2026-12-03" in page.text
    assert "Escort 20 persons from Chiang Rai (TH) to Mae Sai bridge" in page.text
    assert "border crossing Mae Sai - Tachileik" in page.text
    assert "2026-12-03 10:00 (UTC+07:00)" in page.text  # the hand-over, local time
    assert page.text.count("This escort trip is CANCELLED") == 1
    # A planner of another country may name the unit but gets none of its trips.
    other = login(client, scene.user("MM-MPF")).get("/tasking/escort-order?unit=U-TH-E")
    assert other.status_code == 200 and "tlp-banner" not in other.text
    assert 'id="no-escort-orders"' in other.text
    # Someone with no unit who names none gets a 404, as My tasking's order does.
    lost = login(client, scene.user("TH-RTP", Role.liaison)).get("/tasking/escort-order")
    assert lost.status_code == 404
