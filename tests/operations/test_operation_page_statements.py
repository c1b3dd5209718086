"""The operation page's SQL statements: nothing per site, nothing for an empty list."""

from __future__ import annotations

from planning.statements import recorded_statements  # tests/planning/statements.py
from sqlmodel import Session


def _page(browser, session: Session, op_id: str) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    session.expire_all()
    with recorded_statements(session) as statements:
        page = browser.get(f"/operations/{op_id}")
    assert page.status_code == 200
    return page.text, [s for s in statements if s.lstrip().upper().startswith("SELECT")]


def _from(statements: list[str], table: str) -> list[str]:
    return [s for s in statements if f"FROM {table}" in " ".join(s.split())]


def test_the_requirements_of_every_site_are_read_in_one_statement(  # type: ignore[no-untyped-def]
    client, session: Session, people, make_operation, login
) -> None:
    browser = login(client, people["planner"])
    make_operation(session, "TH-RTP", {"TH-CRI": {"tactical": 2}, "MM-TAC": {"tactical": 1},
                                       "LA-BOK": {"border_patrol": 3}}, op_id="OP-SITES")
    page, statements = _page(browser, session, "OP-SITES")
    # The map still lists each site's requirements.
    assert "2 × tactical" in page and "3 × border_patrol" in page
    # One statement for the three sites (a lazy load per site before).
    assert len(_from(statements, "requirements")) == 1, statements


def test_no_countries_are_read_for_the_confirmations_when_there_are_none(  # type: ignore[no-untyped-def]
    client, session: Session, people, make_operation, login
) -> None:
    browser = login(client, people["th"])
    make_operation(session, "TH-RTP", {"TH-CRI": {"tactical": 1}}, op_id="OP-NONE")
    _, statements = _page(browser, session, "OP-NONE")
    # The map reads the geography once; the two confirmation lists, empty, read nothing
    # more (each read every country before).
    assert len(_from(statements, "countries")) == 1, _from(statements, "countries")
    assert len(_from(statements, "unit_confirmations")) == 2
