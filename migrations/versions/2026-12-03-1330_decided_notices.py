"""notices: a host country's decision on foreign units is told to whoever asked for it

When a host country's liaison confirms or declines the foreign units a plan sends into its
sites (issue 11, consent with eyes open), the planner who asked the hosts (or, when nobody
is known to have asked, the administrators) gets a notice of the new kind
"units_decided": publishing waits for it. `notices.kind` is a VARCHAR with a CHECK
listing the kinds: the CHECK is rebuilt, as in confirm_notices_1300.

Revision ID: decided_notices_1330
Revises: confirm_notices_1300
Create Date: 2026-12-03 13:30:00+00:00
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "decided_notices_1330"
down_revision: str | Sequence[str] | None = "confirm_notices_1300"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = ("amended", "cancelled", "confirm_units")
AFTER = ("amended", "cancelled", "confirm_units", "units_decided")


def _kind(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name="notice_kind", native_enum=False, create_constraint=True,
                   length=24)


def _change_kinds(before: tuple[str, ...], after: tuple[str, ...]) -> None:
    if op.get_bind().dialect.name != "sqlite":
        with op.batch_alter_table("notices") as batch:
            batch.alter_column("kind", existing_type=_kind(before), type_=_kind(after),
                               existing_nullable=False)
        return
    _rebuild_sqlite_check(after)


def _rebuild_sqlite_check(after: tuple[str, ...]) -> None:
    """SQLite cannot alter a CHECK, and a batch copy of the table is not needed to change
    only the list of allowed values: the table's definition is edited in place (see
    confirm_notices_1300 and need_to_know_2110 for why, and SQLite's ALTER TABLE documentation)."""
    bind = op.get_bind()
    table_sql = bind.execute(sa.text(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'notices'")).scalar_one()
    allowed = ", ".join(f"'{value}'" for value in after)
    new_sql, found = re.subn(r"kind IN \([^)]*\)", f"kind IN ({allowed})", table_sql)
    if found != 1:
        raise RuntimeError(f"notices: expected one CHECK on kind, found {found}: {table_sql}")
    version = bind.execute(sa.text("PRAGMA schema_version")).scalar_one()
    bind.execute(sa.text("PRAGMA writable_schema = ON"))
    bind.execute(sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' "
                         "AND name = 'notices'"), {"sql": new_sql})
    bind.execute(sa.text(f"PRAGMA schema_version = {int(version) + 1}"))
    bind.execute(sa.text("PRAGMA writable_schema = OFF"))


def upgrade() -> None:
    _change_kinds(BEFORE, AFTER)


def downgrade() -> None:
    # The decisions themselves stay on the operation page: their notices can go.
    op.execute(sa.text("DELETE FROM notices WHERE kind = 'units_decided'"))
    _change_kinds(AFTER, BEFORE)
