"""Least-privilege database roles on PostgreSQL (ASVS 5.0 13.2.2).

The owner role (JOINTOPS_MIGRATION_DATABASE_URL) owns the schema and runs `jointops
migrate` and `restore`; the board and its workers connect as a role that may only read
and change rows. `grant_board_role` gives that role what the board needs, now and for
every table and sequence the owner creates later, and nothing more: it cannot create,
alter or drop anything.

The solver workers connect as a narrower role still (ASVS 5.0 13.2.1, 13.2.2):
`grant_worker_role` lets it read and write only what a worker reads and writes
(WORKER_GRANTS): never a password hash, TOTP secret, session, feed token or the audit
trail.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, text

from app.db import MIGRATION_LOCK_KEY

# Row rights only: no TRUNCATE, REFERENCES or TRIGGER, and no CREATE on the schema.
TABLE_RIGHTS = "SELECT, INSERT, UPDATE, DELETE"
SEQUENCE_RIGHTS = "USAGE, SELECT"
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def grant_board_role(conn: Connection, *, role: str, schema: str | None = None) -> list[str]:
    """Run as the owner: let `role` use the board's tables in `schema` (default: the
    connection's current schema). Returns the statements run."""
    schema = _checked(conn, role, schema)
    statements = [
        f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"',
        f'GRANT {TABLE_RIGHTS} ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"',
        f'GRANT {SEQUENCE_RIGHTS} ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{role}"',
        # Tables a later migration creates (as this owner) get the same rights.
        f'ALTER DEFAULT PRIVILEGES IN SCHEMA "{schema}" GRANT {TABLE_RIGHTS} ON TABLES'
        f' TO "{role}"',
        f'ALTER DEFAULT PRIVILEGES IN SCHEMA "{schema}" GRANT {SEQUENCE_RIGHTS} ON SEQUENCES'
        f' TO "{role}"',
    ]
    return _run_in_turn(conn, statements)


# What the solver worker process reads and writes, table by table, and nothing else
# (ASVS 5.0 13.2.2, 14.1.2): deny by default, so a table a later migration creates is
# out of the worker's reach until it is named here. Where a worker needs a few columns
# only, the grant names them (PostgreSQL column privileges); a DELETE or UPDATE needs
# SELECT on the columns its WHERE reads, an INSERT on those it RETURNs (the new id).
#   - app/planning/worker.py, app/planning/queue.py, app/planning/service.py
#     `reap_stale_runs`: runs (claim, heartbeat, progress, reaper). A run carries the
#     scenario it solves, exported when it was queued: the worker reads no operation,
#     unit, tasking or user row.
#   - plans (worker.py), repatriation plans (app/repatriation/jobs.py): inserted.
#   - capacity analyses (worker.py `_store_analysis`): the result, found by its run.
#   - app/retention.py, applied hourly by the worker: expired sessions and sign-in
#     counters are deleted by their times alone, feed polls are folded into days.
# Never: users (password hashes, TOTP secrets), recovery codes, session ids and CSRF
# tokens, feed tokens, the audit trail, nor any board table a solve does not need.
WORKER_GRANTS: dict[str, tuple[str, ...]] = {
    "solver_runs": ("SELECT", "UPDATE"),
    "plans": ("INSERT", "SELECT (id)"),
    "repatriation_plans": ("INSERT", "SELECT (id)"),
    "capacity_analyses": ("UPDATE (result)", "SELECT (solver_run_id)"),
    "user_sessions": ("DELETE", "SELECT (created_at, expires_at, last_used_at)"),
    "sign_in_counters": ("DELETE", "SELECT (window_start)"),
    "feed_polls": ("DELETE", "SELECT (token_id, user_id, at)"),
    "feed_poll_days": ("SELECT", "INSERT", "UPDATE"),
}
# Sequences: the ids of the rows it inserts (found from WORKER_GRANTS), and the board
# revision that every committed change moves (app/revision.py).
WORKER_SEQUENCES = ("board_revision",)
# procrastinate's tables (procrastinate_*, the job queue): the worker takes, finishes
# and defers jobs, with row rights on them and their sequences.
QUEUE_PREFIX = "procrastinate_"
_PRIVILEGE = re.compile(r"(SELECT|INSERT|UPDATE|DELETE)( \([a-z_, ]+\))?")


