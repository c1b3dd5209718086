"""The audit trail (issue 10 finding 10): one writer, hash-chained rows that
`jointops audit verify` checks, refusals on record, imports per operation, the admin page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sample_data import SMALL
from sqlalchemy import text
from sqlmodel import Session, SQLModel, col, select
from typer.testing import CliRunner

from app import audit
from app.cli import app as cli_app
from app.config import get_settings
from app.db import get_engine
from app.models import AuditEvent, Role
from app.transfer.service import import_scenario


def _three_rows(session: Session) -> list[int]:
    for i in range(3):
        audit.record(session, action=f"test.step{i}", object_type="test", object_id=i,
                     address="192.0.2.10", details={"n": i, "note": "ข้อความ"})
    session.flush()
    return list(session.exec(select(AuditEvent.id).order_by(col(AuditEvent.id))).all())


def test_rows_chain_and_verify(session: Session) -> None:
    ids = _three_rows(session)
    rows = [session.get(AuditEvent, i) for i in ids]
    assert rows[1].prev_hash == rows[0].row_hash and rows[2].prev_hash == rows[1].row_hash
    session.expire_all()
    count, problems = audit.verify(session)
    assert (count, problems) == (3, [])


def test_an_edited_row_is_found(session: Session) -> None:
    ids = _three_rows(session)
    session.execute(text("UPDATE audit_events SET object_id = 'forged' WHERE id = :id"),
                    {"id": ids[1]})
    session.expire_all()
    _, problems = audit.verify(session)
    assert [p.row_id for p in problems] == [ids[1]]
    assert "does not match its hash" in problems[0].message


def test_a_deleted_row_is_found(session: Session) -> None:
    ids = _three_rows(session)
    session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": ids[1]})
    session.expire_all()
    _, problems = audit.verify(session)
    assert [p.row_id for p in problems] == [ids[2]]
    assert f"not row {ids[0]}" in problems[0].message


@pytest.fixture
def audit_hash(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Set JOINTOPS_AUDIT_HASH_ALGORITHM with `audit_hash.setenv(...)` then cache_clear."""
    yield monkeypatch
    get_settings.cache_clear()


def _two_algorithm_chain(session: Session, audit_hash: pytest.MonkeyPatch) -> list[int]:
    """Three rows under SHA-256, then three under SHA3-256 (ASVS 5.0 11.2.2)."""
    first = _three_rows(session)
    audit_hash.setenv("JOINTOPS_AUDIT_HASH_ALGORITHM", "sha3-256")
    get_settings.cache_clear()
    ids = _three_rows(session)[3:]
    return first + ids


def test_a_chain_of_two_hash_algorithms_verifies(session: Session, audit_hash) -> None:
    ids = _two_algorithm_chain(session, audit_hash)
    session.expire_all()
    rows = [session.get(AuditEvent, i) for i in ids]
    assert [row.hash_alg for row in rows] == ["sha256"] * 3 + ["sha3-256"] * 3
    assert rows[3].prev_hash == rows[2].row_hash
    assert audit.verify(session) == (6, [])
    # Each row is hashed with its own algorithm, not with the configured one.
    audit_hash.setenv("JOINTOPS_AUDIT_HASH_ALGORITHM", "sha256")
    get_settings.cache_clear()
    assert audit.verify(session) == (6, [])


@pytest.mark.parametrize("which", [1, 4])
def test_an_edited_row_is_found_under_either_algorithm(
    session: Session, audit_hash, which: int
) -> None:
    ids = _two_algorithm_chain(session, audit_hash)
    session.execute(text("UPDATE audit_events SET object_id = 'forged' WHERE id = :id"),
                    {"id": ids[which]})
    session.expire_all()
    _, problems = audit.verify(session)
    assert [p.row_id for p in problems] == [ids[which]]
    assert "does not match its hash" in problems[0].message


def test_a_row_s_algorithm_cannot_be_renamed_or_unknown(session: Session, audit_hash) -> None:
    ids = _two_algorithm_chain(session, audit_hash)
    session.execute(text("UPDATE audit_events SET hash_alg = 'sha256' WHERE id = :id"),
                    {"id": ids[4]})
    session.execute(text("UPDATE audit_events SET hash_alg = 'md5' WHERE id = :id"),
                    {"id": ids[5]})
    session.expire_all()
    _, problems = audit.verify(session)
    assert [p.row_id for p in problems] == [ids[4], ids[5]]
    assert "unknown hash algorithm 'md5'" in problems[1].message


