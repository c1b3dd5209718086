"""Fixtures shared by every test: databases on SQLite or PostgreSQL, sessions, clients.

JOINTOPS_TEST_DATABASE_URL selects the backend (default: a temporary SQLite file).
On PostgreSQL each test session works in a fresh schema that is dropped at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

import app.models  # noqa: F401  (registers the tables)
from app.db import make_engine

DB_FIXTURES = {"engine", "session", "client", "migration_engine", "world"}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "db: uses a database (run again on PostgreSQL)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that touches a database, so `pytest -m db` reruns them on PostgreSQL."""
    for item in items:
        if DB_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)


def _test_url() -> str | None:
    return os.environ.get("JOINTOPS_TEST_DATABASE_URL") or None


def _scratch_engine(tmp_dir: Path, prefix: str) -> tuple[Engine, str | None]:
    """A new empty database: a SQLite file, or a fresh schema on the PostgreSQL test URL."""
    url = _test_url()
    if url is None or make_url(url).get_backend_name() == "sqlite":
        return make_engine(f"sqlite:///{tmp_dir / (prefix + '.db')}"), None
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return make_engine(url, connect_args={"options": f"-csearch_path={schema}"}), schema


def _drop_scratch(engine: Engine, schema: str | None) -> None:
    engine.dispose()
    url = _test_url()
    if schema is not None and url is not None:
        admin = make_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The test database with every table created from the models (once per run)."""
    eng, schema = _scratch_engine(tmp_path_factory.mktemp("db"), "jt_test")
    SQLModel.metadata.create_all(eng)
    yield eng
    _drop_scratch(eng, schema)


@pytest.fixture
def migration_engine(tmp_path: Path) -> Iterator[Engine]:
    """An empty database of its own, for migration tests."""
    eng, schema = _scratch_engine(tmp_path, "jt_mig")
    yield eng
    _drop_scratch(eng, schema)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside one outer transaction that is rolled back after the test.

    Commits made by the code under test only release a SAVEPOINT, so nothing leaks
    into the next test, on either backend.
    """
    connection = engine.connect()
    outer = connection.begin()
    db = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield db
    finally:
        db.close()
        outer.rollback()
        connection.close()
