"""Regions, roads, border crossings and agreements: create, edit, delete, every rule."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from app.models import Agreement, Crossing, Region, Road

from .helpers import audit_rows, field_error, publish_tasking

REGION = {"id": "TH-CMI", "country_code": "TH", "name": "Chiang Mai", "lat": "18.79",
          "lon": "98.98"}


def test_region_create_edit_delete_with_audit(admin, session: Session, admin_user) -> None:
    response = admin.post("/admin/regions", data=REGION, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/admin/regions"
    assert session.get(Region, "TH-CMI").name == "Chiang Mai"
    assert "TH-CMI" in admin.get("/admin/regions?q=chiang").text
    edited = {"name": "Chiang Mai city", "lat": "18.8", "lon": "99.0", "version": "1"}
    assert admin.post("/admin/regions/TH-CMI", data=edited).status_code == 200
    assert session.get(Region, "TH-CMI").name == "Chiang Mai city"
    assert admin.post("/admin/regions/TH-CMI/delete").status_code == 200
    assert session.get(Region, "TH-CMI") is None
    [created] = audit_rows(session, "admin.region.created")
    [updated] = audit_rows(session, "admin.region.updated")
    assert created.actor_id == admin_user.id and created.object_id == "TH-CMI"
    assert updated.details["changes"]["name"] == ["Chiang Mai", "Chiang Mai city"]
    assert len(audit_rows(session, "admin.region.deleted")) == 1


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": ""}, "name", "is required"),
        ({"lat": "91"}, "lat", "must be ≤ 90"),
        ({"lon": "east"}, "lon", "must be a number"),
        ({"country_code": "XX"}, "country_code", "unknown country 'XX'"),
        ({"id": "TH-CRI"}, "id", "region TH-CRI exists already"),
        ({"id": "bad id!"}, "id", "use up to 32 letters, digits, '-', '_' or '.'"),
    ],
)
def test_region_rules(admin, session: Session, change, field, message) -> None:
    response = admin.post("/admin/regions", data={**REGION, **change})
    assert response.status_code == 422
    assert field_error(response, field) == message
    assert 'value="' in response.text  # the typed values are shown again


def test_region_still_used_cannot_be_deleted(admin, session: Session) -> None:
    response = admin.post("/admin/regions/TH-CRI/delete")
    assert response.status_code == 409
    assert "region TH-CRI has 1 based unit and 2 roads" in response.text
    assert session.get(Region, "TH-CRI") is not None


def test_road_rules_and_lifecycle(admin, session: Session) -> None:
    response = admin.post("/admin/roads", data={"a_id": "TH-MSI", "b_id": "MM-TAC",
                                                "minutes": "15"})
    assert response.status_code == 422
    assert field_error(response, "b_id") == (
        "road joins TH-MSI (Thailand) and MM-TAC (Myanmar): roads join regions of one "
        "country; use a crossing"
    )
    same = admin.post("/admin/roads", data={"a_id": "TH-MSI", "b_id": "TH-MSI", "minutes": "5"})
    assert "a road joins two different regions" in same.text
    negative = admin.post("/admin/roads", data={"a_id": "TH-MSI", "b_id": "TH-CKG",
                                                "minutes": "-1"})
    assert field_error(negative, "minutes") == "must be ≥ 0"
    unknown = admin.post("/admin/roads", data={"a_id": "TH-XXX", "b_id": "TH-CKG",
                                               "minutes": "1"})
    assert field_error(unknown, "a_id") == "unknown region 'TH-XXX'"
    ok = admin.post("/admin/roads", data={"a_id": "TH-MSI", "b_id": "TH-CKG", "minutes": "95"})
    assert ok.status_code == 200
    road = session.exec(select(Road).where(Road.a_id == "TH-MSI", Road.b_id == "TH-CKG")).one()
    moved = admin.post(f"/admin/roads/{road.id}", data={"a_id": "TH-MSI", "b_id": "TH-CKG",
                                                        "minutes": "80"})
    assert moved.status_code == 200 and session.get(Road, road.id).minutes == 80
    assert admin.post(f"/admin/roads/{road.id}/delete").status_code == 200
    assert session.get(Road, road.id) is None
    assert [len(audit_rows(session, f"admin.road.{a}")) for a in ("created", "updated",
                                                                  "deleted")] == [1, 1, 1]


CROSSING = {"id": "X-CKG-2", "a_id": "TH-CKG", "b_id": "LA-BOK", "name": "4th Friendship Bridge",
            "transit_minutes": "25", "lanes": "2", "timezone": "Asia/Bangkok",
            "open_from": ["18:00", "06:00", ""], "open_to": ["22:00", "12:00", ""]}


def test_crossing_created_with_windows_in_local_time(admin, session: Session) -> None:
    assert admin.post("/admin/crossings", data=CROSSING).status_code == 200
    crossing = session.get(Crossing, "X-CKG-2")
    assert crossing.open_windows == [{"from": "06:00", "to": "12:00"},
                                     {"from": "18:00", "to": "22:00"}]
    page = admin.get("/admin/crossings?q=friendship").text
    assert "06:00–12:00 UTC+07:00 = 23:00 (day before)–05:00 UTC" in page
    edit = admin.get("/admin/crossings/X-CKG-2/edit").text
    assert 'value="18:00"' in edit and "= 11:00–15:00 UTC" in edit
    always = {k: v for k, v in CROSSING.items() if not k.startswith("open") and k != "id"}
    always.update(timezone="Asia/Yangon", lanes="3", version="1")
    assert admin.post("/admin/crossings/X-CKG-2", data=always).status_code == 200
    assert crossing.open_windows is None and crossing.timezone == "Asia/Yangon"
    [updated] = audit_rows(session, "admin.crossing.updated")
    assert updated.details["changes"]["lanes"] == [2, 3]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"b_id": "TH-MSI"}, "b_id", "crossing joins TH-CKG (Thailand) and TH-MSI (Thailand): "
                                     "a crossing joins two countries; use a road"),
        ({"open_from": ["21:00"], "open_to": ["06:30"]}, "open_windows",
         "#1: from must be before to (21:00–06:30)"),
        ({"open_from": ["06:00", "10:00"], "open_to": ["08:00", "10:00"]}, "open_windows",
         "#2: from must be before to (10:00–10:00)"),
        ({"open_from": ["6:30"], "open_to": ["21:00"]}, "open_windows",
         "#1: '6:30' is not a daily time HH:MM between 00:00 and 24:00"),
        ({"lanes": "0"}, "lanes", "must be ≥ 1"),
        ({"transit_minutes": "0"}, "transit_minutes", "must be ≥ 1"),
        ({"transit_minutes": "1.5"}, "transit_minutes", "must be a whole number"),
        ({"timezone": "Asia/Nowhere"}, "timezone",
         "'Asia/Nowhere' is not a valid IANA time zone (e.g. Asia/Bangkok)"),
        ({"timezone": "Europe/Berlin"}, "timezone",
         "Europe/Berlin has daylight saving time, which the board does not support"),
        ({"timezone": "Asia/Tokyo"}, "timezone",
         "'Asia/Tokyo' is not a zone of the region: choose the crossing's time zone from the "
         "list"),
        ({"a_id": "ZZ-1"}, "a_id", "unknown region 'ZZ-1'"),
        ({"id": "X-MSI-TAC"}, "id", "crossing X-MSI-TAC exists already"),
    ],
)
def test_crossing_rules(admin, session: Session, change, field, message) -> None:
    response = admin.post("/admin/crossings", data={**CROSSING, **change})
    assert response.status_code == 422
    assert field_error(response, field) == message
    assert session.get(Crossing, "X-CKG-2") is None


def test_crossing_used_by_a_tasking_cannot_be_deleted(
    admin, session: Session, make_operation
) -> None:
    publish_tasking(session, make_operation, "U-TH-2", crossing_id="X-MSI-TAC")
    response = admin.post("/admin/crossings/X-MSI-TAC/delete", headers={"HX-Request": "true"})
    assert response.status_code == 409
    assert "crossing X-MSI-TAC has 1 published tasking" in response.text
    assert response.headers["HX-Retarget"] == "#toasts"
    assert admin.post("/admin/crossings/X-CKG-HXY/delete").status_code == 200
    assert session.get(Crossing, "X-CKG-HXY") is None
    assert [e.object_id for e in audit_rows(session, "admin.crossing.deleted")] == ["X-CKG-HXY"]


def test_agreements_are_directional_and_unique(admin, session: Session) -> None:
    same = admin.post("/admin/agreements", data={"from_country": "TH", "to_country": "TH"})
    assert same.status_code == 422 and "an agreement joins two different countries" in same.text
    unknown = admin.post("/admin/agreements", data={"from_country": "QQ", "to_country": "TH"})
    assert field_error(unknown, "from_country") == "unknown country 'QQ'"
    twice = admin.post("/admin/agreements", data={"from_country": "TH", "to_country": "MM"})
    assert twice.status_code == 409 and "agreement TH → MM exists already" in twice.text
    assert admin.post("/admin/agreements", data={"from_country": "MM",
                                                 "to_country": "LA"}).status_code == 200
    assert session.get(Agreement, ("MM", "LA")) is not None
    assert session.get(Agreement, ("LA", "MM")) is None
    assert admin.post("/admin/agreements/MM-LA/delete").status_code == 200
    assert session.get(Agreement, ("MM", "LA")) is None
    assert [e.object_id for e in audit_rows(session, "admin.agreement.created")] == ["MM-LA"]
    assert len(audit_rows(session, "admin.agreement.deleted")) == 1
