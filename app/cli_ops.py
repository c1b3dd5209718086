"""Operations commands of the `jointops` CLI: migrate, backup and restore the database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.backup import BackupError, BackupReport, backup, restore
from app.config import get_settings


def migrate_command() -> None:
    """Upgrade the database schema to the newest migration (safe to run from replicas)."""
    from alembic import command
    from alembic.config import Config

    from app.config import ROOT

    command.upgrade(Config(str(ROOT / "alembic.ini")), "head")
    typer.echo("The database schema is at the newest migration.")


def backup_command(
    file: Annotated[Path, typer.Argument(help="the backup file to write")],
) -> None:
    """Copy the whole board (every table) to FILE while it runs."""
    try:
        report = backup(get_settings().database_url, file)
    except BackupError as exc:
        typer.echo(f"Backup failed: {exc}", err=True)
        raise typer.Exit(1) from None
    _print_report(f"Backed up to {report.path}", report)


def restore_command(
    file: Annotated[Path, typer.Argument(help="a file written by `jointops backup`")],
    replace: Annotated[
        bool, typer.Option("--replace", help="overwrite a database that is not empty")
    ] = False,
) -> None:
    """Load a backup into the configured database (empty, unless --replace)."""
    try:
        report = restore(get_settings().database_url, file, replace=replace)
    except BackupError as exc:
        typer.echo(f"Restore failed: {exc}; the database was not changed.", err=True)
        raise typer.Exit(1) from None
    _print_report(f"Restored {report.path}", report)


def _print_report(headline: str, report: BackupReport) -> None:
    typer.echo(f"{headline} ({report.backend}): {report.total_rows} rows")
    for table, count in report.rows.items():
        typer.echo(f"  {table:<28} {count:>8}")


def register(app: typer.Typer) -> None:
    """Add this area's commands to the `jointops` app."""
    app.command("migrate")(migrate_command)
    app.command("backup")(backup_command)
    app.command("restore")(restore_command)
