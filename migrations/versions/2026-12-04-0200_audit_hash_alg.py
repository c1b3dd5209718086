"""audit_events.hash_alg: each row names the hash its chain link was made with

ASVS 5.0 11.2.2 (crypto agility): `jointops audit verify` hashes each row with the
algorithm it names (app.audit.HASHES), so a new algorithm (JOINTOPS_AUDIT_HASH_ALGORITHM)
can chain new rows while the old ones still verify. Every row written so far was chained
with SHA-256, which the server default records. The downgrade refuses to drop the column
while a row names another algorithm: those rows would no longer verify.

Revision ID: audit_hash_alg_0200
Revises: initial_passwords_0130
Create Date: 2026-12-04 02:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "audit_hash_alg_0200"
down_revision: str | Sequence[str] | None = "initial_passwords_0130"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("hash_alg", sa.String(length=16), nullable=False,
                                   server_default="sha256"))


def downgrade() -> None:
    others = op.get_bind().execute(
        sa.text("SELECT count(*) FROM audit_events WHERE hash_alg <> 'sha256'")).scalar()
    if others:
        raise RuntimeError(f"{others} audit row(s) are chained with another hash than SHA-256;"
                           " the schema before audit_hash_alg_0200 cannot verify them")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("hash_alg")
