"""users.totp_algorithm: the HMAC hash each TOTP enrolment uses

ASVS 5.0 11.4.1: SHA-1 may only verify existing material, so new enrolments use
HMAC-SHA-256 (JOINTOPS_TOTP_ALGORITHM=SHA1 for a fleet whose authenticator app has no
SHA-256). Every secret enrolled so far makes HMAC-SHA1 codes, which the backfill records;
those users keep signing in with their app until they enrol again. The downgrade refuses
to drop the column while a user is enrolled with another hash: the schema before this
one would check their codes with SHA-1 and refuse them all.

Revision ID: totp_algorithm_1400
Revises: plan_checks_0610
Create Date: 2026-12-04 14:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "totp_algorithm_1400"
down_revision: str | Sequence[str] | None = "plan_checks_0610"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN on both backends: a batch on SQLite may copy and drop `users`, and
    # dropping it deletes the rows that cascade from it (feed tokens, sessions).
    op.add_column("users", sa.Column("totp_algorithm", sa.String(length=8), nullable=True))
    op.execute("UPDATE users SET totp_algorithm = 'sha1' WHERE totp_secret IS NOT NULL")


def downgrade() -> None:
    others = op.get_bind().execute(sa.text(
        "SELECT count(*) FROM users WHERE totp_secret IS NOT NULL"
        " AND totp_algorithm <> 'sha1'")).scalar()
    if others:
        raise RuntimeError(f"{others} user(s) enrolled TOTP with another hash than SHA-1; the"
                           " schema before totp_algorithm_1400 would refuse their codes:"
                           " remove their second factor first (Remove two-step sign-in, on"
                           " each one's admin page), and they enrol again after the downgrade")
    # DROP COLUMN (SQLite 3.35+) rather than a batch copy of `users`, as above.
    op.drop_column("users", "totp_algorithm")
