"""planning: solver runs carry their attempt's lease (fencing) and their attempt count

Revision ID: solver_lease_2100
Revises: feed_token_live_label_2000
Create Date: 2026-11-26 21:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "solver_lease_2100"
down_revision: str | Sequence[str] | None = "feed_token_live_label_2000"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("solver_runs") as batch:
        batch.add_column(sa.Column("lease", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("solver_runs") as batch:
        batch.drop_column("attempts")
        batch.drop_column("lease")
