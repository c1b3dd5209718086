"""The workflow service: each step, who may and may not, audit rows, version conflicts."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select

from app.errors import Conflict, Forbidden
from app.models import (
    Approval,
    ApprovalKind,
    AuditEvent,
    Decision,
    Operation,
    OperationState,
    Requirement,
    Site,
)
from app.operations import permissions as perm
from app.operations import service
from app.operations.service import InvalidOperation

from .samples import op_input

S = OperationState


def _create(session: Session, actor, **overrides) -> Operation:  # type: ignore[no-untyped-def]
    data = service.validate(session, data=op_input(**overrides))
    return service.create(session, data=data, actor=actor)


def _actions(session: Session, op: Operation) -> list[str]:
    rows = session.exec(select(AuditEvent).where(AuditEvent.object_id == op.id)
                        .order_by(col(AuditEvent.id)))
    return [row.action for row in rows]


def test_create_makes_a_draft_with_sites_and_an_audit_row(session: Session, people) -> None:
    op = _create(session, people["th"])
    assert op.state == S.draft and op.version == 1 and op.lead_agency_id == "TH-RTP"
    assert sorted(s.region_id for s in op.sites) == ["MM-TAC", "TH-MSI"]
    event = session.exec(select(AuditEvent).where(AuditEvent.object_id == op.id)).one()
    assert event.action == "create" and event.actor_id == people["th"].id


def test_only_liaisons_of_the_lead_agency_and_admins_create(session: Session, people) -> None:
    with pytest.raises(Forbidden):
        _create(session, people["mm"])  # a Myanmar liaison for the Thai police
    with pytest.raises(Forbidden):
        _create(session, people["planner"])
    assert _create(session, people["admin"], lead_agency_id="LA-MPS").lead_agency_id == "LA-MPS"


@pytest.mark.parametrize(
    ("overrides", "path", "words"),
    [
        ({"latest_end": "2026-12-02T02:00:00Z"}, "duration_minutes", "shorter"),
        ({"fixed_start": "2026-12-02T22:00:00Z"}, "fixed_start", "leaves the window"),
        ({"latest_end": "2026-12-01T00:00:00Z"}, "latest_end", "after the earliest start"),
        ({"earliest_start": "2026-12-02T00:00:00"}, "earliest_start", "UTC offset"),
        ({"lead_agency_id": "XX-NONE"}, "lead_agency_id", "unknown agency"),
        ({"sites": [{"region_id": "XX-NOWHERE",
                     "requirements": [{"capability": "tactical", "count": 1}]}]},
         "sites.0.region_id", "unknown region"),
        ({"sites": [{"region_id": "TH-MSI", "requirements": [
            {"capability": "tactical", "count": 1}, {"capability": "tactical", "count": 2}]}]},
         "sites.0.requirements", "repeated"),
        ({"sites": [{"region_id": "TH-MSI",
                     "requirements": [{"capability": "tactical", "count": 0}]}]},
         "sites.0.requirements.0.count", "greater than or equal to 1"),
        ({"sites": []}, "sites", "at least 1"),
        ({"code_name": ""}, "code_name", "at least 1"),
    ],
)
def test_validation_errors_name_the_field(
    session: Session, people, overrides, path: str, words: str
) -> None:
    with pytest.raises(InvalidOperation) as caught:
        service.validate(session, data=op_input(**overrides))
    assert words in caught.value.errors[path]
    assert caught.value.status == 422


def _propose(session: Session, people, **overrides) -> Operation:  # type: ignore[no-untyped-def]
    op = _create(session, people["th"], **overrides)
    return service.propose(session, operation=op, actor=people["th"])


def test_host_countries_approve_and_the_operation_becomes_approved(
    session: Session, people
) -> None:
    op = _propose(session, people)
    assert op.state == S.proposed and op.version == 2
    service.decide(session, operation=op, actor=people["th2"], decision=Decision.approved)
    assert op.state == S.proposed  # Myanmar has not decided yet
    service.decide(session, operation=op, actor=people["mm"], decision=Decision.approved,
                   reason="ok from Naypyitaw")
    assert op.state == S.approved
    rows = session.exec(select(Approval).where(Approval.operation_id == op.id)).all()
    assert {(r.country_code, r.decision) for r in rows} == {("TH", "approved"), ("MM", "approved")}
    assert _actions(session, op) == ["create", "propose", "approved_host", "approved_host"]


def test_foreign_support_needs_a_separate_consent(session: Session, people) -> None:
    op = _propose(session, people, foreign_support_requested=True)
    for who in ("th2", "mm"):
        service.decide(session, operation=op, actor=people[who], decision=Decision.approved)
    assert op.state == S.proposed
    service.decide(session, operation=op, actor=people["th2"], decision=Decision.approved,
                   kind=ApprovalKind.foreign_support)
    service.decide(session, operation=op, actor=people["mm"], decision=Decision.approved,
                   kind=ApprovalKind.foreign_support)
    assert op.state == S.approved


def test_consent_is_refused_when_not_requested(session: Session, people) -> None:
    op = _propose(session, people)
    with pytest.raises(Conflict):
        service.decide(session, operation=op, actor=people["mm"], decision=Decision.approved,
                       kind=ApprovalKind.foreign_support)


def test_only_a_host_countrys_liaison_decides_for_it(session: Session, people) -> None:
    op = _propose(session, people)
    with pytest.raises(Forbidden):  # Laos hosts no site
        service.decide(session, operation=op, actor=people["la"], decision=Decision.approved)
    with pytest.raises(Forbidden):  # Thai liaison for Myanmar
        service.decide(session, operation=op, actor=people["th"], decision=Decision.approved,
                       country_code="MM")
    with pytest.raises(Forbidden):
        service.decide(session, operation=op, actor=people["planner"], decision=Decision.approved)
    with pytest.raises(InvalidOperation, match="which host country"):
        service.decide(session, operation=op, actor=people["admin"], decision=Decision.approved)
    service.decide(session, operation=op, actor=people["admin"], decision=Decision.approved,
                   country_code="MM")
    assert op.state == S.proposed


def test_decline_goes_back_to_draft_with_the_reason(session: Session, people) -> None:
    op = _propose(session, people)
    with pytest.raises(InvalidOperation):
        service.decide(session, operation=op, actor=people["mm"], decision=Decision.declined)
    service.decide(session, operation=op, actor=people["mm"], decision=Decision.declined,
                   reason="Sites overlap a military zone")
    assert op.state == S.draft and op.decline_reason == "MM: Sites overlap a military zone"
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "declined_host")).one()
    assert event.details["reason"] == "Sites overlap a military zone"
    service.propose(session, operation=op, actor=people["th"])
    assert op.decline_reason is None
    assert session.exec(select(Approval).where(Approval.operation_id == op.id)).all() == []


def test_a_typo_fix_on_an_approved_operation_is_amended_in_place(
    session: Session, people
) -> None:
    op = _propose(session, people)
    for who in ("th2", "mm"):
        service.decide(session, operation=op, actor=people[who], decision=Decision.approved)
    assert op.state == S.approved
    data = service.validate(session, data=op_input(code_name="Golden Net II",
                                                   description="Corrected text"))
    service.update_operation(session, operation=op, data=data, version=op.version,
                             actor=people["th"])
    assert op.state == S.approved and op.code_name == "Golden Net II"
    assert len(session.exec(select(Approval).where(Approval.operation_id == op.id)).all()) == 2
    assert _actions(session, op)[-1] == "amend"


def test_editing_what_was_approved_needs_confirmation_then_proposes_again(
    session: Session, people
) -> None:
    op = _propose(session, people)
    for who in ("th2", "mm"):  # four eyes: the author does not approve
        service.decide(session, operation=op, actor=people[who], decision=Decision.approved)
    data = service.validate(session, data=op_input(latest_end="2026-12-04T00:00:00Z"))
    with pytest.raises(service.EditNeedsConfirmation) as caught:
        service.update_operation(session, operation=op, data=data, version=op.version,
                                 actor=people["th"])
    assert caught.value.impact.approvals == ["MM host approval (approved)",
                                             "TH host approval (approved)"]
    assert caught.value.impact.changed == ["latest_end"] and op.state == S.approved
    service.update_operation(session, operation=op, data=data, version=op.version,
                             actor=people["th"], confirm_cancel=True)
    assert op.state == S.proposed
    assert session.exec(select(Approval).where(Approval.operation_id == op.id)).all() == []
    assert _actions(session, op)[-1] == "edit"


def test_edit_replaces_rows_in_place(session: Session, people) -> None:
    op = _create(session, people["th"])
    thai = next(s for s in op.sites if s.region_id == "TH-MSI")
    doc = op_input(sites=[{"id": thai.id, "region_id": "TH-MSI", "requirements": [
        {"capability": "tactical", "count": 5}, {"capability": "investigation", "count": 1}]},
        {"region_id": "TH-CKG", "requirements": [{"capability": "border_patrol", "count": 1}]}])
    data = service.validate(session, data=doc)
    service.update_operation(session, operation=op, data=data, version=1, actor=people["th"])
    assert op.state == S.draft and op.version == 2
    assert sorted(s.region_id for s in op.sites) == ["TH-CKG", "TH-MSI"]
    reqs = session.exec(select(Requirement).where(Requirement.site_id == thai.id)).all()
    assert {(r.capability, r.count) for r in reqs} == {("tactical", 5), ("investigation", 1)}
    assert session.exec(select(Site).where(Site.region_id == "MM-TAC")).all() == []


def test_a_stale_version_is_a_clear_409_and_writes_nothing(session: Session, people) -> None:
    op = _create(session, people["th"])
    colleague = people["admin"]
    data = service.validate(session, data=op_input(code_name="Theirs"))
    service.update_operation(session, operation=op, data=data, version=1, actor=colleague)
    mine = service.validate(session, data=op_input(code_name="Mine"))
    with pytest.raises(Conflict) as caught:
        service.update_operation(session, operation=op, data=mine, version=1,
                                 actor=people["th"])
    assert caught.value.status == 409
    assert "changed by Test User at 20" in caught.value.message
    assert "reload to see their changes" in caught.value.message
    assert session.get(Operation, op.id).code_name == "Theirs"  # type: ignore[union-attr]


def test_others_may_not_edit_or_propose(session: Session, people) -> None:
    op = _create(session, people["th"])
    data = service.validate(session, data=op_input())
    for who in ("mm", "planner"):
        with pytest.raises(Forbidden):
            service.update_operation(session, operation=op, data=data, version=1,
                                     actor=people[who])
        with pytest.raises(Forbidden):
            service.propose(session, operation=op, actor=people[who])


def test_abort_execute_complete(session: Session, people) -> None:
    op = _create(session, people["th"])
    with pytest.raises(Conflict):
        service.advance(session, operation=op, actor=people["planner"], step="execute")
    with pytest.raises(Forbidden):
        service.abort(session, operation=op, actor=people["mm"], reason="no")
    service.set_state(session, operation=op, state=S.scheduled, actor=people["planner"],
                      reason="plan 1 published")
    service.advance(session, operation=op, actor=people["planner"], step="execute")
    service.advance(session, operation=op, actor=people["th"], step="complete")
    assert op.state == S.completed
    with pytest.raises(Conflict):
        service.abort(session, operation=op, actor=people["th"], reason="too late")
    other = _create(session, people["th"])
    with pytest.raises(InvalidOperation):
        service.abort(session, operation=other, actor=people["planner"], reason=" ")
    service.abort(session, operation=other, actor=people["planner"], reason="target moved")
    assert other.state == S.aborted
    assert _actions(session, op) == ["create", "set_state", "execute", "complete"]


def test_editing_a_scheduled_operation_withdraws_its_orders(
    session: Session, people, make_operation
) -> None:
    from datetime import UTC, datetime, timedelta

    from app.models import Tasking, TaskingStatus

    op = make_operation(session, "TH-RTP", {"TH-MSI": {"tactical": 1}}, state=S.scheduled)
    site_id = op.sites[0].id
    start = datetime(2026, 12, 2, 3, tzinfo=UTC)
    session.add(Tasking(uid="t-wd@jointops", operation_id=op.id, unit_id="U-TH-1",
                        site_id=site_id, capability="tactical", start=start,
                        end=start + timedelta(hours=4), depart=start - timedelta(hours=1),
                        return_at=start + timedelta(hours=5), sequence=2))
    session.flush()
    doc = op_input(sites=[{"id": site_id, "region_id": "TH-MSI",
                           "requirements": [{"capability": "tactical", "count": 2}]}])
    data = service.validate(session, data=doc)
    # First it says which orders it cancels, and whose: nothing is written yet.
    with pytest.raises(service.EditNeedsConfirmation) as caught:
        service.update_operation(session, operation=op, data=data, version=1,
                                 actor=people["th"])
    assert caught.value.impact.orders == [
        "RTP-1 of TH-RTP (unit U-TH-1): tactical at site " + site_id
        + ", H-hour 2026-12-02 03:00Z"]
    assert session.exec(select(Tasking).where(Tasking.uid == "t-wd@jointops")).one().status \
        == TaskingStatus.active
    service.update_operation(session, operation=op, data=data, version=1, actor=people["th"],
                             confirm_cancel=True)
    order = session.exec(select(Tasking).where(Tasking.uid == "t-wd@jointops")).one()
    assert op.state == S.proposed
    assert order.status == TaskingStatus.cancelled and order.sequence == 3
    assert order.cancelled_at is not None
    event = session.exec(select(AuditEvent).where(AuditEvent.object_id == op.id)).one()
    assert event.details["orders_withdrawn"] == 1 and event.details["changed"] == [
        "code_name", "latest_end", "priority", "sites"]
    # A site with orders (even withdrawn ones) cannot be removed: they still point at it.
    other = service.validate(session, data=op_input())
    with pytest.raises(Conflict, match="cannot be removed"):
        service.update_operation(session, operation=op, data=other, version=2,
                                 actor=people["th"], confirm_cancel=True)


def test_aborting_a_scheduled_operation_cancels_its_orders(
    session: Session, people, make_operation
) -> None:
    from datetime import UTC, datetime, timedelta

    from app.models import Tasking, TaskingStatus

    op = make_operation(session, "TH-RTP", {"TH-MSI": {"tactical": 1}}, state=S.scheduled)
    start = datetime(2026, 12, 2, 3, tzinfo=UTC)
    session.add(Tasking(uid="t-ab@jointops", operation_id=op.id, unit_id="U-TH-1",
                        site_id=op.sites[0].id, capability="tactical", start=start,
                        end=start + timedelta(hours=4), depart=start - timedelta(hours=1),
                        return_at=start + timedelta(hours=5), sequence=1))
    session.flush()
    service.abort(session, operation=op, actor=people["planner"], reason="compound empty")
    order = session.exec(select(Tasking).where(Tasking.uid == "t-ab@jointops")).one()
    assert op.state == S.aborted
    assert order.status == TaskingStatus.cancelled and order.sequence == 2
    assert order.cancelled_at is not None
    event = session.exec(select(AuditEvent).where(AuditEvent.object_id == op.id,
                                                  AuditEvent.action == "abort")).one()
    assert event.details["orders_withdrawn"] == 1


def test_approval_comes_from_another_person_than_the_author(session: Session, people) -> None:
    """Issue 10, finding 11: one liaison could create, propose and approve its own raid."""
    op = _propose(session, people)
    for author in (people["th"], people["admin"]):
        if author is people["admin"]:  # an administrator who proposes is an author too
            op = _create(session, people["th"])
            op = service.propose(session, operation=op, actor=people["admin"])
        with pytest.raises(Forbidden, match="another person than the one who created"):
            service.decide(session, operation=op, actor=author, decision=Decision.approved,
                           country_code="TH")
        assert "decide" not in perm.allowed_actions(session, author, op)
    # A decline is no approval: the author may still withdraw its own country's consent.
    service.decide(session, operation=op, actor=people["th"], decision=Decision.declined,
                   reason="not ready")
    assert op.state == S.draft  # declined: back to its lead agency