def grant_worker_role(conn: Connection, *, role: str, schema: str | None = None) -> list[str]:
    """Run as the owner, after the migrations: give the solver worker's `role` exactly
    WORKER_GRANTS, WORKER_SEQUENCES and the job queue's tables in `schema`, and take away
    any right it held beyond them (a role granted by an earlier version read every
    table). Returns the statements run."""
    schema = _checked(conn, role, schema)
    tables = set(conn.execute(
        text("SELECT tablename FROM pg_tables WHERE schemaname = :schema"),
        {"schema": schema},
    ).scalars().all())
    missing = sorted(set(WORKER_GRANTS) - tables)
    if missing:
        raise ValueError(f"schema {schema!r} has no table {', '.join(missing)}: run"
                         " `jointops migrate` first")
    sequences = set(conn.execute(
        text("SELECT sequencename FROM pg_sequences WHERE schemaname = :schema"),
        {"schema": schema},
    ).scalars().all())
    inserted = [t for t, rights in WORKER_GRANTS.items() if "INSERT" in rights]
    wanted = {*WORKER_SEQUENCES, *(f"{t}_id_seq" for t in inserted)}
    queue_tables = sorted(t for t in tables if t.startswith(QUEUE_PREFIX)
                          and _NAME.fullmatch(t))
    queue_sequences = sorted(s for s in sequences if s.startswith(QUEUE_PREFIX)
                             and _NAME.fullmatch(s))
    for rights in WORKER_GRANTS.values():
        for right in rights:
            if not _PRIVILEGE.fullmatch(right):
                raise ValueError(f"worker grant {right!r}: not a row privilege")
    statements = [
        # Start from nothing: revoking a table's rights revokes its columns' too.
        f'REVOKE ALL ON ALL TABLES IN SCHEMA "{schema}" FROM "{role}"',
        f'REVOKE ALL ON ALL SEQUENCES IN SCHEMA "{schema}" FROM "{role}"',
        f'ALTER DEFAULT PRIVILEGES IN SCHEMA "{schema}" REVOKE ALL ON TABLES FROM "{role}"',
        f'ALTER DEFAULT PRIVILEGES IN SCHEMA "{schema}" REVOKE ALL ON SEQUENCES'
        f' FROM "{role}"',
        f'ALTER DEFAULT PRIVILEGES REVOKE ALL ON TABLES FROM "{role}"',
        f'ALTER DEFAULT PRIVILEGES REVOKE ALL ON SEQUENCES FROM "{role}"',
        f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"',
        *(f'GRANT {", ".join(rights)} ON "{schema}"."{table}" TO "{role}"'
          for table, rights in WORKER_GRANTS.items()),
        *(f'GRANT {SEQUENCE_RIGHTS} ON SEQUENCE "{schema}"."{name}" TO "{role}"'
          for name in sorted(wanted & sequences)),
        *(f'GRANT {TABLE_RIGHTS} ON "{schema}"."{table}" TO "{role}"'
          for table in queue_tables),
        *(f'GRANT {SEQUENCE_RIGHTS} ON SEQUENCE "{schema}"."{name}" TO "{role}"'
          for name in queue_sequences),
    ]
    return _run_in_turn(conn, statements)


def _checked(conn: Connection, role: str, schema: str | None) -> str:
    """The schema (default: the connection's current one), with both names checked:
    they are spelled into the GRANT statements."""
    schema = schema or conn.execute(text("SELECT current_schema()")).scalar_one()
    for label, name in (("role", role), ("schema", schema)):
        if not _NAME.fullmatch(name):
            raise ValueError(f"{label} {name!r}: use lower-case letters, digits and _ only")
    return schema


def _run_in_turn(conn: Connection, statements: list[str]) -> list[str]:
    # Replicas migrating together grant together: concurrent GRANTs on one object fail
    # ("tuple concurrently updated"), so they take turns under the migrations' lock.
    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    for statement in statements:
        conn.exec_driver_sql(statement)
    return statements
