"""The board's SQL statements: a fixed number whatever the cards, so an N+1 (a query per
card) cannot come back unnoticed; and what the cards of proposed operations still show."""

from __future__ import annotations

from fastapi.testclient import TestClient
from planning.statements import recorded_statements  # tests/planning/statements.py
from sqlmodel import Session

from app.models import Approval, ApprovalKind, Decision, OperationState

HX = {"HX-Request": "true"}
P = OperationState.proposed
# Session, user and unread notices (one statement), the visible operations, their
# sites' countries, their first active orders, the approvals of the proposed ones; the
# filter form's countries and agencies (the full page). Nothing per card: not the
# cordons (the Operation relationship loads them unless told not to), not one approval
# query per proposed card.
BOARD_STATEMENTS = 7
REFRESH_STATEMENTS = BOARD_STATEMENTS


def _board(browser: TestClient, session: Session, headers: dict[str, str]) -> tuple[str, list[str]]:
    with recorded_statements(session) as statements:
        page = browser.get("/board", headers=headers)
    assert page.status_code == 200
    # BEGIN/COMMIT and savepoints are the test session's, not the page's queries.
    return page.text, [s for s in statements if s.lstrip().upper().startswith("SELECT")]


def test_the_board_reads_a_fixed_number_of_statements_whatever_its_cards(
    client, session: Session, people, make_operation, login
) -> None:
    browser = login(client, people["planner"])
    make_operation(session, "TH-RTP", {"TH-CRI": {"tactical": 1}}, op_id="OP-P1", state=P)
    make_operation(session, "TH-RTP", op_id="OP-D1")
    _, few = _board(browser, session, {})
    for n in range(2, 7):
        make_operation(session, "TH-RTP", {"TH-CRI": {"tactical": 1}, "MM-TAC": {"tactical": 1}},
                       op_id=f"OP-P{n}", state=P, foreign_support_requested=n % 2 == 0)
        make_operation(session, "TH-RTP", op_id=f"OP-D{n}")
    page, many = _board(browser, session, {})
    assert "OP-P6" in page and "OP-D6" in page
    assert len(many) == len(few) == BOARD_STATEMENTS, many
    _, refresh = _board(browser, session, HX)
    assert len(refresh) == REFRESH_STATEMENTS, refresh
    assert not [s for s in many if "operation_cordons" in s]


def test_a_proposed_card_names_the_approvals_it_still_waits_for(
    client, session: Session, people, make_operation, login
) -> None:
    both = {"TH-CRI": {"tactical": 1}, "MM-TAC": {"tactical": 1}}
    make_operation(session, "TH-RTP", both, op_id="OP-WAIT", state=P,
                   foreign_support_requested=True)
    make_operation(session, "TH-RTP", both, op_id="OP-HALF", state=P)
    session.add_all([
        # Thailand approved OP-WAIT as host; Myanmar declined foreign units: still missing.
        Approval(operation_id="OP-WAIT", country_code="TH", kind=ApprovalKind.host,
                 decision=Decision.approved),
        Approval(operation_id="OP-WAIT", country_code="MM", kind=ApprovalKind.foreign_support,
                 decision=Decision.declined),
        # Myanmar approved OP-HALF; an approval of another operation counts for none else.
        Approval(operation_id="OP-HALF", country_code="MM", kind=ApprovalKind.host,
                 decision=Decision.approved),
    ])
    session.flush()
    text = login(client, people["planner"]).get("/board", headers=HX).text
    cards = {op_id: text.split(f'id="card-{op_id}"')[1].split("</article>")[0]
             for op_id in ("OP-WAIT", "OP-HALF")}
    assert "Waiting for: MM host approval, MM foreign units, TH foreign units" in cards["OP-WAIT"]
    assert "Waiting for: TH host approval<" in cards["OP-HALF"]
