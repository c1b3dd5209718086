"""Maps: site and crossing points, the GeoJSON of an operation, a run and a tasking, its
access rules (those of the page it serves), and its text alternative."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from app.config import ROOT
from app.maps.features import table_rows
from app.maps.service import operation_map
from app.models import OperationState, Site, Tasking
from app.operations import forms, service

H_HOUR = datetime(2026, 12, 2, 3, tzinfo=UTC)


def _task(session: Session, op: Any, unit_id: str, **extra: Any) -> Tasking:
    tasking = Tasking(
        uid=f"t-{uuid.uuid4().hex}@jointops", operation_id=op.id, unit_id=unit_id,
        site_id=op.sites[0].id, capability="tactical", start=H_HOUR,
        end=H_HOUR + timedelta(hours=4), depart=H_HOUR - timedelta(hours=2),
        return_at=H_HOUR + timedelta(hours=6), **extra)
    session.add(tasking)
    session.flush()
    return tasking


@pytest.fixture
def raid(session: Session, world, make_operation):  # type: ignore[no-untyped-def]
    """A Thai-led raid in Tachileik (Myanmar) with its own point; a Thai unit crosses at
    Mae Sai at 06:30 Bangkok time (23:30Z)."""
    op = make_operation(session, "TH-RTP", {"MM-TAC": {"tactical": 1}}, op_id="OP-MAP",
                        code_name="Night Heron", state=OperationState.scheduled)
    site = op.sites[0]
    site.lat, site.lon, site.objective = 20.4512, 99.8801, "warehouse by the river"
    session.add(site)
    session.flush()
    _task(session, op, "U-TH-2", crossing_id="X-MSI-TAC",
          cross_out=datetime(2026, 12, 1, 23, 30, tzinfo=UTC),
          cross_back=H_HOUR + timedelta(hours=5))
    session.refresh(op)
    return op


def _by_kind(document: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    kinds: dict[str, list[dict[str, Any]]] = {}
    for feature in document["features"]:
        kinds.setdefault(feature["properties"]["kind"], []).append(feature)
    return kinds


def test_operation_map_has_its_site_base_crossing_and_route(session: Session, raid) -> None:
    document = operation_map(session, operation=raid)
    kinds = _by_kind(document)
    (site,) = kinds["site"]
    assert site["geometry"] == {"type": "Point", "coordinates": [99.8801, 20.4512]}
    assert site["properties"]["placed"] == "site"
    (base,) = kinds["base"]  # RTP-2 is based at Mae Sai
    assert base["geometry"]["coordinates"] == [99.88, 20.43]
    crossing = next(f for f in kinds["crossing"] if f["properties"]["id"] == "X-MSI-TAC")
    # No point of its own: half-way between Mae Sai and Tachileik.
    assert crossing["geometry"]["coordinates"] == [99.88, 20.44]
    assert crossing["properties"]["placed"] == "midpoint"
    (route,) = kinds["route"]
    assert route["geometry"]["coordinates"] == [[99.88, 20.43], [99.88, 20.44],
                                                [99.8801, 20.4512]]
    label = route["properties"]["label"]
    assert label == ("Mae Sai - Tachileik: out 2026-12-02 06:30 (UTC+07:00) = "
                     "2026-12-01 23:30Z, back 2026-12-02 15:00 (UTC+07:00) = 2026-12-02 08:00Z")
    assert route["properties"]["cross_out"] == "2026-12-01T23:30:00Z"


def test_cancelled_orders_draw_no_route(session: Session, raid) -> None:
    for tasking in session.exec(select(Tasking)):
        tasking.status = "cancelled"
        session.add(tasking)
    session.flush()
    kinds = _by_kind(operation_map(session, operation=raid))
    assert "route" not in kinds and "base" not in kinds
    assert len(kinds["site"]) == 1


def test_crossing_with_its_own_point_is_drawn_there(session: Session, world, raid) -> None:
    crossing = world.crossings["X-MSI-TAC"]
    crossing.lat, crossing.lon = 20.4475, 99.8833
    session.add(crossing)
    session.flush()
    kinds = _by_kind(operation_map(session, operation=raid))
    found = next(f for f in kinds["crossing"] if f["properties"]["id"] == "X-MSI-TAC")
    assert found["geometry"]["coordinates"] == [99.8833, 20.4475]
    assert kinds["route"][0]["geometry"]["coordinates"][1] == [99.8833, 20.4475]


def test_site_without_a_point_sits_at_its_region(session: Session, world,
                                                 make_operation) -> None:
    op = make_operation(session, "TH-RTP", {"TH-CRI": {"tactical": 1}})
    (site,) = _by_kind(operation_map(session, operation=op))["site"]
    assert site["geometry"]["coordinates"] == [99.84, 19.91]
    assert site["properties"]["placed"] == "region"
    assert any("no point given" in line for line in site["properties"]["details"])


def test_text_alternative_lists_every_feature_with_its_details(session: Session, raid) -> None:
    document = operation_map(session, operation=raid)
    rows = table_rows(document)
    assert len(rows) == len(document["features"])
    assert [r["kind"] for r in rows][0] == "Site"
    route = next(r for r in rows if r["kind"] == "Route")
    assert any("out 2026-12-02 06:30 (UTC+07:00)" in line for line in route["details"])


# --- coordinates on the form and in the API -------------------------------------------------


def _doc(**site: str) -> dict[str, Any]:
    return {"code_name": "Kite", "lead_agency_id": "TH-RTP", "priority": "5",
            "earliest_start": "2026-12-02 00:00", "latest_end": "2026-12-04 00:00",
            "duration_minutes": "240", "fixed_start": "", "tlp": "AMBER", "description": "",
            "foreign_support_requested": False, "time_zone": "UTC",
            "sites": [{"id": "", "region_id": "TH-CRI", "objective": "", "min_personnel": "",
                       **site, "requirements": [{"capability": "tactical", "count": "1"}]}]}


@pytest.mark.parametrize(("lat", "lon", "field", "words"), [
    ("95", "99.8", "sites.0.lat", "latitude must be a number of degrees from -90 to 90"),
    ("20.3", "181", "sites.0.lon", "longitude must be a number of degrees from -180 to 180"),
    ("north", "99.8", "sites.0.lat", "latitude must be a number"),
    ("20.3", "", "sites.0.lon", "give the longitude too"),
    ("", "99.8", "sites.0.lat", "give the latitude too"),
    ("nan", "99.8", "sites.0.lat", "latitude must be a number"),
])
def test_bad_coordinates_are_named(session: Session, world, lat: str, lon: str, field: str,
                                   words: str) -> None:
    with pytest.raises(service.InvalidOperation) as caught:
        service.validate(session, data=forms.to_input(_doc(lat=lat, lon=lon)))
    assert words in caught.value.errors[field]
    assert forms.field_label(field).startswith("Site 1: l")


def test_typed_coordinates_are_kept_and_a_decimal_comma_is_a_point(session: Session,
                                                                  world) -> None:
    data = service.validate(session, data=forms.to_input(_doc(lat="20,35", lon=" 99.88 ")))
    assert (data.sites[0].lat, data.sites[0].lon) == (20.35, 99.88)
    blank = service.validate(session, data=forms.to_input(_doc(lat="", lon="")))
    assert (blank.sites[0].lat, blank.sites[0].lon) == (None, None)


def test_form_keeps_typed_coordinates_with_the_error(client, session: Session, world,
                                                    make_user, login) -> None:
    liaison = login(client, make_user(session, role="liaison", agency="TH-RTP"))
    form = {"csrf_token": client.cookies.get("jointops_csrf", ""), **{
        key: value for key, value in _doc().items() if isinstance(value, str)}}
    form.update({"sites.0.id": "", "sites.0.region_id": "TH-CRI", "sites.0.lat": "91.5",
                 "sites.0.lon": "99.8", "sites.0.requirements.0.capability": "tactical",
                 "sites.0.requirements.0.count": "1"})
    response = liaison.post("/operations/new", data=form)
    assert response.status_code == 422
    assert "Site 1: latitude" in response.text
    assert 'value="91.5"' in response.text and 'value="99.8"' in response.text


def test_site_point_is_saved_shown_and_in_the_api(client, session: Session, world, make_user,
                                                  login) -> None:
    user = make_user(session, role="liaison", agency="TH-RTP")
    op = service.create(session, data=service.validate(
        session, data=forms.to_input(_doc(lat="20.2", lon="100.1"))), actor=user)
    site = session.get(Site, op.sites[0].id)
    assert site is not None and (site.lat, site.lon) == (20.2, 100.1)
    liaison = login(client, user)
    assert "20.20000, 100.10000" in liaison.get(f"/operations/{op.id}").text
    api_site = liaison.get(f"/api/v1/operations/{op.id}").json()["sites"][0]
    assert (api_site["lat"], api_site["lon"]) == (20.2, 100.1)


def test_moving_the_point_of_an_approved_site_is_a_change_of_sites(session: Session, raid,
                                                                  world) -> None:
    moved = service.as_input(raid)
    moved["sites"][0]["lat"] = 20.5
    impact = service.edit_impact(session, operation=raid,
                                 data=service.validate(session, data=moved))
    assert impact.changed == ["sites"] and not impact.in_place


# --- the endpoints: the page's access rules -------------------------------------------------


def test_map_and_export_are_geojson_for_who_sees_the_page(client, session: Session, raid,
                                                          make_user, login) -> None:
    thai = login(client, make_user(session, role="liaison", agency="TH-RTP"))
    response = thai.get("/operations/OP-MAP/map")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    document = response.json()
    assert document["type"] == "FeatureCollection"
    assert {f["properties"]["kind"] for f in document["features"]} == {
        "site", "base", "crossing", "route"}
    for feature in document["features"]:
        assert feature["type"] == "Feature" and feature["geometry"]["type"] in (
            "Point", "LineString")
    export = thai.get("/operations/OP-MAP/export.geojson")
    assert export.status_code == 200
    assert export.headers["content-type"] == "application/geo+json"
    assert export.headers["content-disposition"] == 'attachment; filename="OP-MAP.geojson"'
    assert export.json() == document
    page = thai.get("/operations/OP-MAP").text
    assert 'href="/operations/OP-MAP/export.geojson"' in page
    assert 'data-src="/operations/OP-MAP/map"' in page
    assert "warehouse by the river" in page  # the table lists the site's details


def test_hidden_operation_map_and_export_are_404(client, session: Session, raid, make_user,
                                                 login) -> None:
    lao = login(client, make_user(session, role="liaison", agency="LA-MPS"))
    for path in ("/operations/OP-MAP/map", "/operations/OP-MAP/export.geojson"):
        response = lao.get(path)
        assert response.status_code == 404, path
        assert "Night Heron" not in response.text
    officer = login(client, make_user(session, role="unit_officer", agency="TH-RTP",
                                      unit="U-TH-2"))
    # Unit officers do not open the operation page; nor its map.
    assert officer.get("/operations/OP-MAP/map").status_code == 403
    client.cookies.clear()
    anonymous = client.get("/operations/OP-MAP/map", follow_redirects=False)
    assert anonymous.status_code in (401, 303) and "Night Heron" not in anonymous.text


def test_tasking_map_shows_the_officers_own_route(client, session: Session, raid, make_user,
                                                  login, set_clock) -> None:
    set_clock(H_HOUR - timedelta(days=1))
    officer = login(client, make_user(session, role="unit_officer", agency="TH-RTP",
                                      unit="U-TH-2"))
    document = officer.get("/tasking/map").json()
    (route,) = [f for f in document["features"] if f["properties"]["kind"] == "route"]
    assert route["properties"]["callsign"] == "RTP-2"
    assert "Mae Sai - Tachileik: out" in route["properties"]["label"]
    page = officer.get("/tasking").text
    assert 'data-src="/tasking/map"' in page and "Route of RTP-2 via Mae Sai" in page
    # Another unit's map is the tasking page's 404.
    assert officer.get("/tasking/map?unit=U-TH-1").status_code == 404


# --- offline: no external script, style or tile --------------------------------------------


EXTERNAL = re.compile(
    r"""<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.I)


