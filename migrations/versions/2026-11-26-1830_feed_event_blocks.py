"""feeds: rendered calendar events kept by content key, shared and kept across restarts

Revision ID: feed_event_blocks_1830
Revises: planning_1645
Create Date: 2026-11-26 18:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "feed_event_blocks_1830"
down_revision: str | Sequence[str] | None = "planning_1645"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feed_event_blocks",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("block", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_feed_event_blocks")),
    )
    op.create_index(
        op.f("ix_feed_event_blocks_created_at"), "feed_event_blocks", ["created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_feed_event_blocks_created_at"), table_name="feed_event_blocks")
    op.drop_table("feed_event_blocks")
