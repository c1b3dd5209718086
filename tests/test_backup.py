"""`jointops backup` and `restore`: every row of a running board comes back, on each backend."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, MetaData, text
from sqlalchemy.engine import make_url
from sqlmodel import Session
from typer.testing import CliRunner

from app.backup import BackupError, backup, restore
from app.cli import app as cli_app
from app.config import ROOT, get_settings
from app.db import make_engine
from app.seed import seed_demo

SEEDED_AT = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


def _migrate_and_seed(url: str) -> None:
    engine = make_engine(url)
    try:
        config = Config(str(ROOT / "alembic.ini"))
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
        with Session(engine) as session:
            seed_demo(session, now=SEEDED_AT)
            session.commit()
    finally:
        engine.dispose()


def _all_rows(url: str) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, in a stable order, as plain tuples."""
    engine = make_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as conn:
            return {
                name: sorted((tuple(row) for row in conn.execute(table.select())), key=repr)
                for name, table in metadata.tables.items()
            }
    finally:
        engine.dispose()


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def test_sqlite_backup_holds_commits_still_in_the_wal_and_restores_every_row(
    tmp_path: Path,
) -> None:
    source = _sqlite_url(tmp_path / "board.db")
    _migrate_and_seed(source)
    live = make_engine(source)
    try:
        # A connection kept open stops SQLite from folding the log back into the file,
        # as on a running board: these commits live only in board.db-wal.
        with live.begin() as conn:
            conn.execute(text("UPDATE agencies SET name = name || ' (renamed)'"))
        wal = tmp_path / "board.db-wal"
        assert wal.stat().st_size > 0
        report = backup(source, tmp_path / "copy.backup")
    finally:
        live.dispose()

    assert report.rows["agencies"] > 0
    assert report.total_rows == sum(len(rows) for rows in _all_rows(source).values())
    target = _sqlite_url(tmp_path / "restored" / "board.db")
    restored = restore(target, tmp_path / "copy.backup")
    assert restored.rows == report.rows
    assert _all_rows(target) == _all_rows(source)
    restored_engine = make_engine(target)
    with restored_engine.connect() as conn:
        names = list(conn.execute(text("SELECT name FROM agencies")).scalars())
    restored_engine.dispose()
    assert names and all(name.endswith(" (renamed)") for name in names)


def test_restore_refuses_a_board_that_is_not_empty_unless_told_to_replace(
    tmp_path: Path,
) -> None:
    source = _sqlite_url(tmp_path / "board.db")
    _migrate_and_seed(source)
    backup(source, tmp_path / "copy.backup")
    other = _sqlite_url(tmp_path / "other.db")
    _migrate_and_seed(other)
    engine = make_engine(other)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events"))
    engine.dispose()
    before = _all_rows(other)

    with pytest.raises(BackupError, match="already holds .* tables.*--replace"):
        restore(other, tmp_path / "copy.backup")
    assert _all_rows(other) == before

    restore(other, tmp_path / "copy.backup", replace=True)
    assert _all_rows(other) == _all_rows(source)


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a database\n")
    with pytest.raises(BackupError, match="notes.txt is not a SQLite backup"):
        restore(_sqlite_url(tmp_path / "board.db"), bogus)
    with pytest.raises(BackupError, match="missing.backup does not exist"):
        restore(_sqlite_url(tmp_path / "board.db"), tmp_path / "missing.backup")
    with pytest.raises(BackupError, match="no database at"):
        backup(_sqlite_url(tmp_path / "absent.db"), tmp_path / "x.backup")
    assert not (tmp_path / "x.backup").exists()
    assert not (tmp_path / "x.backup.partial").exists()


def test_cli_backup_and_restore_print_rows_per_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _sqlite_url(tmp_path / "board.db")
    _migrate_and_seed(source)
    runner = CliRunner()
    monkeypatch.setenv("JOINTOPS_DATABASE_URL", source)
    get_settings.cache_clear()
    try:
        done = runner.invoke(cli_app, ["backup", str(tmp_path / "b.backup")])
        assert done.exit_code == 0, done.output
        assert "Backed up to" in done.output and "operations" in done.output

        refused = runner.invoke(cli_app, ["restore", str(tmp_path / "b.backup")])
        assert refused.exit_code == 1
        assert "the database was not changed" in refused.output

        monkeypatch.setenv("JOINTOPS_DATABASE_URL", _sqlite_url(tmp_path / "new.db"))
        get_settings.cache_clear()
        done = runner.invoke(cli_app, ["restore", str(tmp_path / "b.backup")])
        assert done.exit_code == 0, done.output
        assert "Restored" in done.output
    finally:
        get_settings.cache_clear()
    assert _all_rows(_sqlite_url(tmp_path / "new.db")) == _all_rows(source)


@pytest.fixture
def pg_databases() -> Iterator[tuple[str, str]]:
    """Two fresh PostgreSQL databases beside the test one: a source and a restore target."""
    url = os.environ.get("JOINTOPS_TEST_DATABASE_URL")
    if url is None or make_url(url).get_backend_name() != "postgresql":
        pytest.skip("needs JOINTOPS_TEST_DATABASE_URL on PostgreSQL (make test sets it)")
    admin: Engine = make_engine(url, isolation_level="AUTOCOMMIT")
    names = [f"jt_backup_{uuid.uuid4().hex[:8]}_{role}" for role in ("src", "dst")]
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        base = make_url(url)
        source, target = (base.set(database=name).render_as_string(False) for name in names)
        yield source, target
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.db
def test_postgresql_backup_restores_every_row_into_a_fresh_database(
    pg_databases: tuple[str, str], tmp_path: Path
) -> None:
    source, target = pg_databases
    _migrate_and_seed(source)
    report = backup(source, tmp_path / "board.dump")
    assert (tmp_path / "board.dump").read_bytes().startswith(b"PGDMP")

    restored = restore(target, tmp_path / "board.dump")

    assert restored.rows == report.rows
    assert report.rows["operations"] > 0 and report.rows["users"] > 0
    assert _all_rows(target) == _all_rows(source)
    with pytest.raises(BackupError, match="--replace"):
        restore(target, tmp_path / "board.dump")
    restore(target, tmp_path / "board.dump", replace=True)
    assert _all_rows(target) == _all_rows(source)
