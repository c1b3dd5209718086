"""The admin import page: upload, problems listed with paths, admins only."""

from __future__ import annotations

import json

from sample_data import SMALL
from sqlmodel import Session, func, select

from app.models import Operation, Role
from app.transfer.service import import_scenario


def test_admin_imports_a_scenario_file(client, session: Session, make_user, login) -> None:
    admin = login(client, make_user(session, role=Role.admin))
    assert "Import a scenario" in admin.get("/admin/import").text
    files = {"file": ("small.json", SMALL.read_bytes(), "application/json")}
    response = admin.post("/admin/import", files=files, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Imported" in response.text and "<html" not in response.text
    assert session.exec(select(func.count()).select_from(Operation)).one() == 20
    exported = admin.get("/admin/export.json").json()
    assert len(exported["operations"]) == 20


def test_broken_scenario_lists_problems_with_paths(
    client, session: Session, make_user, login
) -> None:
    admin = login(client, make_user(session, role=Role.admin))
    doc = json.loads(SMALL.read_text())
    doc["operations"][3]["sites"][0]["region"] = "XX"
    files = {"file": ("bad.json", json.dumps(doc).encode(), "application/json")}
    response = admin.post("/admin/import", files=files)
    assert response.status_code == 422
    assert "Nothing was imported" in response.text
    assert "<code>operations[3].sites[0].region</code>" in response.text
    assert session.exec(select(func.count()).select_from(Operation)).one() == 0


def test_only_admins_may_import(client, session: Session, make_user, login) -> None:
    planner = login(client, make_user(session, role=Role.planner))
    assert planner.get("/admin/import").status_code == 403
    files = {"file": ("small.json", SMALL.read_bytes(), "application/json")}
    assert planner.post("/admin/import", files=files).status_code == 403
    assert client.get("/admin/import", follow_redirects=False).status_code == 303


def test_export_shows_a_planner_only_operations_they_may_know(
    client, session: Session, make_user, login
) -> None:
    doc = json.loads(SMALL.read_text())
    import_scenario(session, data=doc)
    agency = "KH-NP"
    planner = login(client, make_user(session, role=Role.planner, agency=agency))
    exported = planner.get("/admin/export.json").json()
    countries = {r["id"]: r["country"] for r in doc["regions"]}
    expected = {
        op["id"]
        for op in doc["operations"]
        if op["lead_agency"] == agency or any(countries[s["region"]] == "KH" for s in op["sites"])
    }
    assert {op["id"] for op in exported["operations"]} == expected
    assert len(expected) < len(doc["operations"])


def test_an_import_never_narrows_the_horizon_and_says_so(
    client, session: Session, make_user, login
) -> None:
    from app.models import BoardConfig
    from app.solver.schema import parse_instant

    doc = json.loads(SMALL.read_text())
    import_scenario(session, data=doc)
    wide = (parse_instant(doc["horizon"]["start"]), parse_instant(doc["horizon"]["end"]))
    # A second file with a narrower horizon (and no operations, so nothing is repeated).
    narrow = {**doc, "operations": [], "horizon": {
        "start": doc["horizon"]["start"],
        "end": (wide[0] + (wide[1] - wide[0]) / 4).strftime("%Y-%m-%dT%H:%M:%SZ")}}
    admin = login(client, make_user(session, role=Role.admin))
    files = {"file": ("narrow.json", json.dumps(narrow).encode(), "application/json")}
    response = admin.post("/admin/import", files=files, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Planning horizon kept at" in response.text and "never narrows it" in response.text
    config = session.get(BoardConfig, 1)
    assert (config.horizon_start, config.horizon_end) == wide
    # A wider one widens it, and says so.
    wider = {**narrow, "horizon": {"start": doc["horizon"]["start"],
                                   "end": "2099-01-01T00:00:00Z"}}
    files = {"file": ("wider.json", json.dumps(wider).encode(), "application/json")}
    response = admin.post("/admin/import", files=files, headers={"HX-Request": "true"})
    assert "Planning horizon widened to the file&#39;s" in response.text
    session.refresh(config)
    assert config.horizon_end == parse_instant("2099-01-01T00:00:00Z")
