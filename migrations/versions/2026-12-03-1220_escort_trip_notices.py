"""escort trip notices: a notice may be about an escort trip, which has no operation

Officers of an escort unit get a notice when a republished hand-over plan moves or
cancels one of their unit's trips, as raid orders already do; such a notice has no
operation, so `notices.operation_id` may be NULL.

Revision ID: escort_notices_1220
Revises: retired_uids_0900
Create Date: 2026-12-03 12:20:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "escort_notices_1220"
down_revision: str | Sequence[str] | None = "retired_uids_0900"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notices") as batch:
        batch.alter_column("operation_id", existing_type=sa.String(length=32), nullable=True)


def downgrade() -> None:
    # Notices of escort trips have no operation to keep: they go.
    op.execute("DELETE FROM notices WHERE operation_id IS NULL")
    with op.batch_alter_table("notices") as batch:
        batch.alter_column("operation_id", existing_type=sa.String(length=32), nullable=False)
