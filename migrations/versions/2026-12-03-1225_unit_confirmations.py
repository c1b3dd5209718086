"""unit_confirmations: a host country's confirmation of the actual foreign units a plan
sends into its sites, which publishing needs (issue 11, consent with eyes open)

Revision ID: unit_confirmations_1215
Revises: escort_notices_1220
Create Date: 2026-12-03 12:15:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "unit_confirmations_1215"
down_revision: str | Sequence[str] | None = "escort_notices_1220"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "unit_confirmations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operation_id", sa.String(length=32), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("unit_key", sa.String(length=4000), nullable=False),
        sa.Column("units", sa.JSON(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decision", sa.Enum("approved", "declined", name="decision", native_enum=False,
                                      create_constraint=True, length=24), nullable=True),
        sa.Column("reason", sa.String(length=2000), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["country_code"], ["countries.code"],
                                name=op.f("fk_unit_confirmations_country_code_countries")),
        sa.ForeignKeyConstraint(["operation_id"], ["operations.id"], ondelete="CASCADE",
                                name=op.f("fk_unit_confirmations_operation_id_operations")),
        sa.ForeignKeyConstraint(["requested_by_id"], ["users.id"],
                                name=op.f("fk_unit_confirmations_requested_by_id_users")),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"],
                                name=op.f("fk_unit_confirmations_decided_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_confirmations")),
    )
    with op.batch_alter_table("unit_confirmations") as batch_op:
        batch_op.create_index(batch_op.f("ix_unit_confirmations_operation_id"),
                              ["operation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_unit_confirmations_country_code"),
                              ["country_code"], unique=False)


def downgrade() -> None:
    op.drop_table("unit_confirmations")