def test_every_configurable_audit_hash_is_known() -> None:
    from typing import get_args

    from app.config import Settings

    choices = get_args(Settings.model_fields["audit_hash_algorithm"].annotation)
    assert set(choices) == set(audit.HASHES)


@pytest.fixture
def scratch_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("JOINTOPS_DATABASE_URL", f"sqlite:///{tmp_path / 'audit.db'}")
    get_settings.cache_clear()
    get_engine.cache_clear()
    SQLModel.metadata.create_all(get_engine())
    yield
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


def test_cli_verify_reports_edit_and_delete(scratch_db: None) -> None:
    with Session(get_engine()) as session:
        ids = _three_rows(session)
        session.commit()
    runner = CliRunner()
    ok = runner.invoke(cli_app, ["audit", "verify"])
    assert ok.exit_code == 0 and "intact: 3 rows" in ok.output
    with get_engine().begin() as conn:
        conn.execute(text("UPDATE audit_events SET details = '{\"n\": 9}' WHERE id = :id"),
                     {"id": ids[0]})
        conn.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": ids[1]})
    broken = runner.invoke(cli_app, ["audit", "verify"])
    assert broken.exit_code == 1
    assert f"row {ids[0]}: its content does not match" in broken.output
    assert f"row {ids[2]}: the row before it" in broken.output


def test_imports_are_recorded_operation_by_operation(session: Session) -> None:
    import_scenario(session, data=SMALL.read_bytes())
    session.flush()
    operations = [op["id"] for op in json.loads(SMALL.read_text())["operations"]]
    rows = session.exec(select(AuditEvent).where(col(AuditEvent.action) == "import")).all()
    assert sorted(r.object_id for r in rows) == sorted(operations)
    assert all(r.object_type == "operation" for r in rows)
    assert audit.verify(session)[1] == []


def test_refusals_are_recorded_with_the_address(
    client, session: Session, world, make_user, login, make_operation
) -> None:
    # A Lao draft: a Thai liaison may not know it exists.
    hidden = make_operation(session, "LA-MPS", {"LA-BOK": {"tactical": 1}})
    officer = make_user(session, role=Role.liaison, agency="TH-RTP")
    signed_in = login(client, officer)
    assert signed_in.get("/admin/users", follow_redirects=False).status_code == 403
    bad_csrf = signed_in.post("/logout", headers={"X-CSRF-Token": "wrong"},
                              follow_redirects=False)
    assert bad_csrf.status_code == 403
    not_yours = signed_in.get(f"/api/v1/operations/{hidden.id}")
    assert not_yours.status_code == 404
    rows = session.exec(
        select(AuditEvent).where(col(AuditEvent.action).startswith("refused."))
        .order_by(col(AuditEvent.id))
    ).all()
    assert [(r.action, r.details["method"]) for r in rows] == [
        ("refused.403", "GET"), ("refused.403", "POST"), ("refused.404", "GET")]
    assert all(r.actor_id == officer.id and r.address == "testclient" for r in rows)
    assert "CSRF" in rows[1].details["reason"]
    assert rows[2].object_id == "/api/v1/operations/{operation_id}"
    assert rows[2].details["params"] == {"operation_id": hidden.id}


def test_admin_audit_page_filters_and_pages(client, session: Session, make_user, login) -> None:
    admin = make_user(session, role=Role.admin, username="root-admin")
    other = make_user(session, role=Role.planner, username="planner-1")
    for i in range(60):
        audit.record(session, actor=other, action="test.many", object_type="test", object_id=i)
    audit.record(session, actor=admin, action="admin.user.created", object_type="user",
                 object_id="7")
    session.flush()
    page = login(client, admin)
    first = page.get("/admin/audit?username=planner-1")
    assert first.status_code == 200
    assert "60 found" in first.text and "page 1 of 2" in first.text and "Older" in first.text
    second = page.get("/admin/audit?username=planner-1&page=2")
    assert second.text.count("test.many") == 10
    only = page.get("/admin/audit?action=admin.")
    assert "admin.user.created" in only.text and "test.many" not in only.text
    empty = page.get("/admin/audit?since=2001-01-01&until=2001-01-02")
    assert "No audit rows match these filters" in empty.text
    bad = page.get("/admin/audit?since=yesterday")
    assert bad.status_code == 422 and "expected a date such as 2026-12-02" in bad.text
    officer = make_user(session, role=Role.liaison)
    assert login(client, officer).get("/admin/audit").status_code == 403
