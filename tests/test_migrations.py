"""The migrations build exactly the schema the models describe, on each backend."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

import app.models  # noqa: F401
from app.config import ROOT


def _alembic_config() -> Config:
    return Config(str(ROOT / "alembic.ini"))


def test_upgrade_head_matches_models(migration_engine: Engine) -> None:
    config = _alembic_config()
    with migration_engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    with migration_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
        tables = set(inspect(conn).get_table_names())
    assert diff == []
    assert set(SQLModel.metadata.tables) <= tables


def test_downgrade_base_removes_everything(migration_engine: Engine) -> None:
    config = _alembic_config()
    with migration_engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        command.downgrade(config, "base")
    with migration_engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
