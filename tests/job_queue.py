"""procrastinate's schema for test databases built from the models (PostgreSQL only)."""

from __future__ import annotations

from sqlalchemy import Engine

from app.config import ROOT

SCHEMA = ROOT / "migrations" / "sql" / "procrastinate-3.10.0.sql"


def create_job_queue(engine: Engine) -> None:
    """Create the job queue's tables and functions, as the migrations do on PostgreSQL."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        # Passed to psycopg as it is, with a (empty) parameter list: a literal % is %%.
        conn.exec_driver_sql(SCHEMA.read_text(encoding="utf-8").replace("%", "%%"))
