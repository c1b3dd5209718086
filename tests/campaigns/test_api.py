"""The JSON API: campaigns with field errors, the phase of an operation, a report's steps."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from app.models import Role

from .story import Story, campaign_doc


def test_create_campaign_errors_name_fields_then_succeeds(client, login, story: Story) -> None:
    api = login(client, story.users[("B", Role.planner)])
    bad = api.post("/api/v1/campaigns", json=campaign_doc(name="Lao Net", agencies=["LA-MPS"],
                                                          phases=[]))
    assert bad.status_code == 422
    assert {"path": "phases", "message": "List should have at least 1 item after validation, "
            "not 0"} in bad.json()["errors"]
    doc = campaign_doc(name="Lao Net", agencies=["LA-MPS"])
    made = api.post("/api/v1/campaigns", json=doc)
    assert made.status_code == 201 and made.json()["agencies"] == ["LA-MPS"]
    assert [c["name"] for c in api.get("/api/v1/campaigns").json()] == [
        "Lao Net", "Mekong Shield 2027"]
    assert login(client, story.users[("A", Role.planner)]).get(
        f"/api/v1/campaigns/{made.json()['id']}").status_code == 404
    stale = api.put(f"/api/v1/campaigns/{made.json()['id']}", json={**doc, "version": 7})
    assert stale.status_code == 409


def test_report_through_the_api(client, login, story: Story) -> None:
    lead: TestClient = login(client, story.users[("B", Role.liaison)])
    url = f"/api/v1/operations/{story.lao.id}/report"
    assert lead.get(url).json()["state"] is None
    body: dict[str, Any] = {"version": 0, "parts": {"LA": {"detained": {"ZZ": 1}}}}
    bad = lead.put(url, json=body)
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "parts.LA.detained.ZZ"
    body["parts"]["LA"]["detained"] = {"CN": 3}
    saved = lead.put(url, json=body).json()
    assert saved["state"] == "draft" and saved["version"] == 1
    assert lead.put(url, json=body).status_code == 409
    assert lead.post(f"{url}/submit", json={"version": 1}).json()["state"] == "submitted"
    outsider = login(client, story.users[("C", Role.liaison)])
    assert outsider.post(f"{url}/confirm", json={"version": 2}).status_code == 404
    done = lead.post(f"{url}/confirm", json={"version": 2}).json()
    assert done["state"] == "confirmed" and done["parts"]["LA"]["detained"] == {"CN": 3}
    phase = lead.put(f"/api/v1/operations/{story.lao.id}/phase", json={"phase_id": None})
    assert phase.json() == {"operation_id": "OP-LAO", "phase_id": None}


def test_a_report_step_with_a_version_that_is_not_a_whole_number_is_refused_by_field(
    client, login, story: Story
) -> None:
    lead: TestClient = login(client, story.users[("B", Role.liaison)])
    url = f"/api/v1/operations/{story.lao.id}/report"
    lead.put(url, json={"version": 0, "parts": {"LA": {"detained": {"CN": 3}}}})
    for step in ("submit", "confirm"):
        for version in ("abc", "1", [1], None, True, 1.5):
            refused = lead.post(f"{url}/{step}", json={"version": version})
            assert refused.status_code == 422, (step, version, refused.text)
            assert refused.json()["errors"][0]["path"] == "version"
    assert lead.post(f"{url}/submit", json={"version": 1}).json()["state"] == "submitted"
