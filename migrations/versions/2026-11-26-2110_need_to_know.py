"""users: the coordinator role (the joint coordination centre plans the whole board)

Revision ID: need_to_know_2110
Revises: procrastinate_2105
Create Date: 2026-11-26 21:10:00+00:00
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "need_to_know_2110"
down_revision: str | Sequence[str] | None = "procrastinate_2105"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = ("admin", "planner", "liaison", "unit_officer")
AFTER = ("admin", "planner", "coordinator", "liaison", "unit_officer")


def _role(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name="role", native_enum=False, create_constraint=True, length=24)


def _change_roles(before: tuple[str, ...], after: tuple[str, ...]) -> None:
    """The role is a VARCHAR with a CHECK listing the values: the CHECK is rebuilt."""
    if op.get_bind().dialect.name != "sqlite":
        with op.batch_alter_table("users") as batch:
            batch.alter_column("role", existing_type=_role(before), type_=_role(after),
                               existing_nullable=False)
        return
    _rebuild_sqlite_check(after)


def _rebuild_sqlite_check(after: tuple[str, ...]) -> None:
    """SQLite cannot alter a CHECK, and a batch copy of `users` drops the table, which
    with foreign keys on (they cannot be turned off inside the migration's transaction)
    cascades to sessions and feed tokens. Only the list of allowed values changes, not
    the stored rows, so the table's definition is edited in place: the way SQLite's own
    documentation gives for such changes (ALTER TABLE, "other kinds of schema changes").
    """
    bind = op.get_bind()
    table_sql = bind.execute(sa.text(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'")).scalar_one()
    allowed = ", ".join(f"'{value}'" for value in after)
    new_sql, found = re.subn(r"role IN \([^)]*\)", f"role IN ({allowed})", table_sql)
    if found != 1:
        raise RuntimeError(f"users: expected one CHECK on role, found {found}: {table_sql}")
    version = bind.execute(sa.text("PRAGMA schema_version")).scalar_one()
    bind.execute(sa.text("PRAGMA writable_schema = ON"))
    bind.execute(sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' "
                         "AND name = 'users'"), {"sql": new_sql})
    bind.execute(sa.text(f"PRAGMA schema_version = {int(version) + 1}"))
    bind.execute(sa.text("PRAGMA writable_schema = OFF"))


def upgrade() -> None:
    _change_roles(BEFORE, AFTER)


def downgrade() -> None:
    # Coordinators become agency-less planners: they then see nothing, rather than all.
    op.execute(sa.text("UPDATE users SET role = 'planner' WHERE role = 'coordinator'"))
    _change_roles(AFTER, BEFORE)
