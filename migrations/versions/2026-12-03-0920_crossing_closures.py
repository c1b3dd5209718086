"""crossing closures: whole local days a border crossing is closed, with the reason

Revision ID: closures_0900
Revises: escortfeeds_0900
Create Date: 2026-12-03 09:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "closures_0900"
down_revision: str | Sequence[str] | None = "escortfeeds_0900"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "crossing_closures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("crossing_id", sa.String(length=32), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends_on >= starts_on", name="ordered"),
        sa.ForeignKeyConstraint(["crossing_id"], ["crossings.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_crossing_closures_crossing_id", "crossing_closures", ["crossing_id"])


def downgrade() -> None:
    op.drop_index("ix_crossing_closures_crossing_id", table_name="crossing_closures")
    op.drop_table("crossing_closures")
