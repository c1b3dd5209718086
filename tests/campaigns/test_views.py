"""Pages: the campaign form (errors keep input), the operation form's phase, the report
form and its steps, the dashboard's accessible SVG charts, the phase review."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.campaigns import service
from app.models import OperationPhase, Role

from .story import Story, file_and_confirm


def _client(client: TestClient, login: Any, story: Story, key: str, role: Role) -> TestClient:
    return login(client, story.users[(key, role)])


def test_campaign_form_errors_keep_the_input(client, login, story: Story) -> None:
    planner = _client(client, login, story, "A", Role.planner)
    assert "Participating agencies" in planner.get("/campaigns/new").text
    form = {"name": "Dragon Net", "description": "kept text", "agencies": ["TH-RTP"],
            "phases.0.id": "", "phases.0.name": "First", "phases.0.starts_on": "2027-05-01",
            "phases.0.ends_on": "2027-04-01", "phases.0.goals.0.metric": "arrests",
            "phases.0.goals.0.scope": "TH", "phases.0.goals.0.target": "-4"}
    page = planner.post("/campaigns/new", data=form)
    assert page.status_code == 422
    assert 'value="Dragon Net"' in page.text and "kept text" in page.text
    assert "the phase ends before it starts" in page.text
    assert 'aria-invalid="true" aria-describedby="err-phases-0-goals-0-target"' in page.text
    assert 'value="-4"' in page.text
    # The row buttons add a goal row without saving.
    more = planner.post("/campaigns/new", data={**form, "row_action": "add_goal:0"})
    assert more.status_code == 200 and 'name="phases.0.goals.1.target"' in more.text
    form.update({"phases.0.ends_on": "2027-06-01", "phases.0.goals.0.target": "40"})
    saved = planner.post("/campaigns/new", data=form, follow_redirects=False)
    assert saved.status_code == 303
    detail = planner.get(saved.headers["location"])
    assert "Dragon Net" in detail.text and "First" in detail.text and "arrests" in detail.text


def test_campaign_edit_refuses_a_stale_version(client, login, story: Story) -> None:
    planner = _client(client, login, story, "B", Role.planner)
    url = f"/campaigns/{story.campaign.id}/edit"
    page = planner.get(url).text
    assert 'name="version" value="1"' in page
    form: dict[str, Any] = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"',
                                           page))
    form.pop("csrf_token", None)
    form.update({k: v for k, v in re.findall(
        r'<select[^>]*name="([^"]+)"[^>]*>.*?<option value="([^"]*)" selected', page, re.S)})
    form["agencies"] = ["TH-RTP", "LA-MPS"]
    form["description"] = "second thoughts"
    assert planner.post(url, data=form, follow_redirects=False).status_code == 303
    stale = planner.post(url, data=form)
    assert stale.status_code == 409 and "since you opened it" in stale.text
    assert "second thoughts" in stale.text


def test_operation_form_puts_the_operation_in_a_phase(client, login, session: Session,
                                                      story: Story) -> None:
    liaison = _client(client, login, story, "B", Role.liaison)
    page = liaison.get("/operations/new").text
    phase_id = story.phases[0].id
    assert f'<option value="{phase_id}"' in page and "Mekong Shield 2027 — Phase 1" in page
    form = {"code_name": "Night Ferry", "priority": "5", "tlp": "AMBER",
            "earliest_start": "2027-02-20T00:00", "latest_end": "2027-02-22T00:00",
            "duration_minutes": "240", "campaign_phase_id": str(phase_id),
            "sites.0.id": "", "sites.0.region_id": "LA-BOK", "sites.0.objective": "compound",
            "sites.0.min_personnel": "", "sites.0.requirements.0.capability": "tactical",
            "sites.0.requirements.0.count": "1"}
    saved = liaison.post("/operations/new", data=form, follow_redirects=False)
    assert saved.status_code == 303
    card = liaison.get(saved.headers["location"]).text
    assert "Campaign phase" in card and "Phase 1" in card
    op_id = saved.headers["location"].rsplit("/", 1)[1]
    assert session.get(OperationPhase, op_id).phase_id == phase_id  # type: ignore[union-attr]
    # A phase of a campaign the lead agency is not in is refused next to the field.
    bad = liaison.post("/operations/new", data={**form, "campaign_phase_id": "99999"})
    assert bad.status_code == 422
    assert "not a phase of a campaign the lead agency takes part in" in bad.text
    assert 'value="Night Ferry"' in bad.text
    # Myanmar takes no part: its form offers no phase.
    mm = _client(client, login, story, "C", Role.liaison).get("/operations/new").text
    assert "Mekong Shield" not in mm


def test_report_form_save_submit_confirm(client, login, session: Session, story: Story) -> None:
    lead = _client(client, login, story, "B", Role.liaison)
    url = f"/operations/{story.lao.id}/report"
    page = lead.get(url).text
    assert "LA part" in page and 'name="parts.LA.detained.CN"' in page
    form = {"version": "0", "lessons": "Forewarned by lookouts", "lessons_tlp": "RED",
            "parts.LA.compounds_dismantled": "1", "parts.LA.victims_identified": "-2",
            "parts.LA.detained.CN": "5", "parts.LA.cash_unit": "LAK"}
    bad = lead.post(url, data=form)
    assert bad.status_code == 422 and "greater than or equal to 0" in bad.text
    assert "Forewarned by lookouts" in bad.text and 'value="-2"' in bad.text
    form["parts.LA.victims_identified"] = "12"
    assert lead.post(url, data=form, follow_redirects=False).status_code == 303
    stale = lead.post(url, data=form)
    assert stale.status_code == 409 and "This report was changed by" in stale.text
    assert lead.post(f"{url}/submit", data={"version": "1"},
                     follow_redirects=False).status_code == 303
    host = _client(client, login, story, "B", Role.liaison)
    assert "Confirm the LA part" in host.get(url).text
    assert host.post(f"{url}/confirm", data={"version": "2", "country_code": "LA"},
                     follow_redirects=False).status_code == 303
    done = lead.get(url).text
    assert "report-confirmed" in done and "confirmed" in done
    dashboard = lead.get(f"/campaigns/{story.campaign.id}/dashboard").text
    assert '<td class="goal-actual">1</td>' in dashboard  # compounds dismantled in LA-BOK


def test_dashboard_charts_are_svg_with_title_desc_and_tables(
    client, login, session: Session, story: Story
) -> None:
    file_and_confirm(session, story, story.th_only, {"TH": {"detained": {"CN": 7}}})
    page = _client(client, login, story, "A", Role.planner).get(
        f"/campaigns/{story.campaign.id}/dashboard").text
    svgs = re.findall(r"<svg[^>]*>.*?</svg>", page, re.S)
    assert svgs and all('role="img"' in s and "<title" in s and "<desc" in s for s in svgs)
    assert "Operations per state" in page and "<caption>Operations per state (table)" in page
    assert "Cumulative arrests (confirmed)" in page and "2027-02-10</td><td>7</td>" in page
    assert "<script" not in page.split("<main", 1)[-1] or "htmx" in page


def test_phase_review_says_met_missed_at_risk(client, login, session: Session,
                                             story: Story, set_clock: Any) -> None:
    from datetime import UTC, datetime

    file_and_confirm(session, story, story.th_only, {"TH": {"detained": {"CN": 12}}})
    review = _client(client, login, story, "A", Role.planner)
    page = review.get(f"/campaigns/{story.campaign.id}/review").text
    # Arrests met; compounds and victims behind pace; 1 of 2 operations is on track.
    assert "1 of 4 goals met, 2 at risk." in page
    set_clock(datetime(2027, 4, 2, tzinfo=UTC))
    review = _client(client, login, story, "A", Role.planner)  # the old session expired
    page = review.get(f"/campaigns/{story.campaign.id}/review").text
    assert "1 of 4 goals met, 3 missed." in page
    assert service.phases_of(session, story.campaign.id or 0)[1].name in page


def test_campaign_pages_speak_the_readers_language(client, login, session: Session,
                                                   story: Story) -> None:
    """Issue 11: the review's counts in one translated sentence, the capacity page's
    headings, the goal statuses; user data (campaign and phase names) stays as typed."""
    file_and_confirm(session, story, story.th_only, {"TH": {"detained": {"CN": 12}}})
    planner = _client(client, login, story, "A", Role.planner)
    page = planner.get(f"/campaigns/{story.campaign.id}/review",
                       headers={"Accept-Language": "vi"}).text
    assert '<html lang="vi">' in page and "Đạt 1/4 mục tiêu, 2 có nguy cơ." in page
    assert "goals met" not in page and "Phase review" not in page
    assert story.campaign.name in page
    thai = planner.get(f"/campaigns/{story.campaign.id}/capacity",
                       headers={"Accept-Language": "th"}).text
    assert "ช่องว่างที่รุนแรงที่สุด" in thai and "Worst gaps" not in thai
    assert "ข้อเสนอการสนับสนุนซึ่งกันและกัน" in thai
