"""An escort trip on My tasking's map in real Chromium: the trip's route (base -> holding
site -> hand-over point) and its hand-over crossing are drawn over the vendored borders,
and the table under the map lists the same.

The trip is written straight into the server's database, for a Lao escort unit of its
own: a Lao hand-over plan never meets the Thai one test_repatriation.py publishes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from .conftest import LiveServer, login

UNIT = "U-LA-ESC-MAP"


def _publish_a_lao_trip(server: LiveServer) -> None:
    from app.db import make_engine
    from app.models import EscortTrip, HandoverPoint, PointKind, RepatriationPlan, Unit

    tomorrow = datetime.now(ZoneInfo("Asia/Vientiane")).date() + timedelta(days=1)
    engine = make_engine(server.database_url)
    try:
        with Session(engine) as session:
            session.add(Unit(id=UNIT, agency_id="LA-MPS", callsign="MPS-ESC-MAP",
                             personnel=6, capabilities=["escort"], base_region_id="LA-VTE"))
            session.add(HandoverPoint(
                id="HP-E2E-BOK", name="Houayxay bridge (E2E)", kind=PointKind.crossing,
                region_id="LA-BOK", crossing_id="X-CKG-BOK", capacity=50,
                screening_from="08:00", screening_to="16:00"))
            plan = RepatriationPlan(holding_country="LA", document={}, is_published=True)
            session.add(plan)
            session.flush()
            session.add(EscortTrip(
                plan_id=plan.id or 0, unit_id=UNIT, day=tomorrow, site_region_id="LA-VTE",
                point_id="HP-E2E-BOK", depart="06:00", handover="11:00", duty_minutes=600,
                route=["LA-VTE", "HP-E2E-BOK", "LA-VTE"], persons=18,
                uid="escort-map-e2e@jointops"))
            session.commit()
    finally:
        engine.dispose()


def test_the_tasking_map_draws_an_escort_trip(new_page: Any, live_server: LiveServer) -> None:
    _publish_a_lao_trip(live_server)
    page = new_page()
    login(page, "admin")
    page.goto(f"/tasking?unit={UNIT}")
    page.locator('#tasking-map .map[data-map-ready="yes"]').wait_for()
    card = page.locator("#tasking-map .map")
    assert card.get_attribute("data-drawn-route") == "1"
    assert card.get_attribute("data-drawn-crossing") == "1"
    assert card.get_attribute("data-drawn-base") == "1"
    assert card.locator(".leaflet-overlay-pane path.map-route").count() == 1
    table = page.locator("#tasking-map-table").inner_text()
    assert "Escort route of MPS-ESC-MAP to Houayxay bridge (E2E)" in table
    assert "MPS-ESC-MAP: hand-over of 18 persons" in table


AIR_UNIT = "U-LA-ESC-AIR"


def _publish_a_trip_to_an_airport(server: LiveServer) -> None:
    """A Lao escort trip to a hand-over point that is no border crossing (an airport):
    the map draws it with the hand-over marker."""
    from app.db import make_engine
    from app.models import EscortTrip, HandoverPoint, PointKind, RepatriationPlan, Unit

    tomorrow = datetime.now(ZoneInfo("Asia/Vientiane")).date() + timedelta(days=1)
    engine = make_engine(server.database_url)
    try:
        with Session(engine) as session:
            session.add(Unit(id=AIR_UNIT, agency_id="LA-MPS", callsign="MPS-ESC-AIR",
                             personnel=6, capabilities=["escort"], base_region_id="LA-VTE"))
            session.add(HandoverPoint(
                id="HP-E2E-AIR", name="Wattay airport (E2E)", kind=PointKind.airport,
                region_id="LA-VTE", capacity=80, screening_from="08:00",
                screening_to="16:00"))
            # One hand-over plan per holding country: Laos's, if a test made it already.
            plan = session.exec(select(RepatriationPlan).where(
                RepatriationPlan.holding_country == "LA")).first() or RepatriationPlan(
                    holding_country="LA", document={}, is_published=True)
            session.add(plan)
            session.flush()
            session.add(EscortTrip(
                plan_id=plan.id or 0, unit_id=AIR_UNIT, day=tomorrow, site_region_id="LA-BOK",
                point_id="HP-E2E-AIR", depart="05:00", handover="12:00", duty_minutes=600,
                route=["LA-VTE", "LA-BOK", "HP-E2E-AIR", "LA-VTE"], persons=12,
                uid="escort-air-e2e@jointops"))
            session.commit()
    finally:
        engine.dispose()


def test_the_legend_names_every_marker_the_map_draws_with_the_hand_over_point(
    new_page: Any, live_server: LiveServer
) -> None:
    _publish_a_trip_to_an_airport(live_server)
    page = new_page()
    login(page, "admin")
    page.goto(f"/tasking?unit={AIR_UNIT}")
    page.locator('#tasking-map .map[data-map-ready="yes"]').wait_for()
    card = page.locator("#tasking-map .map")
    assert card.get_attribute("data-drawn-handover") == "1"
    marker = card.locator(".leaflet-overlay-pane path.map-handover")
    assert marker.count() == 1 and marker.get_attribute("fill") == "#8e6cc9"
    legend = page.locator("#tasking-map .map-legend")
    drawn = [kind for kind in ("site", "base", "crossing", "handover", "route")
             if int(card.get_attribute(f"data-drawn-{kind}") or 0) > 0]
    assert {"handover", "base", "route"} <= set(drawn)
    for kind in drawn:  # each kind drawn is named in the legend, visibly
        assert legend.locator(f'li[data-legend-kind="{kind}"]').is_visible(), kind
    entry = legend.locator('li[data-legend-kind="handover"]')
    assert "Hand-over point" in entry.inner_text()
    swatch = entry.locator(".map-key").evaluate(
        "el => getComputedStyle(el).backgroundColor")
    assert swatch == "rgb(142, 108, 201)"  # the marker's own fill, #8e6cc9
