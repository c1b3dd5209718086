"""feeds: one live token per user and device label, enforced by a partial unique index

Revision ID: feed_token_live_label_2000
Revises: feed_event_blocks_1830
Create Date: 2026-11-26 20:00:00+00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "feed_token_live_label_2000"
down_revision: str | Sequence[str] | None = "feed_event_blocks_1830"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("revoked_at IS NULL")
TOKENS = sa.table(
    "feed_tokens",
    sa.column("id", sa.Integer),
    sa.column("user_id", sa.Integer),
    sa.column("label", sa.String),
    sa.column("revoked_at", app.models.base.UTCDateTime(timezone=True)),
)


def upgrade() -> None:
    # Two quick submits could have made twin live tokens before: keep the newest of each
    # (user, label), or the index cannot be built.
    live = TOKENS.c.revoked_at.is_(None)
    newest = (
        sa.select(sa.func.max(TOKENS.c.id)).where(live).group_by(TOKENS.c.user_id, TOKENS.c.label)
    )
    op.execute(
        TOKENS.update().where(live, TOKENS.c.id.not_in(newest)).values(revoked_at=datetime.now(UTC))
    )
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
