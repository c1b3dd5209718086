"""fieldmap: positions of sites and border crossings for the maps

Sites get an optional point (picked on the map or typed); crossings an optional point
(otherwise the maps put a crossing half-way between the regions it joins). Unit bases
are their base region's point, which regions have had from the start.

Plain ADD/DROP COLUMN, no CHECK constraint and no batch mode: on SQLite a batch
rebuild drops and recreates the table, and with foreign keys on, dropping `sites`
would cascade to its requirements. The forms and schemas check ranges and pairs.

Revision ID: fieldmap_0500
Revises: campaigns_2150
Create Date: 2026-12-03 05:00:00+00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "fieldmap_0500"
down_revision: str | Sequence[str] | None = "campaigns_2150"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("sites", "crossings")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("lat", sa.Float(), nullable=True))
        op.add_column(table, sa.Column("lon", sa.Float(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "lon")
        op.drop_column(table, "lat")
