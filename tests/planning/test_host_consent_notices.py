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
from app.models import TLP, MailStatus, Notice, NoticeKind, Operation, Plan, Role, User
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
