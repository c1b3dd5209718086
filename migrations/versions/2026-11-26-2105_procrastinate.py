"""planning: procrastinate's job queue (PostgreSQL only), which dispatches solver runs

Revision ID: procrastinate_2105
Revises: solver_lease_2100
Create Date: 2026-11-26 21:05:00+00:00

The schema is procrastinate 3.10.0's own, kept beside the migrations
(migrations/sql/procrastinate-3.10.0.sql) so this revision builds the same database
whatever procrastinate is installed; a procrastinate upgrade comes with a revision that
applies its migration scripts. SQLite has no job queue: its worker polls solver_runs.
"""

from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "procrastinate_2105"
down_revision: str | Sequence[str] | None = "solver_lease_2100"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = Path(__file__).resolve().parent.parent / "sql" / "procrastinate-3.10.0.sql"

DROP = """
DROP TABLE IF EXISTS procrastinate_periodic_defers, procrastinate_events,
    procrastinate_jobs, procrastinate_workers CASCADE;
DO $$
DECLARE
    routine regprocedure;
BEGIN
    FOR routine IN
        SELECT p.oid::regprocedure FROM pg_proc p
        WHERE p.proname LIKE 'procrastinate\\_%'
          AND p.pronamespace = current_schema()::regnamespace
    LOOP
        EXECUTE 'DROP FUNCTION ' || routine || ' CASCADE';
    END LOOP;
END;
$$;
DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_event_type,
    procrastinate_job_status CASCADE;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _run_script(SCHEMA.read_text(encoding="utf-8"))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _run_script(DROP)


def _run_script(sql: str) -> None:
    # Passed to psycopg as it is, with a (empty) parameter list: a literal % is %%.
    op.get_bind().exec_driver_sql(sql.replace("%", "%%"))
