"""feeds: feed polls in their own table, summarised per token and day after retention

Revision ID: feed_polls_2200
Revises: accounts_security_2120
Create Date: 2026-11-26 22:00:00+00:00

One audit row per feed poll grew the hash-chained trail by thousands of rows a day, and
nothing could be removed from a chain without breaking it. Polls now go to feed_polls;
those written to the trail before this revision stay there, chained.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "feed_polls_2200"
down_revision: str | Sequence[str] | None = "accounts_security_2120"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feed_polls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["token_id"], ["feed_tokens.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_feed_polls_token_id", "feed_polls", ["token_id"])
    op.create_index("ix_feed_polls_at", "feed_polls", ["at"])
    op.create_table(
        "feed_poll_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("polls", sa.Integer(), nullable=False),
        sa.Column("first_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["token_id"], ["feed_tokens.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_id", "day"),
    )


def downgrade() -> None:
    op.drop_table("feed_poll_days")
    op.drop_index("ix_feed_polls_at", table_name="feed_polls")
    op.drop_index("ix_feed_polls_token_id", table_name="feed_polls")
    op.drop_table("feed_polls")
