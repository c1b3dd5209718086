"""The migrations build exactly the schema the models describe, on each backend."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

import app.models  # noqa: F401
from app.config import ROOT

# As the models store instants: naive UTC on SQLite is read back fine by both backends.
NOW = datetime(2026, 11, 26, 12, 0)


def _not_the_job_queue(name: str | None, type_: str, parent_names: object) -> bool:
    # procrastinate's tables (PostgreSQL) are its own schema, not the models'.
    return not (type_ == "table" and (name or "").startswith("procrastinate_"))


def _alembic_config() -> Config:
    return Config(str(ROOT / "alembic.ini"))


def test_upgrade_head_matches_models(migration_engine: Engine) -> None:
    config = _alembic_config()
    with migration_engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    with migration_engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": _not_the_job_queue}
        )
        diff = compare_metadata(context, SQLModel.metadata)
        tables = set(inspect(conn).get_table_names())
    assert diff == []
    assert set(SQLModel.metadata.tables) <= tables


def test_downgrade_base_removes_everything(migration_engine: Engine) -> None:
    config = _alembic_config()
    with migration_engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        command.downgrade(config, "base")
    with migration_engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}


def test_twin_live_feed_tokens_are_reduced_to_the_newest_before_the_index(
    migration_engine: Engine,
) -> None:
    # Before the unique index two quick submits could both create a live token.
    config = _alembic_config()
    with migration_engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "feed_event_blocks_1830")
        conn.execute(
            text(
                "INSERT INTO users (id, username, full_name, role, is_active, password_hash,"
                " created_at) VALUES (1, 'officer', '', 'unit_officer', true, 'x', :now)"
            ),
            {"now": NOW},
        )
        for token_id in (1, 2, 3):
            label = "iPad" if token_id == 3 else "iPhone"
            conn.execute(
                text(
                    "INSERT INTO feed_tokens (id, user_id, label, token_hash, created_at)"
                    " VALUES (:id, 1, :label, :hash, :now)"
                ),
                {"id": token_id, "label": label, "hash": str(token_id) * 64, "now": NOW},
            )
        command.upgrade(config, "head")
    with migration_engine.connect() as conn:
        live = conn.execute(
            text("SELECT id FROM feed_tokens WHERE revoked_at IS NULL ORDER BY id")
        ).scalars()
        assert list(live) == [2, 3]  # the newer iPhone token, and the iPad's


def test_existing_audit_rows_join_the_hash_chain(migration_engine: Engine) -> None:
    # Rows written before the chain existed are chained as they stood, so
    # `jointops audit verify` passes on an upgraded board and catches later edits.
    from sqlmodel import Session

    from app.audit import verify

    config = _alembic_config()
    with migration_engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "accounts_security_2120-1")  # the one before the chain
        for i in range(3):
            conn.execute(
                text(
                    "INSERT INTO audit_events (at, action, object_type, object_id, details)"
                    " VALUES (:at, :action, 'operation', :oid, :details)"
                ),
                {"at": NOW, "action": f"step{i}", "oid": f"OP-{i}",
                 "details": json.dumps({"by": "ທ້າວ", "n": i})},
            )
        command.upgrade(config, "head")
    with Session(migration_engine) as session:
        assert verify(session) == (3, [])
        session.execute(text("UPDATE audit_events SET object_id = 'OP-X' WHERE action = 'step1'"))
        assert [p.message.split(":")[1].strip()[:11] for p in verify(session)[1]] == [
            "its content"]


def test_the_coordinator_role_is_allowed_after_the_upgrade_and_gone_after_the_downgrade(
    migration_engine: Engine,
) -> None:
    config = _alembic_config()
    insert = text(
        "INSERT INTO users (id, username, full_name, role, is_active, password_hash,"
        " created_at) VALUES (7, 'centre', '', 'coordinator', true, 'x', :now)"
    )
    with migration_engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "need_to_know_2110")
        conn.execute(insert, {"now": NOW})
        command.downgrade(config, "-1")  # whatever comes before it
        role = conn.execute(text("SELECT role FROM users WHERE id = 7")).scalar_one()
    assert role == "planner"
    with pytest.raises(IntegrityError), migration_engine.begin() as conn:
        conn.execute(text("UPDATE users SET role = 'coordinator' WHERE id = 7"))


def test_the_capability_list_starts_with_what_units_and_requirements_name(
    migration_engine: Engine,
) -> None:
    config = _alembic_config()
    with migration_engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "field_contacts_0900")
        conn.execute(text("INSERT INTO countries (code, name, timezone) "
                          "VALUES ('TH', 'Thailand', 'Asia/Bangkok')"))
        conn.execute(text("INSERT INTO agencies (id, name, country_code, version) "
                          "VALUES ('TH-RTP', 'Royal Thai Police', 'TH', 1)"))
        conn.execute(text("INSERT INTO regions (id, name, country_code, lat, lon, version) "
                          "VALUES ('TH-MSI', 'Mae Sai', 'TH', 20.4, 99.9, 1)"))
        conn.execute(text(
            "INSERT INTO units (id, agency_id, callsign, capabilities, personnel, "
            "base_region_id, version) VALUES ('U-1', 'TH-RTP', 'RTP-1', :caps, 4, 'TH-MSI', 1)"),
            {"caps": json.dumps(["tactical", "k9"])})
        conn.execute(text(
            "INSERT INTO operations (id, code_name, description, lead_agency_id, priority, "
            "earliest_start, latest_end, duration_minutes, foreign_support_requested, tlp, "
            "state, version, created_at, updated_at) VALUES ('OP-1', 'Old', '', 'TH-RTP', 1, "
            ":a, :b, 60, false, 'AMBER', 'draft', 1, :a, :a)"),
            {"a": NOW, "b": datetime(2026, 11, 27, 12, 0)})
        conn.execute(text("INSERT INTO sites (id, operation_id, region_id, objective) "
                          "VALUES ('S-1', 'OP-1', 'TH-MSI', '')"))
        conn.execute(text("INSERT INTO requirements (site_id, capability, count) "
                          "VALUES ('S-1', 'boat_team', 1)"))
        command.upgrade(config, "head")
    with migration_engine.connect() as conn:
        names = conn.execute(text("SELECT name FROM capabilities ORDER BY name")).scalars()
        assert list(names) == ["boat_team", "k9", "tactical"]


def test_orders_with_a_reversible_uid_get_a_random_one_and_keep_the_old_to_cancel(
    migration_engine: Engine,
) -> None:
    # Issue 10, finding 11: orders issued under uuid5("jointops/<op>/<unit>") kept it.
    import uuid

    from conftest import _build_world, _make_operation
    from sqlmodel import Session

    from app.models import Tasking

    config = _alembic_config()
    with migration_engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        session = Session(bind=conn)
        _build_world(session)
        raid = _make_operation(session, "TH-RTP", {"TH-CKG": {"tactical": 2}}, op_id="OP-RED")
        site = raid.sites[0].id
        old = f"{uuid.uuid5(uuid.NAMESPACE_URL, 'jointops/OP-RED/U-TH-1')}@jointops"
        keyed = "0f8e3c1a-0000-4000-8000-000000000000@jointops"  # already non-reversible
        start = NOW.replace(tzinfo=UTC)
        for unit, uid in (("U-TH-1", old), ("U-TH-2", keyed)):
            session.add(Tasking(uid=uid, operation_id="OP-RED", unit_id=unit, site_id=site,
                                capability="tactical", start=start, end=start + timedelta(hours=4),
                                depart=start, return_at=start + timedelta(hours=5)))
        session.flush()
        command.downgrade(config, "capabilities_0910")  # the one before it
        command.upgrade(config, "head")
        rows = conn.execute(text(
            "SELECT unit_id, uid, retired_uid, uid_retired_at FROM taskings ORDER BY unit_id"
        )).all()
    (first, first_uid, first_old, retired_at), second = rows
    assert (first, first_old) == ("U-TH-1", old) and retired_at is not None
    assert first_uid != old and first_uid.endswith("@jointops")
    uuid.UUID(first_uid.removesuffix("@jointops"))
    assert tuple(second) == ("U-TH-2", keyed, None, None)


def test_a_notice_may_ask_to_confirm_units_after_the_upgrade_and_not_after_the_downgrade(
    migration_engine: Engine,
) -> None:
    config = _alembic_config()
    user = text("INSERT INTO users (id, username, full_name, role, is_active, password_hash,"
                " created_at) VALUES (8, 'host', '', 'liaison', true, 'x', :now)")
    notice = text(
        "INSERT INTO notices (user_id, operation_id, unit_id, kind, title, body, tlp,"
        " created_at, mail_status, mail_attempts) VALUES (8, NULL, '', :kind, 't', 'b',"
        " 'GREEN', :now, 'none', 0)")
    with migration_engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "confirm_notices_1300")
        conn.execute(user, {"now": NOW})
        conn.execute(notice, {"now": NOW, "kind": "confirm_units"})
        conn.execute(notice, {"now": NOW, "kind": "amended"})
        command.downgrade(config, "-1")
        kinds = conn.execute(text("SELECT kind FROM notices")).scalars().all()
    assert kinds == ["amended"]  # the requests to confirm went, the others stay
    with pytest.raises(IntegrityError), migration_engine.begin() as conn:
        conn.execute(notice, {"now": NOW, "kind": "confirm_units"})


def test_audit_rows_name_sha256_after_the_upgrade_and_the_column_goes_after_the_downgrade(
    migration_engine: Engine,
) -> None:
    # ASVS 5.0 11.2.2: the rows chained before each row named its algorithm were SHA-256.
    from sqlmodel import Session

    from app.audit import GENESIS, row_hash, verify

    config = _alembic_config()
    written = {"at": NOW.replace(tzinfo=UTC), "action": "x", "object_type": "operation",
               "object_id": "OP-1", "details": {}}
    with migration_engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "initial_passwords_0130")
        conn.execute(
            text("INSERT INTO audit_events (at, action, object_type, object_id, details,"
                 " prev_hash, row_hash) VALUES (:at, 'x', 'operation', 'OP-1', '{}', :g, :h)"),
            {"at": NOW, "g": GENESIS, "h": row_hash(GENESIS, written)},
        )
        command.upgrade(config, "audit_hash_alg_0200")
        assert conn.execute(text("SELECT hash_alg FROM audit_events")).scalar() == "sha256"
    with Session(migration_engine) as session:
        assert verify(session) == (1, [])
    with migration_engine.begin() as conn:
        config.attributes["connection"] = conn
        conn.execute(text("UPDATE audit_events SET hash_alg = 'sha3-256'"))
        with pytest.raises(RuntimeError, match="another hash"):
            command.downgrade(config, "initial_passwords_0130")
    with migration_engine.begin() as conn:
        config.attributes["connection"] = conn
        conn.execute(text("UPDATE audit_events SET hash_alg = 'sha256'"))
        command.downgrade(config, "initial_passwords_0130")
        columns = {c["name"] for c in inspect(conn).get_columns("audit_events")}
    assert "hash_alg" not in columns and "row_hash" in columns


def test_runs_get_their_time_limit_and_seed_columns_from_their_parameters(
    migration_engine: Engine,
) -> None:
    config = _alembic_config()
    insert = text("INSERT INTO solver_runs (status, params, created_at, attempts, kind)"
                  " VALUES ('succeeded', :params, :now, 1, :kind)")
    with migration_engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "audit_hash_alg_0200")
        for params, kind in (({"time_limit": 30, "seed": 7, "fixed": [{"id": "OP-1"}]}, "raid"),
                             ({"time_limit": "soon"}, "raid"), ({}, "capacity")):
            conn.execute(insert, {"params": json.dumps(params), "now": NOW, "kind": kind})
        command.upgrade(config, "run_settings_0530")
        rows = conn.execute(text("SELECT time_limit, seed FROM solver_runs ORDER BY id")).all()
    assert [tuple(row) for row in rows] == [(30.0, 7), (None, None), (None, None)]
    with migration_engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "audit_hash_alg_0200")
        columns = {c["name"] for c in inspect(conn).get_columns("solver_runs")}
    assert "time_limit" not in columns and "seed" not in columns and "params" in columns


def test_existing_totp_enrolments_are_sha1_and_the_downgrade_keeps_sha256_ones_working(
    migration_engine: Engine,
) -> None:
    # ASVS 5.0 11.4.1: the secrets enrolled before made HMAC-SHA1 codes; they are verified
    # with SHA-1 still, while new enrolments are SHA-256 (app/accounts/totp.py).
    config = _alembic_config()
    insert = text("INSERT INTO users (id, username, full_name, role, is_active, password_hash,"
                  " created_at, totp_secret) VALUES (:id, :name, '', 'planner', true, 'x',"
                  " :now, :secret)")
    with migration_engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "plan_checks_0610")
        conn.execute(insert, {"id": 1, "name": "enrolled", "now": NOW,
                              "secret": "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"})
        conn.execute(insert, {"id": 2, "name": "not-yet", "now": NOW, "secret": None})
        command.upgrade(config, "totp_algorithm_1400")
        rows = conn.execute(text("SELECT id, totp_algorithm FROM users ORDER BY id")).all()
    assert [tuple(row) for row in rows] == [(1, "sha1"), (2, None)]
    with migration_engine.begin() as conn:
        config.attributes["connection"] = conn
        conn.execute(text("UPDATE users SET totp_secret = 'X', totp_algorithm = 'sha256'"
                          " WHERE id = 2"))
        # The schema before would check that user's codes with SHA-1: refused.
        with pytest.raises(RuntimeError, match="1 user.* another hash than SHA-1"):
            command.downgrade(config, "plan_checks_0610")
    with migration_engine.begin() as conn:
        config.attributes["connection"] = conn
        conn.execute(text("UPDATE users SET totp_secret = NULL, totp_algorithm = NULL"
                          " WHERE id = 2"))
        command.downgrade(config, "plan_checks_0610")
        columns = {c["name"] for c in inspect(conn).get_columns("users")}
        secret = conn.execute(text("SELECT totp_secret FROM users WHERE id = 1")).scalar()
    assert "totp_algorithm" not in columns and secret == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
