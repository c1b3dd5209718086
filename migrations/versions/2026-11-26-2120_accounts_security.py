"""accounts: sign-in counters, TOTP and recovery codes, session use, hash-chained audit

Revision ID: accounts_security_2120
Revises: publish_guards_2130
Create Date: 2026-11-26 21:20:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base
from app.audit import GENESIS, row_hash

revision: str = "accounts_security_2120"
down_revision: str | Sequence[str] | None = "publish_guards_2130"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DT = app.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sign_in_counters",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("window_start", UTC_DT, nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sign_in_counters")),
    )
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", UTC_DT, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_recovery_codes_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
    )
    op.create_index(op.f("ix_recovery_codes_user_id"), "recovery_codes", ["user_id"])
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("user_sessions") as batch:
        batch.add_column(sa.Column("last_used_at", UTC_DT, nullable=True))
        batch.add_column(sa.Column("user_agent", sa.String(length=255), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("address", sa.String(length=64), nullable=False,
                                   server_default=""))
    with op.batch_alter_table("user_sessions") as batch:
        batch.alter_column("user_agent", server_default=None)
        batch.alter_column("address", server_default=None)
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("address", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("row_hash", sa.String(length=64), nullable=False,
                                   server_default=""))
    with op.batch_alter_table("audit_events") as batch:
        batch.alter_column("prev_hash", server_default=None)
        batch.alter_column("row_hash", server_default=None)
    _chain_existing_rows()


def _chain_existing_rows() -> None:
    # The trail so far joins the chain as it stands: from here on, edits are detectable.
    events = sa.table(
        "audit_events",
        sa.column("id", sa.Integer), sa.column("at", UTC_DT), sa.column("actor_id", sa.Integer),
        sa.column("action", sa.String), sa.column("object_type", sa.String),
        sa.column("object_id", sa.String), sa.column("address", sa.String),
        sa.column("details", sa.JSON), sa.column("prev_hash", sa.String),
        sa.column("row_hash", sa.String),
    )
    conn = op.get_bind()
    prev = GENESIS
    rows = conn.execute(sa.select(events).order_by(events.c.id)).mappings().all()
    for row in rows:
        digest = row_hash(prev, dict(row))
        conn.execute(events.update().where(events.c.id == row["id"])
                     .values(prev_hash=prev, row_hash=digest))
        prev = digest


def downgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("row_hash")
        batch.drop_column("prev_hash")
        batch.drop_column("address")
    with op.batch_alter_table("user_sessions") as batch:
        batch.drop_column("address")
        batch.drop_column("user_agent")
        batch.drop_column("last_used_at")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("totp_last_step")
        batch.drop_column("totp_secret")
    op.drop_index(op.f("ix_recovery_codes_user_id"), table_name="recovery_codes")
    op.drop_table("recovery_codes")
    op.drop_table("sign_in_counters")
