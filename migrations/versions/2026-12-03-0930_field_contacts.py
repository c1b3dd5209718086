"""field contacts: operation commander and radio net, agency duty and liaison officers,
checkpoint contact per crossing (what a tasked unit needs to reach in the field)

Revision ID: field_contacts_0900
Revises: closures_0900
Create Date: 2026-12-03 09:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "field_contacts_0900"
down_revision: str | Sequence[str] | None = "closures_0900"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, length): every one a text that is empty until someone fills it in.
COLUMNS = (
    ("operations", "commander", 200),
    ("operations", "commander_phone", 64),
    ("operations", "radio_net", 200),
    ("agencies", "duty_officer", 200),
    ("agencies", "duty_phone", 64),
    ("agencies", "liaison_name", 200),
    ("agencies", "liaison_phone", 64),
    ("crossings", "checkpoint_contact", 200),
    ("crossings", "checkpoint_phone", 64),
)


def upgrade() -> None:
    for table, column, length in COLUMNS:
        op.add_column(table, sa.Column(column, sa.String(length=length), nullable=False,
                                       server_default=""))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+): a batch rebuild of `operations` would cascade.
    for table, column, _ in reversed(COLUMNS):
        op.drop_column(table, column)
