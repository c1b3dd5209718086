"""The demo campaign: two phases with goals, the board's operations in phase 1,
after-action reports of its finished operations (most confirmed, one waiting), and
intelligence notes with releases."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from app.campaigns import intel, offers, reports, service
from app.campaigns.schemas import CampaignIn
from app.models import (
    Agency,
    Campaign,
    NoteTLP,
    OfferState,
    Operation,
    Region,
    Role,
    Unit,
    User,
)
from app.operations import permissions as perm

NAME = "Mekong Shield"


def _liaison(session: Session, agency_id: str) -> User | None:
    return session.exec(select(User).where(User.agency_id == agency_id,
                                           User.role == Role.liaison)).first()


def seed_campaign(session: Session, *, now: datetime, rng: random.Random) -> None:
    """Add the demo campaign to a seeded board (flushes; the caller commits)."""
    reports.ensure_nationalities(session)
    admin = session.exec(select(User).where(User.role == Role.admin)).first()
    if admin is None:
        return
    agencies = list(session.exec(select(Agency.id).order_by(col(Agency.id))))
    today = now.date()
    doc = {
        "name": NAME, "agencies": agencies,
        "description": "Phased crackdown on scam compounds along the Mekong: short goals "
                       "that can be counted, reviewed at the end of each phase.",
        "phases": [
            {"name": "Phase 1: border compounds", "starts_on": today - timedelta(days=20),
             "ends_on": today + timedelta(days=40), "goals": [
                 {"metric": "compounds_dismantled", "scope": "MM", "target": 5},
                 {"metric": "arrests", "scope": "", "target": 500},
                 {"metric": "persons_repatriated", "scope": "", "target": 2000},
                 {"metric": "victims_identified", "scope": "TH", "target": 100},
                 {"metric": "operations_completed", "scope": "LA", "target": 3}]},
            {"name": "Phase 2: networks and money", "starts_on": today + timedelta(days=41),
             "ends_on": today + timedelta(days=130), "goals": [
                 {"metric": "arrests", "scope": "", "target": 1500},
                 {"metric": "devices_seized", "scope": "", "target": 3000}]},
        ],
    }
    campaign = service.create(session, data=CampaignIn.model_validate(doc), actor=admin)
    phase = service.phases_of(session, campaign.id or 0)[0]
    operations = session.exec(select(Operation).order_by(col(Operation.id))).all()
    for op in operations:
        service.assign_phase(session, operation=op, phase_id=phase.id, actor=admin)
    finished = [op for op in operations if op.state in reports.FINISHED]
    nationalities = ["CN", "MM", "TH", "LA", "VN", "ID", "PH"]
    for n, op in enumerate(finished):
        lead = _liaison(session, op.lead_agency_id) or admin
        hosts = perm.host_countries(session, op.id)
        parts = {c: {
            "compounds_dismantled": rng.randint(0, 2), "victims_identified": (v := rng.randint(
                0, 60)), "victims_referred": v // 2, "persons_repatriated": rng.randint(0, 400),
            "fugitives_at_large": rng.randint(0, 5), "devices_seized": rng.randint(0, 300),
            "cash_seized": rng.randint(0, 50_000), "vehicles_seized": rng.randint(0, 6),
            "detained": {k: rng.randint(1, 40) for k in rng.sample(nationalities, 3)},
        } for c in hosts}
        data = reports.validate(session, operation=op, data={
            "parts": parts, "lessons": "Lookouts at the river crossing warned the compound.",
            "lessons_tlp": "AMBER"})
        report = reports.save(session, operation=op, data=data, version=0, actor=lead)
        if n == len(finished) - 1:
            continue  # one report stays a draft, to show the workflow
        reports.submit(session, operation=op, version=report.version, actor=lead)
        for country in hosts:
            if n == len(finished) - 2 and country == hosts[-1]:
                break  # one host country has yet to confirm its part
            agency = session.exec(select(Agency.id).where(Agency.country_code == country)
                                  .order_by(col(Agency.id))).first()
            host = (_liaison(session, agency) if agency else None) or admin
            if host.role != Role.admin and country not in reports.may_confirm_for(
                    session, host, op, report):
                host = admin
            session.refresh(report)
            reports.confirm(session, operation=op, country=country, version=report.version,
                            actor=host)
    _seed_notes(session, campaign_id=campaign.id or 0, finished=finished)
    _seed_offers(session, campaign=campaign, phase_id=phase.id or 0, admin=admin)
    session.flush()


def _seed_notes(session: Session, *, campaign_id: int, finished: list[Operation]) -> None:
    """Two notes: one on a target released to a neighbour, one on the campaign, and a
    pending release request, so the sharing workflow shows at once."""
    th, mm = _liaison(session, "TH-RTP"), _liaison(session, "MM-MPF")
    if th is None or mm is None:
        return
    target = intel.create_target(session, data={
        "name": "KK Park", "kind": "compound", "region_id": "MM-MYW"
        if session.get(Region, "MM-MYW") else "MM-TAC", "location": "Moei river bank"},
        actor=th)
    note = intel.create(session, actor=th, data=intel.NoteIn(
        title="Paymaster of the river compound", tlp=NoteTLP.AMBER, reliability="B",
        credibility=2, subject=f"target:{target.id}",
        text="Cash for the guards crosses by boat on Friday nights."))
    intel.release(session, note=note, agency_id="MM-MPF", actor=th)
    intel.release(session, note=note, agency_id="LA-MPS", actor=mm)  # a request to approve
    intel.create(session, actor=mm, data=intel.NoteIn(
        title="Lookouts on the approach roads", tlp=NoteTLP.AMBER_STRICT, reliability="C",
        credibility=3, subject=f"campaign:{campaign_id}",
        text="Compounds pay villagers to report police vehicles."))


def _seed_offers(session: Session, *, campaign: Campaign, phase_id: int, admin: User) -> None:
    """Two mutual-support offers of phase 1: Thai units for Laos, accepted by Laos, and
    Chinese units for Myanmar still waiting for Myanmar's answer (the capacity page)."""
    for giver, country, accept in (("TH", "LA", True), ("CN", "MM", False)):
        agency = session.exec(select(Agency.id).where(Agency.country_code == giver)
                              .order_by(col(Agency.id))).first()
        if agency is None:
            continue
        units = list(session.exec(select(Unit.id).where(Unit.agency_id == agency)
                                  .order_by(col(Unit.id)).limit(2)))
        if not units:
            continue
        offer = offers.create(session, campaign=campaign, user=admin, data={
            "phase_id": phase_id, "from_agency_id": agency, "to_country": country,
            "unit_ids": units, "note": f"{giver} crews with boats and interpreters"})
        if accept:
            offers.decide(session, campaign=campaign, offer=offer, user=admin,
                          state=OfferState.accepted, version=offer.version)

