"""The capacity gap, mutual-support offers and "what would help most" (SQLite and
PostgreSQL): services, the offer -> accept -> solver flow, need-to-know of the counts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, delete, select

from app.campaigns import capacity, offers
from app.errors import Conflict, Forbidden
from app.models import (
    Agreement,
    Approval,
    ApprovalKind,
    AuditEvent,
    CapacityAnalysis,
    Decision,
    OfferState,
    Operation,
    OperationState,
    Plan,
    Role,
    RunStatus,
    SolverRun,
    SupportOffer,
)
from app.planning import service as planning
from app.planning.worker import run_job
from app.solver.loader import load_plan, load_scenario
from app.solver.validate import validate_plan

from .story import NOW, Story

CYBER = "site S-1 (LA-BOK): no cyber unit may act there: 1 Myanmar unit has it but ..."


def _in_phase(story: Story, session: Session, op: Operation, phase: int = 0) -> Operation:
    from app.campaigns import service

    service.assign_phase(session, operation=op, phase_id=story.phases[phase].id,
                         actor=story.users[("A", Role.admin)])
    return op


def _plan(session: Session, unscheduled: dict[str, list[str]],
          scheduled: tuple[str, ...] = ()) -> Plan:
    plan = Plan(document={
        "format": "jointops-plan/1", "operations": [{"id": op} for op in scheduled],
        "unscheduled": [{"id": op, "reasons": r} for op, r in unscheduled.items()]})
    session.add(plan)
    session.flush()
    return plan


@pytest.fixture
def short(session: Session, story: Story, make_operation: Any) -> dict[str, Operation]:
    """Two Lao raids in Bokeo short of cyber, a Thai one in Chiang Rai short of it too
    (none of Laos's business), all approved in phase 1, and plans that said so."""
    start = NOW + timedelta(days=1)
    ops = {
        "bok1": make_operation(session, "LA-MPS", {"LA-BOK": {"cyber": 1, "tactical": 1}},
                               op_id="OP-BOK1", state=OperationState.approved, start=start),
        "bok2": make_operation(session, "LA-MPS", {"LA-BOK": {"cyber": 2}}, op_id="OP-BOK2",
                               state=OperationState.approved, start=start),
        "thai": make_operation(session, "TH-RTP", {"TH-CRI": {"cyber": 1}}, op_id="OP-THCYB",
                               code_name="Silent Gecko", state=OperationState.approved,
                               start=start),
    }
    for op in ops.values():
        _in_phase(story, session, op)
    # An older plan scheduled OP-BOK1: the newest verdict wins.
    _plan(session, {}, scheduled=("OP-BOK1",))
    _plan(session, {"OP-BOK1": [CYBER], "OP-BOK2": ["not enough eligible units: 2 cyber units"
                                                   " are needed"],
                   "OP-THCYB": ["no cyber unit may act there"]})
    return ops


def _rows(gap: capacity.CapacityGap) -> dict[tuple[str, str], capacity.GapRow]:
    return {(r.region_id, r.capability): r for r in gap.rows}


def test_the_gap_counts_demand_supply_and_the_operations_short(
        session: Session, story: Story, short: dict[str, Operation]) -> None:
    gap = capacity.compute(session, campaign=story.campaign, viewer=story.users[("B",
                                                                                   Role.planner)])
    rows = _rows(gap)
    bokeo = rows[("LA-BOK", "cyber")]
    assert (bokeo.demand_operations, bokeo.demand_units) == (2, 3)
    assert (bokeo.supply_region, bokeo.supply_country) == (0, 0)
    assert bokeo.unscheduled == 2
    assert bokeo.sentence == "Bokeo (Huay Xai) (LA): 2 operations short of cyber units in Phase 1"
    assert gap.worst[0] is bokeo
    # OP-BOK1's tactical need is not what held it back: the reason names cyber only.
    assert rows[("LA-BOK", "tactical")].unscheduled == 0
    # The joint raid is executing without a single active tasking: under-staffed.
    assert rows[("LA-BOK", "tactical")].understaffed == 1
    assert rows[("LA-BOK", "tactical")].supply_region == 1
    assert {c.country: c.supply for c in gap.countries if c.capability == "tactical"}["LA"] == 1


def test_the_gap_never_counts_an_operation_the_viewer_may_not_see(
        session: Session, story: Story, short: dict[str, Operation]) -> None:
    lao = capacity.compute(session, campaign=story.campaign,
                           viewer=story.users[("B", Role.liaison)])
    assert ("TH-CRI", "cyber") not in _rows(lao)
    assert all(r.country != "TH" or r.region_id == "TH-CKG" for r in lao.rows)  # joint raid
    thai = capacity.compute(session, campaign=story.campaign,
                            viewer=story.users[("A", Role.planner)])
    assert _rows(thai)[("TH-CRI", "cyber")].unscheduled == 1
    assert ("LA-BOK", "cyber") not in _rows(thai)
    whole = capacity.compute(session, campaign=story.campaign,
                             viewer=story.users[("C", Role.coordinator)])
    assert _rows(whole)[("LA-BOK", "cyber")].unscheduled == 2
    assert _rows(whole)[("TH-CRI", "cyber")].unscheduled == 1
    assert "Silent Gecko" not in str(lao.as_json()) and "OP-THCYB" not in str(lao.as_json())


def test_an_approved_operation_no_run_planned_is_told_apart(
        session: Session, story: Story, make_operation: Any) -> None:
    op = make_operation(session, "LA-MPS", {"LA-BOK": {"cyber": 1}}, op_id="OP-NEW",
                        state=OperationState.approved, start=NOW + timedelta(days=1))
    _in_phase(story, session, op)
    gap = capacity.compute(session, campaign=story.campaign,
                           viewer=story.users[("B", Role.planner)])
    assert gap.never_planned == 1
    assert _rows(gap)[("LA-BOK", "cyber")].unscheduled == 0


# --- offers --------------------------------------------------------------------------------


def _offer(session: Session, story: Story, **changes: Any) -> Any:
    data = {"phase_id": story.phases[0].id, "to_country": "LA", "unit_ids": ["U-TH-1"],
            "note": "investigators for Bokeo", **changes}
    return offers.create(session, campaign=story.campaign, user=story.users[("A", Role.planner)],
                         data=data)


def test_an_offer_is_validated_field_by_field(session: Session, story: Story) -> None:
    with pytest.raises(offers.InvalidOffer) as caught:
        _offer(session, story, phase_id=99999, to_country="TH", unit_ids=["U-LA-1", "U-TH-1"])
    assert caught.value.errors == {
        "phase_id": "choose a phase of this campaign",
        "to_country": "offer units to another country than the agency's own",
        "unit_ids": "not units of TH-RTP: U-LA-1"}
    with pytest.raises(offers.InvalidOffer) as caught:
        _offer(session, story, from_agency_id="LA-MPS", unit_ids=[])
    assert caught.value.errors["from_agency_id"] == \
        "a planner offers the units of their own agency"
    assert caught.value.errors["unit_ids"] == "offer at least one unit"
    with pytest.raises(Forbidden):
        offers.create(session, campaign=story.campaign, user=story.users[("A", Role.liaison)],
                      data={})


def test_the_receiving_country_accepts_with_the_version_read_and_it_is_audited(
        session: Session, story: Story) -> None:
    offer = _offer(session, story)
    campaign = story.campaign
    for who in (("A", Role.planner), ("B", Role.liaison), ("C", Role.planner)):
        with pytest.raises(Forbidden):
            offers.decide(session, campaign=campaign, offer=offer, user=story.users[who],
                          state=OfferState.accepted, version=1)
    with pytest.raises(Conflict):
        offers.decide(session, campaign=campaign, offer=offer,
                      user=story.users[("B", Role.planner)], state=OfferState.accepted,
                      version=0)
    offers.decide(session, campaign=campaign, offer=offer,
                  user=story.users[("B", Role.planner)], state=OfferState.accepted, version=1)
    assert (offer.state, offer.version) == (OfferState.accepted, 2)
    with pytest.raises(Conflict):
        offers.decide(session, campaign=campaign, offer=offer,
                      user=story.users[("B", Role.planner)], state=OfferState.declined,
                      version=2)
    with pytest.raises(Forbidden):
        offers.decide(session, campaign=campaign, offer=offer,
                      user=story.users[("B", Role.planner)], state=OfferState.withdrawn,
                      version=2)
    offers.decide(session, campaign=campaign, offer=offer,
                  user=story.users[("A", Role.planner)], state=OfferState.withdrawn, version=2)
    actions = session.exec(select(AuditEvent.action).where(
        AuditEvent.object_type == "support_offer",
        AuditEvent.object_id == str(offer.id)).order_by(col(AuditEvent.id))).all()
    assert actions == ["support_offer.create", "support_offer.accepted",
                       "support_offer.withdrawn"]


@pytest.fixture
def needs_thai_help(session: Session, story: Story, make_operation: Any) -> Operation:
    """A Lao raid in Bokeo needing an investigator, whom only Thailand has, with Laos's
    consent to foreign units, and no agreement for Thai units to work in Laos."""
    session.exec(delete(Agreement).where(  # type: ignore[call-overload]
        col(Agreement.from_country) == "TH", col(Agreement.to_country) == "LA"))
    op = make_operation(session, "LA-MPS", {"LA-BOK": {"tactical": 1, "investigation": 1}},
                        op_id="OP-HELP", code_name="Borrowed Eyes", priority=40,
                        state=OperationState.approved, start=NOW + timedelta(days=1),
                        foreign_support_requested=True)
    session.add(Approval(operation_id=op.id, country_code="LA", kind=ApprovalKind.foreign_support,
                         decision=Decision.approved))
    session.flush()
    return _in_phase(story, session, op)


def _solve(session: Session, story: Story) -> tuple[SolverRun, dict[str, Any]]:
    run = planning.start_run(session, user=story.users[("A", Role.admin)], time_limit=5,
                             workers=1)
    session.commit()
    assert run_job(int(run.id or 0), session=session) == RunStatus.succeeded
    session.refresh(run)
    assert run.plan is not None
    report = validate_plan(load_scenario(run.scenario or {}), load_plan(run.plan))
    assert report.valid
    return run, run.plan


def test_an_accepted_offer_lets_the_solver_send_the_offered_unit(
        session: Session, story: Story, needs_thai_help: Operation) -> None:
    run, plan = _solve(session, story)
    assert [u["id"] for u in plan["unscheduled"]] == ["OP-HELP"]
    assert {"from": "TH", "to": "LA"} not in (run.scenario or {})["agreements"]
    offer = _offer(session, story, unit_ids=["U-TH-1"])
    run, plan = _solve(session, story)  # offered is not accepted: still nothing
    assert [u["id"] for u in plan["unscheduled"]] == ["OP-HELP"]
    offers.decide(session, campaign=story.campaign, offer=offer,
                  user=story.users[("B", Role.planner)], state=OfferState.accepted, version=1)
    run, plan = _solve(session, story)
    assert {"from": "TH", "to": "LA"} in (run.scenario or {})["agreements"]
    [scheduled] = plan["operations"]
    assert scheduled["id"] == "OP-HELP"
    assert {(a["unit"], a["capability"]) for a in scheduled["assignments"]} == {
        ("U-TH-1", "investigation"), ("U-LA-1", "tactical")}
    offers.decide(session, campaign=story.campaign, offer=offer,
                  user=story.users[("A", Role.planner)], state=OfferState.withdrawn, version=2)
    run, plan = _solve(session, story)
    assert [u["id"] for u in plan["unscheduled"]] == ["OP-HELP"]


def test_an_offer_for_another_phase_brings_no_agreement(
        session: Session, story: Story, needs_thai_help: Operation) -> None:
    offer = _offer(session, story, phase_id=story.phases[1].id)
    offers.decide(session, campaign=story.campaign, offer=offer,
                  user=story.users[("B", Role.planner)], state=OfferState.accepted, version=1)
    run, plan = _solve(session, story)
    assert {"from": "TH", "to": "LA"} not in (run.scenario or {})["agreements"]
    assert [u["id"] for u in plan["unscheduled"]] == ["OP-HELP"]


def test_the_page_counts_only_the_offered_units_the_solver_the_whole_country(
        session: Session, story: Story, needs_thai_help: Operation) -> None:
    """No unit able to serve, from the register alone: without an agreement no Thai unit
    may work in Laos. An accepted offer of the Thai border patrol makes no investigator
    able on the page (the offer names its units), but the solver, given the agreement
    the offer brings, may send any Thai unit: the known limit of the exchange format
    (agreements are country pairs; offers.py says why nothing in a scenario narrows it)."""
    lao = story.users[("B", Role.planner)]

    def investigation() -> capacity.GapRow:
        return _rows(capacity.compute(session, campaign=story.campaign, viewer=lao))[
            ("LA-BOK", "investigation")]

    assert (investigation().no_unit_able, investigation().short) == (1, 1)
    assert _rows(capacity.compute(session, campaign=story.campaign, viewer=lao))[
        ("LA-BOK", "tactical")].no_unit_able == 0  # the Lao unit based there
    patrol = _offer(session, story, unit_ids=["U-TH-2"])
    offers.decide(session, campaign=story.campaign, offer=patrol, user=lao,
                  state=OfferState.accepted, version=1)
    assert investigation().no_unit_able == 1
    run, plan = _solve(session, story)
    [scheduled] = plan["operations"]
    assert ("U-TH-1", "investigation") in {(a["unit"], a["capability"])
                                           for a in scheduled["assignments"]}
    investigators = _offer(session, story, unit_ids=["U-TH-1"])
    offers.decide(session, campaign=story.campaign, offer=investigators, user=lao,
                  state=OfferState.accepted, version=1)
    assert investigation().no_unit_able == 0


def test_a_unit_outside_its_operating_regions_is_not_able_and_consent_matters(
        session: Session, story: Story, make_operation: Any) -> None:
    from app.models import Unit

    lao_unit = session.get(Unit, "U-LA-1")
    assert lao_unit is not None
    lao_unit.operating_regions = []
    session.add(lao_unit)
    for op_id, consent in (("OP-ALONE", False), ("OP-HELPED", True)):
        _in_phase(story, session, make_operation(
            session, "LA-MPS", {"LA-BOK": {"tactical": 1}}, op_id=op_id,
            state=OperationState.proposed, start=NOW + timedelta(days=1),
            foreign_support_requested=consent))
    gap = capacity.compute(session, campaign=story.campaign,
                           viewer=story.users[("B", Role.planner)])
    # Only OP-ALONE: OP-HELPED asked for foreign units, and Thailand's tactical unit may
    # come (agreement TH -> LA, crossing Chiang Khong - Huay Xai).
    tactical = _rows(gap)[("LA-BOK", "tactical")]
    assert tactical.no_unit_able == 1
    assert "OP-ALONE" in tactical.short_operations
    assert "OP-HELPED" not in tactical.short_operations


# --- what would help most --------------------------------------------------------------


def test_the_analysis_runs_in_the_background_and_ranks_the_blocking_agreement_first(
        session: Session, story: Story, needs_thai_help: Operation,
        make_operation: Any) -> None:
    small = make_operation(session, "LA-MPS", {"LA-BOK": {"k9": 1, "tactical": 1}},
                           op_id="OP-DOGS", priority=3, state=OperationState.approved,
                           start=NOW + timedelta(days=1))
    _in_phase(story, session, small)
    offer = _offer(session, story)  # pending: tried as if accepted
    lao = story.users[("B", Role.planner)]
    with pytest.raises(Forbidden):
        capacity.start_analysis(session, campaign=story.campaign,
                                user=story.users[("B", Role.liaison)])
    analysis = capacity.start_analysis(session, campaign=story.campaign, user=lao,
                                       time_limit=3, workers=1)
    session.commit()
    with pytest.raises(Conflict):
        capacity.start_analysis(session, campaign=story.campaign, user=lao)
    run = session.get(SolverRun, analysis.solver_run_id)
    assert run is not None and run.status == RunStatus.queued
    assert run.params["focus"] == ["OP-DOGS", "OP-HELP"]
    assert run not in planning.list_runs(session)  # not a plan to publish
    assert run_job(int(run.id or 0), session=session) == RunStatus.succeeded
    session.refresh(run)
    session.refresh(analysis)
    assert run.progress is not None and run.progress["step"] == run.progress["steps"]
    ranked = capacity.ranking_for(session, analysis=analysis, viewer=lao)
    top = {r.key for r in ranked if r.unlocked == 40}
    assert {"agreement:TH>LA", f"offer:{offer.id}"} <= top
    assert ranked[-1].key == "units:LA-BOK:k9:1" and ranked[-1].unlocked == 3
    assert session.exec(select(CapacityAnalysis)).all() == [analysis]
    # Thailand may not see the Lao raids: none of their gaps, nor their priority.
    assert capacity.ranking_for(session, analysis=analysis,
                                viewer=story.users[("A", Role.planner)]) == []
    assert capacity.ranking_for(session, analysis=analysis,
                                viewer=story.users[("A", Role.coordinator)])[0].unlocked == 40
    shown = capacity.analysis_json(session, analysis=analysis, run=run, viewer=lao)
    assert shown["status"] == "succeeded" and shown["ranking"][0]["unlocked"] == 40


def test_a_finished_analysis_is_never_taken_for_the_boards_verdict(
        session: Session, story: Story, short: dict[str, Operation]) -> None:
    """Its hypothetical solves schedule everything; the gap still reads the board's plan."""
    lao = story.users[("B", Role.planner)]
    analysis = capacity.start_analysis(session, campaign=story.campaign, user=lao,
                                       time_limit=2, workers=1)
    session.commit()
    assert run_job(analysis.solver_run_id, session=session) == RunStatus.succeeded
    assert session.exec(select(Plan).where(Plan.solver_run_id == analysis.solver_run_id)
                        ).first() is None
    gap = capacity.compute(session, campaign=story.campaign, viewer=lao)
    assert _rows(gap)[("LA-BOK", "cyber")].unscheduled == 2


def test_the_demo_campaign_has_an_accepted_and_a_pending_offer(session: Session) -> None:
    from datetime import UTC, datetime

    from app.seed import seed_demo

    seed_demo(session, now=datetime(2026, 12, 3, 9, 7, tzinfo=UTC))
    made = session.exec(select(SupportOffer).order_by(col(SupportOffer.id))).all()
    assert [(o.from_agency_id[:2], o.to_country, o.state) for o in made] == [
        ("TH", "LA", OfferState.accepted), ("CN", "MM", OfferState.offered)]
    assert all(len(o.unit_ids) == 2 for o in made)
