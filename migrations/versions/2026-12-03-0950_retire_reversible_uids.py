"""retire reversible calendar UIDs: taskings issued under the uuid5 scheme get a random UID

Before issue 10 (finding 11) a tasking's calendar UID was
uuid5(NAMESPACE_URL, "jointops/<operation>/<unit>"), which anyone holding a TLP:RED
"Busy" event could match against guessed operation and unit ids. Orders issued then kept
that UID. This gives each of them a new random UID and keeps the old one in
`retired_uid`, with the time of the change in `uid_retired_at`: for the feed grace period
the feeds of tokens that existed then carry a CANCELLED event under the old UID, so a
subscriber's calendar drops the old entry instead of keeping a stale duplicate
(app/feeds/service.py, `_retired_blocks`).

Revision ID: retired_uids_0900
Revises: capabilities_0910
Create Date: 2026-12-03 09:00:00+00:00
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "retired_uids_0900"
down_revision: str | Sequence[str] | None = "capabilities_0910"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def legacy_uid(operation_id: str, unit_id: str) -> str:
    """The reversible UID orders were issued with before finding 11 was fixed."""
    return f"{uuid.uuid5(uuid.NAMESPACE_URL, f'jointops/{operation_id}/{unit_id}')}@jointops"


def upgrade() -> None:
    op.add_column("taskings", sa.Column("retired_uid", sa.String(length=100), nullable=True))
    op.add_column(
        "taskings",
        sa.Column("uid_retired_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
    )
    taskings = sa.table(
        "taskings",
        sa.column("id", sa.Integer()),
        sa.column("uid", sa.String()),
        sa.column("operation_id", sa.String()),
        sa.column("unit_id", sa.String()),
        sa.column("retired_uid", sa.String()),
        sa.column("uid_retired_at", app.models.base.UTCDateTime(timezone=True)),
        sa.column("updated_at", app.models.base.UTCDateTime(timezone=True)),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(taskings.c.id, taskings.c.uid, taskings.c.operation_id, taskings.c.unit_id)
    ).all()
    now = datetime.now(UTC)
    for row in rows:
        if row.uid != legacy_uid(row.operation_id, row.unit_id):
            continue
        # Random, not a keyed hash: the UID is stored, nothing needs to derive it again,
        # and no key (or a placeholder one at migration time) can give it away.
        bind.execute(
            taskings.update()
            .where(taskings.c.id == row.id)
            .values(
                uid=f"{uuid.uuid4()}@jointops",
                retired_uid=row.uid,
                uid_retired_at=now,
                updated_at=now,
            )
        )


def downgrade() -> None:
    # The new UIDs stay: handing the reversible ones back out would undo the point.
    with op.batch_alter_table("taskings") as batch:
        batch.drop_column("uid_retired_at")
        batch.drop_column("retired_uid")
