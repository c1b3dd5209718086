"""The managed list of capabilities: administered, checked by the operation form, filled
by imports and by the migration from what units and requirements already name."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.admin.capabilities import register
from app.models import Capability, Role


def test_admin_adds_refuses_and_deletes_capabilities(
    client: TestClient, session: Session, world: Any, make_user: Any, login: Any
) -> None:
    admin = login(client, make_user(session, Role.admin))
    listing = admin.get("/admin/capabilities")
    assert listing.status_code == 200 and "border_patrol" in listing.text
    bad = admin.post("/admin/capabilities", data={"name": "River Boats", "description": "x"})
    assert bad.status_code == 422
    assert "lower-case" in bad.text and 'value="River Boats"' in bad.text
    good = admin.post("/admin/capabilities", data={"name": "marine", "description": "boats"})
    assert good.status_code in (200, 303)
    assert session.get(Capability, "marine") is not None
    twice = admin.post("/admin/capabilities", data={"name": "marine"})
    assert twice.status_code == 422 and "on the list already" in twice.text
    # A capability a unit has stays on the list; an unused one can go.
    assert admin.post("/admin/capabilities/tactical/delete").status_code == 409
    assert session.get(Capability, "tactical") is not None
    assert admin.post("/admin/capabilities/marine/delete").status_code in (200, 303)
    assert session.get(Capability, "marine") is None
    # Other roles do not manage it.
    liaison = login(client, make_user(session, Role.liaison, agency="TH-RTP"))
    assert liaison.get("/admin/capabilities").status_code == 403


def test_the_operation_form_refuses_a_capability_not_on_the_list(
    client: TestClient, session: Session, world: Any, make_user: Any, login: Any
) -> None:
    liaison = login(client, make_user(session, Role.liaison, agency="TH-RTP"))
    form = {"code_name": "Hollow Reed", "lead_agency_id": "TH-RTP", "priority": "16",
            "tlp": "AMBER", "time_zone": "UTC", "earliest_start": "2026-12-02 00:00",
            "latest_end": "2026-12-04 00:00", "duration_minutes": "240",
            "sites.0.region_id": "TH-MSI",
            "sites.0.requirements.0.capability": "hovercraft",
            "sites.0.requirements.0.count": "1"}
    page = liaison.post("/operations/new", data=form)
    assert page.status_code == 422
    assert "not on the list of capabilities" in page.text
    assert 'value="hovercraft"' in page.text and 'value="Hollow Reed"' in page.text
    assert '<option value="border_patrol">' in page.text  # the list is offered
    saved = liaison.post("/operations/new", data={
        **form, "sites.0.requirements.0.capability": "border_patrol"},
        follow_redirects=False)
    assert saved.status_code == 303


def test_register_adds_only_new_names(session: Session, world: Any) -> None:
    assert register(session, {"tactical", " drone ", ""}) == 1
    assert register(session, ["drone"]) == 0
    names = set(session.exec(select(Capability.name)))
    assert {"drone", "tactical", "k9"} <= names
