"""Board commands of the `jointops` CLI: import, export, seed-demo, serve, create-user,
create-admin."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from sqlmodel import Session

from app.db import get_engine
from app.models import Role, UserCreate

if TYPE_CHECKING:
    from app.seed import DemoLogin


def _session() -> Session:
    return Session(get_engine())


def import_command(file: Annotated[Path, typer.Argument(help="jointops-scenario/1 JSON")]) -> None:
    """Import a scenario into the board, whole or not at all."""
    from app.transfer.service import ScenarioRejected, import_scenario

    with _session() as session:
        try:
            result = import_scenario(session, data=file.read_bytes())
        except ScenarioRejected as exc:
            typer.echo(f"{exc.message}; nothing was imported:", err=True)
            for path, message in exc.problems:
                typer.echo(f"  {path}: {message}" if path else f"  {message}", err=True)
            raise typer.Exit(2) from None
        session.commit()
    typer.echo("Imported " + ", ".join(f"{n} {kind}" for kind, n in result.counts.items()))
    typer.echo(result.horizon)


def export_command(
    file: Annotated[str, typer.Argument(help="output file, or - for stdout")] = "-",
) -> None:
    """Export the board (approved and scheduled operations, all resources) as a scenario."""
    from app.transfer.service import export_scenario

    with _session() as session:
        text = json.dumps(export_scenario(session), ensure_ascii=False, indent=2) + "\n"
    if file == "-":
        sys.stdout.write(text)
    else:
        Path(file).write_text(text, encoding="utf-8")
        typer.echo(f"Wrote {file}")


def seed_demo_command(
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="do nothing on a filled board")
    ] = False,
) -> None:
    """Fill the board with demo data and print the demo logins (JOINTOPS_ENVIRONMENT=dev
    only: the demo passwords are published)."""
    from app.config import get_settings
    from app.seed import (
        DemoRefused,
        board_is_empty,
        existing_demo_logins,
        refuse_demo_outside_dev,
        seed_demo,
    )

    try:
        refuse_demo_outside_dev(get_settings().environment)
    except DemoRefused as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from None
    with _session() as session:
        if not board_is_empty(session):
            if not if_empty:
                typer.echo("The board is not empty; refusing to seed demo data.", err=True)
                raise typer.Exit(1)
            typer.echo("The board already has data; demo seeding skipped.")
            logins = existing_demo_logins(session)
        else:
            summary = seed_demo(session)
            session.commit()
            typer.echo("Seeded " + ", ".join(f"{n} {k}" for k, n in summary.counts.items()))
            logins = summary.logins
    _print_logins(logins)


def _print_logins(logins: list[DemoLogin]) -> None:
    if not logins:
        return
    typer.echo("\nDemo logins (password = demo-<role>, unless changed since):")
    for login in logins:
        typer.echo(
            f"  {login.username:<26} {login.password:<18} {login.role:<13} "
            f"{login.agency or '(all agencies)'}"
        )


def serve_command(
    host: str = "127.0.0.1",
    port: int = 8000,
    reload: bool = False,
    workers: Annotated[int, typer.Option(min=1, help="uvicorn worker processes")] = 1,
    worker_timeout: Annotated[int, typer.Option(
        min=1, help="seconds a worker process may take to start or to answer the "
                    "supervisor's ping before it is restarted (with --workers)")] = 60,
    keep_alive: Annotated[int, typer.Option(
        min=1, help="seconds an idle keep-alive connection stays open")] = 65,
) -> None:
    """Serve the board with uvicorn."""
    import uvicorn

    from app.config import get_settings
    from app.observability import log_config

    uvicorn.run(
        "app.main:create_served_app",
        factory=True,
        host=host,
        port=port,
        reload=reload,
        workers=workers,
        # uvicorn's default of 5 s killed every worker before it had started on a loaded
        # 2-core host (load average 10, bench/load.py): the import and start-up took
        # longer, and the supervisor restarted them in a loop, serving nothing.
        timeout_worker_healthcheck=worker_timeout,
        # Longer than clients and proxies keep an idle connection (60 s is the common
        # default): at uvicorn's 5 s the server closed connections that clients were
        # reusing, and requests failed with "Remote end closed connection" under load
        # (bench/load.py: think times of 0 to 8 s, feed polls every 5 to 15 s).
        timeout_keep_alive=keep_alive,
        log_config=log_config(get_settings().log_format, get_settings().log_syslog),
        **proxy_options(),
    )


def proxy_options() -> dict[str, Any]:
    """uvicorn's proxy settings from JOINTOPS_FORWARDED_ALLOW_IPS: forwarded headers are
    believed from those peers only, and from none when it is empty."""
    from app.config import get_settings

    allowed = [ip.strip() for ip in get_settings().forwarded_allow_ips.split(",") if ip.strip()]
    return {"proxy_headers": bool(allowed), "forwarded_allow_ips": allowed or None}


IDENTITY_METHODS = "in_person, video_call_with_liaison or agency_callback"
BOOTSTRAP = "bootstrap"


def _operator() -> str:
    """Who ran the command, for the audit (the system account; the board has no session)."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no passwd entry (some containers)
        return "cli:unknown"


def _identity_check(method: str, reference: str, refused: str) -> dict[str, str]:
    """The identity check as the admin pages take it (one list, 4 to 200 characters),
    audited with the operator; refused (exit 2) with the option named."""
    from app.admin.common import FieldErrors, check
    from app.admin.schemas import IdentityCheckIn

    typed = {"identity_method": method, "identity_reference": reference}
    try:
        identity = check(IdentityCheckIn, {k: v for k, v in typed.items() if v})
    except FieldErrors as exc:
        typer.echo(f"{refused}: " + "; ".join(
            f"--{name.replace('_', '-')}: {text}" for name, text in exc.errors.items()
        ), err=True)
        raise typer.Exit(2) from None
    return identity.audited(_operator())


