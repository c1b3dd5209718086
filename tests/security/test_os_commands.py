"""OS commands take argument lists, never a shell (ASVS 5.0 1.2.5).

The board runs three programs: `pg_dump` and `pg_restore` (app/backup.py) and its own
worker (app/planning/spawn.py). A file name or database URL full of shell syntax reaches
them as one argument each, and nothing of it is executed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app import backup
from app.planning import spawn

SHELL = "; touch {m} && $(touch {m}) `touch {m}` | touch {m} > {m}"


def test_a_hostile_file_name_and_url_reach_pg_restore_as_single_arguments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "executed"
    source = tmp_path / ("dump" + SHELL.format(m="executed").replace("/", "_") + ".dump")
    source.write_bytes(backup.PG_CUSTOM_HEADER + b" not really an archive")
    url = "postgresql+psycopg://u:p@127.0.0.1:1/" + "db%3B%20touch%20executed"
    calls: list[tuple[list[str], dict[str, Any]]] = []
    real = subprocess.run

    def spy(command: list[str], **kwargs: Any) -> Any:
        calls.append((command, kwargs))
        return real(command, cwd=tmp_path, **kwargs)

    monkeypatch.setattr(backup.subprocess, "run", spy)
    with pytest.raises(backup.BackupError, match="pg_restore failed"):
        backup._restore_postgresql(source, url, clean=False)
    [(command, kwargs)] = calls
    assert isinstance(command, list) and not kwargs.get("shell")
    assert command[0] == "pg_restore" and command[-1] == str(source)
    assert sum(1 for arg in command if arg.startswith("--dbname=")) == 1
    assert not marker.exists() and sorted(p.name for p in tmp_path.iterdir()) == [source.name]


def test_the_worker_is_started_without_a_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[tuple[list[str], dict[str, Any]]] = []

    class Recorder:
        def __init__(self, command: list[str], **kwargs: Any) -> None:
            started.append((command, kwargs))

    monkeypatch.setattr(spawn.subprocess, "Popen", Recorder)
    spawn.start_worker()
    [(command, kwargs)] = started
    assert command[:4] == [sys.executable, "-m", "app.cli", "worker"]
    assert not kwargs.get("shell") and all(isinstance(arg, str) for arg in command)
