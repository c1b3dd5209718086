"""Backup and restore of the whole board: SQLite's online backup API, pg_dump/pg_restore.

`jointops export` writes a scenario (operations and resources for the solver), not the
board: it leaves out users, taskings, plans and audit. A backup is the database itself,
taken consistently while the board runs:

- SQLite: the online backup API copies pages through a connection, so commits still in
  the write-ahead log are included (a plain file copy of `jointops.db` misses them).
- PostgreSQL: `pg_dump` in custom format, run on a snapshot exported by the transaction
  that counts the rows, so the counts printed are exactly those in the file.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.engine import make_url

from app.db import make_engine

SQLITE_HEADER = b"SQLite format 3\x00"
PG_CUSTOM_HEADER = b"PGDMP"


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why."""


@dataclass(frozen=True)
class BackupReport:
    """What a backup holds or a restore brought back: rows per table."""

    path: Path
    backend: str
    rows: dict[str, int]

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def backup(url: str, destination: Path) -> BackupReport:
    """Write a consistent copy of the database at `url` to `destination`."""
    destination = destination.resolve()
    if destination.exists() and destination.is_dir():
        raise BackupError(f"{destination} is a directory; give a file name")
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    try:
        if _backend(url) == "sqlite":
            rows = _backup_sqlite(_sqlite_path(url), partial)
        else:
            rows = _backup_postgresql(url, partial)
        # Only a finished copy takes the name: a crash never leaves a half file that
        # looks like a backup.
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)
    return BackupReport(destination, _backend(url), rows)


def restore(url: str, source: Path, *, replace: bool = False) -> BackupReport:
    """Load the backup `source` into the database at `url`.

    The target must be empty unless `replace` is set: a restore over a live board by
    mistake would lose everything written since the backup.
    """
    source = source.resolve()
    if not source.is_file():
        raise BackupError(f"{source} does not exist")
    header = source.read_bytes()[: len(SQLITE_HEADER)]
    backend = _backend(url)
    if backend == "sqlite" and not header.startswith(SQLITE_HEADER):
        raise BackupError(f"{source} is not a SQLite backup (the board's database is SQLite)")
    if backend != "sqlite" and not header.startswith(PG_CUSTOM_HEADER):
        raise BackupError(
            f"{source} is not a pg_dump custom-format backup (the board's database is PostgreSQL)"
        )
    engine = make_engine(url)
    try:
        tables = _board_tables(engine)
        if tables and not replace:
            raise BackupError(
                f"the target database already holds {len(tables)} tables; "
                "restore into an empty database, or pass --replace to overwrite it"
            )
    finally:
        engine.dispose()
    if backend == "sqlite":
        _restore_sqlite(source, _sqlite_path(url))
    else:
        _restore_postgresql(source, url, clean=bool(tables))
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = _count_rows(conn)
    finally:
        engine.dispose()
    return BackupReport(source, backend, rows)


def _backend(url: str) -> str:
    return make_url(url).get_backend_name()


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def _libpq_dsn(url: str) -> str:
    """The SQLAlchemy URL as pg_dump and pg_restore read it (no +driver suffix)."""
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def _board_tables(engine: Engine) -> list[str]:
    return [name for name in inspect(engine).get_table_names()]


def _count_rows(conn: Connection) -> dict[str, int]:
    names = sorted(inspect(conn).get_table_names())
    return {
        name: int(conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one())
        for name in names
    }


def _backup_sqlite(path: Path, partial: Path) -> dict[str, int]:
    if not path.is_file():
        raise BackupError(f"there is no database at {path}")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    target = sqlite3.connect(partial)
    try:
        source.backup(target)
        _check_integrity(target, partial)
        # A single file: the copy needs no -wal beside it.
        target.execute("PRAGMA journal_mode=DELETE")
        rows = _sqlite_counts(target)
    finally:
        target.close()
        source.close()
    return rows


def _restore_sqlite(source: Path, path: Path) -> None:
    backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        _check_integrity(backup_db, source)
        path.parent.mkdir(parents=True, exist_ok=True)
        target = sqlite3.connect(path)
        try:
            # The backup API replaces the target page by page under its own lock, so a
            # server still connected sees the old board or the restored one, never a mix.
            backup_db.backup(target)
            target.execute("PRAGMA journal_mode=WAL")
        finally:
            target.close()
    finally:
        backup_db.close()


def _check_integrity(conn: sqlite3.Connection, path: Path) -> None:
    verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
    if verdict != "ok":
        raise BackupError(f"{path} failed SQLite's integrity check: {verdict}")


def _sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    return {
        name: int(conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]) for name in names
    }


def _backup_postgresql(url: str, partial: Path) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            rows = _count_rows(conn)
            # The snapshot lives as long as this transaction: pg_dump must run inside it.
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    f"--snapshot={snapshot}",
                    f"--file={partial}",
                    f"--dbname={_libpq_dsn(url)}",
                ]
            )
            conn.rollback()
    finally:
        engine.dispose()
    return rows


def _restore_postgresql(source: Path, url: str, *, clean: bool) -> None:
    command = [
        "pg_restore",
        "--no-owner",
        "--exit-on-error",
        "--single-transaction",
        f"--dbname={_libpq_dsn(url)}",
    ]
    if clean:
        command += ["--clean", "--if-exists"]
    _run([*command, str(source)])


def _run(command: list[str]) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupError(
            f"{command[0]} is not installed (Debian package postgresql-client)"
        ) from None
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()}")
