"""The admin JSON API: lists with search and pages, one item, 404, OpenAPI."""

from __future__ import annotations

from sqlmodel import Session


def test_lists_with_search_and_pages(admin) -> None:
    units = admin.get("/api/v1/admin/units", params={"per_page": 3}).json()
    assert (units["total"], units["pages"], len(units["items"])) == (4, 2, 3)
    assert units["items"][0] == {
        "agency_id": "LA-MPS", "callsign": "MPS-1", "capabilities": ["tactical"], "personnel": 10,
        "base_region_id": "LA-BOK", "operating_regions": None, "availability": None,
        "id": "U-LA-1",
    }
    crossings = admin.get("/api/v1/admin/crossings", params={"q": "mae sai"}).json()
    assert [c["id"] for c in crossings["items"]] == ["X-MSI-TAC"]
    assert crossings["items"][0]["open_windows"] == [{"from": "06:30", "to": "21:00"}]
    agencies = admin.get("/api/v1/admin/agencies").json()
    assert {a["id"] for a in agencies["items"]} == {"TH-RTP", "LA-MPS", "MM-MPF"}
    regions = admin.get("/api/v1/admin/regions", params={"q": "MM"}).json()
    assert [r["id"] for r in regions["items"]] == ["MM-TAC"]


def test_one_item_and_missing_ones(admin) -> None:
    assert admin.get("/api/v1/admin/units/U-TH-2").json()["callsign"] == "RTP-2"
    assert admin.get("/api/v1/admin/regions/TH-MSI").json()["country_code"] == "TH"
    missing = admin.get("/api/v1/admin/crossings/X-NONE")
    assert missing.status_code == 404 and missing.json() == {"detail": "No such crossing"}
    assert admin.get("/api/v1/admin/units", params={"per_page": 0}).status_code == 422


def test_documented_in_openapi(client, session: Session) -> None:
    spec = client.app.openapi()
    for path in ("/api/v1/admin/units", "/api/v1/admin/crossings/{key}",
                 "/api/v1/admin/agencies", "/api/v1/admin/regions/{key}"):
        assert "admin" in spec["paths"][path]["get"]["tags"]
    assert "/admin/units" not in spec["paths"]  # HTML pages stay out of the API docs


UNIT_IN = {"id": "U-API-1", "agency_id": "LA-MPS", "callsign": "MPS-API", "personnel": 8,
           "base_region_id": "LA-BOK", "capabilities": ["tactical"]}


def test_units_are_written_with_capabilities_from_the_managed_list(
    admin, session: Session
) -> None:
    unknown = admin.post("/api/v1/admin/units", json={**UNIT_IN, "capabilities": ["cybr"]})
    assert unknown.status_code == 422
    assert [e["path"] for e in unknown.json()["errors"]] == ["capabilities"]
    assert "'cybr' not on the list of capabilities" in unknown.json()["errors"][0]["message"]
    created = admin.post("/api/v1/admin/units", json=UNIT_IN)
    assert created.status_code == 201 and created.json()["capabilities"] == ["tactical"]
    body = {k: v for k, v in UNIT_IN.items() if k not in ("id", "agency_id")}
    changed = admin.put("/api/v1/admin/units/U-API-1", json={**body, "capabilities": ["k9"]})
    assert changed.status_code == 200 and changed.json()["capabilities"] == ["k9"]
    refused = admin.put("/api/v1/admin/units/U-API-1", json={**body, "capabilities": ["dog"]})
    assert refused.status_code == 422 and refused.json()["errors"][0]["path"] == "capabilities"
    assert admin.put("/api/v1/admin/units/U-NONE", json=body).status_code == 404
