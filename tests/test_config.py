"""Settings refuse a placeholder secret outside development."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.config import PLACEHOLDER_SECRET, Settings


def test_placeholder_secret_is_refused_outside_dev() -> None:
    assert Settings(environment="dev", secret_key=PLACEHOLDER_SECRET).secret_key
    for environment in ("test", "production"):
        with pytest.raises(ValidationError, match="JOINTOPS_SECRET_KEY"):
            Settings(environment=environment, secret_key=PLACEHOLDER_SECRET)
    assert Settings(environment="production", secret_key="x" * 40).environment == "production"


def test_settings_come_from_jointops_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOINTOPS_DATABASE_URL", "sqlite:////tmp/elsewhere.db")
    monkeypatch.setenv("JOINTOPS_SESSION_LIFETIME_MINUTES", "30")
    settings = Settings()
    assert settings.database_url == "sqlite:////tmp/elsewhere.db"
    assert settings.session_lifetime_minutes == 30
