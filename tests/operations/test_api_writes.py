"""Writes over the API: creates are idempotent with a key, and a commit that succeeded is
never answered with a failure (nothing is read after it)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from planning.statements import recorded_statements
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, func, select

from app.clock import utcnow
from app.models import IdempotentRequest, Operation

from .samples import op_input


def _count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Operation)).one()


def test_a_create_retried_with_its_key_is_answered_once(client, session: Session, people,
                                                         login) -> None:
    th = login(client, people["th"])
    before = _count(session)
    key = {"Idempotency-Key": "3f0c7f1e-create-1"}
    first = th.post("/api/v1/operations", json=op_input(), headers=key)
    again = th.post("/api/v1/operations", json=op_input(), headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert _count(session) == before + 1
    other = th.post("/api/v1/operations", json=op_input(code_name="Other"), headers=key)
    assert other.status_code == 422
    assert "Idempotency-Key was already used" in other.json()["detail"]
    assert other.json()["errors"][0]["path"] == "header.Idempotency-Key"
    assert _count(session) == before + 1
    # Keys are per user, and no key means no replay.
    mine = login(client, people["admin"]).post("/api/v1/operations", json=op_input(),
                                               headers=key)
    assert mine.status_code == 201 and mine.json()["id"] != first.json()["id"]
    th.post("/api/v1/operations", json=op_input())
    th.post("/api/v1/operations", json=op_input())
    assert _count(session) == before + 4
    assert len(session.exec(select(IdempotentRequest)).all()) == 2


def test_a_solver_run_retried_with_its_key_is_queued_once(client, session: Session, people,
                                                          login, make_operation) -> None:
    # Ahead of the board's clock: a solve refuses an approved operation already in the past.
    make_operation(session, "TH-RTP", state="approved", start=utcnow() + timedelta(days=3))
    planner = login(client, people["admin"])
    key = {"Idempotency-Key": "run-1"}
    first = planner.post("/api/v1/solver-runs", json={"time_limit": 2}, headers=key)
    again = planner.post("/api/v1/solver-runs", json={"time_limit": 2}, headers=key)
    assert first.status_code == again.status_code == 202
    assert again.json()["id"] == first.json()["id"]
    assert planner.post("/api/v1/solver-runs", json={"time_limit": 3},
                        headers=key).status_code == 422


@pytest.fixture
def reads_fail_after_commit(session: Session) -> Iterator[Callable[[], None]]:
    """Every query after a commit fails, as when the database went away just then (until
    the returned function is called: the next request's database is back)."""
    committed = {"yes": False}

    def after_commit(_session: Session) -> None:
        committed["yes"] = True

    def on_execute(_state: object) -> None:
        if committed["yes"]:
            raise OperationalError("SELECT", None, Exception("server closed the connection"))

    event.listen(session, "after_commit", after_commit)
    event.listen(session, "do_orm_execute", on_execute)
    yield lambda: committed.update(yes=False)
    event.remove(session, "after_commit", after_commit)
    event.remove(session, "do_orm_execute", on_execute)


def test_a_saved_create_and_step_are_answered_as_saved(
    client, session: Session, people, login, reads_fail_after_commit
) -> None:
    th = login(client, people["th"])
    created = th.post("/api/v1/operations", json=op_input())
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["state"] == "draft" and body["version"] == 1 and body["sites"]
    reads_fail_after_commit()
    proposed = th.post(f"/api/v1/operations/{body['id']}/propose", json={"version": 1})
    assert proposed.status_code == 200, proposed.text
    assert proposed.json()["state"] == "proposed" and proposed.json()["version"] == 2


def _reads_of(statements: list[str], table: str) -> int:
    return sum(1 for s in statements
               if s.lstrip().startswith("SELECT") and f"FROM {table}" in s.split("WHERE")[0])


def test_create_and_propose_read_the_operation_back_once_and_answer_as_a_read_does(
    client, session: Session, people, login
) -> None:
    # Every query of these write transactions holds SQLite's write lock for all writers
    # (bench/load_sqlite.py): the answer is read once, not re-read or asked again.
    th = login(client, people["th"])
    with recorded_statements(session) as create:
        created = th.post("/api/v1/operations", json=op_input())
    assert created.status_code == 201, created.text
    body = created.json()
    insert = next(i for i, s in enumerate(create) if s.startswith("INSERT INTO operations"))
    assert _reads_of(create[insert:], "operations") == 1
    assert _reads_of(create, "operation_cordons") == 1  # with it, not looked up before
    assert _reads_of(create, "approvals") == 0  # a new operation has none
    assert not any("DISTINCT regions.country_code" in s for s in create)
    # What a read answers (the host countries and approvals asked of the database).
    assert body == th.get(f"/api/v1/operations/{body['id']}").json()
    assert body["host_countries"] == ["MM", "TH"] and len(body["approvals"]) == 2
    with recorded_statements(session) as propose:
        proposed = th.post(f"/api/v1/operations/{body['id']}/propose", json={"version": 1})
    assert proposed.status_code == 200, proposed.text
    update = next(i for i, s in enumerate(propose) if s.startswith("UPDATE operations"))
    assert _reads_of(propose[update:], "operations") == 1
    assert _reads_of(propose, "approvals") == 1  # cleared, then known to be none
    assert proposed.json() == th.get(f"/api/v1/operations/{body['id']}").json()
    assert proposed.json()["state"] == "proposed"
    assert [a["decision"] for a in proposed.json()["approvals"]] == [None, None]


def test_a_proposal_after_a_decline_answers_without_the_old_decisions(
    client, session: Session, people, login
) -> None:
    th = login(client, people["th"])
    body = th.post("/api/v1/operations", json=op_input()).json()
    first = th.post(f"/api/v1/operations/{body['id']}/propose", json={"version": 1}).json()
    mm = login(client, people["mm"])
    declined = mm.post(f"/api/v1/operations/{body['id']}/approvals", json={
        "decision": "declined", "reason": "not now", "version": first["version"]})
    assert declined.status_code == 200, declined.text
    assert declined.json()["state"] == "draft"
    again = th.post(f"/api/v1/operations/{body['id']}/propose",
                    json={"version": declined.json()["version"]})
    assert again.status_code == 200, again.text
    assert again.json() == th.get(f"/api/v1/operations/{body['id']}").json()
    assert all(a["decision"] is None for a in again.json()["approvals"])
