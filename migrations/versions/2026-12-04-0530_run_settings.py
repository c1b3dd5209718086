"""solver_runs.time_limit and .seed: a raid run's settings in columns of their own

The run lists (the planning page and its 2-second poll) show each run's time limit and
seed. Read out of the `params` JSON, the database decoded each run's whole parameters,
every pinned operation's assignments included: three quarters of that poll's time under
the load benchmark (issue 14). The values stay in `params` too, which the worker reads.
The upgrade copies them from `params` of every run that has them.

Revision ID: run_settings_0530
Revises: audit_hash_alg_0200
Create Date: 2026-12-04 05:30:00+00:00
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "run_settings_0530"
down_revision: str | Sequence[str] | None = "audit_hash_alg_0200"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RUNS = sa.table("solver_runs", sa.column("id", sa.Integer), sa.column("params", sa.JSON),
                sa.column("time_limit", sa.Float), sa.column("seed", sa.Integer))


def _number(params: dict[str, Any], key: str, kind: type) -> Any:
    value = params.get(key)
    try:
        return None if value is None else kind(value)
    except (TypeError, ValueError):
        return None  # a hand-edited row: the list shows nothing rather than failing


def upgrade() -> None:
    with op.batch_alter_table("solver_runs") as batch:
        batch.add_column(sa.Column("time_limit", sa.Float(), nullable=True))
        batch.add_column(sa.Column("seed", sa.Integer(), nullable=True))
    bind = op.get_bind()
    # One run at a time: a run's parameters may be megabytes (its pinned assignments).
    ids = bind.execute(sa.select(RUNS.c.id)).scalars().all()
    for run_id in ids:
        params = bind.execute(sa.select(RUNS.c.params).where(RUNS.c.id == run_id)).scalar()
        if isinstance(params, str):  # a driver that hands JSON back as text
            params = json.loads(params)
        params = params if isinstance(params, dict) else {}
        bind.execute(RUNS.update().where(RUNS.c.id == run_id).values(
            time_limit=_number(params, "time_limit", float),
            seed=_number(params, "seed", int)))


def downgrade() -> None:
    with op.batch_alter_table("solver_runs") as batch:
        batch.drop_column("seed")
        batch.drop_column("time_limit")
