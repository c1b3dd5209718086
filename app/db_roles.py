"""Least-privilege database roles on PostgreSQL (ASVS 5.0 13.2.2).

The owner role (JOINTOPS_MIGRATION_DATABASE_URL) owns the schema and runs `jointops
migrate` and `restore`; the board and its workers connect as a role that may only read
and change rows. `grant_board_role` gives that role what the board needs, now and for
every table and sequence the owner creates later, and nothing more: it cannot create,
alter or drop anything.
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
    schema = schema or conn.execute(text("SELECT current_schema()")).scalar_one()
    for label, name in (("role", role), ("schema", schema)):
        if not _NAME.fullmatch(name):
            raise ValueError(f"{label} {name!r}: use lower-case letters, digits and _ only")
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
    # Replicas migrating together grant together: concurrent GRANTs on one object fail
    # ("tuple concurrently updated"), so they take turns under the migrations' lock.
    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    for statement in statements:
        conn.exec_driver_sql(statement)
    return statements