def test_no_template_loads_anything_from_another_site() -> None:
    offenders = [str(path.relative_to(ROOT)) for path in (ROOT / "templates").rglob("*.html")
                 if EXTERNAL.search(path.read_text(encoding="utf-8"))]
    assert offenders == []


def test_the_map_script_uses_no_tile_server_and_the_vendored_files_exist() -> None:
    script = (ROOT / "static" / "js" / "map.js").read_text(encoding="utf-8")
    assert "tileLayer" not in script and "http" not in script
    from app.web import BORDERS_GEOJSON, LEAFLET_DIR
    static = ROOT / "static"
    for name in ("leaflet.js", "leaflet.css", "LICENSE"):
        assert (static / LEAFLET_DIR / name).is_file()
    borders = json.loads((static / BORDERS_GEOJSON).read_text(encoding="utf-8"))
    names = {f["properties"]["name"] for f in borders["features"]}
    assert {"Thailand", "Laos", "Myanmar", "Cambodia", "Vietnam", "China"} <= names
    for feature in borders["features"]:
        for polygon in feature["geometry"]["coordinates"]:
            for lon, lat in polygon[0]:
                assert 92 <= lon <= 110 and 8 <= lat <= 27
    assert Path(static / BORDERS_GEOJSON).stat().st_size < 100_000


def test_crossing_point_in_the_admin_form_is_whole_and_in_range() -> None:
    from pydantic import ValidationError

    from app.admin.schemas import CrossingUpdateIn

    base = {"name": "Mae Sai - Tachileik", "transit_minutes": 30, "lanes": 2,
            "timezone": "Asia/Bangkok"}
    assert CrossingUpdateIn.model_validate({**base, "lat": 20.44, "lon": 99.88}).lat == 20.44
    assert CrossingUpdateIn.model_validate(base).lat is None
    for given, field, words in (({"lat": 20.4, "lon": None}, "lon", "give the longitude"),
                                ({"lat": None, "lon": 99.9}, "lon", "give the latitude"),
                                ({"lat": 120, "lon": 99.9}, "lat", "less than or equal")):
        with pytest.raises(ValidationError) as caught:
            CrossingUpdateIn.model_validate({**base, **given})
        (error,) = caught.value.errors()
        assert error["loc"] == (field,) and words in error["msg"]
