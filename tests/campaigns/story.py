"""The campaign story of the tests: Thailand (A) and Laos (B) take part, Myanmar (C) not.

Operations: a Thai-only raid (Laos has no need to know), a Lao raid, a joint TH-LA raid;
users of every role in each of the three agencies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from app.campaigns import reports, service
from app.campaigns.schemas import CampaignIn
from app.models import Campaign, Operation, OperationState, Phase, Role, User

AGENCIES = {"A": "TH-RTP", "B": "LA-MPS", "C": "MM-MPF"}
UNITS = {"A": "U-TH-1", "B": "U-LA-1", "C": "U-MM-1"}
NOW = datetime(2027, 2, 10, 6, 0, tzinfo=UTC)


@dataclass
class Story:
    campaign: Campaign
    phases: list[Phase]
    users: dict[tuple[str, Role], User]
    th_only: Operation
    lao: Operation
    joint: Operation


def campaign_doc(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": "Mekong Shield 2027", "description": "Phased crackdown",
        "agencies": ["TH-RTP", "LA-MPS"],
        "phases": [
            {"name": "Phase 1", "starts_on": "2027-01-01", "ends_on": "2027-03-31", "goals": [
                {"metric": "arrests", "scope": "TH", "target": 10},
                {"metric": "compounds_dismantled", "scope": "LA-BOK", "target": 1},
                {"metric": "operations_completed", "scope": "", "target": 2},
                {"metric": "victims_identified", "scope": "", "target": 100},
            ]},
            {"name": "Phase 2", "starts_on": "2027-04-01", "ends_on": "2027-06-30", "goals": [
                {"metric": "persons_repatriated", "scope": "", "target": 2000},
            ]},
        ],
    }
    doc.update(changes)
    return doc


def file_and_confirm(session: Session, story: Story, operation: Operation,
                     parts: dict[str, dict[str, Any]]) -> None:
    """The lead files the report, submits it, and each host country confirms its part."""
    lead = next(a for a, aid in AGENCIES.items() if aid == operation.lead_agency_id)
    data = reports.validate(session, operation=operation, data={"parts": parts})
    report = reports.save(session, operation=operation, data=data, version=0,
                          actor=story.users[(lead, Role.liaison)])
    reports.submit(session, operation=operation, version=report.version,
                   actor=story.users[(lead, Role.liaison)])
    for country in parts:
        host = {"TH": "A", "LA": "B", "MM": "C"}[country]
        session.refresh(report)
        reports.confirm(session, operation=operation, country=country, version=report.version,
                        actor=story.users[(host, Role.liaison)])


def build_story(session: Session, make_user: Any, make_operation: Any) -> Story:
    reports.ensure_nationalities(session)
    users = {}
    for key, agency in AGENCIES.items():
        for role in Role:
            users[(key, role)] = make_user(
                session, role=role, agency=None if role == Role.admin else agency,
                unit=UNITS[key] if role == Role.unit_officer else None,
                username=f"{key.lower()}-{role.value}")
    data = CampaignIn.model_validate(campaign_doc())
    campaign = service.create(session, data=data, actor=users[("A", Role.planner)])
    assert campaign.id is not None
    phases = service.phases_of(session, campaign.id)
    start = datetime(2027, 1, 20, tzinfo=UTC)
    th_only = make_operation(session, "TH-RTP", {"TH-CRI": {"tactical": 1}}, op_id="OP-THONLY",
                             code_name="Quiet Heron", state=OperationState.completed,
                             start=start)
    lao = make_operation(session, "LA-MPS", {"LA-BOK": {"tactical": 1}}, op_id="OP-LAO",
                         code_name="Bokeo Lantern", state=OperationState.completed, start=start)
    joint = make_operation(session, "TH-RTP", {"TH-CKG": {"tactical": 1},
                                               "LA-BOK": {"tactical": 1}},
                           op_id="OP-JOINT", code_name="Twin Bridge",
                           state=OperationState.executing, start=start)
    for op in (th_only, lao, joint):
        service.assign_phase(session, operation=op, phase_id=phases[0].id,
                             actor=users[("A", Role.admin)])
    session.flush()
    return Story(campaign, phases, users, th_only, lao, joint)

