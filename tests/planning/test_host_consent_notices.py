"""Consent with eyes open (issue 11): asking the hosts to confirm the foreign units of a
plan tells each host country's liaison officers, in the app and by email when SMTP is
configured, naming only their own country's operations, the plan, and where to confirm;
asking again for the same set tells nobody twice."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from notices.test_mail import Inbox, smtp  # noqa: F401  (fixture)
from sqlmodel import Session, select

from app.config import Settings
from app.i18n import catalogue
from app.models import (
    TLP,
    Decision,
    MailStatus,
    Notice,
    NoticeKind,
    Operation,
    Plan,
    Role,
    UnitConfirmation,
    User,
)
from app.notices import outbox
from app.planning import consent
from app.solver.loader import load_plan

from .test_host_consent import OPERATION, foreign_plan  # noqa: F401  (fixture)

Login = Callable[[TestClient, User], TestClient]


def _notices(session: Session, user: User) -> list[Notice]:
    return list(session.exec(select(Notice).where(Notice.user_id == user.id)
                             .order_by(Notice.id)))  # type: ignore[arg-type]


def _code_name(session: Session, operation_id: str) -> str:
    operation = session.get(Operation, operation_id)
    assert operation is not None
    return operation.code_name


def test_asking_the_hosts_tells_each_liaison_of_the_host_once(
    tiny_board: Session, planner: User, foreign_plan: Plan,  # noqa: F811
    make_user: Callable[..., User],
) -> None:
    liaison = make_user(tiny_board, Role.liaison, "LA-MPS")
    lao_reader = make_user(tiny_board, Role.liaison, "LA-MPS")
    lao_reader.language = "lo"
    retired = make_user(tiny_board, Role.liaison, "LA-MPS", is_active=False)
    officer = make_user(tiny_board, Role.unit_officer, "LA-MPS")
    elsewhere = make_user(tiny_board, Role.liaison, "VN-MPS")
    hosts = {n.country for n in consent.foreign_units(
        tiny_board, load_plan(foreign_plan.document))}
    assert "VN" not in hosts

    assert consent.request_confirmations(tiny_board, plan=foreign_plan, user=planner) >= 1
    [notice] = _notices(tiny_board, liaison)
    name = _code_name(tiny_board, OPERATION)
    assert notice.kind == NoticeKind.confirm_units and notice.read_at is None
    assert f"{name} ({OPERATION})" in notice.title
    assert f"Plan {foreign_plan.id} " in notice.body and "/approvals" in notice.body
    assert notice.operation_id == OPERATION and notice.mail_status == MailStatus.none
    # Written in the officer's own language.
    [lao] = _notices(tiny_board, lao_reader)
    lao_title = catalogue("lo")["Foreign units to confirm: %(operations)s"]
    assert lao.title == lao_title % {"operations": f"{name} ({OPERATION})"}
    assert lao.title != notice.title
    # Nobody else: not an inactive liaison, not a unit officer, not another country.
    for user in (retired, officer, elsewhere, planner):
        assert _notices(tiny_board, user) == []

    # Asked again for the same unchanged set: nothing new asked, nobody told twice.
    assert consent.request_confirmations(tiny_board, plan=foreign_plan, user=planner) == 0
    assert len(_notices(tiny_board, liaison)) == 1 and len(_notices(tiny_board, lao_reader)) == 1


def test_a_host_is_told_only_of_its_own_country_s_operations_that_it_may_see(
    tiny_board: Session, planner: User, foreign_plan: Plan,  # noqa: F811
    make_user: Callable[..., User],
) -> None:
    laos = make_user(tiny_board, Role.liaison, "LA-MPS")
    myanmar = make_user(tiny_board, Role.liaison, "MM-MPF")
    units = [{"unit": "U-X", "callsign": "X", "site": "S-1", "start": "2030-01-01T00:00:00+00:00",
              "depart": "2030-01-01T00:00:00+00:00", "return": "2030-01-01T00:00:00+00:00"}]
    asked = [consent.HostUnits(OPERATION, "", "LA", units),
             consent.HostUnits("OP-0002", "", "MM", units),
             # OP-0002 has no site in Laos: a Lao liaison may not see it, so a (wrong)
             # request naming Laos must not name it to them either.
             consent.HostUnits("OP-0002", "", "LA", units)]
    assert consent.notify_hosts(tiny_board, asked, plan=foreign_plan) == 2
    [lao] = _notices(tiny_board, laos)
    [burmese] = _notices(tiny_board, myanmar)
    assert OPERATION in lao.title and "OP-0002" not in lao.title + lao.body
    assert _code_name(tiny_board, "OP-0002") not in lao.title + lao.body
    assert "OP-0002" in burmese.title and OPERATION not in burmese.title + burmese.body
    assert _code_name(tiny_board, OPERATION) not in burmese.title + burmese.body


def test_a_notice_naming_several_operations_carries_the_strictest_tlp(
    tiny_board: Session, foreign_plan: Plan, make_user: Callable[..., User],  # noqa: F811
) -> None:
    laos = make_user(tiny_board, Role.liaison, "LA-MPS")
    for op_id, tlp in ((OPERATION, TLP.GREEN), ("OP-0004", TLP.RED)):
        operation = tiny_board.get(Operation, op_id)
        assert operation is not None
        operation.tlp = tlp
    units: list[dict[str, str]] = []
    consent.notify_hosts(tiny_board, [consent.HostUnits(OPERATION, "", "LA", units),
                                      consent.HostUnits("OP-0004", "", "LA", units)],
                         plan=foreign_plan)
    [notice] = _notices(tiny_board, laos)
    assert notice.tlp == TLP.RED and notice.operation_id is None
    assert OPERATION in notice.title and "OP-0004" in notice.title


@pytest.mark.parametrize("tlp", [TLP.GREEN, TLP.AMBER])
def test_the_liaison_gets_an_email_pointing_to_where_they_confirm(
    tiny_board: Session, planner: User, foreign_plan: Plan,  # noqa: F811
    make_user: Callable[..., User], smtp: tuple[Inbox, Settings], tlp: TLP,  # noqa: F811
) -> None:
    inbox, settings = smtp
    liaison = make_user(tiny_board, Role.liaison, "LA-MPS")
    liaison.email = "liaison@mps.la.test"
    operation = tiny_board.get(Operation, OPERATION)
    assert operation is not None
    operation.tlp = tlp
    consent.request_confirmations(tiny_board, plan=foreign_plan, user=planner)
    tiny_board.commit()
    [notice] = _notices(tiny_board, liaison)
    assert notice.mail_status == MailStatus.pending
    assert outbox.deliver_due(tiny_board, settings=settings)["sent"] >= 1
    [(to, mail)] = [(to, m) for to, m in inbox.messages if to == ["liaison@mps.la.test"]]
    body = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "https://board.jointops.test/approvals" in body
    if tlp == TLP.GREEN:  # the notice as the liaison reads it on the board
        assert operation.code_name in mail["Subject"] and notice.body in body
    else:  # a pointer only: no operation's name in a mailbox
        assert operation.code_name not in mail["Subject"] + body
        assert "foreign units waiting for your country's confirmation" in body


def test_the_planner_asks_on_the_run_page_and_the_liaison_reads_it_on_the_notices_page(
    client: TestClient, tiny_board: Session, planner: User, foreign_plan: Plan,  # noqa: F811
    make_user: Callable[..., User], login: Login,
) -> None:
    liaison = make_user(tiny_board, Role.liaison, "LA-MPS")
    browser = login(client, planner)
    for _ in range(2):  # twice: one notice
        asked = browser.post(f"/planning/plans/{foreign_plan.id}/host-confirmations",
                             data={}, follow_redirects=False)
        assert asked.status_code == 303
    host = login(client, liaison)
    page = host.get("/notices")
    name = _code_name(tiny_board, OPERATION)
    assert page.text.count('class="notice notice-unread"') == 1
    assert f"{name} ({OPERATION})" in page.text
    assert 'href="/approvals#confirm-units"' in page.text
    assert 'id="unread-notices">1<' in page.text
    assert 'id="confirm-units"' in host.get("/approvals").text


def _decide(session: Session, row: UnitConfirmation, host: User, decision: Decision,
            reason: str = "") -> None:
    operation = session.get(Operation, row.operation_id)
    assert operation is not None
    consent.decide(session, operation=operation, confirmation_id=row.id or 0, user=host,
                   decision=decision, reason=reason)


def test_the_planner_who_asked_is_told_in_thai_when_the_host_confirms_or_declines(
    tiny_board: Session, planner: User, foreign_plan: Plan,  # noqa: F811
    make_user: Callable[..., User],
) -> None:
    """Issue 11: publishing waits for the hosts, so whoever asked them hears of each
    decision, in their language; nobody else is told (not the host, not an
    administrator while the planner who asked is there)."""
    planner.language = "th"
    admin = make_user(tiny_board, Role.admin)
    host = make_user(tiny_board, Role.liaison, "LA-MPS")
    consent.request_confirmations(tiny_board, plan=foreign_plan, user=planner)
    row = tiny_board.exec(select(UnitConfirmation).where(
        UnitConfirmation.country_code == "LA")).one()
    _decide(tiny_board, row, host, Decision.approved)
    [told] = _notices(tiny_board, planner)
    operation = f"{_code_name(tiny_board, OPERATION)} ({OPERATION})"
    values = {"country": "Laos", "operation": operation}
    assert told.kind == NoticeKind.units_decided and told.operation_id == OPERATION
    assert told.title == catalogue("th")[
        "%(country)s confirmed the foreign units for %(operation)s"] % values
    assert "/planning" in told.body and "Laos" in told.body
    assert all(u["callsign"] in told.body for u in row.units)
    assert "confirmed the units" not in told.body  # Thai, not English
    assert _notices(tiny_board, admin) == []
    assert [n.kind for n in _notices(tiny_board, host)] == [NoticeKind.confirm_units]

    # Declined (a new request, after the plan was asked again): the reason is passed on.
    row.decision = None
    tiny_board.add(row)
    tiny_board.flush()
    _decide(tiny_board, row, host, Decision.declined, reason="no interpreters from abroad")
    declined = _notices(tiny_board, planner)[-1]
    assert declined.title == catalogue("th")[
        "%(country)s declined the foreign units for %(operation)s"] % values
    assert "no interpreters from abroad" in declined.body


def test_without_a_known_asker_the_active_administrators_are_told_in_their_language(
    tiny_board: Session, foreign_plan: Plan, make_user: Callable[..., User],  # noqa: F811
) -> None:
    admin = make_user(tiny_board, Role.admin)
    admin.language = "vi"
    retired = make_user(tiny_board, Role.admin, is_active=False)
    host = make_user(tiny_board, Role.liaison, "LA-MPS")
    need = next(n for n in consent.foreign_units(tiny_board, load_plan(foreign_plan.document))
                if n.country == "LA")
    row = UnitConfirmation(operation_id=need.operation_id, country_code="LA",
                           unit_key=need.key, units=need.units)  # asked by nobody known
    tiny_board.add(row)
    tiny_board.flush()
    _decide(tiny_board, row, host, Decision.approved)
    [told] = _notices(tiny_board, admin)
    assert told.title.startswith("Laos đã xác nhận các đơn vị nước ngoài cho ")
    assert _notices(tiny_board, retired) == []


def test_the_email_of_a_decision_points_to_the_planning_page_in_vietnamese(
    tiny_board: Session, smtp: tuple[Inbox, Settings],  # noqa: F811
) -> None:
    _, settings = smtp
    notice = Notice(user_id=1, operation_id=None, unit_id="", kind=NoticeKind.units_decided,
                    title="secret", body="secret", tlp=TLP.AMBER)
    mail = outbox.compose(notice, to="planner@board.test", settings=settings, language="vi")
    body = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "https://board.jointops.test/planning" in body and "secret" not in body
    assert "quyết định của nước chủ nhà đối với các đơn vị nước ngoài" in body


def test_the_planner_reads_the_decision_on_the_notices_page_with_a_link_to_publish(
    client: TestClient, tiny_board: Session, planner: User, foreign_plan: Plan,  # noqa: F811
    make_user: Callable[..., User], login: Login,
) -> None:
    host = make_user(tiny_board, Role.liaison, "LA-MPS")
    consent.request_confirmations(tiny_board, plan=foreign_plan, user=planner)
    row = tiny_board.exec(select(UnitConfirmation).where(
        UnitConfirmation.country_code == "LA")).one()
    _decide(tiny_board, row, host, Decision.approved)
    tiny_board.commit()
    page = login(client, planner).get("/notices")
    assert page.text.count('class="notice notice-unread"') == 1
    assert f"Laos confirmed the foreign units for {_code_name(tiny_board, OPERATION)}" in page.text
    assert '<a href="/planning" class="notice-publish-link">' in page.text
