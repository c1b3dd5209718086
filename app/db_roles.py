"""Least-privilege database roles on PostgreSQL (ASVS 5.0 13.2.2).

The owner role (JOINTOPS_MIGRATION_DATABASE_URL) owns the schema and runs `jointops
migrate` and `restore`; the board and its workers connect as a role that may only read
and change rows. `grant_board_role` gives that role what the board needs, now and for
every table and sequence the owner creates later, and nothing more: it cannot create,
alter or drop anything.

The solver workers connect as a narrower role still (ASVS 5.0 13.2.1):
`grant_worker_role` lets it read the board but write only what a worker writes.
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


# What a solver worker writes (app/planning/worker.py, app/planning/queue.py), and
# nothing else: runs and their progress, plans, capacity analyses, and retention's
# clean-up (app/retention.py) of sessions, sign-in counters and feed polls. Everything
# else it may only read.
WORKER_WRITES = {
    "solver_runs": "UPDATE",
    "plans": "INSERT",
    "capacity_analyses": "UPDATE",
    "user_sessions": "DELETE",
    "sign_in_counters": "DELETE",
    "feed_polls": "DELETE",
    "feed_poll_days": "INSERT, UPDATE",
}
# procrastinate's tables (procrastinate_*, the job queue): the worker takes, finishes
# and defers jobs.


def grant_worker_role(conn: Connection, *, role: str, schema: str | None = None) -> list[str]:
    """Run as the owner, after the migrations: let the solver worker's `role` read the
    board's tables in `schema` and write only WORKER_WRITES and the job queue's tables.
    Returns the statements run."""
    schema = _checked(conn, role, schema)
    tables = set(conn.execute(
        text("SELECT tablename FROM pg_tables WHERE schemaname = :schema"),
        {"schema": schema},
    ).scalars().all())
    missing = sorted(set(WORKER_WRITES) - tables)
    if missing:
        raise ValueError(f"schema {schema!r} has no table {', '.join(missing)}: run"
                         " `jointops migrate` first")
    queue_tables = sorted(t for t in tables if t.startswith("procrastinate_"))
    statements = [
        f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"',
        f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"',
        f'GRANT {SEQUENCE_RIGHTS} ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{role}"',
        *(f'GRANT {rights} ON "{schema}"."{table}" TO "{role}"'
          for table, rights in WORKER_WRITES.items()),
        *(f'GRANT {TABLE_RIGHTS} ON "{schema}"."{table}" TO "{role}"'
          for table in queue_tables if _NAME.fullmatch(table)),
        # A table a later migration creates is readable; writing it needs a new grant here.
        f'ALTER DEFAULT PRIVILEGES IN SCHEMA "{schema}" GRANT SELECT ON TABLES TO "{role}"',
        f'ALTER DEFAULT PRIVILEGES IN SCHEMA "{schema}" GRANT {SEQUENCE_RIGHTS} ON SEQUENCES'
        f' TO "{role}"',
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
