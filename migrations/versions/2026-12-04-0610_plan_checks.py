"""solver_runs.plan_checks: the worker's check of the plan it stored, for the run page

Each operation's part of the objective, which every web process computed again by
validating each new run's plan, a large part of a run page's first view on the large
board (issue 14). Runs stored before this
have none; the run page validates those itself, as before.

Revision ID: plan_checks_0610
Revises: run_settings_0530
Create Date: 2026-12-04 06:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "plan_checks_0610"
down_revision: str | Sequence[str] | None = "run_settings_0530"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("solver_runs") as batch:
        batch.add_column(sa.Column("plan_checks", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("solver_runs") as batch:
        batch.drop_column("plan_checks")
