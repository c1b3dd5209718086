"""publish guards: one published plan, no unit in two overlapping active orders

Revision ID: publish_guards_2130
Revises: feed_token_live_label_2000
Create Date: 2026-11-26 21:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "publish_guards_2130"
down_revision: str | Sequence[str] | None = "feed_token_live_label_2000"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Built as app/models/planning.py builds them (copied: a migration stays as written).
UNIT_BUSY = "ex_taskings_unit_busy"
UNIT_BUSY_MESSAGE = "a unit cannot be in two active orders that overlap in time"
POSTGRESQL_UNIT_BUSY = (
    "CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public",
    f"ALTER TABLE taskings ADD CONSTRAINT {UNIT_BUSY} EXCLUDE USING gist "
    "(unit_id WITH =, tstzrange(depart, return_at, '[)') WITH &&) WHERE (status = 'active')",
)
_OVERLAP = (
    "NEW.status = 'active' AND EXISTS (SELECT 1 FROM taskings t WHERE t.unit_id = NEW.unit_id"
    " AND t.status = 'active' AND t.id IS NOT NEW.id AND t.depart < NEW.return_at"
    " AND NEW.depart < t.return_at)"
)
SQLITE_UNIT_BUSY = tuple(
    f"CREATE TRIGGER {UNIT_BUSY}_{when} BEFORE {what} ON taskings WHEN {_OVERLAP} "
    f"BEGIN SELECT RAISE(ABORT, '{UNIT_BUSY}: {UNIT_BUSY_MESSAGE}'); END"
    for when, what in (("insert", "INSERT"),
                       ("update", "UPDATE OF unit_id, depart, return_at, status"))
)
PUBLISHED = sa.text("is_published")
PLANS = sa.table("plans", sa.column("id", sa.Integer), sa.column("is_published", sa.Boolean))


def upgrade() -> None:
    # Interleaved publishes could leave two plans published: the newest one stays.
    newest = sa.select(sa.func.max(PLANS.c.id)).where(PLANS.c.is_published.is_(True))
    op.execute(
        PLANS.update()
        .where(PLANS.c.is_published.is_(True), PLANS.c.id.not_in(newest.scalar_subquery()))
        .values(is_published=False)
    )
    op.create_index(
        "uq_plans_published",
        "plans",
        ["is_published"],
        unique=True,
        sqlite_where=PUBLISHED,
        postgresql_where=PUBLISHED,
    )
    # Double-booked units cannot be mended here (which order is right is a planner's
    # call): the upgrade stops with the constraint's error, naming it.
    statements = (
        SQLITE_UNIT_BUSY if op.get_bind().dialect.name == "sqlite" else POSTGRESQL_UNIT_BUSY
    )
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {UNIT_BUSY}_insert")
        op.execute(f"DROP TRIGGER IF EXISTS {UNIT_BUSY}_update")
    else:
        # btree_gist stays: other databases' objects may use it.
        op.execute(f"ALTER TABLE taskings DROP CONSTRAINT IF EXISTS {UNIT_BUSY}")
    op.drop_index("uq_plans_published", table_name="plans")
