"""Alembic environment: the database URL comes from app settings, the schema from app.models."""

from alembic import context
from sqlalchemy import text
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers every table on the metadata)
from app.config import get_settings
from app.db import MIGRATION_LOCK_KEY, make_engine

target_metadata = SQLModel.metadata


def _url() -> str:
    # A connection handed in by a caller (tests) wins over the settings. Migrations run
    # as the owner role when one is configured: the board's own role may lack DDL rights.
    settings = get_settings()
    return (context.config.get_main_option("sqlalchemy.url")
            or settings.migration_database_url or settings.database_url)


def run_migrations_offline() -> None:
    """Emit SQL to stdout without a database."""
    context.configure(
        url=_url(), target_metadata=target_metadata, literal_binds=True, compare_type=True
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_with(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate a live database."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run_with(connection)
        return
    engine = make_engine(_url())
    with engine.connect() as conn:
        _run_with(conn)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
