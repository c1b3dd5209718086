"""capabilities: the managed list the operation form offers, filled from what units and
requirements already name (their strings stay as they are)

Revision ID: capabilities_0910
Revises: field_contacts_0900
Create Date: 2026-12-03 09:10:00+00:00
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "capabilities_0910"
down_revision: str | Sequence[str] | None = "field_contacts_0900"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "capabilities",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    bind = op.get_bind()
    used = bind.execute(sa.text("SELECT DISTINCT capability FROM requirements"))
    names = {row[0] for row in used}
    for (value,) in bind.execute(sa.text("SELECT capabilities FROM units")):
        listed = json.loads(value) if isinstance(value, str) else value
        names.update(listed or [])
    names = {n.strip() for n in names if isinstance(n, str) and n.strip()}
    if names:
        op.bulk_insert(table, [{"name": n[:64], "description": "", "version": 1}
                               for n in sorted(names)])


def downgrade() -> None:
    op.drop_table("capabilities")
