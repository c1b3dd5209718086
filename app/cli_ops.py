"""Operations commands of the `jointops` CLI: migrate, backup and restore the database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from app.backup import BackupError, BackupReport, backup, restore
from app.config import get_settings


def migrate_command(
    grant_to: Annotated[str | None, typer.Option(
        "--grant-to", help="then give this PostgreSQL role row rights only (the role the "
        "board connects as)")] = None,
    grant_worker_to: Annotated[str | None, typer.Option(
        "--grant-worker-to", help="then let this PostgreSQL role read and write only what "
        "a solver worker reads and writes (the role the workers connect as)")] = None,
) -> None:
    """Upgrade the database schema to the newest migration (safe to run from replicas).

    Runs as JOINTOPS_MIGRATION_DATABASE_URL's role when set (the owner)."""
    from alembic import command
    from alembic.config import Config

    from app.config import ROOT

    command.upgrade(Config(str(ROOT / "alembic.ini")), "head")
    typer.echo("The database schema is at the newest migration.")
    if grant_to:
        grant_board_role_command(grant_to)
    if grant_worker_to:
        grant_worker_role_command(grant_worker_to)


def grant_board_role_command(
    role: Annotated[str, typer.Argument(help="the PostgreSQL role the board connects as")],
) -> None:
    """As the owner role (JOINTOPS_MIGRATION_DATABASE_URL): give ROLE row rights only."""
    from app.db_roles import grant_board_role

    _grant(grant_board_role, role)


def grant_worker_role_command(
    role: Annotated[str, typer.Argument(help="the PostgreSQL role the solver workers "
                                             "connect as")],
) -> None:
    """As the owner role: let ROLE read and write only runs, plans, the job queue and
    retention's clean-up (what a solver worker needs), and take away any other right."""
    from app.db_roles import grant_worker_role

    _grant(grant_worker_role, role)


def _grant(grant: Callable[..., list[str]], role: str) -> None:
    from app.db import make_engine

    settings = get_settings()
    engine = make_engine(settings.migration_database_url or settings.database_url)
    if engine.dialect.name != "postgresql":
        typer.echo("Database roles exist on PostgreSQL only.", err=True)
        raise typer.Exit(2)
    try:
        with engine.begin() as conn:
            statements = grant(conn, role=role)
    except ValueError as exc:
        typer.echo(f"Not granted: {exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        engine.dispose()
    typer.echo("\n".join(statements))


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
        # Restoring creates tables: the owner role's work, like migrations.
        settings = get_settings()
        report = restore(settings.migration_database_url or settings.database_url, file,
                         replace=replace)
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
    app.command("grant-board-role")(grant_board_role_command)
    app.command("grant-worker-role")(grant_worker_role_command)
    app.command("backup")(backup_command)
    app.command("restore")(restore_command)
