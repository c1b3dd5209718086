"""Campaigns, reports and figures in the services (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, col, select

from app import audit as trail
from app.campaigns import figures, reports, service
from app.campaigns.schemas import CampaignIn
from app.errors import Conflict, Forbidden
from app.models import AuditEvent, OperationState, ReportState, Role

from .story import Story, campaign_doc, file_and_confirm


def test_campaign_validation_names_each_field(session: Session, story: Story) -> None:
    doc = campaign_doc(name=" ", agencies=["TH-RTP", "XX-NOPE"], phases=[
        {"name": "P", "starts_on": "2027-02-01", "ends_on": "2027-01-01", "goals": [
            {"metric": "arrests", "scope": "ZZ", "target": 0},
            {"metric": "nonsense", "scope": "", "target": 5}]}])
    with pytest.raises(service.InvalidInput) as caught:
        service.validate(session, data=doc)
    errors = caught.value.errors
    assert errors["name"] == "give the campaign a name"
    assert errors["agencies.1"] == "unknown agency 'XX-NOPE'"
    assert errors["phases.0.ends_on"] == "the phase ends before it starts"
    assert errors["phases.0.goals.0.scope"] == "unknown country or region 'ZZ'"
    assert "greater than or equal to 1" in errors["phases.0.goals.0.target"]
    assert "phases.0.goals.1.metric" in errors


def test_campaign_names_are_unique_and_planners_take_part(session: Session, story: Story
                                                         ) -> None:
    with pytest.raises(service.InvalidInput) as caught:
        service.validate(session, data=campaign_doc())
    assert caught.value.errors == {"name": "another campaign has this name"}
    data = CampaignIn.model_validate(campaign_doc(name="Other", agencies=["LA-MPS"]))
    with pytest.raises(service.InvalidInput):
        service.create(session, data=data, actor=story.users[("A", Role.planner)])
    with pytest.raises(Forbidden):
        service.create(session, data=data, actor=story.users[("B", Role.liaison)])


def test_campaign_edit_is_versioned_and_keeps_phase_ids(session: Session, story: Story) -> None:
    campaign = story.campaign
    doc = campaign_doc(description="changed")
    doc["phases"][0]["id"] = story.phases[0].id
    doc["phases"][1]["id"] = story.phases[1].id
    data = service.validate(session, data=doc, campaign_id=campaign.id)
    planner = story.users[("A", Role.planner)]
    service.update_campaign(session, campaign=campaign, data=data, version=1, actor=planner)
    session.refresh(campaign)
    assert campaign.version == 2 and campaign.description == "changed"
    assert [p.id for p in service.phases_of(session, campaign.id or 0)] == \
        [p.id for p in story.phases]
    with pytest.raises(Conflict, match="changed by .* since you opened it"):
        service.update_campaign(session, campaign=campaign, data=data, version=1, actor=planner)
    # A phase holding operations cannot be dropped.
    doc["phases"] = doc["phases"][1:]
    data = service.validate(session, data=doc, campaign_id=campaign.id)
    with pytest.raises(service.InvalidInput, match="not valid"):
        service.update_campaign(session, campaign=campaign, data=data, version=2, actor=planner)
    # Only planners of participating agencies edit.
    with pytest.raises(Forbidden):
        service.update_campaign(session, campaign=campaign, data=data, version=2,
                                actor=story.users[("C", Role.planner)])


def test_visible_campaigns_follow_participation(session: Session, story: Story) -> None:
    def names(key: str, role: Role) -> list[str]:
        query = service.visible_campaigns_query(story.users[(key, role)])
        return [c.name for c in session.exec(query)]

    assert names("A", Role.liaison) == ["Mekong Shield 2027"]
    assert names("B", Role.planner) == ["Mekong Shield 2027"]
    assert names("C", Role.planner) == [] and names("C", Role.liaison) == []
    assert names("A", Role.unit_officer) == []
    assert names("C", Role.admin) == ["Mekong Shield 2027"]


def test_phase_must_be_of_a_campaign_of_the_lead_agency(session: Session, story: Story) -> None:
    phase_id = story.phases[0].id
    assert service.parse_phase(session, str(phase_id), lead_agency_id="LA-MPS") == phase_id
    assert service.parse_phase(session, "", lead_agency_id="MM-MPF") is None
    with pytest.raises(service.InvalidInput) as caught:
        service.parse_phase(session, str(phase_id), lead_agency_id="MM-MPF")
    assert "lead agency takes part" in caught.value.errors["campaign_phase_id"]


def test_report_lifecycle_draft_submitted_confirmed_audited(session: Session, story: Story
                                                           ) -> None:
    op, lead = story.joint, story.users[("A", Role.liaison)]
    parts = {"TH": {"detained": {"CN": 4}}, "LA": {"detained": {"CN": 2, "MM": 1},
                                                   "compounds_dismantled": 1}}
    data = reports.validate(session, operation=op, data={"parts": parts})
    with pytest.raises(Conflict, match="once it is completed or aborted"):
        reports.save(session, operation=op, data=data, version=0, actor=lead)
    op.state = OperationState.completed
    session.add(op)
    session.flush()
    with pytest.raises(Forbidden):
        reports.save(session, operation=op, data=data, version=0,
                     actor=story.users[("B", Role.liaison)])
    report = reports.save(session, operation=op, data=data, version=0, actor=lead)
    assert report.state == ReportState.draft and report.version == 1
    with pytest.raises(Conflict, match="This report was changed by .* reload"):
        reports.save(session, operation=op, data=data, version=0, actor=lead)
    reports.submit(session, operation=op, version=1, actor=lead)
    session.refresh(report)
    assert report.state == ReportState.submitted
    # Laos may confirm only its own part; Myanmar nothing.
    assert reports.may_confirm_for(session, story.users[("B", Role.liaison)], op, report) == ["LA"]
    with pytest.raises(Forbidden):
        reports.confirm(session, operation=op, country="TH", version=report.version,
                        actor=story.users[("B", Role.liaison)])
    reports.confirm(session, operation=op, country=None, version=report.version,
                    actor=story.users[("B", Role.liaison)])
    session.refresh(report)
    assert report.state == ReportState.submitted
    with pytest.raises(Conflict):
        reports.confirm(session, operation=op, country="TH", version=report.version - 1,
                        actor=story.users[("A", Role.liaison)])
    reports.confirm(session, operation=op, country="TH", version=report.version,
                    actor=story.users[("A", Role.liaison)])
    session.refresh(report)
    assert report.state == ReportState.confirmed
    with pytest.raises(Conflict, match="confirmed by every host country"):
        reports.save(session, operation=op, data=data, version=report.version, actor=lead)
    actions = session.exec(select(AuditEvent.action).where(
        AuditEvent.object_type == "report", AuditEvent.object_id == op.id)
        .order_by(col(AuditEvent.id))).all()
    assert actions == ["create", "submit", "confirm", "confirm"]
    assert trail.verify(session)[1] == []  # written through the hash-chained trail


def test_editing_a_submitted_report_returns_it_to_draft(session: Session, story: Story) -> None:
    op, lead = story.lao, story.users[("B", Role.liaison)]
    data = reports.validate(session, operation=op, data={"parts": {"LA": {"sites_empty": 1}}})
    report = reports.save(session, operation=op, data=data, version=0, actor=lead)
    reports.submit(session, operation=op, version=1, actor=lead)
    reports.save(session, operation=op, data=data, version=2, actor=lead)
    session.refresh(report)
    assert report.state == ReportState.draft and report.version == 3


def test_report_figures_validate(session: Session, story: Story) -> None:
    bad = {"lessons_tlp": "PURPLE", "parts": {
        "LA": {"victims_identified": -1, "cash_unit": "BTC", "detained": {"XX": 2, "CN": -3}},
        "MM": {}}}
    with pytest.raises(reports.InvalidInput) as caught:
        reports.validate(session, operation=story.lao, data=bad)
    errors = caught.value.errors
    assert "greater than or equal to 0" in errors["parts.LA.victims_identified"]
    assert "unknown currency 'BTC'" in errors["parts.LA.cash_unit"]
    assert "unknown nationality 'XX'" in errors["parts.LA.detained.XX"]
    assert "greater than or equal to 0" in errors["parts.LA.detained.CN"]
    assert errors["parts.MM"] == "MM is not a host country of this operation"
    assert "lessons_tlp" in errors
    with pytest.raises(reports.InvalidInput) as caught:
        reports.validate(session, operation=story.lao, data={"parts": {"LA": {
            "victims_identified": 1, "victims_referred": 2}}})
    assert caught.value.errors["parts.LA"] == "more victims referred than identified"
    with pytest.raises(reports.InvalidInput):
        reports.validate(session, operation=story.lao,
                         data={"parts": {"LA": {"devices_seized": "2.5"}}})


def _goal(found: figures.Figures, metric: str) -> figures.GoalFigure:
    return next(g for g in found.phases[0].goals if g.goal.metric.value == metric)


def test_figures_count_only_confirmed_parts_of_visible_operations(
    session: Session, story: Story
) -> None:
    file_and_confirm(session, story, story.th_only, {"TH": {"detained": {"CN": 7}}})
    file_and_confirm(session, story, story.lao, {"LA": {"compounds_dismantled": 1,
                                                        "detained": {"TH": 3}}})
    thai = figures.compute(session, campaign=story.campaign,
                           viewer=story.users[("A", Role.planner)])
    lao = figures.compute(session, campaign=story.campaign,
                          viewer=story.users[("B", Role.liaison)])
    # Thailand sees its raid's 7 arrests in TH; Laos has no need to know of that raid.
    assert _goal(thai, "arrests").actual == 7
    assert _goal(lao, "arrests").actual == 0
    assert _goal(lao, "compounds_dismantled").actual == 1
    assert _goal(thai, "operations_completed").actual == 1  # the Lao raid is not in it
    assert _goal(lao, "operations_completed").actual == 1
    assert thai.states == {"completed": 1, "executing": 1}
    assert lao.states == {"completed": 1, "executing": 1}
    assert "TH" not in lao.phases[0].by_country
    admin = figures.compute(session, campaign=story.campaign,
                            viewer=story.users[("C", Role.admin)])
    assert admin.states == {"completed": 2, "executing": 1}
    assert _goal(admin, "operations_completed").actual == 2
    assert _goal(admin, "operations_completed").status == figures.MET


def test_unconfirmed_parts_do_not_count(session: Session, story: Story) -> None:
    op, lead = story.lao, story.users[("B", Role.liaison)]
    data = reports.validate(session, operation=op, data={"parts": {"LA": {
        "compounds_dismantled": 1}}})
    reports.save(session, operation=op, data=data, version=0, actor=lead)
    reports.submit(session, operation=op, version=1, actor=lead)
    found = figures.compute(session, campaign=story.campaign, viewer=lead)
    assert _goal(found, "compounds_dismantled").actual == 0


def test_goal_status_met_missed_at_risk(session: Session, story: Story, set_clock) -> None:
    phase = story.phases[0]  # 2027-01-01 .. 2027-03-31 (90 days)
    set_clock(datetime(2027, 1, 10, tzinfo=UTC))
    assert figures.status_of(5, 10, phase, datetime(2027, 1, 10).date()) == figures.ON_TRACK
    assert figures.status_of(0, 10, phase, datetime(2027, 3, 1).date()) == figures.AT_RISK
    assert figures.status_of(10, 10, phase, datetime(2027, 3, 1).date()) == figures.MET
    assert figures.status_of(9, 10, phase, datetime(2027, 4, 1).date()) == figures.MISSED
    assert figures.status_of(0, 10, phase, datetime(2026, 12, 1).date()) == figures.NOT_STARTED


def test_exports_neutralise_formula_cells(session: Session, story: Story) -> None:
    story.campaign.name = "=HYPERLINK(\"http://x\")"
    session.add(story.campaign)
    session.flush()
    found = figures.compute(session, campaign=story.campaign,
                            viewer=story.users[("A", Role.planner)])
    text = figures.to_csv(found)
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
    assert figures.to_json(found)["campaign"]["name"].startswith("'=")
    for cell in ("+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert figures.neutralise(cell) == "'" + cell
    assert figures.neutralise("Phase 1") == "Phase 1" and figures.neutralise(-1) == -1
