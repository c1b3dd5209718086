"""notices: in-app notices to officers of amended or cancelled orders, and their emails

Revision ID: notices_0500
Revises: capacity_0500
Create Date: 2026-12-03 05:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "notices_0500"
down_revision: str | Sequence[str] | None = "capacity_0500"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=24)


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("operation_id", sa.String(length=32), nullable=False),
        sa.Column("unit_id", sa.String(length=32), nullable=False),
        sa.Column("kind", _enum("notice_kind", "amended", "cancelled"), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.String(length=4000), nullable=False),
        sa.Column("tlp", _enum("tlp", "RED", "AMBER", "GREEN", "CLEAR"), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("mail_status", _enum("mail_status", "none", "pending", "sent", "failed"),
                  nullable=False),
        sa.Column("mail_attempts", sa.Integer(), nullable=False),
        sa.Column("mail_next_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("mail_error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["operation_id"], ["operations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_notices_operation_id", "notices", ["operation_id"])
    op.create_index("ix_notices_user_unread", "notices", ["user_id", "read_at"])
    op.create_index("ix_notices_mail_due", "notices", ["mail_status", "mail_next_at"])


def downgrade() -> None:
    op.drop_index("ix_notices_mail_due", table_name="notices")
    op.drop_index("ix_notices_user_unread", table_name="notices")
    op.drop_index("ix_notices_operation_id", table_name="notices")
    op.drop_table("notices")
