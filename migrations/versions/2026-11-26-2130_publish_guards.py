"""publish guards: one published plan, no unit in two overlapping active orders;
idempotent creates; versions of admin-edited rows

Revision ID: publish_guards_2130
Revises: need_to_know_2110
Create Date: 2026-11-26 21:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "publish_guards_2130"
down_revision: str | Sequence[str] | None = "need_to_know_2110"
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
VERSIONED = ("units", "regions", "crossings", "agencies", "users")
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
    op.create_table(
        "idempotent_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_idempotent_requests_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotent_requests")),
        sa.UniqueConstraint("user_id", "key", name=op.f("uq_idempotent_requests_user_id_key")),
    )
    op.create_index(op.f("ix_idempotent_requests_created_at"), "idempotent_requests",
                    ["created_at"])
    op.create_index(op.f("ix_idempotent_requests_user_id"), "idempotent_requests", ["user_id"])
    # Every existing row starts at version 1, as a new one does.
    for table in VERSIONED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("version", sa.Integer(), server_default="1",
                                       nullable=False))


def downgrade() -> None:
    for table in VERSIONED:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
    op.drop_table("idempotent_requests")
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {UNIT_BUSY}_insert")
        op.execute(f"DROP TRIGGER IF EXISTS {UNIT_BUSY}_update")
    else:
        # btree_gist stays: other databases' objects may use it.
        op.execute(f"ALTER TABLE taskings DROP CONSTRAINT IF EXISTS {UNIT_BUSY}")
    op.drop_index("uq_plans_published", table_name="plans")
