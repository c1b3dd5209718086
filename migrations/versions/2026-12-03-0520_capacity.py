"""capacity: mutual-support offers of units for a campaign phase, and the "what would
help most" analyses (each one background solver run)

Revision ID: capacity_0500
Revises: repatboard_2300
Create Date: 2026-12-03 05:00:00+00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models.base

revision: str = "capacity_0500"
down_revision: str | Sequence[str] | None = "repatboard_2300"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "support_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phase_id", sa.Integer(), nullable=False),
        sa.Column("from_agency_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("to_country", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("unit_ids", sa.JSON(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("state", sa.Enum("offered", "accepted", "declined", "withdrawn",
                                   name="offer_state", native_enum=False,
                                   create_constraint=True, length=24), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("decision_reason", sqlmodel.sql.sqltypes.AutoString(length=2000),
                  nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["phase_id"], ["campaign_phases.id"], ondelete="CASCADE",
                                name=op.f("fk_support_offers_phase_id_campaign_phases")),
        sa.ForeignKeyConstraint(["from_agency_id"], ["agencies.id"],
                                name=op.f("fk_support_offers_from_agency_id_agencies")),
        sa.ForeignKeyConstraint(["to_country"], ["countries.code"],
                                name=op.f("fk_support_offers_to_country_countries")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_support_offers_created_by_id_users")),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"],
                                name=op.f("fk_support_offers_decided_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_offers")),
    )
    with op.batch_alter_table("support_offers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_support_offers_phase_id"), ["phase_id"])
        batch_op.create_index(batch_op.f("ix_support_offers_from_agency_id"),
                              ["from_agency_id"])
        batch_op.create_index(batch_op.f("ix_support_offers_to_country"), ["to_country"])
    op.create_table(
        "capacity_analyses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("solver_run_id", sa.Integer(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], ondelete="CASCADE",
                                name=op.f("fk_capacity_analyses_campaign_id_campaigns")),
        sa.ForeignKeyConstraint(["solver_run_id"], ["solver_runs.id"], ondelete="CASCADE",
                                name=op.f("fk_capacity_analyses_solver_run_id_solver_runs")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_capacity_analyses_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capacity_analyses")),
        sa.UniqueConstraint("solver_run_id", name=op.f("uq_capacity_analyses_solver_run_id")),
    )
    with op.batch_alter_table("capacity_analyses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_capacity_analyses_campaign_id"), ["campaign_id"])


def downgrade() -> None:
    with op.batch_alter_table("capacity_analyses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_capacity_analyses_campaign_id"))
    op.drop_table("capacity_analyses")
    with op.batch_alter_table("support_offers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_offers_to_country"))
        batch_op.drop_index(batch_op.f("ix_support_offers_from_agency_id"))
        batch_op.drop_index(batch_op.f("ix_support_offers_phase_id"))
    op.drop_table("support_offers")
