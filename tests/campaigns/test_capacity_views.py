"""The capacity page, its htmx fragments, the CSV export and the JSON API."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import OfferState, Role, SupportOffer

from .story import Story
from .test_capacity import short  # noqa: F401  (the fixture)

HTMX = {"HX-Request": "true"}


def _as(client: TestClient, login: Any, story: Story, key: str, role: Role) -> TestClient:
    return login(client, story.users[(key, role)])


def test_the_page_says_where_operations_are_short(client, login, story: Story,
                                                  short: Any) -> None:  # noqa: F811
    lao = _as(client, login, story, "B", Role.planner)
    page = lao.get(f"/campaigns/{story.campaign.id}/capacity")
    assert page.status_code == 200
    assert "Bokeo (Huay Xai) (LA): 2 operations short of cyber units in Phase 1" in page.text
    assert "Chiang Rai" not in page.text.split("Per country")[0].split("Worst gaps")[1]
    assert f'action="/campaigns/{story.campaign.id}/offers"' in page.text
    assert "Find what would help most" in page.text
    liaison = _as(client, login, story, "B", Role.liaison).get(
        f"/campaigns/{story.campaign.id}/capacity")
    assert "Record the offer" not in liaison.text and "Find what would help" not in liaison.text


def test_the_csv_and_json_count_only_what_the_reader_may_see(
        client, login, story: Story, short: Any) -> None:  # noqa: F811
    lao = _as(client, login, story, "B", Role.liaison)
    csv = lao.get(f"/campaigns/{story.campaign.id}/capacity.csv")
    assert csv.headers["content-disposition"].startswith("attachment")
    assert "Bokeo (Huay Xai),cyber,2,3,0,0,2,2,0,2," in csv.text
    assert "TH-CRI" not in csv.text
    data = lao.get(f"/api/v1/campaigns/{story.campaign.id}/capacity").json()
    assert data["worst"][0] == \
        "Bokeo (Huay Xai) (LA): 2 operations short of cyber units in Phase 1"
    assert all(r["region_id"] != "TH-CRI" for r in data["rows"])
    thai = _as(client, login, story, "A", Role.planner).get(
        f"/api/v1/campaigns/{story.campaign.id}/capacity").json()
    assert [r["unscheduled"] for r in thai["rows"]
            if (r["region_id"], r["capability"]) == ("TH-CRI", "cyber")] == [1]


def test_the_offer_form_keeps_the_input_and_answers_with_its_fragment(
        client, login, story: Story) -> None:
    thai = _as(client, login, story, "A", Role.planner)
    url = f"/campaigns/{story.campaign.id}/offers"
    bad = thai.post(url, data={"phase_id": str(story.phases[0].id), "to_country": "TH",
                               "unit_ids": ["U-TH-2"], "note": "two crews, kept"},
                    headers=HTMX)
    assert bad.status_code == 422
    assert bad.text.lstrip().startswith('<section class="card" id="offers"')
    assert "offer units to another country than the agency" in bad.text
    assert "two crews, kept" in bad.text and 'value="U-TH-2" selected' in bad.text
    good = thai.post(url, data={"phase_id": str(story.phases[0].id), "to_country": "LA",
                                "unit_ids": ["U-TH-2"], "note": "patrol boats"},
                     follow_redirects=False)
    assert good.status_code == 303


def test_accepting_on_the_page_checks_the_version(client, login, story: Story,
                                                  session: Session) -> None:
    offer = SupportOffer(phase_id=story.phases[0].id or 0, from_agency_id="TH-RTP",
                         to_country="LA", unit_ids=["U-TH-1"])
    session.add(offer)
    session.flush()
    lao = _as(client, login, story, "B", Role.planner)
    base = f"/campaigns/{story.campaign.id}/offers/{offer.id}"
    page = lao.get(f"/campaigns/{story.campaign.id}/capacity").text
    assert f'action="{base}/accept"' in page and f'action="{base}/withdraw"' not in page
    stale = lao.post(f"{base}/accept", data={"version": "7"}, headers=HTMX)
    assert stale.status_code == 409 and "changed since you read it" in stale.text
    assert lao.post(f"{base}/accept", data={"version": "1"},
                    follow_redirects=False).status_code == 303
    session.refresh(offer)
    assert offer.state == OfferState.accepted
    assert lao.post(f"{base}/shrug", data={"version": "2"}).status_code == 422
    thai_liaison = _as(client, login, story, "A", Role.liaison)
    assert thai_liaison.post(f"{base}/withdraw", data={"version": "2"}).status_code == 403


def test_the_api_records_and_decides_offers(client, login, story: Story) -> None:
    thai = _as(client, login, story, "A", Role.planner)
    url = f"/api/v1/campaigns/{story.campaign.id}/offers"
    bad = thai.post(url, json={"phase_id": story.phases[0].id, "to_country": "XX",
                               "unit_ids": ["U-TH-1"]})
    assert bad.status_code == 422
    assert {"path": "to_country", "message": "unknown country 'XX'"} in bad.json()["errors"]
    made = thai.post(url, json={"phase_id": story.phases[0].id, "to_country": "LA",
                                "unit_ids": ["U-TH-1"]})
    assert made.status_code == 201 and made.json()["state"] == "offered"
    decision = f"{url}/{made.json()['id']}/decision"
    lao = _as(client, login, story, "B", Role.planner)
    assert lao.post(decision, json={"state": "accepted", "version": 5}).status_code == 409
    assert lao.post(decision, json={"state": "accepted"}).status_code == 422
    done = lao.post(decision, json={"state": "accepted", "version": 1})
    assert done.status_code == 200 and done.json()["version"] == 2
    assert [o["state"] for o in lao.get(url).json()] == ["accepted"]
    outsider = _as(client, login, story, "C", Role.planner)
    assert outsider.get(url).status_code == 404


def test_the_analysis_is_queued_and_its_fragment_polls(client, login, story: Story,
                                                       short: Any) -> None:  # noqa: F811
    lao = _as(client, login, story, "B", Role.planner)
    none = lao.get(f"/api/v1/campaigns/{story.campaign.id}/capacity/analyses/latest").json()
    assert none["status"] is None
    started = lao.post(f"/campaigns/{story.campaign.id}/capacity/help", follow_redirects=False)
    assert started.status_code == 303
    fragment = lao.get(f"/campaigns/{story.campaign.id}/capacity/help", headers=HTMX)
    assert fragment.text.lstrip().startswith('<section class="card" id="help"')
    assert 'hx-trigger="every 2s"' in fragment.text and "queued" in fragment.text
    again = lao.post(f"/api/v1/campaigns/{story.campaign.id}/capacity/analyses")
    assert again.status_code == 409
    latest = lao.get(f"/api/v1/campaigns/{story.campaign.id}/capacity/analyses/latest").json()
    assert latest["status"] == "queued" and latest["ranking"] == []
    # Not a plan: the planning pages do not know it; it is stopped from its campaign.
    assert lao.get(f"/planning/runs/{latest['id']}").status_code == 404
    assert _as(client, login, story, "B", Role.liaison).post(
        f"/campaigns/{story.campaign.id}/capacity/help/stop").status_code == 403
    stopped = lao.post(f"/campaigns/{story.campaign.id}/capacity/help/stop",
                       follow_redirects=False)
    assert stopped.status_code == 303
    latest = lao.get(f"/api/v1/campaigns/{story.campaign.id}/capacity/analyses/latest").json()
    assert latest["status"] == "cancelled"
    assert lao.post(f"/campaigns/{story.campaign.id}/capacity/help/stop").status_code == 409


def test_every_agency_and_role_reads_only_the_counts_it_may(
        client, login, story: Story, short: Any) -> None:  # noqa: F811
    """The Thai cyber raid (OP-THCYB) is counted for Thailand and the whole board only;
    the Lao ones for Laos and the whole board; Myanmar takes no part in the campaign."""
    paths = [f"/api/v1/campaigns/{story.campaign.id}/capacity",
             f"/campaigns/{story.campaign.id}/capacity.csv",
             f"/campaigns/{story.campaign.id}/capacity"]
    problems = []
    for (key, role), user in story.users.items():
        reader = login(client, user)
        whole = role in (Role.admin, Role.coordinator)
        for path in paths:
            response = reader.get(path)
            expected = 403 if role == Role.unit_officer else (
                200 if whole or key in ("A", "B") else 404)
            if response.status_code != expected:
                problems.append(f"{path} as {key} {role.value}: {response.status_code}")
                continue
            if expected != 200:
                continue
            thai_row = "Chiang Rai (TH): 1 operation short of cyber" in response.text or \
                "Chiang Rai,cyber,1,1,0,0,1,0,1" in response.text
            lao_row = "Bokeo (Huay Xai) (LA): 2 operations short of cyber" in response.text \
                or "Bokeo (Huay Xai),cyber,2,3,0,0,2,0,2" in response.text
            if thai_row != (whole or key == "A") or lao_row != (whole or key == "B"):
                problems.append(f"{path} as {key} {role.value}: thai {thai_row}, lao {lao_row}")
            if "Silent Gecko" in response.text or "OP-THCYB" in response.text:
                problems.append(f"{path} as {key} {role.value} names the Thai raid")
    assert problems == []


def test_the_seeded_demo_shows_a_shortage_before_any_solve(client, login,
                                                           session: Session) -> None:
    """Right after `jointops seed-demo`, with no planner's solve: the Lao raids in Bokeo
    ask for a drone (uav) unit that only Thailand and Vietnam field, without foreign
    support, so the capacity page counts them short from the register alone."""
    from sqlmodel import select

    from app.clock import utcnow
    from app.models import Campaign, Plan, User
    from app.seed import seed_demo

    seed_demo(session, now=utcnow())
    plans_before = len(session.exec(select(Plan)).all())
    campaign = session.exec(select(Campaign)).one()
    lao = session.exec(select(User).where(User.username == "la-mps-planner")).one()
    reader = login(client, lao)
    page = reader.get(f"/campaigns/{campaign.id}/capacity")
    assert page.status_code == 200
    worst = page.text.split("Worst gaps")[1].split("Per phase")[0]
    assert "No operation you may see is short" not in worst
    assert ("Bokeo (Huay Xai) (LA): 2 operations short of uav units in "
            "Phase 1: border compounds") in worst
    data = reader.get(f"/api/v1/campaigns/{campaign.id}/capacity").json()
    (bokeo,) = [r for r in data["rows"] if (r["region_id"], r["capability"]) == ("LA-BOK",
                                                                               "uav")]
    assert (bokeo["no_unit_able"], bokeo["unscheduled"], bokeo["short"]) == (2, 0, 2)
    assert (bokeo["supply_region"], bokeo["supply_country"]) == (0, 0)
    # The Lao tactical need in Bokeo is met by Lao units: not short.
    assert all(r["short"] == 0 for r in data["rows"]
               if (r["region_id"], r["capability"]) == ("LA-BOK", "tactical"))
    # Reading the page solved nothing.
    assert len(session.exec(select(Plan)).all()) == plans_before
