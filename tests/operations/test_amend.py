"""Issue 11, blocker 4: a typo fix is amended in place; a change to what was approved says
what it cancels, and whose orders, before it does it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import icalendar
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.feeds import tokens
from app.models import Approval, ApprovalKind, Decision, Operation, OperationState, Role, Tasking
from app.models import TaskingStatus as TS

from .test_views import _form_of

H_HOUR = datetime(2026, 12, 2, 20, 30, tzinfo=UTC)


def _scheduled(session: Session, make_operation: Any) -> Operation:
    """A scheduled operation with one host approval and one published order (RTP-2)."""
    op = make_operation(session, "TH-RTP", {"MM-TAC": {"tactical": 1}}, op_id="OP-LIVE",
                        state=OperationState.scheduled, code_name="Golden Nett")
    session.add(Approval(operation_id=op.id, country_code="MM", kind=ApprovalKind.host,
                         decision=Decision.approved))
    session.add(Tasking(uid="t-live@jointops", operation_id=op.id, unit_id="U-TH-2",
                        site_id=op.sites[0].id, capability="tactical", start=H_HOUR,
                        end=H_HOUR + timedelta(hours=4), depart=H_HOUR - timedelta(hours=2),
                        return_at=H_HOUR + timedelta(hours=6), sequence=1))
    session.flush()
    return op


def _order(session: Session) -> Tasking:
    session.expire_all()
    return session.exec(select(Tasking).where(Tasking.uid == "t-live@jointops")).one()


def test_a_typo_fix_is_amended_in_place_and_the_feed_carries_it(
    client: TestClient, session: Session, people: Any, make_operation: Any, login: Any,
    make_user: Any, set_clock: Any,
) -> None:
    set_clock(H_HOUR - timedelta(days=1))
    op = _scheduled(session, make_operation)
    officer = make_user(session, Role.unit_officer, "TH-RTP", "U-TH-2")
    secret, _ = tokens.create_token(session, user=officer, label="phone", choice_key="officer:")
    before = icalendar.Calendar.from_ical(client.get(f"/feeds/{secret}.ics").content)
    (event,) = before.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Golden Nett" and int(event["SEQUENCE"]) == 1

    th = login(client, people["th"])
    page = th.get(f"/operations/{op.id}/edit").text
    assert "amended in place" in page
    form = _form_of(page)
    form["code_name"] = "Golden Net"
    saved = th.post(f"/operations/{op.id}/edit", data=form, follow_redirects=False)
    assert saved.status_code == 303
    session.expire_all()
    kept = session.get(Operation, op.id)
    assert kept is not None and kept.state == OperationState.scheduled
    assert kept.code_name == "Golden Net"
    assert len(session.exec(select(Approval).where(Approval.operation_id == op.id)).all()) == 1
    order = _order(session)
    assert order.status == TS.active and order.sequence == 2

    (event,) = icalendar.Calendar.from_ical(
        client.get(f"/feeds/{secret}.ics").content).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Golden Net" and int(event["SEQUENCE"]) == 2
    assert "amend (code_name)" in th.get(f"/operations/{op.id}").text


def test_a_change_to_what_was_approved_lists_the_orders_first(
    client: TestClient, session: Session, people: Any, make_operation: Any, login: Any
) -> None:
    op = _scheduled(session, make_operation)
    th = login(client, people["th"])
    form = _form_of(th.get(f"/operations/{op.id}/edit").text)
    form["sites.0.requirements.0.count"] = "2"
    form["description"] = "Two teams now"
    shown = th.post(f"/operations/{op.id}/edit", data=form)
    assert shown.status_code == 409
    impact = shown.text[shown.text.index('id="edit-impact"'):]
    assert "RTP-2 of TH-RTP (unit U-TH-2): tactical at site" in impact
    assert "MM host approval (approved)" in impact
    assert 'name="confirm_cancel" value="yes"' in shown.text
    assert "Two teams now" in shown.text  # everything typed is still there
    assert re.search(r'name="sites.0.requirements.0.count"[^>]*value="2"', shown.text)
    assert _order(session).status == TS.active  # nothing was written

    confirmed = th.post(f"/operations/{op.id}/edit", data={**form, "confirm_cancel": "yes"},
                        follow_redirects=False)
    assert confirmed.status_code == 303
    order = _order(session)
    assert order.status == TS.cancelled and order.sequence == 2
    assert session.get(Operation, op.id).state == OperationState.proposed  # type: ignore[union-attr]


def test_the_api_refuses_an_unconfirmed_cancelling_edit_with_the_list(
    client: TestClient, session: Session, people: Any, make_operation: Any, login: Any
) -> None:
    op = _scheduled(session, make_operation)
    th = login(client, people["th"])
    body = {"version": op.version, "priority": 3}
    refused = th.patch(f"/api/v1/operations/{op.id}", json=body)
    assert refused.status_code == 409
    assert [e["path"] for e in refused.json()["errors"]] == ["orders", "approvals"]
    assert "RTP-2 of TH-RTP" in refused.json()["errors"][0]["message"]
    typo = th.patch(f"/api/v1/operations/{op.id}", json={"version": op.version,
                                                          "description": "fixed"})
    assert typo.status_code == 200 and typo.json()["state"] == "scheduled"
    done = th.patch(f"/api/v1/operations/{op.id}", json={
        "version": typo.json()["version"], "priority": 3, "confirm_cancel": True})
    assert done.status_code == 200 and done.json()["state"] == "proposed"


def test_my_tasking_shows_h_hour_in_every_zone_the_operation_touches(
    client: TestClient, session: Session, make_operation: Any, login: Any, make_user: Any,
    set_clock: Any, world: Any,
) -> None:
    set_clock(H_HOUR - timedelta(days=1))
    op = make_operation(session, "TH-RTP", {"TH-MSI": {"tactical": 1}, "MM-TAC": {"k9": 1}},
                        op_id="OP-ZONES", state=OperationState.scheduled)
    session.add(Tasking(uid="t-zones@jointops", operation_id=op.id, unit_id="U-TH-2",
                        site_id=op.sites[0].id, capability="tactical", start=H_HOUR,
                        end=H_HOUR + timedelta(hours=4), depart=H_HOUR - timedelta(hours=2),
                        return_at=H_HOUR + timedelta(hours=6)))
    session.flush()
    officer = make_user(session, Role.unit_officer, "TH-RTP", "U-TH-2")
    page = login(client, officer).get("/tasking").text
    line = page[page.index('class="h-hour-zones"'):]
    line = line[:line.index("</p>")]
    # The Thai officer's H-hour, and the same instant for the Myanmar site, in one line.
    assert "2026-12-02 20:30Z" in line
    assert "MM 2026-12-03 03:00 (UTC+06:30)" in line
    assert "TH 2026-12-03 03:30 (UTC+07:00)" in line


def test_the_printable_order_has_five_paragraphs_and_a_tasking_order_per_unit(
    client: TestClient, session: Session, people: Any, make_operation: Any, login: Any
) -> None:
    op = _scheduled(session, make_operation)
    page = login(client, people["th"]).get(f"/operations/{op.id}/order")
    assert page.status_code == 200
    text = page.text
    for heading in ("1. Situation", "2. Mission", "3. Execution",
                    "4. Administration and logistics", "5. Command and signal"):
        assert heading in text
    assert "Tasking order: RTP-2 (TH-RTP) — Golden Nett" in text
    assert "H-hour 2026-12-02 20:30Z" in text and "MM 2026-12-03 03:00 (UTC+06:30)" in text
    assert 'class="order print-tlp-AMBER"' in text
    # Need-to-know: the Lao liaison officer does not learn the operation exists.
    assert login(client, people["la"]).get(f"/operations/{op.id}/order").status_code == 404


def test_an_officer_prints_their_own_tasking_order_with_what_it_needs(
    client: TestClient, session: Session, people: Any, make_operation: Any, login: Any,
    make_user: Any, set_clock: Any,
) -> None:
    set_clock(H_HOUR - timedelta(days=1))
    op = _scheduled(session, make_operation)
    session.add(Tasking(uid="t-other@jointops", operation_id=op.id, unit_id="U-MM-1",
                        site_id=op.sites[0].id, capability="cyber", start=H_HOUR,
                        end=H_HOUR + timedelta(hours=4), depart=H_HOUR - timedelta(hours=1),
                        return_at=H_HOUR + timedelta(hours=5)))
    session.flush()
    officer = login(client, make_user(session, Role.unit_officer, "TH-RTP", "U-TH-2"))
    assert 'href="/tasking/t-live@jointops/order"' in officer.get("/tasking").text
    page = officer.get("/tasking/t-live@jointops/order")
    assert page.status_code == 200
    assert "Tasking order: RTP-2 (TH-RTP) — Golden Nett" in page.text
    assert "Tachileik, Myanmar" in page.text  # the objective's place
    assert "MPF-1 (MM-MPF, cyber)" in page.text  # who else is at the site
    assert "Royal Thai Police" in page.text and "MM 2026-12-03 03:00 (UTC+06:30)" in page.text
    assert 'class="order print-tlp-AMBER"' in page.text
    # Another unit's order, or someone without the need-to-know: not found.
    other = login(client, make_user(session, Role.unit_officer, "TH-RTP", "U-TH-1"))
    assert other.get("/tasking/t-live@jointops/order").status_code == 404
    assert officer.get("/tasking/t-other@jointops/order").status_code == 404
    assert officer.get("/tasking/nope/order").status_code == 404


def test_the_liaison_reads_why_their_operation_was_not_scheduled_in_names(
    client: TestClient, session: Session, people: Any, make_operation: Any, login: Any
) -> None:
    from app.models import RunStatus, SolverRun

    op = make_operation(session, "TH-RTP", {"MM-TAC": {"cyber": 1}}, op_id="OP-LEFT",
                        state=OperationState.approved, code_name="Left Out")
    site = op.sites[0].id
    reasons = [f"site {site}: no cyber unit that may act there can be there in its window",
               "for U-TH-1 the crossing that would be needed, X-MSI-TAC (Mae Sai - Tachileik,"
               " open 06:30–21:00 Asia/Bangkok), is closed then; MM-TAC is too far"]
    session.add(SolverRun(status=RunStatus.succeeded, params={}, plan={
        "format": "jointops-plan/1", "operations": [],
        "unscheduled": [{"id": op.id, "reasons": reasons}]}))
    session.flush()
    page = login(client, people["th"]).get(f"/operations/{op.id}").text
    why = page[page.index('id="not-scheduled"'):]
    why = why[:why.index("</section>")]
    assert re.search(r"site 1 \([^)]*, Tachileik\): no cyber unit", why)
    assert site not in why and "U-TH-1" not in why and "X-MSI-TAC" not in why
    assert "RTP-1 (TH-RTP)" in why and "Mae Sai - Tachileik" in why and "Tachileik (MM)" in why
    assert "Widen the window" in why and "opening hours" in why
    assert "Ask a partner agency for a unit with the capability &#39;cyber&#39;." in why
