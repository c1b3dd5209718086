"""board_revision: the PostgreSQL sequence that moves after each committed board change
(app/revision.py), so derived pages (the run review) are kept until the board changes

Revision ID: board_revision_1250
Revises: unit_confirmations_1215
Create Date: 2026-12-03 12:50:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "board_revision_1250"
down_revision: str | Sequence[str] | None = "unit_confirmations_1215"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SQLite keeps the revision in the process: nothing to create there.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE IF NOT EXISTS board_revision")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE IF EXISTS board_revision")
