"""ASVS 5.0 7.4.5: an administrator can end the sessions of every user at once (a
suspected breach, a stolen laptop of unknown owner), not only one user's."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, SQLModel, col, select
from typer.testing import CliRunner

from app.cli import app as cli_app
from app.clock import utcnow
from app.config import get_settings
from app.db import get_engine
from app.models import AuditEvent, Role, User, UserSession


def test_the_cli_ends_every_session_of_every_user_and_records_it(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("JOINTOPS_DATABASE_URL", f"sqlite:///{tmp_path / 'e.db'}")
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        SQLModel.metadata.create_all(get_engine())
        now = utcnow()
        with Session(get_engine()) as db:
            users = [User(username=f"u{i}", role=Role.liaison, password_hash="x")
                     for i in range(3)]
            db.add_all(users)
            db.flush()
            for n, user in enumerate(users):
                for device in range(2):
                    db.add(UserSession(id=f"{n}{device}".ljust(64, "f"), user_id=user.id,
                                       csrf_token="c", created_at=now,
                                       expires_at=now + timedelta(hours=12)))
            db.commit()
        refused = CliRunner().invoke(cli_app, ["end-all-sessions"])
        assert refused.exit_code != 0  # asks before signing everybody out
        with Session(get_engine()) as db:
            assert len(db.exec(select(UserSession)).all()) == 6
        result = CliRunner().invoke(cli_app, ["end-all-sessions", "--yes"])
        assert result.exit_code == 0, result.output
        assert "Ended 6 session(s) of 3 user(s)" in result.output
        with Session(get_engine()) as db:
            assert db.exec(select(UserSession)).all() == []
            (row,) = db.exec(select(AuditEvent).where(
                col(AuditEvent.action) == "auth.all_sessions_ended")).all()
            assert row.details == {"sessions": 6, "users": 3}
    finally:
        get_engine().dispose()
        get_settings.cache_clear()
        get_engine.cache_clear()
