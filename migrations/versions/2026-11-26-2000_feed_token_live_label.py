"""feeds: one live token per user and device label, enforced by a partial unique index

Revision ID: feed_token_live_label_2000
Revises: feed_event_blocks_1830
Create Date: 2026-11-26 20:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "feed_token_live_label_2000"
down_revision: str | Sequence[str] | None = "feed_event_blocks_1830"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("revoked_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "uq_feed_tokens_live_label",
        "feed_tokens",
        ["user_id", "label"],
        unique=True,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )


def downgrade() -> None:
    op.drop_index("uq_feed_tokens_live_label", table_name="feed_tokens")
