"""Agencies and units: create, edit, delete, every rule, 409 while still referenced."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.models import Agency, Role, Unit

from .helpers import audit_rows, field_error, publish_tasking

UNIT = {"id": "U-0007", "agency_id": "MM-MPF", "callsign": "MPF-7",
        "capabilities": "tactical, cyber, tactical", "personnel": "14", "base_region_id": "MM-TAC",
        "operating_regions_mode": "all", "operating_regions": "",
        "availability_mode": "all", "availability": ""}


def test_unit_created_with_regions_and_availability(admin, session: Session, admin_user) -> None:
    data = {**UNIT, "operating_regions_mode": "listed", "operating_regions": "MM-TAC",
            "availability_mode": "listed",
            "availability": "2026-12-01T00:00:00+06:30 2026-12-03T00:00:00+06:30\n"}
    response = admin.post("/admin/units", data=data, follow_redirects=False)
    assert response.status_code == 303
    unit = session.get(Unit, "U-0007")
    assert unit.capabilities == ["tactical", "cyber"] and unit.personnel == 14
    assert unit.operating_regions == ["MM-TAC"]
    assert unit.availability == [{"start": "2026-11-30T17:30:00Z", "end": "2026-12-02T17:30:00Z"}]
    [row] = audit_rows(session, "admin.unit.created")
    assert row.actor_id == admin_user.id and row.details["values"]["base_region_id"] == "MM-TAC"


def test_unit_edit_keeps_null_and_empty_apart(admin, session: Session) -> None:
    data = {k: v for k, v in UNIT.items() if k not in ("id", "agency_id")}
    data.update(base_region_id="TH-MSI", operating_regions_mode="listed", operating_regions="",
                availability_mode="listed", availability="", version="1")
    response = admin.post("/admin/units/U-TH-2", data=data)
    assert response.status_code == 200
    unit = session.get(Unit, "U-TH-2")
    assert unit.operating_regions == [] and unit.availability == []  # nowhere, never
    page = admin.get("/admin/units/U-TH-2/edit").text
    assert "Only the regions listed (none: nowhere)" in page
    [row] = audit_rows(session, "admin.unit.updated")
    assert row.details["changes"]["callsign"] == ["RTP-2", "MPF-7"]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"base_region_id": "TH-MSI"}, "base_region_id",
         "base TH-MSI (Thailand) is not in Myanmar, the country of agency MM-MPF: a unit's "
         "base must be in its agency's country"),
        ({"base_region_id": "MM-XXX"}, "base_region_id", "unknown region 'MM-XXX'"),
        ({"capabilities": " , "}, "capabilities", "give at least one capability"),
        ({"personnel": "0"}, "personnel", "must be ≥ 1"),
        ({"personnel": ""}, "personnel", "is required"),
        ({"callsign": ""}, "callsign", "is required"),
        ({"agency_id": "XX-NOPE"}, "agency_id", "unknown agency 'XX-NOPE'"),
        ({"id": "U-TH-1"}, "id", "unit U-TH-1 exists already"),
        ({"operating_regions_mode": "listed", "operating_regions": "TH-CRI"},
         "operating_regions", "TH-CRI (Thailand) is not in Myanmar: operating regions lie in "
                              "the unit's own country (work abroad needs an agreement)"),
        ({"availability_mode": "listed",
          "availability": "2026-12-03T00:00:00Z 2026-12-01T00:00:00Z"}, "availability",
         "#1: start must be before end (2026-12-03T00:00:00Z – 2026-12-01T00:00:00Z)"),
        ({"availability_mode": "listed", "availability": "2026-12-03 2026-12-04"},
         "availability", "#1: '2026-12-03' is not an RFC 3339 instant like "
                         "2026-12-01T07:00:00+07:00"),
    ],
)
def test_unit_rules(admin, session: Session, change, field, message) -> None:
    response = admin.post("/admin/units", data={**UNIT, **change})
    assert response.status_code == 422
    assert field_error(response, field) == message
    assert session.get(Unit, "U-0007") is None or change.get("id") == "U-TH-1"


def test_unit_with_taskings_or_users_cannot_be_deleted(
    admin, session: Session, make_operation, make_user
) -> None:
    for day in range(3):
        publish_tasking(session, make_operation, "U-TH-1", day)
    response = admin.post("/admin/units/U-TH-1/delete")
    assert response.status_code == 409
    assert "unit U-TH-1 has 3 published taskings" in response.text
    make_user(session, role=Role.unit_officer, agency="LA-MPS", unit="U-LA-1")
    blocked = admin.post("/admin/units/U-LA-1/delete")
    assert blocked.status_code == 409 and "unit U-LA-1 has 1 attached user" in blocked.text
    assert admin.get("/admin/units/U-MM-1/delete").status_code == 200  # confirmation page
    assert admin.post("/admin/units/U-MM-1/delete", follow_redirects=False).status_code == 303
    assert session.get(Unit, "U-MM-1") is None and session.get(Unit, "U-TH-1") is not None
    assert [e.object_id for e in audit_rows(session, "admin.unit.deleted")] == ["U-MM-1"]


def test_agency_lifecycle_and_rules(admin, session: Session, admin_user) -> None:
    bad = admin.post("/admin/agencies", data={"id": "th rtp", "country_code": "TH", "name": "x"})
    assert field_error(bad, "id") == "use up to 32 capital letters, digits or '-', such as TH-RTP"
    unknown = admin.post("/admin/agencies", data={"id": "KH-NP", "country_code": "KH",
                                                  "name": "Cambodian National Police"})
    assert field_error(unknown, "country_code") == "unknown country 'KH'"
    taken = admin.post("/admin/agencies", data={"id": "TH-RTP", "country_code": "TH",
                                                "name": "again"})
    assert field_error(taken, "id") == "agency TH-RTP exists already"
    nameless = admin.post("/admin/agencies", data={"id": "TH-DSI", "country_code": "TH"})
    assert field_error(nameless, "name") == "is required"
    ok = admin.post("/admin/agencies", data={"id": "TH-DSI", "country_code": "TH",
                                             "name": "Department of Special Investigation"})
    assert ok.status_code == 200 and session.get(Agency, "TH-DSI").country_code == "TH"
    assert admin.post("/admin/agencies/TH-DSI",
                      data={"name": "DSI", "version": "1"}).status_code == 200
    assert session.get(Agency, "TH-DSI").name == "DSI"
    assert admin.post("/admin/agencies/TH-DSI/delete").status_code == 200
    assert session.get(Agency, "TH-DSI") is None
    kinds = ("created", "updated", "deleted")
    assert [len(audit_rows(session, f"admin.agency.{k}")) for k in kinds] == [1, 1, 1]


def test_agency_with_units_users_and_operations_cannot_be_deleted(
    admin, session: Session, make_operation, make_user
) -> None:
    make_operation(session, "TH-RTP")
    make_user(session, role=Role.liaison, agency="TH-RTP")
    response = admin.post("/admin/agencies/TH-RTP/delete")
    assert response.status_code == 409
    assert ("agency TH-RTP has 2 units and 1 user account and 1 operation it leads"
            in response.text)
    assert session.get(Agency, "TH-RTP") is not None


def test_unit_capabilities_come_from_the_managed_list(admin, session: Session) -> None:
    """A capability not on Admin › Capabilities is refused beside the field, input kept."""
    response = admin.post("/admin/units", data={**UNIT, "capabilities": "tactical, cybr"})
    assert response.status_code == 422
    assert "'cybr' not on the list of capabilities" in field_error(response, "capabilities")
    assert 'value="tactical, cybr"' in response.text  # what was typed stays in the field
    assert session.get(Unit, "U-0007") is None
    data = {k: v for k, v in UNIT.items() if k not in ("id", "agency_id")}
    data.update(base_region_id="TH-MSI", capabilities="sniper", version="1")
    edited = admin.post("/admin/units/U-TH-2", data=data)
    assert edited.status_code == 422 and "'sniper'" in field_error(edited, "capabilities")
    assert session.get(Unit, "U-TH-2").capabilities != ["sniper"]
