"""Security commands of the `jointops` CLI: `audit verify`, `purge-sessions`,
`end-all-sessions`, `retention`, `rotate-secret-key`, `tls-check`."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import typer
from sqlmodel import Session

from app import tls_check
from app.db import get_engine

audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify_command() -> None:
    """Check the audit trail's hash chain; exit 1 naming every edited or missing row."""
    from app.audit import verify

    with Session(get_engine()) as session:
        count, problems = verify(session)
    for problem in problems:
        typer.echo(problem.message, err=True)
    if problems:
        typer.echo(f"Audit trail BROKEN: {len(problems)} problem(s) in {count} rows.", err=True)
        raise typer.Exit(1)
    typer.echo(f"Audit trail intact: {count} rows, hash chain verified.")


def purge_sessions_command() -> None:
    """Delete expired and idle sessions and old sign-in counters (also done at sign-in)."""
    from app.accounts import throttle
    from app.accounts.service import purge_expired_sessions
    from app.clock import utcnow

    with Session(get_engine()) as session:
        ended = purge_expired_sessions(session)
        counters = throttle.purge(session, utcnow())
        session.commit()
    typer.echo(f"Purged {ended} expired session(s) and {counters} old sign-in counter(s).")


def end_all_sessions_command(
    yes: bool = typer.Option(False, "--yes", help="Sign every user out, without asking."),
) -> None:
    """Sign every user out now (a suspected breach): every session of every user ends,
    and the audit trail records it. Feed tokens are left alone."""
    from sqlalchemy import func
    from sqlmodel import delete, select

    from app import audit
    from app.models import UserSession

    if not yes:
        typer.echo("This signs every user out. Run it again with --yes to do so.", err=True)
        raise typer.Exit(2)
    with Session(get_engine()) as session:
        users = session.exec(select(func.count(func.distinct(UserSession.user_id)))).one()
        ended = session.exec(delete(UserSession)).rowcount or 0  # type: ignore[call-overload]
        audit.record(session, action="auth.all_sessions_ended", object_type="board",
                     object_id="sessions", details={"sessions": ended, "users": users})
        session.commit()
    typer.echo(f"Ended {ended} session(s) of {users} user(s).")


def retention_command() -> None:
    """Apply retention now: sessions, sign-in counters, feed polls (hourly in the worker)."""
    from app.retention import apply_retention

    with Session(get_engine()) as session:
        report = apply_retention(session)
        session.commit()
    typer.echo(
        f"Purged {report.sessions} expired session(s) and {report.sign_in_counters} old "
        f"sign-in counter(s); folded {report.feed_polls_summarised} feed poll(s) into "
        f"{report.feed_poll_days} day summaries."
    )


def _write_secret(path: Path, text: str) -> None:
    # Readable by its owner only, replaced in one step so a reader never sees half a key.
    fresh = path.with_name(f".{path.name}.new")
    descriptor = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(fresh, path)


def rotate_secret_key_command(
    key_file: Path = typer.Option(..., "--key-file", help="The file of JOINTOPS_SECRET_KEY_FILE."),
    previous_file: Path = typer.Option(
        ..., "--previous-file", help="The file of JOINTOPS_SECRET_KEY_PREVIOUS_FILE."),
    drop_previous: bool = typer.Option(
        False, "--drop-previous", help="Only empty the previous-key file (end of a rotation)."),
) -> None:
    """Rotate the secret key without downtime: the current key moves to the previous-key
    file (still verifying), a new random key becomes current (signing). Restart the
    board's processes; after the longest-lived signed value (the 5-minute second-factor
    cookie) has expired, run again with --drop-previous and restart."""
    if drop_previous:
        _write_secret(previous_file, "")
        typer.echo(f"Emptied {previous_file}: restart the board so the old key is refused.")
        return
    current = key_file.read_text(encoding="utf-8").strip()
    if not current:
        typer.echo(f"{key_file} holds no key to retire.", err=True)
        raise typer.Exit(2)
    _write_secret(previous_file, current + "\n")
    _write_secret(key_file, secrets.token_hex(32) + "\n")
    typer.echo(f"New key in {key_file}, the old one in {previous_file}. Restart the board "
               "now; in 5 minutes or more run this again with --drop-previous.")


def tls_check_command(
    certificate: Path = typer.Option(
        ..., "--certificate", help="The chain the proxy serves (PEM: certificate, then "
        "intermediates)."),
    key: Path = typer.Option(..., "--key", help="Its private key (PEM)."),
    host: str | None = typer.Option(
        None, "--host", help="The board's host name; default: that of JOINTOPS_PUBLIC_URL."),
    ca_file: Path | None = typer.Option(
        None, "--ca-file", envvar="JOINTOPS_TLS_CA_FILE",
        help="Trust these CAs (PEM) instead of the system's public ones: a private CA."),
    warn_days: int = typer.Option(
        tls_check.WARN_DAYS, "--warn-days", min=0, help="Warn when it expires sooner."),
) -> None:
    """Refuse a certificate browsers would not trust (ASVS 5.0 12.2.2): exit 1 naming each
    reason (not from a trusted CA, another host name, expired, self-signed, not the key's).
    No network: the chain is verified in memory."""
    # Not Settings: this one-shot holds no secret key, which production would require.
    host = host or urlsplit(os.environ.get("JOINTOPS_PUBLIC_URL", "")).hostname
    if not host:
        typer.echo("FAIL no host name to check the certificate for: pass --host or set "
                   "JOINTOPS_PUBLIC_URL", err=True)
        raise typer.Exit(1)
    report = tls_check.check(certificate, key, host, ca_file=ca_file, warn_days=warn_days)
    store = report.trust_store + (" (a private trust store: --ca-file/JOINTOPS_TLS_CA_FILE)"
                                  if ca_file else " (public CAs)")
    for problem in report.problems:
        typer.echo(f"FAIL {problem}", err=True)
    for warning in report.warnings:
        typer.echo(f"WARN {warning}", err=True)
    if not report.trusted:
        typer.echo(f"Certificate {certificate} NOT trusted for {host}: "
                   f"{len(report.problems)} problem(s), checked against {store}.", err=True)
        raise typer.Exit(1)
    leaf = report.leaf
    assert leaf is not None
    typer.echo(f"Certificate {certificate} trusted for {host}: issued by {leaf.issuer!r}, "
               f"valid until {leaf.not_after:%Y-%m-%d}, chain verified against {store}.")


def register(app: typer.Typer) -> None:
    """Add this area's commands to the `jointops` app."""
    app.add_typer(audit_app, name="audit")
    app.command("purge-sessions")(purge_sessions_command)
    app.command("end-all-sessions")(end_all_sessions_command)
    app.command("retention")(retention_command)
    app.command("rotate-secret-key")(rotate_secret_key_command)
    app.command("tls-check")(tls_check_command)
