"""escort trips as calendar events (stable uid, sequence, updated_at, cancelled_at);
pinned hand-over batches

Revision ID: escortfeeds_0900
Revises: cordons_0900
Create Date: 2026-12-03 09:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "escortfeeds_0900"
down_revision: str | Sequence[str] | None = "cordons_0900"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("escort_trips", schema=None) as batch_op:
        batch_op.add_column(sa.Column("uid", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("sequence", sa.Integer(), nullable=False,
                                      server_default="0"))
        batch_op.add_column(sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column("cancelled_at",
                                      app.models.base.UTCDateTime(timezone=True), nullable=True))
    # Trips published before this revision: a uid of their own, changed when published.
    op.execute("UPDATE escort_trips SET uid = 'escort-trip-' || CAST(id AS VARCHAR(20)) "
               "|| '@jointops'")
    op.execute("UPDATE escort_trips SET updated_at = (SELECT COALESCE(p.published_at, "
               "p.created_at) FROM repatriation_plans p WHERE p.id = escort_trips.plan_id)")
    with op.batch_alter_table("escort_trips", schema=None) as batch_op:
        batch_op.alter_column("uid", existing_type=sa.String(length=100), nullable=False)
        batch_op.alter_column("updated_at",
                              existing_type=app.models.base.UTCDateTime(timezone=True),
                              nullable=False)
        batch_op.alter_column("sequence", existing_type=sa.Integer(), server_default=None)
        batch_op.create_unique_constraint(batch_op.f("uq_escort_trips_uid"), ["uid"])
    with op.batch_alter_table("handover_batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pinned", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table("handover_batches", schema=None) as batch_op:
        batch_op.alter_column("pinned", existing_type=sa.Boolean(), server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("handover_batches", schema=None) as batch_op:
        batch_op.drop_column("pinned")
    with op.batch_alter_table("escort_trips", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_escort_trips_uid"), type_="unique")
        batch_op.drop_column("cancelled_at")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("sequence")
        batch_op.drop_column("uid")
