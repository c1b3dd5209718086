"""planning: a solver run may be 'cancelling' (stop asked, the worker keeps the best plan)

Revision ID: planning_1645
Revises: feed_subscriptions_1600
Create Date: 2026-11-26 16:45:00+00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'planning_1645'
down_revision: str | Sequence[str] | None = 'feed_subscriptions_1600'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = ('queued', 'running', 'succeeded', 'failed', 'cancelled')
NEW = ('queued', 'running', 'cancelling', 'succeeded', 'failed', 'cancelled')
NAME = 'ck_solver_runs_run_status'


def _status_check(values: tuple[str, ...]) -> str:
    return "status IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _swap(values: tuple[str, ...]) -> None:
    # The enum is a VARCHAR with a CHECK (portable enums): only the CHECK changes.
    with op.batch_alter_table('solver_runs', schema=None) as batch_op:
        batch_op.drop_constraint(op.f(NAME), type_='check')
        batch_op.create_check_constraint(op.f(NAME), sa.text(_status_check(values)))


def upgrade() -> None:
    _swap(NEW)


def downgrade() -> None:
    op.execute("UPDATE solver_runs SET status = 'cancelled' WHERE status = 'cancelling'")
    _swap(OLD)