def _audit_created(session: Session, user: Any, via: str, identity: dict[str, str]) -> None:
    from app import audit

    audit.record(session, action="admin.user.created", object_type="user",
                 object_id=str(user.id), details={
                     "username": user.username, "role": user.role.value,
                     "agency": user.agency_id, "unit": user.unit_id,
                     "password_generated": False, "via": via, **identity})


def create_user_command(
    username: str,
    role: Annotated[Role, typer.Option(help="admin, planner, liaison or unit_officer")],
    identity_method: Annotated[str, typer.Option(
        help=f"how you checked the holder's identity: {IDENTITY_METHODS} (as on the "
        "admin pages)")],
    identity_reference: Annotated[str, typer.Option(
        help="what the check rests on, 4 to 200 characters: the ID document's last digits, "
        "the confirming liaison officer's name")],
    agency: Annotated[str | None, typer.Option(help="agency id, e.g. TH-RTP")] = None,
    unit: Annotated[str | None, typer.Option(help="unit id for a unit officer")] = None,
    full_name: str = "",
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Create a user account (the password is asked for): an initial password, which the
    user replaces with their own at first sign-in, within JOINTOPS_INITIAL_PASSWORD_HOURS.
    As on the admin pages, the holder's identity is checked first (--identity-method,
    --identity-reference), and the check is audited with the system user who ran this."""
    from pydantic import ValidationError

    from app.accounts.service import create_user
    from app.errors import AppError

    identity = _identity_check(identity_method, identity_reference, "User not created")
    try:
        user_in = UserCreate(
            username=username,
            role=role,
            agency_id=agency,
            unit_id=unit,
            full_name=full_name,
            password=password,
        )
        with _session() as session:
            user = create_user(session, user_in=user_in, initial=True)
            _audit_created(session, user, "jointops create-user", identity)
            session.commit()
    except (ValidationError, AppError) as exc:
        typer.echo(f"User not created: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"Created {role.value} {username}")


def create_admin_command(
    username: Annotated[str, typer.Argument(help="the administrator's username")] = "admin",
    password_file: Annotated[Path | None, typer.Option(
        "--password-file", help="read the password from this file (its first line) instead "
        "of asking for it", exists=True, dir_okay=False, readable=True)] = None,
    full_name: str = "",
    identity_method: Annotated[str, typer.Option(
        help=f"{BOOTSTRAP} (the default: no administrator exists yet to check anyone; "
        "whoever may run commands on the server vouches for this account), or how you "
        f"checked the holder's identity: {IDENTITY_METHODS}")] = BOOTSTRAP,
    identity_reference: Annotated[str, typer.Option(
        help="what the account rests on: for bootstrap (optional, up to 200 characters) "
        "e.g. the change ticket or order naming the first administrator; for the others "
        "(required, 4 to 200 characters) as on the admin pages")] = "",
) -> None:
    """Create the first administrator (the password is asked for twice, or read from a file).

    This is how a production board gets its first account: the demo seed runs only in
    JOINTOPS_ENVIRONMENT=dev. Every later account, password reset and second-factor
    removal needs an administrator's identity check on the admin pages; this first one is
    recorded in the audit trail as method `bootstrap` (or the method given), with the
    reference and the system user who ran the command.
    """
    from pydantic import ValidationError
    from sqlmodel import select

    from app.accounts.service import create_user
    from app.errors import AppError
    from app.models import User
    from app.seed import DEMO_PASSWORDS

    if identity_method == BOOTSTRAP:
        reference = " ".join(identity_reference.split())[:200]
        identity = {"identity_method": BOOTSTRAP, "identity_reference": reference or
                    "first administrator, created with jointops create-admin",
                    "identity_checked_by": _operator()}
    else:
        identity = _identity_check(identity_method, identity_reference,
                                   "Administrator not created")
    password = _admin_password(password_file)
    if password in DEMO_PASSWORDS.values():
        typer.echo("Administrator not created: that is a demo password, published in the "
                   "README", err=True)
        raise typer.Exit(2)
    try:
        user_in = UserCreate(username=username, role=Role.admin, full_name=full_name,
                             password=password)
        with _session() as session:
            if session.exec(select(User.id).where(User.role == Role.admin)).first():
                typer.echo("Administrator not created: the board already has an "
                           "administrator; add others on its Users page", err=True)
                raise typer.Exit(1)
            user = create_user(session, user_in=user_in)
            _audit_created(session, user, "jointops create-admin", identity)
            session.commit()
    except (ValidationError, AppError) as exc:
        typer.echo(f"Administrator not created: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"Created administrator {username}")


def _admin_password(password_file: Path | None) -> str:
    """The password from the file's first line, or typed twice (not echoed)."""
    import getpass

    if password_file is not None:
        lines = password_file.read_text(encoding="utf-8").splitlines()
        password = lines[0] if lines else ""
        if not password:
            typer.echo(f"Administrator not created: {password_file} is empty", err=True)
            raise typer.Exit(2)
        return password
    password = getpass.getpass("Password: ")
    if getpass.getpass("Repeat the password: ") != password:
        typer.echo("Administrator not created: the two passwords differ", err=True)
        raise typer.Exit(2)
    return password


def register(app: typer.Typer) -> None:
    """Add this area's commands to the `jointops` app."""
    app.command("import")(import_command)
    app.command("export")(export_command)
    app.command("seed-demo")(seed_demo_command)
    app.command("create-admin")(create_admin_command)
    app.command("serve")(serve_command)
    app.command("create-user")(create_user_command)
