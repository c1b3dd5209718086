"""Rotating the secret key without downtime (ASVS 5.0 11.1.1, SECURITY.md "Key rotation").

The current key signs; previous keys (JOINTOPS_SECRET_KEY_PREVIOUS) still verify, until
they are dropped.
"""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.accounts import service
from app.cli import app
from app.clock import utcnow
from app.config import Settings, file_settings, get_settings

OLD, NEW = "o" * 40, "n" * 40


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Set JOINTOPS_SECRET_KEY(_PREVIOUS) through the environment, as a deployment does."""
    monkeypatch.delenv("JOINTOPS_SECRET_KEY_PREVIOUS", raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def _use(keys: pytest.MonkeyPatch, current: str, previous: str | None = None) -> None:
    keys.setenv("JOINTOPS_SECRET_KEY", current)
    if previous is None:
        keys.delenv("JOINTOPS_SECRET_KEY_PREVIOUS", raising=False)
    else:
        keys.setenv("JOINTOPS_SECRET_KEY_PREVIOUS", previous)
    get_settings.cache_clear()


def test_a_cookie_signed_under_the_old_key_verifies_until_the_old_key_is_dropped(keys) -> None:
    now = utcnow()
    _use(keys, OLD)
    signed_before = service.pending_token(7, now=now)
    _use(keys, NEW, previous=OLD)  # rotated: the old key verifies, the new one signs
    assert service.read_pending_token(signed_before, now=now) == 7
    signed_after = service.pending_token(8, now=now)
    _use(keys, OLD)
    assert service.read_pending_token(signed_after, now=now) is None  # signed with NEW
    _use(keys, NEW)  # the old key dropped
    assert service.read_pending_token(signed_before, now=now) is None
    assert service.read_pending_token(signed_after, now=now) == 8


def test_several_previous_keys_and_their_checks() -> None:
    settings = Settings(secret_key=NEW, secret_key_previous=f"{OLD}, {'p' * 40}\n")
    assert settings.verifying_secret_keys == [NEW, OLD, "p" * 40]
    with pytest.raises(ValueError, match="SECRET_KEY_PREVIOUS"):
        Settings(environment="production", secret_key=NEW, secret_key_previous="short")


def test_rotate_secret_key_moves_the_key_and_drops_it_later(tmp_path: Path, keys) -> None:
    key_file, previous_file = tmp_path / "secret_key", tmp_path / "secret_key_previous"
    key_file.write_text(OLD + "\n")
    previous_file.write_text("")
    environ = {"JOINTOPS_SECRET_KEY_FILE": str(key_file),
               "JOINTOPS_SECRET_KEY_PREVIOUS_FILE": str(previous_file)}
    runner = CliRunner()
    args = ["rotate-secret-key", "--key-file", str(key_file), "--previous-file",
            str(previous_file)]
    _use(keys, OLD)
    signed_before = service.pending_token(7, now=utcnow())

    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    read = file_settings(environ)
    assert read["secret_key_previous"] == OLD and len(read["secret_key"]) == 64 != OLD
    for path in (key_file, previous_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    _use(keys, read["secret_key"], read["secret_key_previous"])
    assert service.read_pending_token(signed_before, now=utcnow()) == 7

    result = runner.invoke(app, [*args, "--drop-previous"])
    assert result.exit_code == 0, result.output
    read = file_settings(environ)
    assert read["secret_key_previous"] == ""
    _use(keys, read["secret_key"], read["secret_key_previous"])
    assert service.read_pending_token(signed_before, now=utcnow()) is None
